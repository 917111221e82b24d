// Pure: the db host's data directory under its database container, for the mechanisms that swap
// it (a volume snapshot, a base backup recovered to a target): stop the database, start it and
// wait for recovery, and rollback's rename of the kept data back.
import { type DbTarget, psql } from ".";
import { argv, quote, script } from "./words";

/** Stop the database container (the data directory is free once it returns). */
export function stopDatabase(db: DbTarget): string[] {
  return [`cd ${quote(db.dir)}`, argv(["docker", "compose", "stop", db.container])];
}

/**
 * Start the database container and wait until it has finished recovery: it accepts connections and
 * is not in recovery. A restored volume is crash-consistent and a base backup replays the archive,
 * so Postgres recovers first; that is the wait. A server that exits meanwhile (recovery ended
 * before its target) fails the step at once with its own log lines.
 */
export function startDatabaseAndWait(db: DbTarget, timeoutSeconds: number, what = "crash recovery"): string[] {
  const logs = `${argv(["docker", "compose", "logs", "--tail", "20", db.container])} >&2`;
  return [
    `${argv(["docker", "compose", "up", "-d", db.container])} || { echo ${quote(`the database did not start (${what}); its logs:`)} >&2; ${logs}; exit 1; }`,
    `end=$(( $(date +%s) + ${Math.trunc(timeoutSeconds)} ))`,
    `until [ "$(${psql(db, "select pg_is_in_recovery()", "postgres")} 2>/dev/null)" = f ]; do`,
    `  if ! ${argv(["docker", "compose", "ps", "--status", "running", "--services"])} | grep -qx ${quote(db.container)}; then echo ${quote(`the database stopped during ${what}; its logs:`)} >&2; ${logs}; exit 1; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo ${quote(`the database did not finish ${what} within ${timeoutSeconds}s; its logs:`)} >&2; ${logs}; exit 1; fi`,
    `  sleep 0.5`,
    `done`,
    `echo "database-ready=$(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
  ];
}

/**
 * Put a kept data directory (or subvolume) back as `data`: stop the database, keep what is there as
 * `<data>.undone-<UTC of the restore>`, rename the kept one back, start and wait. Renames only, so
 * it is the same for a subvolume and a plain folder; a re-run finds the swap done.
 */
export function putDataBack(db: DbTarget, data: string, kept: string, timeoutSeconds: number): string {
  const stamp = kept.slice(kept.lastIndexOf(".pre-restore-") + ".pre-restore-".length);
  return script([
    `data=${quote(data)}`,
    `kept=${quote(kept)}`,
    `undone=${quote(`${data}.undone-${stamp}`)}`,
    `if [ ! -e "$kept" ] && [ ! -e "$undone" ]; then echo "the kept data $kept does not exist; nothing to roll back to. Nothing was changed." >&2; exit 1; fi`,
    ...stopDatabase(db),
    `if [ -e "$kept" ]; then`,
    `  if [ -e "$data" ]; then mv "$data" "$undone" || { echo "could not move $data aside to $undone; the database is stopped" >&2; exit 1; }; fi`,
    `  mv "$kept" "$data"`,
    `  echo "undone=$undone"`,
    `fi`,
    `echo "rolled-back-to=$kept"`,
    ...startDatabaseAndWait(db, timeoutSeconds),
  ]);
}
