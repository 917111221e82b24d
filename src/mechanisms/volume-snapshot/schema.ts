// The config of mechanism volume-snapshot (a leaf: zod and the field builders only): its name
// and the volume block.
import { z } from "zod";
import { absPath, isoTime, name, seconds } from "../../config/fields";

export const VOLUME_SNAPSHOT_NAMES = ["volume-snapshot"] as const;

/**
 * volume-snapshot: the database's data directory is a subvolume of a snapshotting filesystem
 * (btrfs) mounted on the db host; read-only snapshots of it sit in one folder on that filesystem.
 */
export const volumeSchema = z.strictObject({
  filesystem: z.enum(["btrfs"], { error: "must be btrfs (the one snapshotting filesystem supported; LVM needs device-mapper)" }).default("btrfs"),
  /** Where the filesystem is mounted on the db host. */
  mount: absPath("mount point of the snapshotting filesystem on the db host"),
  /** The subvolume (under mount) that is the database's data directory. */
  dataSubvolume: name("subvolume name under volume.mount").default("data"),
  /** The folder (under mount) holding the read-only snapshots. */
  snapshotsDir: name("folder name under volume.mount").default("snapshots"),
  /** The snapshot to restore, by name (a read-only subvolume in snapshotsDir). */
  snapshot: name("snapshot name").optional(),
  /** The incident time: take the newest snapshot created before it (or check a named one is older). */
  before: isoTime("incident time (the newest snapshot before it is restored)").optional(),
  /** Free space the filesystem must have for the writable copy (written to by recovery and the services). */
  minFreeMiB: z.number({ error: "must be a number of MiB" }).int({ error: "must be a whole number" }).min(16, { error: "must be at least 16" }).max(10_000_000, { error: "must be at most 10000000" }).default(256),
  /** How long the database may take to start on the restored data (crash recovery replays its WAL). */
  recoveryTimeoutSeconds: seconds("crash recovery", 86400).default(600),
  /**
   * rollback only: the data subvolume the restore kept (`<dataSubvolume>.pre-restore-<UTC>`);
   * `delphi-restore rollback` sets it from the last restore's outputs.
   */
  rollbackTo: z.string({ error: "must be a subvolume name" }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\.pre-restore-\d{8}T\d{6}Z$/, { error: "must be the kept data subvolume's name, <dataSubvolume>.pre-restore-<yyyymmddThhmmssZ>" }).optional(),
});

export type VolumeConfig = z.output<typeof volumeSchema>;
