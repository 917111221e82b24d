// Pure: the key that identifies one restore (host commands carry it as their trigger).
import type { RestoreConfig } from "../config";


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
    snapshot: c.snapshot,
    kept: c.kept ?? null,
    restorePoint: c.restorePoint ?? null,
    ...(c.volume ? { volume: c.volume.rollbackTo ?? c.volume.snapshot ?? `before ${c.volume.before}` } : {}),
    ...(c.wal ? { pitr: c.phase === "rollback" ? c.wal.rollbackTo : c.target ?? null } : {}),
    ...(a ? { target: a.targetTime ?? a.snapshotIdentifier ?? a.ebs?.snapshotId ?? a.ebs?.snapshotBefore ?? (a.useLatestRestorableTime ? "latest" : null) } : {}),
  });
}
