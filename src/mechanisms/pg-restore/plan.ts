// Pure: config -> the ordered plan of a pg-restore (a pg_dump archive restored into a fresh
// database beside the live one, then switched in; or over it with `snapshot: before`) and of its
// rollback (the kept database renamed back). The runbook around it is ../../runbook/order.ts.
import type { RestoreConfig } from "../../config";
import * as sh from "../../shell";
import { dbTarget, fixed, confirmStoppedCommands, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands, voiceCallsCheck } from "../../runbook/commands";
import { restorePointFromName, stampOfKept } from "../../runbook/markers";
import { afterSnapshotCommand, noticeCommand, runbookSteps, stampCommand, withCapture } from "../../runbook/order";
import type { Resolved } from "../../runbook/restore-key";
import { type HostCommand, type RestorePlan, type RuntimeValues, STEP_TITLES, type StepPlan } from "../../runbook/types";
import { mustKeep } from "../../runbook/kept";
import { keptSignoffPlan } from "../../runbook/swap";
import { pgRestoreKept } from "./kept";
import { type KeptSide, keptDatabaseSide, keptDumpSide } from "../../shell/kept";
import { keptNames, renameBack, restoreIntoFresh, switchKeeping } from "./shell";
import { restoreJobs } from "./resolve";

/** The plan of the configured phase: the restore, its rollback, or the sign-off of the kept database. */
export function pgRestorePlan(c: Resolved): RestorePlan {
  return c.phase === "signoff" ? keptSignoffPlan(c, mustKeep(c, pgRestoreKept(c))) : planPgRestore(c);
}

