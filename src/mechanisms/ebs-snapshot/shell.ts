// Pure builders for the db host's side of an EBS volume swap (mechanism ebs-snapshot): stop the
// database container and unmount its data volume; mount a volume and start the container again,
// waiting until Postgres accepts connections. Every value is quoted (src/shell/words.ts), even the
// ones the config schema already constrains, and volume ids read from AWS.
import { argv, quote, script } from "../../shell/words";
import type { DbTarget } from "../../shell";

const NOW = `$(date -u +%Y-%m-%dT%H:%M:%SZ)`;

/**
 * The device paths under which a host can see a volume, most specific first: on Nitro (NVMe)
 * instances the kernel names it /dev/nvmeXn1 in attach order, but udev links it by its volume id
 * (without the dash); on Xen instances /dev/sdX appears as /dev/xvdX.
 */
export function deviceCandidates(volumeId: string, configured: readonly string[]): string[] {
  const byId = `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
  const xen = configured.flatMap((d) => (/^\/dev\/sd[a-z]$/.test(d) ? [d, d.replace("/dev/sd", "/dev/xvd")] : [d]));
  return [...new Set([byId, ...xen])];
}

/** Lines that set `$dev` to the first candidate that exists, waiting for the attachment to show. */
export function findDeviceLines(volumeId: string, candidates: readonly string[], waitSeconds = 60): string[] {
  return [
    `dev=''`,
    `end=$(( $(date +%s) + ${Math.trunc(waitSeconds)} ))`,
    `while [ -z "$dev" ]; do`,
    `  for c in ${candidates.map(quote).join(" ")}; do if [ -b "$c" ]; then dev=$(readlink -f "$c"); break; fi; done`,
    `  if [ -z "$dev" ] && [ "$(date +%s)" -ge "$end" ]; then echo ${quote(`volume ${volumeId} is not visible on this host as any of: ${candidates.join(" ")} (is it attached?)`)} >&2; exit 1; fi`,
    `  [ -n "$dev" ] || sleep 2`,
    `done`,
  ];
}

/**
 * Stop the database container, flush, and unmount its data volume. A re-run finds it unmounted
 * and goes on. umount fails while anything still holds the folder; the database is then stopped
 * and nothing else changed.
 */
export function stopDatabaseAndUnmount(db: DbTarget, mount: string): string {
  return script([
    `cd ${quote(db.dir)}`,
    argv(["docker", "compose", "stop", db.container]),
    `echo "db-stopped-at=${NOW}"`,
    "sync",
    `if mountpoint -q ${quote(mount)}; then`,
    `  umount ${quote(mount)} || { echo ${quote(`umount ${mount} failed: something still uses it (see: fuser -vm ${mount}). The database container ${db.container} is stopped; no volume was changed. Free it and run up again, or roll back.`)} >&2; exit 1; }`,
    `fi`,
    `echo ${quote(`unmounted=${mount}`)}`,
  ]);
}

export interface MountArgs {
  /** The volume to mount (its id finds its NVMe name). */
  volumeId: string;
  /** Device paths to try besides the NVMe link (the configured device name or fsDevice). */
  devices: readonly string[];
  mount: string;
  readyTimeoutSeconds: number;
}

/**
 * Mount the volume at the mount point and start the database container, then wait until Postgres
 * accepts connections. A volume made from a snapshot carries the same filesystem UUID as the one
 * still attached beside it, which XFS refuses to mount twice: XFS is mounted with `nouuid`.
 */
export function mountAndStartDatabase(db: DbTarget, m: MountArgs): string {
  const mount = quote(m.mount);
  const ready = argv(["docker", "compose", "exec", "-T", db.container, "pg_isready", "-q", "-U", db.user, "-d", db.name]);
  return script([
    `cd ${quote(db.dir)}`,
    ...findDeviceLines(m.volumeId, deviceCandidates(m.volumeId, m.devices)),
    `cur=$(findmnt -n -o SOURCE --mountpoint ${mount} || true)`,
    `if [ -n "$cur" ] && [ "$(readlink -f "$cur")" != "$dev" ]; then echo ${quote(`${m.mount} holds`)}" $cur, not $dev (volume "${quote(m.volumeId)}"); unmount it first. The database container is stopped." >&2; exit 1; fi`,
    `if [ -z "$cur" ]; then`,
    `  fstype=$(blkid -o value -s TYPE "$dev" || true)`,
    `  [ -n "$fstype" ] || { echo "$dev (volume "${quote(m.volumeId)}") has no filesystem: is the snapshot of the data volume?" >&2; exit 1; }`,
    `  if [ "$fstype" = xfs ]; then mount -o nouuid "$dev" ${mount}; else mount "$dev" ${mount}; fi`,
    `fi`,
    `echo "mounted=$dev on "${mount}`,
    argv(["docker", "compose", "up", "-d", db.container]),
    `end=$(( $(date +%s) + ${Math.trunc(m.readyTimeoutSeconds)} ))`,
    `until ${ready}; do`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo ${quote(`${db.container}: Postgres did not accept connections within ${m.readyTimeoutSeconds}s after mounting`)} "$dev" >&2; ${argv(["docker", "compose", "logs", "--no-color", "--tail", "20", db.container])} >&2 || true; exit 1; fi`,
    `  sleep 2`,
    `done`,
    `echo "db-ready-at=${NOW}"`,
  ]);
}
