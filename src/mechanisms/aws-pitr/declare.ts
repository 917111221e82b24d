// The AWS mechanisms (aurora-pitr, rds-pitr, rds-snapshot): the plan (./plan.ts) becomes one
// component per step, chained by dependsOn. Everything AWS is read and checked first; only when
// every check passes is any resource beyond the provider declared. The remote steps (quiesce,
// reconcile, resume, verify) and the report are the self-managed mechanism's own components.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RestoreConfig } from "../../config";
import { commonStepArgs, type ProgramContext, type Secrets } from "../../steps/common-args";
import { declareInOrder, sharedOutputs } from "../../aws/shared-steps";
import { AwsPreRestoreSnapshot, AwsRestore } from "./database";
import { Repoint, Rollback, type RepointArgs } from "./repoint";
import { SignOff } from "./signoff";
import { chooseInstanceClass, latestTimeProblem, restorableWindow, signoffProblem, snapshotProblem, targetTimeProblem } from "./checks";
import { databaseUrlTarget } from "./database-url";
import { preRestoreSnapshotIdentifier, restoredIdentifier } from "./names";
import { type AwsPlan, awsConfig, planAws } from "./plan";
import { type SnapshotInfo, type SourceDb, readDatabaseUrl, readSnapshot, readSource } from "./source";

const LOST_ROWS_NOT_COUNTED =
  "Lost rows are not counted per tenant for this restore: counting them needs SQL on the old database, which this AWS restore does not run. The old database is kept unchanged until sign-off; your operator can count them there on request.";

interface Checked {
  source: SourceDb;
  snapshot?: SnapshotInfo;
  instanceClass: string;
}

/** Read the source (and snapshot) and check the config against it; throws before any resource. */
async function readAndCheck(c: RestoreConfig, plan: AwsPlan, opts: pulumi.InvokeOptions): Promise<Checked> {
  const a = awsConfig(c);
  const source = await readSource(plan.kind, plan.sourceId, opts);
  const snapshot = plan.recovery.type === "snapshot" ? await readSnapshot(plan.recovery.snapshotId, opts) : undefined;
  const problems: (string | undefined)[] = [];
  const chosen = chooseInstanceClass(a.instanceClass, source);
  if ("problem" in chosen) problems.push(chosen.problem);
  // Only a restore checks the recovery target: the window moves on, and rollback or sign-off
  // days later must keep declaring the database that was restored, unchanged.
  if (c.phase === "restore") {
    if (plan.recovery.type === "time") problems.push(targetTimeProblem(plan.recovery.time, source, Date.now()));
    if (plan.recovery.type === "latest") problems.push(latestTimeProblem(source));
    if (snapshot) problems.push(snapshotProblem(snapshot, source));
  }
  if (c.phase === "signoff" && a.databaseUrlSecretArn) {
    let target: { host: string; port: number } | undefined;
    try {
      target = databaseUrlTarget(await readDatabaseUrl(a.databaseUrlSecretArn, opts));
    } catch (e) {
      if (e instanceof pulumi.RunError) throw e;
      problems.push(`delphi-restore:aws.databaseUrlSecretArn = ${a.databaseUrlSecretArn}: ${(e as Error).message}`);
    }
    if (target) problems.push(signoffProblem(target, source, a.databaseUrlSecretArn));
  }
  const found = problems.filter((p): p is string => p !== undefined);
  if (found.length > 0 || "problem" in chosen)
    throw new pulumi.RunError([`AWS checks failed (${found.length}); nothing was changed:`, ...found.map((p) => `  x ${p}`)].join("\n"));
  return { source, snapshot, instanceClass: chosen.instanceClass };
}

function restorePointOf(plan: AwsPlan, snapshot?: SnapshotInfo): string {
  if (plan.recovery.type === "time") return plan.recovery.time;
  if (plan.recovery.type === "latest") return "latest restorable time";
  return snapshot?.createdAt ?? plan.recovery.snapshotId;
}

/** Tags of what the restore creates: the source's (minus AWS's reserved ones), the config's, and provenance. */
function restoreTags(c: RestoreConfig, source: SourceDb, restorePoint: string): Record<string, string> {
  const copied = Object.fromEntries(Object.entries(source.tags).filter(([k]) => !k.toLowerCase().startsWith("aws:")));
  return { ...copied, ...awsConfig(c).tags, "delphi-restore:deployment": c.deployment, "delphi-restore:restored-from": source.id, "delphi-restore:restore-point": restorePoint };
}

