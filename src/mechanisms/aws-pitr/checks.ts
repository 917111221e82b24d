// Pure: checks of the config against what the invokes read, run before any resource is
// declared. Each problem is one line that names the config key, its value and the fix.
//
// The restorable window: DescribeDBClusters/DescribeDBInstances return EarliestRestorableTime
// and LatestRestorableTime, but the provider's data sources (aws.rds.getCluster/getInstance) do
// not expose them. The window is therefore estimated conservatively from what they do return:
//   earliest = now - backupRetentionPeriod days + a margin (1 h for Aurora, whose backups are
//              continuous; 24 h for RDS instances, whose window starts at the oldest daily backup)
//   latest   = now - 5 minutes (RDS ships transaction logs about every 5 minutes)
// A time the estimate rejects may be restorable in fact; the error says how to check and choose.
import { NAMESPACE } from "../../config";
import { type DbKind, utcSecond } from "./plan";
import type { SnapshotInfo, SourceDb } from "./source";

export const LATEST_LAG_MINUTES = 5;
export const EARLIEST_MARGIN_HOURS: Record<DbKind, number> = { cluster: 1, instance: 24 };
/** Serverless v2 capacity is not readable through the data sources, so it cannot be copied. */
const SERVERLESS_CLASS = "db.serverless";

const HOUR = 3_600_000;
const key = (k: string) => `${NAMESPACE}:aws.${k}`;

export interface RestorableWindow {
  earliest: string;
  latest: string;
}

export function restorableWindow(kind: DbKind, retentionDays: number, now: number): RestorableWindow | undefined {
  if (!(retentionDays > 0)) return undefined;
  return { earliest: utcSecond(now - retentionDays * 24 * HOUR + EARLIEST_MARGIN_HOURS[kind] * HOUR), latest: utcSecond(now - LATEST_LAG_MINUTES * 60_000) };
}

const KIND_WORD: Record<DbKind, string> = { cluster: "Aurora cluster", instance: "RDS instance" };

function noBackups(k: string, value: string, source: SourceDb): string {
  return `${key(k)} = ${value}: ${KIND_WORD[source.kind]} ${source.id} keeps no automated backups (backupRetentionPeriod 0), so it has no point-in-time window. Fix: restore from a snapshot (mechanism rds-snapshot), or enable backups on the source first.`;
}

/** The target time must be in the past, after the earliest and before the latest restorable time. */
export function targetTimeProblem(target: string, source: SourceDb, now: number): string | undefined {
  const w = restorableWindow(source.kind, source.backupRetentionPeriod, now);
  if (!w) return noBackups("targetTime", target, source);
  const t = Date.parse(target);
  if (t >= Date.parse(w.earliest) && t <= Date.parse(w.latest)) return undefined;
  const where = t > now ? "is in the future" : t > Date.parse(w.latest) ? "is after the latest restorable time" : "is before the earliest restorable time";
  return (
    `${key("targetTime")} = ${target} ${where} of ${KIND_WORD[source.kind]} ${source.id}: ` +
    `the restorable window is ${w.earliest} .. ${w.latest} (UTC; estimated from backupRetentionPeriod ${source.backupRetentionPeriod} days, ` +
    `${EARLIEST_MARGIN_HOURS[source.kind]} h margin, ${LATEST_LAG_MINUTES} min log lag). ` +
    `Fix: pulumi config set --path '${key("targetTime")}' <a UTC time inside the window>`
  );
}

export function latestTimeProblem(source: SourceDb): string | undefined {
  return source.backupRetentionPeriod > 0 ? undefined : noBackups("useLatestRestorableTime", "true", source);
}

/**
 * The class of the restored cluster's instances: aws.instanceClass, else the class the source's
 * instances share. The data sources do not say which member is the writer, so when the members
 * differ the program refuses to guess.
 */
export function chooseInstanceClass(configured: string | undefined, source: SourceDb): { instanceClass: string } | { problem: string } {
  if (configured) return { instanceClass: configured };
  if (source.kind === "instance" && source.instanceClass) return { instanceClass: source.instanceClass };
  const classes = [...new Set(source.members.map((m) => m.instanceClass))].sort();
  const fix = `Fix: pulumi config set --path '${key("instanceClass")}' <class, e.g. db.r6g.large>`;
  if (classes.length === 0) return { problem: `${key("instanceClass")} (missing): ${KIND_WORD[source.kind]} ${source.id} has no instances to copy the class from. ${fix}` };
  if (classes.length > 1)
    return { problem: `${key("instanceClass")} (missing): the instances of ${source.id} have different classes (${classes.join(", ")}) and the writer cannot be told apart from here. ${fix}` };
  if (classes[0] === SERVERLESS_CLASS)
    return { problem: `${key("instanceClass")} (missing): ${source.id} runs Serverless v2 (${SERVERLESS_CLASS}), whose capacity range cannot be read to copy. ${fix}` };
  return { instanceClass: classes[0] };
}

export function snapshotProblem(snapshot: SnapshotInfo, source: SourceDb): string | undefined {
  const fix = `Fix: pulumi config set --path '${key("snapshotIdentifier")}' <an available snapshot of ${source.id}>`;
  if (snapshot.status !== "available") return `${key("snapshotIdentifier")} = ${snapshot.id}: the snapshot is '${snapshot.status}', not 'available'. ${fix}`;
  if (snapshot.engine !== source.engine)
    return `${key("snapshotIdentifier")} = ${snapshot.id}: the snapshot's engine is ${snapshot.engine}, the source instance ${source.id} runs ${source.engine}. ${fix}`;
  return undefined;
}

/**
 * Sign-off deletes the old database; refuse while the DATABASE_URL still points at it (for
 * example after a rollback), because then the services still use it.
 */
export function signoffProblem(current: { host: string; port: number }, source: SourceDb, secretArn: string): string | undefined {
  if (current.host !== source.endpoint.toLowerCase()) return undefined;
  return (
    `${NAMESPACE}:phase = signoff: the DATABASE_URL in ${secretArn} still points at the old ${KIND_WORD[source.kind]} ${source.id} (${source.endpoint}), ` +
    `which the services therefore still use; sign-off would delete it. Fix: finish the restore first (pulumi config set '${NAMESPACE}:phase' restore && pulumi up), or stay rolled back.`
  );
}
