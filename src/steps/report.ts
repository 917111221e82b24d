// The tenant-admin notice: lost rows are counted on the database host from the pre-restore
// snapshot (RunbookStep child), then the Markdown is written on this machine by a local host
// command, so nothing is written during a preview and the file's content is part of the state.
import * as pulumi from "@pulumi/pulumi";
import { declareCommand } from "../resources/declare-command";
import { dataLossWindow, parseLostRows } from "../plan";
import { renderReport, reportFileName } from "../report";
import { quote } from "../shell";
import { RunbookStep, type RunbookStepArgs } from "./runbook-step";

export interface ReportArgs extends RunbookStepArgs {
  deployment: string;
  contact: string;
  tables: string[];
  dir: string;
  restorePoint: pulumi.Input<string>;
  /** When writes stopped (the quiesce or switch moments). */
  writesStoppedAt: pulumi.Input<string[]>;
  resumedAt: pulumi.Input<string>;
  /** Why lost rows are not counted (a plan without a count command); see ReportInput. */
  lostRowsUnavailable?: string;
}

export class Report extends RunbookStep {
  readonly path: pulumi.Output<string>;
  readonly markdown: pulumi.Output<string>;
  readonly window: pulumi.Output<{ from: string; to: string }>;
  readonly lostRows: pulumi.Output<number>;

  constructor(name: string, args: ReportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:Report", name, args, opts);
    const counts = Object.values(this.stdout)[0] ?? pulumi.output("");
    this.window = pulumi.all([args.restorePoint, args.writesStoppedAt]).apply(([rp, stops]) => dataLossWindow(rp, stops));
    const lost = counts.apply(parseLostRows);
    this.lostRows = lost.apply((l) => l.reduce((n, r) => n + r.count, 0));
    this.markdown = pulumi.all([args.restorePoint, this.window, lost, args.resumedAt]).apply(([rp, window, rows, resumedAt]) =>
      renderReport({ deployment: args.deployment, restorePoint: rp, window, lost: rows, contact: args.contact, tables: args.tables, generatedAt: resumedAt, lostRowsUnavailable: args.lostRowsUnavailable }),
    );
    this.path = pulumi.output(args.restorePoint).apply((rp) => `${args.dir.replace(/\/+$/, "")}/${reportFileName(args.deployment, rp)}`);
    const write = declareCommand(
      `${name}-write-notice`,
      {
        transport: args.transport,
        host: { name: "local", address: "localhost", port: 0, user: "", local: true },
        create: this.path.apply((p) => `mkdir -p ${quote(p.replace(/\/[^/]*$/, "") || ".")} && cat > ${quote(p)} && echo ${quote(p)}`),
        stdin: this.markdown,
        triggers: [args.restoreKey],
      },
      // The previous step too: a plan without a count command still writes only after it.
      { parent: this, dependsOn: [...Object.values(this.commands), ...(args.after ?? [])] },
    );
    this.finish({ path: this.path, window: this.window, lostRows: this.lostRows, written: write.stdout });
  }
}
