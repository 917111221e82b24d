// The Pulumi program: validated config -> plan -> one component per runbook step, chained.
import * as pulumi from "@pulumi/pulumi";
import { AWS_MECHANISMS, ConfigError, NAMESPACE, fromPulumiConfig, parseConfig, type RestoreConfig } from "./config";
import { planSelfManaged } from "./mechanisms/self-managed-plan";
import { gatherWalFacts } from "./mechanisms/wal-pitr/facts";
import { planWalPitr } from "./mechanisms/wal-pitr/plan";
import { type PitrChoice, checkTarget, targetOf } from "./mechanisms/wal-pitr/window";
import { explainSshFailure, runOnHost } from "./resources/ssh-exec";
import { hostConnections } from "./steps/common-args";
import { type KeptData, keptDataOf } from "./runbook/kept";
import { markers, restorePointFrom, resumedAtFrom, snapshotPathFrom, stampFrom, writesStoppedFrom, type RestorePlan, type RuntimeValues } from "./runbook";
import { Report } from "./steps/report";
import { commonStepArgs, reportDir, type ProgramContext, type Secrets } from "./steps/common-args";
import type { RunbookStep } from "./steps/runbook-step";
import { STEP_CLASSES } from "./steps/runbook-steps";


export { hostConnections, type ProgramContext, type Secrets } from "./steps/common-args";

/** Read and validate the stack config; a ConfigError becomes a clean RunError (no stack trace). */
export function loadConfig(): { config: RestoreConfig; secrets: Secrets } {
  let config: RestoreConfig;
  try {
    config = parseConfig(fromPulumiConfig(pulumi.runtime.allConfig()));
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const cfg = new pulumi.Config(NAMESPACE);
  return {
    config,
    secrets: { privateKey: cfg.getSecret("sshPrivateKey"), adminPassword: cfg.getSecret("adminPassword") },
  };
}

/** The plan (step -> host -> command descriptions) as a plain output for the driver's status. */
export function planSummary(plan: RestorePlan) {
  return plan.steps.map((s) => ({ step: s.step, title: s.title, commands: s.commands.map((c) => ({ name: c.name, host: c.host, description: c.description })) }));
}

/** Declare a self-managed restore (pg_dump archive or volume snapshot) and return the stack outputs. */
export function declarePgRestore(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext = {}, planned?: RestorePlan) {
  const plan = planned ?? planSelfManaged(config);
  const common = commonStepArgs(config, secrets);
  const done: Partial<Record<string, RunbookStep>> = {};
  const runtime: Partial<Record<keyof RuntimeValues, pulumi.Input<string>>> = {};
  let previous: pulumi.Resource[] = [];
  let report: Report | undefined;
  const kept = keptDataOf(config);
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

/** Read the archive on the db host (read-only) and check the target; refuse before declaring anything. */
async function walChoice(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext): Promise<PitrChoice | undefined> {
  if (config.phase !== "restore" || !config.target) return undefined;
  const hosts = hostConnections(config);
  const key = secrets.privateKey ? await new Promise<string>((r) => pulumi.output(secrets.privateKey).apply((k) => (r(k ?? ""), k))) : undefined;
  const run = ctx.hostRun ?? (async (host: string, command: string) => {
    const r = await runOnHost(hosts[host], command, { privateKey: key || undefined, timeoutSeconds: 120, connectTimeoutSeconds: 10 });
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: explainSshFailure(hosts[host], r.exitCode, r.stderr) ?? r.stderr };
  });
  const target = targetOf(config.target);
  let verdict;
  try {
    verdict = checkTarget(await gatherWalFacts(config, target, run), target, config.target.inclusive);
  } catch (e) {
    throw new pulumi.RunError(`wal-pitr: ${(e as Error).message}; nothing was changed`);
  }
  if (!verdict.ok) throw new pulumi.RunError(`wal-pitr: the recovery target is out of reach; nothing was changed:\n  x delphi-restore:target: ${verdict.problem}`);
  return verdict.choice;
}

/** The program's entry: validates everything before declaring any resource. */
export async function restoreProgram(ctx: ProgramContext = {}): Promise<Record<string, unknown>> {
  const { config, secrets } = loadConfig();
  if (config.mechanism === "ebs-snapshot") {
    const { declareEbsRestore } = await import("./mechanisms/ebs-snapshot/declare");
    return declareEbsRestore(config, secrets, ctx);
  }
  if ((AWS_MECHANISMS as readonly string[]).includes(config.mechanism)) {
    const { declareAwsRestore } = await import("./mechanisms/aws-pitr/declare");
    return declareAwsRestore(config, secrets, ctx);
  }
  if (config.mechanism === "wal-pitr") {
    const choice = await walChoice(config, secrets, ctx);
    return declarePgRestore(config, secrets, ctx, planWalPitr(config, choice));
  }
  return declarePgRestore(config, secrets, ctx);
}
