// Pure builders for the volume-snapshot mechanism's host commands (btrfs on the db host). Every
// value is validated by the config schema and quoted here as well. The commands run on the db
// host itself (not in the database container): subvolumes are the host's, and the container only
// sees the data directory through its volume.
import type { VolumeConfig } from "../../config/schema";
import { type DbTarget, UTC_STAMP } from "../../shell";
import { startDatabaseAndWait, stopDatabase } from "../../shell/data-dir";
import { quote, script, trimSlash } from "../../shell/words";

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
