// Pure: the runbook every self-managed restore shares, around its mechanism's own commands. The
// replaced data is kept, never overwritten (except with `snapshot: before`, for disks that cannot
// hold two databases), so every write committed before the services stopped survives in the live
// or the kept data; the notice counts the exact difference; the pre-restore snapshot file is taken
// from the kept data after the services are back (off the critical path), or before the restore.
//
//   order beforeRestore:  check, quiesce, confirm, restore (+ capture, + switch), reconcile, resume, verify, report, snapshot
//   order beforeSwitch:   check, restore (+ capture), quiesce, confirm, repoint (switch), reconcile, resume, verify, report, snapshot
//     with reconcile.beforeStop: check, restore (+ capture), reconcile (against the restored
//     database, the services still up), quiesce, confirm, repoint, resume (TelWeb with the rest), ...
//   snapshot: before:     check, quiesce, snapshot, confirm, restore (+ capture), reconcile, resume, verify, report
import type { RestoreConfig } from "../config";
import { confirmStoppedCommands, dbTarget, fixed, quiesceCommands, reconcileBeforeStopCommand, reconcileCommand, resumeCommands, verifyCommands, voiceCallsCheck } from "./commands";
import { type HostCommand, type RuntimeValues, STEP_TITLES, type StepPlan } from "./types";
import { type DbTarget, andThen, inDb, quote, script } from "../shell";
import { type KeptSide, captureRestored, compareWithKept, snapshotAfter } from "../shell/kept";

/** The scratch database the notice's comparison uses (the restored side waits there). */
export function diffScratch(c: RestoreConfig): string {
  return `${databaseOf(c).name}_restore_diff`;
}

/** The database block every self-managed mechanism has (config validation guarantees it). */
function databaseOf(c: RestoreConfig): NonNullable<RestoreConfig["database"]> {
  if (!c.database) throw new Error(`${c.mechanism} needs \`database\` (config validation should have said so)`);
  return c.database;
}

/** The restore's UTC stamp, taken on the db host by the first step (it names the kept data and the snapshot). */
export function stampCommand(c: RestoreConfig): HostCommand {
  const d = databaseOf(c);
  // The database container's clock, the one its rows' timestamps come from.
  const db = dbTarget(c);
  return {
    name: "stamp",
    host: d.host,
    description: `take the restore's UTC stamp in ${d.container} (it names the kept data and the pre-restore snapshot)`,
    render: fixed(andThen(`cd ${quote(db.dir)}`, `echo "stamp=$(${inDb(db, ["date", "-u", "+%Y%m%dT%H%M%SZ"])})"`)),
    needs: [],
  };
}

/** `command`, then the capture of the restored side (nothing writes to it yet) into the scratch database. */
export function withCapture(c: RestoreConfig, db: DbTarget, command: string, restoredDatabase: string, stamp: string): string {
  return andThen(command, script(captureRestored(db, restoredDatabase, diffScratch(c), c.report.tables, c.report.tenantColumn, stamp)));
}

/** The notice's comparison: the kept data against the restored side captured before the services started. */
export function noticeCommand(c: RestoreConfig, kept: (rt: RuntimeValues) => KeptSide, needs: (keyof RuntimeValues)[], keptWords: string): HostCommand {
  const d = databaseOf(c);
  const db = dbTarget(c);
  return {
    name: "count-lost-writes",
    host: d.host,
    description: `compare ${c.report.tables.join(", ")} by primary key, per tenant (${c.report.tenantColumn}): ${keptWords} against the restored data as it was before any service started; rows inserted, updated and deleted after the restore point`,
    render: (rt) => compareWithKept(db, kept(rt), diffScratch(c), c.report.tables, c.report.tenantColumn),
    needs,
  };
}

/** `snapshot: after`: the pre-restore snapshot file from the kept data, in the background on the db host. */
export function afterSnapshotCommand(c: RestoreConfig, kept: (rt: RuntimeValues) => KeptSide, keptWords: string): HostCommand {
  const d = databaseOf(c);
  const db = dbTarget(c);
  return {
    name: "pg-dump-kept",
    host: d.host,
    description: `pg_dump -Fc of ${keptWords} to ${d.backupDir}/pre-restore-<UTC>.dump, proven readable in full, in the background on the db host (the services are already back; the kept data is the copy meanwhile)`,
    render: (rt) => snapshotAfter(db, kept(rt), `${d.backupDir.replace(/\/+$/, "")}/pre-restore-${rt.stamp}.dump`),
    needs: ["stamp"],
  };
}

export interface RunbookParts {
  /** The mechanism's checks before anything stops (the dump read in full, the volume snapshot). */
  checks: HostCommand[];
  /** The restore (with the capture of the restored side; with order beforeRestore, the switch too). */
  restore: HostCommand;
  restoreTitle?: string;
  /** order beforeSwitch: the switch, after quiesce. */
  repoint?: HostCommand;
  /** order beforeSwitch: the database the restore fills beside the live one (reconcile.beforeStop migrates it before the stop). */
  restoredBeside?: string;
  /** snapshot: before: the pre-restore snapshot, after quiesce (so it is complete). */
  beforeSnapshot?: HostCommand;
  /** snapshot: after: the pre-restore snapshot from the kept data, after the services are back. */
  afterSnapshot?: HostCommand;
  notice: HostCommand;
}

const step = (name: StepPlan["step"], commands: HostCommand[], title = STEP_TITLES[name]): StepPlan => ({ step: name, title, commands });

/** The steps in the runbook's order for this config's order and snapshot (see the header). */
export function runbookSteps(c: RestoreConfig, p: RunbookParts): StepPlan[] {
  const check = step("precheck", [stampCommand(c), ...p.checks, ...voiceCallsCheck(c)]);
  const quiesce = step("quiesce", quiesceCommands(c));
  const confirm = step("confirm", confirmStoppedCommands(c));
  const restore = step("restore", [p.restore], p.restoreTitle);
  // The migrations before the stop need a restored database beside the live one, which only a
  // beforeSwitch restore has (config validation refuses reconcile.beforeStop otherwise).
  const early = c.reconcile.beforeStop ? p.restoredBeside : undefined;
  const reconcile = early
    ? step("reconcile", [reconcileBeforeStopCommand(c, early)], `${STEP_TITLES.reconcile} against ${early}, before anything stops`)
    : step("reconcile", [reconcileCommand(c)]);
  const middle =
    c.order === "beforeSwitch"
      ? [restore, ...(early ? [reconcile] : []), quiesce, confirm, ...(p.repoint ? [step("repoint", [p.repoint])] : [])]
      : p.beforeSnapshot
        ? [quiesce, step("snapshot", [p.beforeSnapshot]), confirm, restore]
        : [quiesce, confirm, restore];
  return [
    check,
    ...middle,
    ...(early ? [] : [reconcile]),
    step("resume", resumeCommands(c, Boolean(early)), early ? `${STEP_TITLES.resume} (TelWeb with the rest: its migrations already ran)` : STEP_TITLES.resume),
    step("verify", verifyCommands(c)),
    step("report", [p.notice]),
    ...(p.afterSnapshot ? [step("snapshot", [p.afterSnapshot], `${STEP_TITLES.snapshot} (from the kept data, in the background)`)] : []),
  ];
}
