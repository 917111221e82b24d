// Pure: config -> the ordered plan of an AWS restore (aurora-pitr, rds-pitr, rds-snapshot) for
// each phase: which step, which component name, what it creates or runs. The program declares
// resources from this plan and the driver prints it, so preview and summary never disagree.
import { NAMESPACE, type RestoreConfig } from "../../config";
import { type HostCommand, STEP_TITLES, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands } from "../../runbook";
import type { SignoffStage } from "../../aws/types";
import { preRestoreSnapshotIdentifier, restoredIdentifier } from "./names";

export type DbKind = "cluster" | "instance";
export type AwsConfig = NonNullable<RestoreConfig["aws"]>;
export type Recovery = { type: "time"; time: string } | { type: "latest" } | { type: "snapshot"; snapshotId: string };
export type { SignoffStage } from "../../aws/types";
export type AwsStepName = "snapshot" | "restore" | "quiesce" | "repoint" | "reconcile" | "resume" | "verify" | "report" | "rollback" | "signoff";
export interface AwsStepPlan {
  step: AwsStepName;
  /** Component name, unique in the stack (rollback reruns remote steps under new names). */
  name: string;
  title: string;
  /** What the step creates or changes, one line per resource or command. */
  does: string[];
  /** Remote steps only: the host commands (shared with the self-managed mechanism). */
  commands: HostCommand[];
}

export interface AwsPlan {
  deployment: string;
  mechanism: RestoreConfig["mechanism"];
  phase: RestoreConfig["phase"];
  order: RestoreConfig["order"];
  kind: DbKind;
  sourceId: string;
  recovery: Recovery;
  signoffStage?: SignoffStage;
  steps: AwsStepPlan[];
  downtime: string;
  stops: { host: string; service: string }[];
}

export const AWS_STEP_TITLES: Record<"rollback" | "signoff", string> = {
  rollback: "Repoint services back to the old database",
  signoff: "Sign-off: delete the old database",
};

const DB_WORDS: Record<DbKind, { db: string; snapshot: string }> = {
  cluster: { db: "Aurora cluster", snapshot: "cluster snapshot" },
  instance: { db: "RDS instance", snapshot: "DB snapshot" },
};

/** The aws block; config validation guarantees it for the AWS mechanisms. */
export function awsConfig(c: RestoreConfig): AwsConfig {
  if (!c.aws) throw new Error(`mechanism ${c.mechanism} needs ${NAMESPACE}:aws (config validation should have said so)`);
  return c.aws;
}

export function dbKind(c: RestoreConfig): DbKind {
  return c.mechanism === "aurora-pitr" ? "cluster" : "instance";
}

export function sourceIdentifier(c: RestoreConfig): string {
  const a = awsConfig(c);
  const id = dbKind(c) === "cluster" ? a.sourceClusterIdentifier : a.sourceInstanceIdentifier;
  if (!id) throw new Error(`mechanism ${c.mechanism} needs its source identifier (config validation should have said so)`);
  return id;
}

/** A moment as RDS takes it: UTC, whole seconds, `Z` (config may carry an offset or milliseconds). */
export function utcSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function recoveryOf(c: RestoreConfig): Recovery {
  const a = awsConfig(c);
  if (c.mechanism === "rds-snapshot") return { type: "snapshot", snapshotId: a.snapshotIdentifier ?? "" };
  if (a.useLatestRestorableTime) return { type: "latest" };
  return { type: "time", time: utcSecond(Date.parse(a.targetTime ?? "")) };
}

export function recoveryText(r: Recovery): string {
  if (r.type === "time") return `at ${r.time}`;
  if (r.type === "latest") return "at its latest restorable time";
  return `from snapshot ${r.snapshotId}`;
}

const step = (s: AwsStepName, title: string, does: string[], commands: HostCommand[] = [], name: string = s): AwsStepPlan => ({ step: s, name, title, does, commands });
const remote = (s: "quiesce" | "reconcile" | "resume" | "verify", commands: HostCommand[], name: string = s, title: string = STEP_TITLES[s]): AwsStepPlan =>
  step(s, title, commands.map((c) => `${c.host}: ${c.description}`), commands, name);

function repointLines(a: AwsConfig, to: string): string[] {
  return [
    ...(a.databaseUrlSecretArn ? [`new version of secret ${a.databaseUrlSecretArn}: DATABASE_URL with host and port of ${to} (a secret; user and password kept)`] : []),
    ...(a.route53 ? [`Route53 CNAME ${a.route53.name} in ${a.route53.zoneId} -> ${to} (TTL ${a.route53.ttl}s, overwrites the existing record)`] : []),
  ];
}

