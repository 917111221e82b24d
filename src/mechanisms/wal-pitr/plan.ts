// Pure: config (and the base backup chosen for the target) -> the plan of a point-in-time restore
// from a base backup and the WAL archive. The runbook around it is pg-restore's: the pre-restore
// pg_dump, quiesce, confirm, then the recovery, reconcile, resume, verify and the tenant notice.
// Rollback (phase rollback) puts the kept data directory back.
import type { RestoreConfig, WalConfig } from "../../config";
import type { RestorePlan } from "../../runbook";
import { dbTarget } from "../../runbook/commands";
import * as sh from "../../shell";
import { pitrRecover } from "./shell";
import { type PitrChoice, targetOf, targetText } from "./window";
import { rollbackPlan, keptSignoffPlan, swapPlan } from "../../runbook/swap";
import { mustKeep } from "../../runbook/kept";
import { walPitrKept } from "./kept";

export function walConfig(c: RestoreConfig): WalConfig {
  if (!c.wal) throw new Error("wal-pitr needs `wal` (config validation should have said so)");
  return c.wal;
}

const trim = sh.trimSlash;

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
  const k = mustKeep(c, walPitrKept(c));
  if (c.phase === "rollback") return rollbackPlan(c, k, w.recoveryTimeoutSeconds);
  if (c.phase === "signoff") return keptSignoffPlan(c, k);
  const t = c.target ? targetOf(c.target) : { kind: "latest" as const };
  const inclusive = c.target?.inclusive ?? true;
  return swapPlan(c, {
    kept: k,
    checks: [],
    beforeSnapshot: {
      name: "pg-dump",
      host: d.host,
      description: `pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} and pg_restore --list it (after quiesce: complete; lengthens the downtime)`,
      render: (rt) => sh.script(sh.preRestoreDumpLines(db, d.backupDir, sh.quote(rt.stamp))),
      needs: ["stamp"],
    },
    swap: {
      name: "point-in-time-recovery",
      host: d.host,
      description: `docker compose stop ${d.container}, move ${data} aside as ${data}.pre-restore-<UTC> (kept, never deleted), lay down base backup ${choice?.backup.name ?? "<newest ending before the target>"}, recover from ${trim(w.archiveDir)} (WAL ${choice ? `${choice.walFrom} to at most ${choice.walTo}` : "<from the base backup on>"}) to ${targetText(t, inclusive)}, promote, wait up to ${w.recoveryTimeoutSeconds}s`,
      render: (rt) =>
        choice
          ? pitrRecover(db, w, choice, k.keptPath(k.keptName(rt.stamp)), w.recoveryTimeoutSeconds)
          : `echo ${sh.quote("the WAL archive was not read; nothing to run")} >&2; exit 1`,
      needs: ["stamp"],
    },
    downtime: "restore time: services stay stopped while Postgres replays the archive up to the target",
    rest: {
      restorePoint: choice?.restorePoint,
      dump: { description: choice ? `base backup ${choice.backup.name} (ended ${choice.backup.stopTime}) + WAL ${choice.walFrom}..${choice.walTo} from ${trim(w.archiveDir)}, to ${targetText(t, inclusive)}` : `the newest base backup in ${trim(w.baseBackupsDir)} that ends before ${targetText(t, inclusive)}, + WAL from ${trim(w.archiveDir)}` },
      restoreTarget: `${data} (a copy of the base backup, recovered to the target)`,
      keptOldDatabase: `${data}.pre-restore-<UTC>`,
      source: "base backup + WAL",
    },
  });
}
