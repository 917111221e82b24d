// Pure: config -> the ordered plan of a self-managed restore (every host, service and command),
// the restore point and the data-loss window. Components only translate this into resources,
// and the driver's summary is printed from it, so preview and up can never disagree.
import type { RestoreConfig } from "./config";
import * as sh from "./shell";
import { dbTarget, fixed, confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "./plan-commands";

export { confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "./plan-commands";

export const STEP_ORDER = ["snapshot", "quiesce", "confirm", "restore", "repoint", "reconcile", "resume", "verify", "report"] as const;
export type StepName = (typeof STEP_ORDER)[number];

export const STEP_TITLES: Record<StepName, string> = {
  snapshot: "Pre-restore snapshot",
  quiesce: "Quiesce services",
  confirm: "Confirm services still stopped",
  restore: "Restore database",
  repoint: "Repoint services",
  reconcile: "Reconcile schema (TelWeb migrate deploy)",
  resume: "Resume services",
  verify: "Verify",
  report: "Tenant-admin report",
};

/** Values known only while `up` runs; commands that need them are rendered from these. */
export interface RuntimeValues {
  snapshotPath: string;
  restorePoint: string;
  resumedAt: string;
}

/** Placeholders shown in previews and summaries for values known only at run time. */
export const PREVIEW_VALUES: RuntimeValues = {
  snapshotPath: "<pre-restore snapshot path>",
  restorePoint: "<restore point>",
  resumedAt: "<resume time>",
};

export interface HostCommand {
  /** Resource name suffix, unique within the step. */
  name: string;
  host: string;
  description: string;
  render: (rt: RuntimeValues) => string;
  /** Which runtime values the command needs (so components wait only for those). */
  needs: (keyof RuntimeValues)[];
  /** A secret config value fed on stdin (never on the command line). */
  stdinSecret?: "adminPassword";
}

export interface StepPlan {
  step: StepName;
  title: string;
  commands: HostCommand[];
}

export interface RestorePlan {
  deployment: string;
  mechanism: RestoreConfig["mechanism"];
  order: RestoreConfig["order"];
  steps: StepPlan[];
  /** The restore point when known before the run (config, or the dump's file name). */
  restorePoint?: string;
  dump: { file?: string; description: string };
  /** The database the restore writes into (a new one in beforeSwitch mode). */
  restoreTarget: string;
  /** beforeSwitch: the name the replaced database is kept under (volume-snapshot: the kept data subvolume). */
  keptOldDatabase?: string;
  /** What the restore restores from, for the summary's label: a dump, or a volume snapshot. */
  source?: "dump" | "volume snapshot" | "kept data" | "base backup + WAL";
  downtime: string;
  stops: { host: string; service: string }[];
}

const STAMP_RE = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** `delphi-20261123T020000Z.dump` -> `2026-11-23T02:00:00Z`. */
export function restorePointFromName(file: string): string | undefined {
  const m = STAMP_RE.exec(file);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** The tenant notice's step: lost rows counted from the pre-restore pg_dump (self-managed mechanisms). */
export function lostRowsReport(c: RestoreConfig): StepPlan {
  const d = c.database;
  if (!d) throw new Error(`${c.mechanism} needs \`database\``);
  const db = dbTarget(c);
  const tables = c.report.tables;
  return {
    step: "report",
    title: STEP_TITLES.report,
    commands: [{
      name: "count-lost-rows",
      host: d.host,
      description: `count rows newer than the restore point per tenant in ${tables.join(", ")}, from the pre-restore snapshot (loaded into a scratch database, then dropped)`,
      render: (rt) => sh.countLostRows(db, sh.quote(rt.snapshotPath), rt.restorePoint, tables, `${d.name}_lost_rows`),
      needs: ["snapshotPath", "restorePoint"],
    }],
  };
}

/** The plan of a self-managed (pg_dump archive) restore. */
export function planPgRestore(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  const db = dbTarget(c);
  const beforeSwitch = c.order === "beforeSwitch";
  const restoreTarget = beforeSwitch ? `${d.name}_restored` : d.name;
  const keptOld = beforeSwitch ? `${d.name}_pre_restore` : undefined;
  const dumpExpr = c.dump ? sh.quote(`${d.backupDir.replace(/\/+$/, "")}/${c.dump}`) : sh.newestDumpExpr(db, d.backupDir);
  const restorePoint = c.restorePoint ?? (c.dump ? restorePointFromName(c.dump) : undefined);

  const snapshot: StepPlan = {
    step: "snapshot",
    title: STEP_TITLES.snapshot,
    commands: [{
      name: "pg-dump",
      host: d.host,
      description: `read ${c.dump ?? "the newest *.dump"} through completely (refused before anything stops if it cannot be), then pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} and pg_restore --list it`,
      render: fixed(sh.preRestoreSnapshot(db, d.backupDir, dumpExpr)),
      needs: [],
    }, ...voiceCallsCheck(c)],
  };
  const restore: StepPlan = {
    step: "restore",
    title: STEP_TITLES.restore,
    commands: [{
      name: "pg-restore",
      host: d.host,
      description: `pg_restore --clean --if-exists --no-owner --exit-on-error${d.jobs > 1 ? ` --jobs=${d.jobs}` : ""} of ${c.dump ?? "the newest *.dump (not a pre-restore snapshot)"} into ${restoreTarget}${beforeSwitch ? " (a new database; the live one keeps serving)" : ""}`,
      render: fixed(sh.pgRestore(db, dumpExpr, { jobs: d.jobs, intoDatabase: beforeSwitch ? restoreTarget : undefined, keepOldAs: keptOld })),
      needs: [],
    }],
  };
  const quiesce: StepPlan = { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) };
  const confirm: StepPlan = { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) };
  const repoint: StepPlan | undefined = beforeSwitch && keptOld
    ? {
        step: "repoint",
        title: STEP_TITLES.repoint,
        commands: [{
          name: "switch-database",
          host: d.host,
          description: `rename ${d.name} to ${keptOld} (kept) and ${restoreTarget} to ${d.name}`,
          render: fixed(sh.switchDatabases(db, restoreTarget, keptOld)),
          needs: [],
        }],
      }
    : undefined;
  const report = lostRowsReport(c);
  const steps: StepPlan[] = [
    snapshot,
    ...(beforeSwitch ? [restore, quiesce, confirm] : [quiesce, confirm, restore]),
    ...(repoint ? [repoint] : []),
    { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
    { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
    { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
    report,
  ];
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps,
    restorePoint,
    dump: { file: c.dump, description: c.dump ? `${d.backupDir}/${c.dump}` : `newest *.dump in ${d.backupDir} (resolved on ${d.host} when the restore runs)` },
    restoreTarget,
    keptOldDatabase: keptOld,
    downtime: beforeSwitch ? "switch time: services stop only for the database swap" : "restore time: services stay stopped while pg_restore runs",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}

/**
 * What identifies one restore: the same key on a re-run after a failure (only what did not finish
 * runs), a new key for a new restore (another dump, order, phase or target: every command runs
 * again, in order). Host commands carry it as their trigger.
 */
export function restoreKey(c: RestoreConfig): string {
  const a = c.aws;
  return JSON.stringify({
    mechanism: c.mechanism,
    order: c.order,
    phase: c.phase,
    dump: c.dump ?? "newest",
    restorePoint: c.restorePoint ?? null,
    ...(c.volume ? { volume: c.volume.rollbackTo ?? c.volume.snapshot ?? `before ${c.volume.before}` } : {}),
    ...(c.wal ? { pitr: c.phase === "rollback" ? c.wal.rollbackTo : c.target ?? null } : {}),
    ...(a ? { target: a.targetTime ?? a.snapshotIdentifier ?? a.ebs?.snapshotId ?? a.ebs?.snapshotBefore ?? (a.useLatestRestorableTime ? "latest" : null) } : {}),
  });
}

/** Parse the `key=value` lines the commands print (snapshot=, dump=, stopped-at=, resumed-at=). */
export function markers(stdout: string, key: string): string[] {
  const prefix = `${key}=`;
  return stdout.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
}

export interface LostRows {
  table: string;
  tenant: string;
  count: number;
}

export function parseLostRows(stdout: string): LostRows[] {
  return stdout
    .split("\n")
    .map((l) => l.split("\t"))
    .filter((p) => p.length === 3 && /^\d+$/.test(p[2]))
    .map(([table, tenant, count]) => ({ table, tenant, count: Number(count) }));
}

/** The data-loss window: writes after the restore point up to the moment writes stopped. */
export function dataLossWindow(restorePoint: string, writesStoppedAt: string[]): { from: string; to: string } {
  const to = writesStoppedAt.filter(Boolean).sort().at(-1) ?? "the switch";
  return { from: restorePoint, to };
}

// What later steps need from earlier steps' output. Shared by the Pulumi program (inside
// Output.apply) and anything else that runs the plan, so both read the markers the same way.
export function snapshotPathFrom(snapshotStdout: string): string {
  return markers(snapshotStdout, "snapshot")[0] ?? "";
}

export function restorePointFrom(plan: RestorePlan, restoreStdout: string): string {
  if (plan.restorePoint) return plan.restorePoint;
  // A mechanism that learns it on the host (a volume snapshot's creation time) prints it.
  const printed = markers(restoreStdout, "restore-point")[0];
  if (printed) return printed;
  const dump = markers(restoreStdout, "dump")[0] ?? "";
  return restorePointFromName(dump) ?? "unknown (name the dump <name>-<yyyymmddThhmmssZ>.dump or set restorePoint)";
}

/** The earliest moment any service was started again. */
export function resumedAtFrom(resumeStdouts: string[]): string {
  return resumeStdouts.flatMap((o) => markers(o, "resumed-at")).sort()[0] ?? "";
}

export function writesStoppedFrom(quiesceStdouts: string[]): string[] {
  return quiesceStdouts.flatMap((o) => markers(o, "stopped-at"));
}