/** The plan of a self-managed (pg_dump archive) restore: see ../../runbook/order.ts for the order. */
export function planPgRestore(c: Resolved): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  if (c.phase === "rollback") return planPgRollback(c);
  const db = dbTarget(c);
  const beforeSwitch = c.order === "beforeSwitch";
  const overwrite = c.snapshot === "before";
  const names = (stamp: string) => keptNames(d.name, stamp);
  const restoreTarget = overwrite ? d.name : `${d.name}_restored`;
  const kept = `${d.name}_pre_restore_<UTC>`;
  // The dump the program resolved on the host (`dump: newest`), pinned: the restore is of the dump
  // its key names, even if a newer one lands while it runs.
  const dumpFile = c.dump ?? c.resolved?.dumpFile;
  const dumpExpr = sh.dumpExprOf(db, d.backupDir, dumpFile);
  const dumpWords = dumpFile ?? "the newest *.dump (not a pre-restore snapshot)";
  const restorePoint = c.restorePoint ?? (dumpFile ? restorePointFromName(dumpFile) : undefined);
  const jobsN = restoreJobs(c);
  const jobs = jobsN > 1 ? ` --jobs=${jobsN}${d.jobs === undefined ? " (the db host's cores)" : ""}` : "";

  const check: HostCommand = {
    name: "dump-reads-in-full",
    host: d.host,
    description: `read ${dumpFile ?? "the newest *.dump"} through completely (refused before anything stops if it cannot be)`,
    render: fixed(sh.script([`cd ${sh.quote(db.dir)}`, ...sh.dumpReadsInFull(db, dumpExpr, "the restore is refused; nothing was stopped or changed")])),
    needs: [],
  };
  const restore: HostCommand = overwrite
    ? {
        name: "pg-restore",
        host: d.host,
        description: `pg_restore --clean --if-exists --no-owner --exit-on-error${jobs} of ${dumpWords} over ${d.name} (snapshot: before: the live database is overwritten; the pre-restore snapshot file is its copy), then capture the restored rows of ${c.report.tables.join(", ")} for the notice`,
        render: (rt) => withCapture(c, db, sh.pgRestore(db, dumpExpr, { jobs: jobsN }), d.name, rt.stamp),
        needs: ["stamp"],
      }
    : {
        name: "pg-restore",
        host: d.host,
        description: `pg_restore --no-owner --exit-on-error${jobs} of ${dumpWords} into a fresh ${restoreTarget} (same owner, encoding and locale as ${d.name}; nothing is dropped or overwritten), capture its rows of ${c.report.tables.join(", ")} for the notice${beforeSwitch ? " (the live database keeps serving)" : `, then rename ${d.name} to ${kept} (kept) and ${restoreTarget} to ${d.name}`}`,
        render: (rt) => {
          const n = names(rt.stamp);
          const restored = withCapture(c, db, restoreIntoFresh(db, dumpExpr, n, jobsN), n.restored, rt.stamp);
          return beforeSwitch ? restored : sh.andThen(restored, switchKeeping(db, n));
        },
        needs: ["stamp"],
      };
  const repoint: HostCommand | undefined = beforeSwitch
    ? { name: "switch-database", host: d.host, description: `rename ${d.name} to ${kept} (kept) and ${restoreTarget} to ${d.name}`, render: (rt) => switchKeeping(db, names(rt.stamp)), needs: ["stamp"] }
    : undefined;
  const beforeSnapshot: HostCommand | undefined = overwrite
    ? {
        name: "pg-dump",
        host: d.host,
        description: `pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} (the services are stopped, so it is complete) and pg_restore --list it; this lengthens the downtime by the dump's time`,
        render: (rt) => sh.script(sh.preRestoreDumpLines(db, d.backupDir, sh.quote(rt.stamp))),
        needs: ["stamp"],
      }
    : undefined;
  const keptSide = (rt: RuntimeValues): KeptSide =>
    overwrite ? keptDumpSide(db, sh.quote(rt.snapshotPath), `${d.name}_restore_src`, c.report.tables) : keptDatabaseSide(names(rt.stamp).kept);
  const keptWords = overwrite ? "the pre-restore snapshot" : `the kept database ${kept}`;
  const steps: StepPlan[] = runbookSteps(c, {
    // beforeSwitch restores into a fresh database while the services still run: pg_restore itself
    // reads the dump through before anything stops, and a dump cut short fails it with the live
    // database untouched. A separate full read first would only read it twice (at 1 GiB, ~5 s).
    checks: beforeSwitch && !overwrite ? [] : [check],
    restore,
    repoint,
    restoredBeside: beforeSwitch && !overwrite ? restoreTarget : undefined,
    beforeSnapshot,
    afterSnapshot: c.snapshot === "after" ? afterSnapshotCommand(c, keptSide, keptWords) : undefined,
    notice: noticeCommand(c, keptSide, overwrite ? ["snapshotPath"] : ["stamp"], keptWords),
  });
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps,
    restorePoint,
    dump: { file: dumpFile, description: dumpFile ? `${d.backupDir}/${dumpFile}${c.dump ? "" : " (the newest *.dump, resolved on the host)"}` : `newest *.dump in ${d.backupDir} (resolved on ${d.host} when the restore runs)` },
    restoreTarget,
    keptOldDatabase: overwrite ? undefined : kept,
    downtime: beforeSwitch
      ? "switch time: services stop only for the database switch (two renames)"
      : overwrite
        ? "restore time plus the pre-restore pg_dump (snapshot: before): services stay stopped while both run"
        : "restore time: services stay stopped while pg_restore runs into a fresh database (the live one is kept, renamed)",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}

/** Rollback before sign-off: rename the kept database back (O(1)); what the restore put there is kept as `<db>_undone_<stamp>`. */
function planPgRollback(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs `database`");
  const db = dbTarget(c);
  // The database config names (a rollback sets it from the last restore's outputs), at its stamp.
  const n = { ...keptNames(d.name, stampOfKept(c.kept ?? "")), kept: c.kept ?? "" };
  const putBack: HostCommand = {
    name: "rename-kept-back",
    host: d.host,
    description: `rename ${d.name} (what the restore put there) to ${d.name}_undone_${n.stamp} (kept) and ${n.kept} back to ${d.name}`,
    render: fixed(renameBack(db, n)),
    needs: [],
  };
  return {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    steps: [
      { step: "precheck", title: STEP_TITLES.precheck, commands: [stampCommand(c), ...voiceCallsCheck(c)] },
      { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) },
      { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) },
      { step: "restore", title: "Put the kept database back", commands: [putBack] },
      { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
      { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
      { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
    ],
    dump: { description: `${n.kept}, the database the restore kept` },
    restoreTarget: `${d.name} (what the restore put there is kept as ${d.name}_undone_${n.stamp})`,
    source: "kept data",
    downtime: "switch time: services stop only for two renames",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
}
