// Pure builders for the volume-snapshot mechanism's host commands (btrfs on the db host). Every
// value is validated by the config schema and quoted here as well. The commands run on the db
// host itself (not in the database container): subvolumes are the host's, and the container only
// sees the data directory through its volume.
import type { VolumeConfig } from "../../config/schema";
import { type DbTarget, UTC_STAMP, psql } from "../../shell";
import { argv, quote, script, trimSlash } from "../../shell/words";

/** The paths a volume restore works with, as shell assignments (mount, data subvolume, snapshots). */
function pathVars(v: VolumeConfig): string[] {
  const mount = trimSlash(v.mount);
  return [`mount=${quote(mount)}`, `data=${quote(`${mount}/${v.dataSubvolume}`)}`, `snaps=${quote(`${mount}/${v.snapshotsDir}`)}`];
}

/** A subvolume's creation time as ISO 8601 UTC (`btrfs subvolume show` prints local time with its offset). */
const CREATED = (path: string) =>
  `date -u -d "$(btrfs subvolume show ${path} | sed -n 's/^[[:space:]]*Creation time:[[:space:]]*//p')" +%Y-%m-%dT%H:%M:%SZ`;

/**
 * Resolve the snapshot to restore into `$src` and check it before anything stops: it exists, is a
 * read-only subvolume, is older than the incident time when one is given, and the filesystem has
 * room for the writable copy. Prints `volume-target=<name>` and `restore-point=<creation time>`.
 * `refusal` ends every error line (what did and did not happen).
 */
export function volumeTargetLines(v: VolumeConfig, refusal: string): string[] {
  const fail = (msg: string) => `{ echo ${msg} ${quote(`- ${refusal}`)} >&2; exit 1; }`;
  const before = v.before ? `$(date -u -d ${quote(v.before)} +%s)` : "";
  const pick = v.snapshot
    ? [`src="$snaps/"${quote(v.snapshot)}`, `[ -d "$src" ] || ${fail(`${quote(`volume snapshot ${v.snapshot} is not in`)} "$snaps (it holds: $(ls -1 "$snaps" 2>/dev/null | tr '\\n' ' '))"`)}`]
    : [
        // The newest read-only snapshot created before the incident time (by creation time, not name).
        `limit=${before}`,
        `src= best=0`,
        `for s in "$snaps"/*; do`,
        `  [ -d "$s" ] || continue`,
        `  [ "$(btrfs property get -ts "$s" ro 2>/dev/null)" = ro=true ] || continue`,
        `  t=$(date -u -d "$(btrfs subvolume show "$s" | sed -n 's/^[[:space:]]*Creation time:[[:space:]]*//p')" +%s) || continue`,
        `  if [ "$t" -lt "$limit" ] && [ "$t" -gt "$best" ]; then best=$t src=$s; fi`,
        `done`,
        `[ -n "$src" ] || ${fail(`${quote(`no read-only snapshot in`)} "$snaps" ${quote(`was created before ${v.before}`)}`)}`,
      ];
  return [
    ...pathVars(v),
    `[ -d "$snaps" ] || ${fail(`${quote("the snapshots folder")} "$snaps" ${quote("does not exist on this host")}`)}`,
    ...pick,
    `btrfs subvolume show "$src" >/dev/null 2>&1 || ${fail(`"volume snapshot $src "${quote("is not a btrfs subvolume")}`)}`,
    `[ "$(btrfs property get -ts "$src" ro)" = ro=true ] || ${fail(`"volume snapshot $src "${quote("is not read-only: it may be incomplete or still written to (snapshots are taken with btrfs subvolume snapshot -r)")}`)}`,
    `created=$(${CREATED(`"$src"`)})`,
    ...(v.before
      ? [`[ "$(date -u -d "$created" +%s)" -lt ${before} ] || ${fail(`"volume snapshot $src was created at $created, "${quote(`not before the incident time ${v.before}`)}`)}`]
      : []),
    `free=$(df -Pk "$mount" | awk 'NR==2 {print int($4 / 1024)}')`,
    `[ "$free" -ge ${v.minFreeMiB} ] || ${fail(`"$mount has $free MiB free, "${quote(`need ${v.minFreeMiB} MiB (volume.minFreeMiB) for the writable copy`)}`)}`,
    `echo "volume-target=$(basename "$src")"`,
    `echo "restore-point=$created"`,
    `echo "volume-free-mib=$free"`,
  ];
}

/**
 * The pre-restore snapshot of a volume restore, before anything stops: check the target, take a
 * read-only snapshot of the data subvolume as it is now (`pre-restore-<UTC>`, the whole bad state,
 * kept), then the pg_dump the tenant notice counts lost rows from (`pgDumpLines`, which prints
 * `snapshot=<path>`). One stamp names both.
 */
export function volumePreRestoreSnapshot(v: VolumeConfig, pgDumpLines: (stampExpr: string) => string[], stampExpr = UTC_STAMP): string {
  return script([
    ...volumeTargetLines(v, "the restore is refused; nothing was stopped or changed"),
    `stamp=${stampExpr}`,
    `btrfs subvolume snapshot -r "$data" "$snaps/pre-restore-$stamp" >/dev/null || { echo "could not take the read-only snapshot $snaps/pre-restore-$stamp of $data; nothing was stopped or changed" >&2; exit 1; }`,
    `echo "volume-snapshot=pre-restore-$stamp"`,
    ...pgDumpLines(`"$stamp"`),
  ]);
}

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
 * The restore: stop the database, keep the current data subvolume aside at `kept` (renamed,
 * never deleted), make a writable copy of the snapshot the data subvolume, start and wait for
 * crash recovery. A re-run after a failure finds the data already kept and a copy of the same
 * snapshot in place, and goes on from there; anything else in the data subvolume's place is
 * refused, never deleted.
 */
export function swapInSnapshot(db: DbTarget, v: VolumeConfig, kept: string, timeoutSeconds: number): string {
  const uuid = (p: string) => `$(btrfs subvolume show ${p} | sed -n 's/^[[:space:]]*UUID:[[:space:]]*//p')`;
  const parent = (p: string) => `$(btrfs subvolume show ${p} | sed -n 's/^[[:space:]]*Parent UUID:[[:space:]]*//p')`;
  return script([
    ...volumeTargetLines(v, "nothing was changed by this step"),
    `kept=${quote(kept)}`,
    ...stopDatabase(db),
    `if [ ! -e "$kept" ]; then`,
    `  mv "$data" "$kept" || { echo "could not move $data aside to $kept; the database is stopped, its data unchanged" >&2; exit 1; }`,
    `  echo "kept=$kept"`,
    `elif [ -e "$data" ] && [ "${parent(`"$data"`)}" != "${uuid(`"$src"`)}" ]; then`,
    `  echo "$data is neither the data this restore kept ($kept exists) nor a copy of $src; refusing to touch it. The database is stopped." >&2; exit 1`,
    `fi`,
    `if [ ! -e "$data" ]; then`,
    `  btrfs subvolume snapshot "$src" "$data" >/dev/null || { echo "could not copy $src to $data; the old data is kept at $kept" >&2; exit 1; }`,
    // The snapshot was taken from a running server: its pid file names a process of that time.
    `  rm -f "$data/postmaster.pid"`,
    `fi`,
    `echo "restored-from=$src"`,
    ...startDatabaseAndWait(db, timeoutSeconds),
  ]);
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
