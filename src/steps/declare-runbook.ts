// The self-managed runbook declared: the plan's steps become one component each, chained by
// dependsOn, with the values later steps need (the stamp, the snapshot path, the restore point,
// the resume time) read from earlier steps' output. The mechanisms that run on the db host
// (pg-restore, volume-snapshot, wal-pitr) declare their plans through this.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../config";
import { type RestorePlan, type RuntimeValues, markers, restorePointFrom, resumedAtFrom, snapshotPathFrom, stampFrom, writesStoppedFrom } from "../runbook";
import type { KeptData } from "../runbook/kept";
import { type ProgramContext, type Secrets, commonStepArgs, reportDir } from "./common-args";
import { Report } from "./report";
import type { RunbookStep } from "./runbook-step";
import { STEP_CLASSES } from "./runbook-steps";

/** The plan (step -> host -> command descriptions) as a plain output for the driver's status. */
export function planSummary(plan: RestorePlan) {
  return plan.steps.map((s) => ({ step: s.step, title: s.title, commands: s.commands.map((c) => ({ name: c.name, host: c.host, description: c.description })) }));
}

/**
 * Declare a self-managed restore's plan (a pg_dump archive, a volume snapshot, a base backup and
 * WAL): one component per step, each after the previous; return the stack outputs. `kept` is the
 * data the mechanism keeps aside (none for pg-restore with `snapshot: before`).
 */
export function declareRunbook(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext, plan: RestorePlan, kept: KeptData | undefined) {
  const common = commonStepArgs(config, secrets);
  const done: Partial<Record<string, RunbookStep>> = {};
  const runtime: Partial<Record<keyof RuntimeValues, pulumi.Input<string>>> = {};
  let previous: pulumi.Resource[] = [];
  let report: Report | undefined;
  let keptName: pulumi.Output<string> | undefined;
  for (const step of plan.steps) {
    const base = { ...common, plan: step, runtime: { ...runtime }, after: previous };
    let component: RunbookStep;
    if (step.step === "report") {
      report = new Report(step.step, {
        ...base,
        deployment: config.deployment,
        contact: config.report.contact,
        tables: config.report.tables,
        dir: reportDir(config, ctx),
        restorePoint: runtime.restorePoint ?? "",
        writesStoppedAt: pulumi.all(Object.values(done.quiesce?.stdout ?? {})).apply(writesStoppedFrom),
        resumedAt: runtime.resumedAt ?? "",
        kept: keptName,
      });
      component = report;
    } else {
      component = new STEP_CLASSES[step.step](step.step, base);
    }
    done[step.step] = component;
    const stdouts = pulumi.all(Object.values(component.stdout));
    if (step.step === "precheck") {
      runtime.stamp = stdouts.apply((o) => stampFrom(o.join("\n")));
      if (kept && config.phase === "restore") keptName = pulumi.output(runtime.stamp).apply((s) => kept.keptName(s));
    }
    if (step.step === "snapshot") runtime.snapshotPath = stdouts.apply((o) => snapshotPathFrom(o.join("\n")));
    if (step.step === "restore") runtime.restorePoint = plan.restorePoint ?? stdouts.apply((o) => restorePointFrom(plan, o[0] ?? ""));
    if (step.step === "resume") runtime.resumedAt = stdouts.apply(resumedAtFrom);
    previous = [component];
  }
  const verify = done.verify;
  const signoff = done.signoff;
  return {
    ...(kept ? keptOutputs(config.phase, kept, keptName, done.restore) : {}),
    ...(signoff ? { archivedKept: config.kept, archive: pulumi.all(Object.values(signoff.stdout)).apply((o) => markers(o.join("\n"), "archive")[0] ?? ""), signedOff: true } : {}),
    mechanism: config.mechanism,
    order: config.order,
    downtime: plan.downtime,
    plan: planSummary(plan),
    preRestoreSnapshot: runtime.snapshotPath,
    // snapshot: after writes it in the background: "written", or "writing ... (log ...)".
    ...(done.snapshot ? { preRestoreSnapshotState: pulumi.all(Object.values(done.snapshot.stdout)).apply((o) => markers(o.join("\n"), "snapshot-state")[0] ?? "written") } : {}),
    restorePoint: runtime.restorePoint,
    dataLossWindow: report?.window,
    verifyResults: verify ? pulumi.all(verify.stdout).apply((m) => Object.fromEntries(Object.keys(m).map((k) => [k, "ok"]))) : {},
    lostRows: report?.lostRows,
    reportPath: report?.path,
  };
}

/**
 * What the restore came from, and the data it kept (what `rollback` puts back and `signoff`
 * archives and removes); after a rollback, what it put back and what it kept of the restore.
 */
function keptOutputs(phase: RestoreConfig["phase"], k: KeptData, keptName: pulumi.Output<string> | undefined, restore: RunbookStep | undefined) {
  const marker = (key: string) => (restore ? pulumi.all(Object.values(restore.stdout)).apply((o) => markers(o.join("\n"), key)[0] ?? "") : undefined);
  if (phase === "rollback") return { rolledBackTo: k.rollbackTo, [k.outputs.undone]: marker("undone") };
  if (phase === "signoff") return {};
  return { [k.outputs.source]: marker(k.outputs.sourceMarker), [k.outputs.kept]: keptName, keptKind: k.kind };
}
