// Cross-field rules of mechanism volume-snapshot: its block, exactly what names the snapshot,
// rollback's kept subvolume, and the keys it does not read. Each names the key and the fix.
import type { MechanismConfig } from "../../config/mechanism-config";
import type { AddProblem } from "../../config/problems";
import { NAMESPACE, type ParsedConfig } from "../../config/schema";
import { VOLUME_SNAPSHOT_NAMES } from "./schema";

/** volume-snapshot's rules: its block, exactly what names the snapshot, and keys it does not read. */
function volumeChecks(c: ParsedConfig, add: AddProblem, active: boolean): void {
  const v = c.volume;
  if (!active) {
    if (v) add(["volume"], `is only read by mechanism volume-snapshot, not by ${c.mechanism}`, `remove it: pulumi config rm '${NAMESPACE}:volume', or set mechanism to volume-snapshot`, "{...}");
    return;
  }
  if (!v) {
    add(["volume"], "is required for mechanism volume-snapshot: where the snapshotting filesystem is mounted on the db host, and which snapshot to restore", `pulumi config set --path '${NAMESPACE}:volume.mount' /srv/pg-volume (and volume.snapshot or volume.before)`);
    return;
  }
  if (c.phase === "restore" && !v.snapshot && !v.before)
    add(["volume", "snapshot"], "is required: name the snapshot to restore, or give volume.before (the incident time) to take the newest snapshot created before it", `pulumi config set --path '${NAMESPACE}:volume.snapshot' nightly-20261123T020000Z, or: pulumi config set --path '${NAMESPACE}:volume.before' 2026-11-23T02:30:00Z`);
  if (v.before && Date.parse(v.before) > Date.now())
    add(["volume", "before"], "is in the future: it is the incident time, and the snapshot restored must be older than it", `pulumi config set --path '${NAMESPACE}:volume.before' <a past time, UTC>`, v.before);
  if (c.phase === "rollback" && !v.rollbackTo)
    add(["volume", "rollbackTo"], "is required for phase rollback: the data subvolume the restore kept, to put back", `run \`delphi-restore rollback\` (it sets it from the last restore's outputs), or: pulumi config set --path '${NAMESPACE}:volume.rollbackTo' ${v.dataSubvolume}.pre-restore-<yyyymmddThhmmssZ>`);
  if (c.phase !== "rollback" && v.rollbackTo)
    add(["volume", "rollbackTo"], "is only read in phase rollback; a restore with it set would not say which data it puts back", `remove it: pulumi config rm --path '${NAMESPACE}:volume.rollbackTo'`, v.rollbackTo);
  if (v.rollbackTo && !v.rollbackTo.startsWith(`${v.dataSubvolume}.pre-restore-`))
    add(["volume", "rollbackTo"], `must be a data subvolume kept by a restore of volume.dataSubvolume '${v.dataSubvolume}' (${v.dataSubvolume}.pre-restore-<UTC>)`, `pulumi config set --path '${NAMESPACE}:volume.rollbackTo' ${v.dataSubvolume}.pre-restore-<yyyymmddThhmmssZ>`, v.rollbackTo);
  if (v.snapshotsDir === v.dataSubvolume)
    add(["volume", "snapshotsDir"], "names the data subvolume itself; snapshots must live beside it, not in it", `pulumi config set --path '${NAMESPACE}:volume.snapshotsDir' snapshots`, v.snapshotsDir);
  if (c.dump) add(["dump"], "is only read by pg-restore; volume-snapshot restores volume.snapshot", `remove it: pulumi config rm '${NAMESPACE}:dump'`, c.dump);
  if (c.restorePoint)
    add(["restorePoint"], "is read from the snapshot for volume-snapshot (its creation time is the restore point)", `remove it: pulumi config rm '${NAMESPACE}:restorePoint'`, c.restorePoint);
  if (c.order === "beforeSwitch")
    add(["order"], "cannot apply to volume-snapshot: the snapshot replaces the data directory under the database, so services stop first (beforeSwitch is for pg-restore into a new database)", `pulumi config set ${NAMESPACE}:order beforeRestore`, c.order);
}

export const volumeSnapshotConfig = {
  names: VOLUME_SNAPSHOT_NAMES,
  selfManaged: true,
  rollbackKey: "volume.rollbackTo",
  rules: { blocks: volumeChecks },
} as const satisfies MechanismConfig;