/** The steps of the restore itself; sign-off re-declares them unchanged so its preview shows only sign-off. */
function restoreSteps(c: RestoreConfig, kind: DbKind, sourceId: string, recovery: Recovery): AwsStepPlan[] {
  const a = awsConfig(c);
  const words = DB_WORDS[kind];
  const newId = restoredIdentifier(c.deployment, "<random>", kind);
  const instances =
    kind === "cluster"
      ? [`writer instance ${newId}-1 (${a.instanceClass ?? "class of the source's instances"})`, ...(a.readers > 0 ? [`${a.readers} reader instance(s) ${newId}-2.. of the same class`] : [])]
      : [`instance class ${a.instanceClass ?? "of the source instance"}`];
  const snapshot = step("snapshot", STEP_TITLES.snapshot, [`manual ${words.snapshot} ${preRestoreSnapshotIdentifier(c.deployment, "<random>")} of ${words.db} ${sourceId} (protected, kept on destroy)`]);
  const restore = step("restore", STEP_TITLES.restore, [
    recovery.type === "snapshot"
      ? `new ${words.db} ${newId} restored ${recoveryText(recovery)} (its encryption), with ${sourceId}'s engine, version, subnet group, security groups, parameter group, port and tags`
      : `new ${words.db} ${newId} restored from ${sourceId} ${recoveryText(recovery)}, with the source's engine, version, subnet group, security groups, parameter group, KMS key, port and tags`,
    ...instances,
    "deletion protection on; protected and kept on destroy",
  ]);
  const quiesce = remote("quiesce", quiesceCommands(c));
  return [
    snapshot,
    ...(c.order === "beforeSwitch" ? [restore, quiesce] : [quiesce, restore]),
    step("repoint", STEP_TITLES.repoint, repointLines(a, `the restored ${words.db}`)),
    remote("reconcile", [reconcileCommand(c)]),
    remote("resume", resumeCommands(c)),
    remote("verify", verifyCommands(c)),
    step("report", STEP_TITLES.report, [`tenant-admin notice in ${c.report.dir}: data-loss window [restore point, moment of switch]; lost rows are not counted for AWS (that needs SQL on the old database)`]),
  ];
}

function signoffLines(kind: DbKind, sourceId: string, stage: SignoffStage): string[] {
  const db = `${DB_WORDS[kind].db} ${sourceId}`;
  const members = kind === "cluster" ? " and its instances" : "";
  return stage === "adopt"
    ? [`adopt the old ${db}${members} (import, no change; still protected and kept on destroy)`]
    : [
        `old ${db}: deletion protection off, final snapshot ${sourceId}-final-<random> on delete, automated backups kept`,
        `old ${db}${members}: unprotected, so \`pulumi destroy --target <urn> --target-dependents\` deletes exactly it`,
      ];
}

export function planAws(c: RestoreConfig): AwsPlan {
  const a = awsConfig(c);
  const kind = dbKind(c);
  const sourceId = sourceIdentifier(c);
  const recovery = recoveryOf(c);
  const base = restoreSteps(c, kind, sourceId, recovery);
  let steps: AwsStepPlan[];
  let signoffStage: SignoffStage | undefined;
  if (c.phase === "rollback") {
    // The restored database stays declared (it is protected); the services switch back and are
    // restarted under new command names, so the commands run again.
    const keep = base.filter((s) => s.step === "snapshot" || s.step === "restore");
    steps = [
      ...keep,
      remote("quiesce", quiesceCommands(c), "rollback-quiesce", `${STEP_TITLES.quiesce} (rollback)`),
      step("rollback", AWS_STEP_TITLES.rollback, repointLines(a, `the old ${DB_WORDS[kind].db} ${sourceId}`)),
      remote("resume", resumeCommands(c), "rollback-resume", `${STEP_TITLES.resume} (rollback)`),
      remote("verify", verifyCommands(c), "rollback-verify", `${STEP_TITLES.verify} (rollback)`),
    ];
  } else if (c.phase === "signoff") {
    signoffStage = a.releaseOld ? "release" : "adopt";
    steps = [...base, step("signoff", AWS_STEP_TITLES.signoff, signoffLines(kind, sourceId, signoffStage))];
  } else {
    steps = base;
  }
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    phase: c.phase,
    order: c.order,
    kind,
    sourceId,
    recovery,
    signoffStage,
    steps,
    downtime:
      c.phase === "signoff"
        ? "none: sign-off stops no service (the restore's commands are declared unchanged and do not run again)"
        : c.order === "beforeSwitch" || c.phase === "rollback"
          ? "switch time: services stop only once the database to switch to is ready"
          : "restore time: services stay stopped while AWS builds the new database (often 10-60 minutes)",
    stops: c.phase === "signoff" ? [] : serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}