/** Declare the AWS restore for the configured phase and return the stack outputs. */
export async function declareAwsRestore(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext = {}): Promise<Record<string, unknown>> {
  const plan = planAws(config);
  const a = awsConfig(config);
  // One explicit provider in aws.region for every read and resource: no aws:region to keep in sync.
  const provider = new aws.Provider(`aws-${a.region}`, { region: a.region });
  const { source, snapshot, instanceClass } = await readAndCheck(config, plan, { provider });

  const restorePoint = restorePointOf(plan, snapshot);
  const tags = restoreTags(config, source, restorePoint);
  // One suffix names everything this restore creates, so the names of one restore read together.
  const suffix = new random.RandomId("restore-suffix", { byteLength: 3 });
  const componentOpts: pulumi.ComponentResourceOptions = { providers: [provider] };
  const common = commonStepArgs(config, secrets);
  const secret = a.databaseUrlSecretArn
    ? { arn: a.databaseUrlSecretArn, current: pulumi.secret(aws.secretsmanager.getSecretVersionOutput({ secretId: a.databaseUrlSecretArn }, { provider }).secretString) }
    : undefined;
  const repointTo = (host: pulumi.Input<string>, port: pulumi.Input<number>, after: pulumi.Resource[]): RepointArgs => ({ after, secret, dns: a.route53, host, port });

  const done = declareInOrder(plan.steps, { common, config, ctx, restorePoint, lostRowsUnavailable: LOST_ROWS_NOT_COUNTED }, ({ s, after, done }) => {
    switch (s.step) {
      case "snapshot":
        return new AwsPreRestoreSnapshot(s.name, { after, source, identifier: suffix.hex.apply((h) => preRestoreSnapshotIdentifier(config.deployment, h)), tags: { ...tags, "delphi-restore:purpose": "pre-restore" } }, componentOpts);
      case "restore":
        return new AwsRestore(
          s.name,
          { after, source, recovery: plan.recovery, snapshot, identifier: suffix.hex.apply((h) => restoredIdentifier(config.deployment, h, plan.kind)), instanceClass, readers: a.readers, tags },
          componentOpts,
        );
      case "repoint": {
        const restored = done.restore as AwsRestore;
        return new Repoint(s.name, repointTo(restored.endpoint, restored.port, after), componentOpts);
      }
      case "rollback":
        return new Rollback(s.name, repointTo(source.endpoint, source.port, after), componentOpts);
      case "signoff":
        return new SignOff(s.name, { after, source, stage: plan.signoffStage ?? "adopt" }, componentOpts);
      default:
        return undefined;
    }
  });
  return outputs(config, plan, source, restorePoint, done);
}

function outputs(c: RestoreConfig, plan: AwsPlan, source: SourceDb, restorePoint: string, done: Partial<Record<string, pulumi.Resource>>): Record<string, unknown> {
  const snapshot = done.snapshot as AwsPreRestoreSnapshot | undefined;
  const restored = done.restore as AwsRestore | undefined;
  const repoint = (done.repoint ?? done.rollback) as Repoint | Rollback | undefined;
  const signoff = done.signoff as SignOff | undefined;
  const window = c.phase === "restore" && plan.recovery.type !== "snapshot" ? restorableWindow(source.kind, source.backupRetentionPeriod, Date.now()) : undefined;
  const shared = sharedOutputs(c, plan, done);
  return {
    ...shared,
    source: { kind: source.kind, id: source.id, endpoint: source.endpoint, port: source.port },
    restored: restored ? { identifier: restored.identifier, endpoint: restored.endpoint, port: restored.port } : undefined,
    restorePoint,
    restorableWindow: window,
    preRestoreSnapshot: snapshot?.snapshotId,
    repoint: repoint ? { secretVersionId: repoint.secretVersionId, dnsName: repoint.dnsName } : undefined,
    lostRows: done.report ? "not counted for AWS restores (needs SQL on the old database)" : undefined,
    signoff: signoff ? { stage: plan.signoffStage, finalSnapshotIdentifier: signoff.finalSnapshotIdentifier, destroyTargets: signoff.destroyTargets } : undefined,
  };
}
