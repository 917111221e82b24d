// Pure: config (and the base backup chosen for the target) -> the plan of a point-in-time restore
// from a base backup and the WAL archive. The runbook around it is pg-restore's: the pre-restore
// pg_dump, quiesce, confirm, then the recovery, reconcile, resume, verify and the tenant notice.
// Rollback (phase rollback) puts the kept data directory back.
import type { RestoreConfig, WalConfig } from "../config";
import {
  type RestorePlan,
  STEP_TITLES,
  type StepPlan,
  confirmStoppedCommands,
  lostRowsReport,
  quiesceCommands,
  reconcileCommand,
  resumeCommands,
  serviceStops,
  verifyCommands,
  voiceCallsCheck,
} from "../plan";
import { dbTarget, fixed } from "../plan-commands";
import * as sh from "../shell";
import { pitrRecover } from "../shell-wal";
import { putDataBack } from "../shell-volume";
import { type PitrChoice, targetOf, targetText } from "./wal-window";
import { stampOf } from "./volume-plan";

export function walConfig(c: RestoreConfig): WalConfig {
  if (!c.wal) throw new Error("wal-pitr needs `wal` (config validation should have said so)");
  return c.wal;
}

const trim = (p: string) => p.replace(/\/+$/, "") || "/";

/** The kept data directory's path for a restore whose pre-restore dump carries `stamp`. */
export function keptDataDir(w: WalConfig, stamp: string): string {
  return `${trim(w.dataDir)}.pre-restore-${stamp}`;
}

/** Its name (the last segment), as outputs and `wal.rollbackTo` carry it. */
export function keptDataDirName(w: WalConfig, stamp: string): string {
  return keptDataDir(w, stamp).split("/").at(-1) ?? "";
}

/**
 * The plan. `choice` is what the archive check picked (base backup, WAL range, restore point);
 * without it (a plan printed before the archive was read) the commands name placeholders.
 */
export function planWalPitr(c: RestoreConfig, choice?: PitrChoice): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("wal-pitr needs `database` (config validation should have said so)");
  const w = walConfig(c);
  const db = dbTarget(c);
  const data = trim(w.dataDir);
  const quiesce: StepPlan = { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) };
  const confirm: StepPlan = { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) };
  const after: StepPlan[] = [
    { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
    { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
    { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
  ];
  const common = {
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    downtime: "restore time: services stay stopped while Postgres replays the archive up to the target",
    stops: serviceStops(c).map(({ host, service }) => ({ host, service })),
  };
  if (c.phase === "rollback") {
    const kept = `${data.slice(0, data.lastIndexOf("/") + 1)}${w.rollbackTo ?? ""}`;
    return {
      ...common,
      steps: [quiesce, confirm, {
        step: "restore",
        title: "Put the kept data directory back",
        commands: [{
          name: "put-kept-data-back",
          host: d.host,
          description: `docker compose stop ${d.container}, move ${data} aside (kept as ${data}.undone-<UTC of the restore>), move the kept ${kept} back to ${data}, docker compose up -d ${d.container} and wait for it`,
          render: fixed(putDataBack(db, data, kept, w.recoveryTimeoutSeconds)),
          needs: [],
        }],
      }, ...after],
      dump: { description: `${kept}, the data directory the restore kept` },
      restoreTarget: `${data} (what the restore put there is kept beside it)`,
      source: "kept data",
    };
  }
  const t = c.target ? targetOf(c.target) : { kind: "latest" as const };
  const inclusive = c.target?.inclusive ?? true;
  const snapshot: StepPlan = {
    step: "snapshot",
    title: STEP_TITLES.snapshot,
    commands: [{
      name: "pg-dump",
      host: d.host,
      description: `pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} and pg_restore --list it (the tenant notice counts lost rows from it)`,
      render: fixed(sh.preRestoreSnapshot(db, d.backupDir)),
      needs: [],
    }, ...voiceCallsCheck(c)],
  };
  const restore: StepPlan = {
    step: "restore",
    title: STEP_TITLES.restore,
    commands: [{
      name: "point-in-time-recovery",
      host: d.host,
      description: `docker compose stop ${d.container}, move ${data} aside as ${data}.pre-restore-<UTC> (kept, never deleted), lay down base backup ${choice?.backup.name ?? "<newest ending before the target>"}, recover from ${trim(w.archiveDir)} (WAL ${choice ? `${choice.walFrom} to at most ${choice.walTo}` : "<from the base backup on>"}) to ${targetText(t, inclusive)}, promote, wait up to ${w.recoveryTimeoutSeconds}s`,
      render: (rt) =>
        choice
          ? pitrRecover(db, w, choice, keptDataDir(w, stampOf(rt.snapshotPath)), w.recoveryTimeoutSeconds)
          : `echo ${sh.quote("the WAL archive was not read; nothing to run")} >&2; exit 1`,
      needs: ["snapshotPath"],
    }],
  };
  return {
    ...common,
    steps: [snapshot, quiesce, confirm, restore, ...after, lostRowsReport(c)],
    restorePoint: choice?.restorePoint,
    dump: { description: choice ? `base backup ${choice.backup.name} (ended ${choice.backup.stopTime}) + WAL ${choice.walFrom}..${choice.walTo} from ${trim(w.archiveDir)}, to ${targetText(t, inclusive)}` : `the newest base backup in ${trim(w.baseBackupsDir)} that ends before ${targetText(t, inclusive)}, + WAL from ${trim(w.archiveDir)}` },
    restoreTarget: `${data} (a copy of the base backup, recovered to the target)`,
    keptOldDatabase: `${data}.pre-restore-<UTC>`,
    source: "base backup + WAL",
  };
}
