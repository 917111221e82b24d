// Pure: the key that identifies one restore (host commands carry it as their trigger).
import type { RestoreConfig } from "../config";

/**
 * What the program found the configured backup to be on the host, just before declaring: the
 * dump's path, size and mtime (`dump: newest` resolved, or the named dump as it is now). It is
 * part of the key, so a newer dump, or a dump rewritten under the same name, is a new restore.
 */
export interface ResolvedBackup {
  /** `<path> <size> <mtime>` as the db host reports it. */
  identity: string;
  /** The resolved dump's file name in database.backupDir, when it has a safe name to pin. */
  dumpFile?: string;
  /** The db host's cores (nproc), read with the dump: pg_restore's --jobs when database.jobs is unset. */
  cores?: number;
}

/** A config, with the backup the program resolved on the host (absent where nothing was resolved). */
export type Resolved<C = RestoreConfig> = C & { resolved?: ResolvedBackup };

/**
 * What identifies one restore: the same key on a re-run after a failure (only what did not finish
 * runs), a new key for a new restore (another dump, order, phase or target: every command runs
 * again, in order). Host commands carry it as their trigger.
 */
export function restoreKey(c: Resolved): string {
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
    ...(c.resolved ? { backup: c.resolved.identity } : {}),
  });
}

/**
 * The part of a key the stack config alone decides (the key without the resolved backup). The
 * driver reads the state with it where it does not read the host: a restore stopped half-way
 * stays "this restore" for the mid-restore check even if a newer dump landed since.
 */
export function configPartOfKey(key: unknown): string | undefined {
  if (typeof key !== "string") return undefined;
  try {
    const { backup: _resolved, ...rest } = JSON.parse(key) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return undefined;
  }
}
