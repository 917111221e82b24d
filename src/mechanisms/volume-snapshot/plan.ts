// Pure: config -> the ordered plan of a volume-snapshot restore (btrfs on the db host). The same
// runbook as pg-restore around a different destructive step: the pre-restore snapshot is a
// read-only volume snapshot plus the pg_dump the tenant notice counts from; the restore swaps a
// writable copy of the chosen snapshot in as the data subvolume, keeping the current one aside.
// Rollback (phase rollback) puts the kept data subvolume back.
import type { RestoreConfig, VolumeConfig } from "../../config";
import type { RestorePlan } from "../../runbook";
import { dbTarget, fixed } from "../../runbook/commands";
import * as sh from "../../shell";
import { swapInSnapshot, volumePreRestoreSnapshot, volumeTargetLines } from "./shell";
import { mustKeep } from "../../runbook/kept";
import { volumeSnapshotKept } from "./kept";
import { rollbackPlan, keptSignoffPlan, swapPlan } from "../../runbook/swap";

/** The volume block; config validation guarantees it for volume-snapshot. */
export function volumeConfig(c: RestoreConfig): VolumeConfig {
  if (!c.volume) throw new Error("volume-snapshot needs `volume` (config validation should have said so)");
  return c.volume;
}

/** Where the snapshot comes from, in words: named, or the newest before the incident time. */
export function snapshotChoice(v: VolumeConfig): string {
  const folder = `${v.mount.replace(/\/+$/, "")}/${v.snapshotsDir}`;
  if (v.snapshot) return `btrfs snapshot ${v.snapshot} in ${folder}${v.before ? ` (checked older than ${v.before})` : ""}`;
  return `the newest read-only btrfs snapshot in ${folder} created before ${v.before} (resolved on the db host; preflight shows which)`;
}

export function planVolumeSnapshot(c: RestoreConfig): RestorePlan {
  const d = c.database;
  if (!d) throw new Error("volume-snapshot needs `database` (config validation should have said so)");
  const v = volumeConfig(c);
  const db = dbTarget(c);
  const k = mustKeep(c, volumeSnapshotKept(c));
  const data = k.data;
  if (c.phase === "rollback") return rollbackPlan(c, k, v.recoveryTimeoutSeconds);
  if (c.phase === "signoff") return keptSignoffPlan(c, k);
  return swapPlan(c, {
    kept: k,
    checks: [{
      name: "volume-snapshot-ok",
      host: d.host,
      description: `check ${v.snapshot ?? "the snapshot"} (exists, read-only${v.before ? `, older than ${v.before}` : ""}, ${v.minFreeMiB} MiB free on ${v.mount}; refused before anything stops otherwise)`,
      render: fixed(sh.script(volumeTargetLines(v, "the restore is refused; nothing was stopped or changed"))),
      needs: [],
    }],
    beforeSnapshot: {
      name: "volume-snapshot",
      host: d.host,
      description: `a read-only snapshot of ${data} as ${v.snapshotsDir}/pre-restore-<UTC> and pg_dump -Fc ${d.name} to ${d.backupDir}/pre-restore-<UTC>.dump in ${d.container} (after quiesce: complete; lengthens the downtime)`,
      render: (rt) => volumePreRestoreSnapshot(v, (stamp) => sh.preRestoreDumpLines(db, d.backupDir, stamp), sh.quote(rt.stamp)),
      needs: ["stamp"],
    },
    swap: {
      name: "swap-data-subvolume",
      host: d.host,
      description: `docker compose stop ${d.container}, move ${data} aside as ${v.dataSubvolume}.pre-restore-<UTC> (kept, never deleted), make a writable copy of ${v.snapshot ?? "the snapshot"} the new ${data}, docker compose up -d ${d.container} and wait up to ${v.recoveryTimeoutSeconds}s for crash recovery`,
      render: (rt) => swapInSnapshot(db, v, k.keptPath(k.keptName(rt.stamp)), v.recoveryTimeoutSeconds),
      needs: ["stamp"],
    },
    downtime: "restore time: services stop while the database restarts on the snapshot's data (a rename and a copy-on-write snapshot, then crash recovery)",
    rest: {
      // The snapshot's creation time, read on the host (a name's stamp could be anything).
      restorePoint: undefined,
      dump: { file: v.snapshot, description: snapshotChoice(v) },
      restoreTarget: `${data} (a writable copy of the snapshot)`,
      keptOldDatabase: `${v.dataSubvolume}.pre-restore-<UTC> on ${v.mount}`,
      source: "volume snapshot",
    },
  });
}
