// src/tenant/: one tenant's rows brought back (request, catalog, plan, SQL, notice) as a Pulumi
// program of its own beside the restore's. Imports src/config, src/shell, src/runbook,
// src/resources and src/steps; never a mechanism, the restore's program or the driver.
//
// The Pulumi program of one single-tenant recovery (its own stack, `<stack>.tenant-<id>`): one
// ComponentResource per step, each the host command of ./plan.ts through the same dynamic
// resource as the restore, chained in order. Everything it needs was found and validated by the
// command line before the program runs (the catalog, the tables, the source): nothing is
// declared on bad input.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../config";
import { dbTarget } from "../runbook/commands";
import { stampFrom } from "../runbook";
import { declareCommand } from "../resources/declare-command";
import { quote } from "../shell/words";
import { hostConnections } from "../steps/common-args";
import type { LeftAlone, OwnedTable } from "./catalog";
import { workDir } from "./commands";
import { noticeFileName, renderNotice } from "./notice";
import { recoverySteps, STAMP_PLACEHOLDER, type TenantStep, undoSteps } from "./plan";
import { recoveryKey, type TenantRequest } from "./request";
import { parseSessionOutput } from "./sql";

export interface RecoveryInput {
  config: RestoreConfig;
  privateKey?: string;
  req: TenantRequest;
  tables: OwnedTable[];
  leftAlone: LeftAlone[];
  /** The resolved source: a dump's path or a kept database's name. */
  source: string;
  sourceTime?: string;
  /** Absolute folder of the notice. */
  reportDir: string;
}

const LOCAL = { name: "local", address: "localhost", port: 0, user: "", local: true };

class TenantStepComponent extends pulumi.ComponentResource {
  readonly stdout: pulumi.Output<string>;
  constructor(step: TenantStep, create: pulumi.Input<string>, spec: { input: RecoveryInput; key: string; after: pulumi.Resource[]; privateKey?: pulumi.Input<string> }) {
    const type = `delphi:tenant:${step.step[0]?.toUpperCase()}${step.step.slice(1)}`;
    super(type, step.step, {}, {});
    const c = spec.input.config;
    const host = hostConnections(c)[c.database?.host ?? ""];
    if (!host) throw new pulumi.RunError("tenant recovery: the config's database host is not among its hosts");
    const cmd = declareCommand(`${step.step}-db`, { transport: c.transport, host, create, triggers: [spec.key], privateKey: spec.privateKey }, { parent: this, dependsOn: spec.after });
    this.stdout = cmd.stdout;
    this.registerOutputs({ stdout: this.stdout });
  }
}

export function recoveryProgram(input: RecoveryInput): () => Promise<Record<string, unknown>> {
  return async () => {
    const db = dbTarget(input.config);
    const backupDir = input.config.database?.backupDir ?? "";
    const key = recoveryKey(input.req, input.source);
    const privateKey = input.privateKey ? pulumi.secret(input.privateKey) : undefined;
    if (input.req.phase === "undo") {
      const dir = input.req.undoDir ?? "";
      let after: pulumi.Resource[] = [];
      let out: pulumi.Output<string> = pulumi.output("");
      for (const s of undoSteps(db, input.tables, input.req.tenant, dir)) {
        const comp = new TenantStepComponent(s, s.render(STAMP_PLACEHOLDER), { input, key: `${key}|undo|${dir}`, after, privateKey });
        after = [comp];
        out = comp.stdout;
      }
      return { tenant: input.req.tenant, phase: "undo", undoDir: dir, undone: out.apply((o) => parseSessionOutput(o).undone), tables: input.tables };
    }
    const ctx = { db, req: input.req, tables: input.tables, source: input.source, backupDir };
    let stamp: pulumi.Output<string> | undefined;
    let after: pulumi.Resource[] = [];
    const outs: Partial<Record<TenantStep["step"], pulumi.Output<string>>> = {};
    for (const s of recoverySteps(ctx)) {
      const create = s.needsStamp && stamp ? stamp.apply((st) => s.render(st)) : s.render(STAMP_PLACEHOLDER);
      const comp = new TenantStepComponent(s, create, { input, key, after, privateKey });
      outs[s.step] = comp.stdout;
      if (s.step === "stamp") stamp = comp.stdout.apply(stampFrom);
      after = [comp];
    }
    const applied = (outs.apply ?? pulumi.output("")).apply((o) => parseSessionOutput(o).applied);
    const runStamp = stamp ?? pulumi.output(STAMP_PLACEHOLDER);
    const dir = runStamp.apply((st) => workDir(backupDir, input.req.tenant, st));
    const noticePath = runStamp.apply((st) => `${input.reportDir.replace(/\/+$/, "")}/${noticeFileName(input.req.tenant, st)}`);
    const markdown = pulumi.all([applied, runStamp]).apply(([a]) =>
      renderNotice({ deployment: input.config.deployment, tenant: input.req.tenant, source: input.source, sourceTime: input.sourceTime, mode: input.req.mode, applied: a, tables: input.tables, leftAlone: input.leftAlone, contact: input.config.report.contact, generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z") }),
    );
    const notice = declareCommand(
      "notice-write",
      { transport: input.config.transport, host: LOCAL, create: noticePath.apply((p) => `mkdir -p ${quote(p.replace(/\/[^/]*$/, "") || ".")} && cat > ${quote(p)} && echo ${quote(p)}`), stdin: markdown, triggers: [key] },
      { dependsOn: after },
    );
    return {
      tenant: input.req.tenant,
      phase: "recover",
      source: input.source,
      sourceTime: input.sourceTime ?? "",
      mode: input.req.mode,
      stamp: runStamp,
      undoDir: dir,
      tables: input.tables,
      leftAlone: input.leftAlone,
      applied,
      verified: (outs.verify ?? pulumi.output("")).apply((o) => parseSessionOutput(o).verified),
      noticePath: notice.stdout.apply((o) => o.trim()),
    };
  };
}
