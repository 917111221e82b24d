// The tenant-admin notice: lost rows are counted on the database host from the pre-restore
// snapshot (RunbookStep child), then the Markdown is written on this machine by a local host
// command, so nothing is written during a preview and the file's content is part of the state.
import * as pulumi from "@pulumi/pulumi";
import { declareCommand } from "../resources/declare-command";
import { dataLossWindow, parseLostWrites } from "../runbook";
import { keysFileText, renderReport, reportFileName } from "../runbook/notice";
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
  /** Where the replaced data is kept, for the notice's last line. */
  kept?: pulumi.Input<string>;
}

const LOCAL = { name: "local", address: "localhost", port: 0, user: "", local: true };

export class Report extends RunbookStep {
  readonly path: pulumi.Output<string>;
  readonly markdown: pulumi.Output<string>;
  readonly window: pulumi.Output<{ from: string; to: string }>;
  readonly lostRows: pulumi.Output<number>;
  /** The file beside the notice with every key of every lost write. */
  readonly keysPath: pulumi.Output<string>;

  constructor(name: string, args: ReportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:Report", name, args, opts);
    const counts = Object.values(this.stdout)[0] ?? pulumi.output("");
    this.window = pulumi.all([args.restorePoint, args.writesStoppedAt]).apply(([rp, stops]) => dataLossWindow(rp, stops));
    const lost = counts.apply(parseLostWrites);
    this.lostRows = lost.apply((l) => l.reduce((n, r) => n + r.count, 0));
    this.path = pulumi.output(args.restorePoint).apply((rp) => `${args.dir.replace(/\/+$/, "")}/${reportFileName(args.deployment, rp)}`);
    this.keysPath = this.path.apply((p) => p.replace(/\.md$/, ".keys.tsv"));
    this.markdown = pulumi.all([args.restorePoint, this.window, lost, args.resumedAt, args.kept ?? "", this.keysPath]).apply(([rp, window, rows, resumedAt, kept, keysPath]) =>
      renderReport({ deployment: args.deployment, restorePoint: rp, window, lost: rows, contact: args.contact, tables: args.tables, generatedAt: resumedAt, lostRowsUnavailable: args.lostRowsUnavailable, kept: kept || undefined, keysFile: keysPath.slice(keysPath.lastIndexOf("/") + 1) }),
    );
    const write = declareCommand(
      `${name}-write-notice`,
      {
        transport: args.transport,
        host: LOCAL,
        create: this.path.apply((p) => `mkdir -p ${quote(p.replace(/\/[^/]*$/, "") || ".")} && cat > ${quote(p)} && echo ${quote(p)}`),
        stdin: this.markdown,
        triggers: [args.restoreKey],
      },
      // The previous step too: a plan without a count command still writes only after it.
      { parent: this, dependsOn: [...Object.values(this.commands), ...(args.after ?? [])] },
    );
    // Every key (the notice lists the first few per tenant and table), beside the notice.
    const keys = args.lostRowsUnavailable
      ? undefined
      : declareCommand(
          `${name}-write-keys`,
          {
            transport: args.transport,
            host: LOCAL,
            create: this.keysPath.apply((p) => `mkdir -p ${quote(p.replace(/\/[^/]*$/, "") || ".")} && cat > ${quote(p)} && echo ${quote(p)}`),
            stdin: lost.apply(keysFileText),
            triggers: [args.restoreKey],
          },
          { parent: this, dependsOn: [...Object.values(this.commands), ...(args.after ?? [])] },
        );
    this.finish({ path: this.path, window: this.window, lostRows: this.lostRows, written: write.stdout, ...(keys ? { keys: keys.stdout } : {}) });
  }
}
