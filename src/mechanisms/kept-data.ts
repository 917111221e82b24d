// Pure: the data a swap mechanism keeps when it replaces the database's data under it (a volume
// snapshot's data subvolume, a point-in-time restore's data directory): where the live data is,
// the name the restore keeps it under, where a kept name lives, and the config key and outputs
// rollback reads. The plans, the program's outputs, preflight and `rollback` all read it here.
import type { RestoreConfig } from "../config";
import { trimSlash as trim } from "../shell-words";

export interface KeptData {
  /** In words: "data subvolume" or "data directory". */
  what: string;
  /** The restore, in words, for messages ("volume restore"). */
  restoreWord: string;
  /** The live data's path on the db host. */
  data: string;
  /** The name the restore whose pre-restore dump carries `stamp` keeps the data under. */
  keptName: (stamp: string) => string;
  /** Where a kept name lives on the db host. */
  keptPath: (name: string) => string;
  /** rollback: the kept name config names (set by `delphi-restore rollback`). */
  rollbackTo?: string;
  /** The config key `rollback` sets. */
  rollbackKey: string;
  /** Output names: the kept name, what the restore came from (and the marker it prints), what rollback kept. */
  outputs: { kept: string; source: string; sourceMarker: string; undone: string };
}


/** The stamp of a pre-restore dump's path (`.../pre-restore-<stamp>.dump`); a placeholder before it exists. */
export function stampOf(snapshotPath: string): string {
  return /pre-restore-(\d{8}T\d{6}Z)\.dump$/.exec(snapshotPath)?.[1] ?? "<UTC>";
}

/** The kept data of a volume-snapshot or wal-pitr config; undefined for the other mechanisms. */
export function keptDataOf(c: RestoreConfig): KeptData | undefined {
  if (c.mechanism === "volume-snapshot" && c.volume) {
    const v = c.volume;
    const mount = trim(v.mount);
    return {
      what: "data subvolume",
      restoreWord: "volume restore",
      data: `${mount}/${v.dataSubvolume}`,
      keptName: (stamp) => `${v.dataSubvolume}.pre-restore-${stamp}`,
      keptPath: (name) => `${mount}/${name}`,
      rollbackTo: v.rollbackTo,
      rollbackKey: "delphi-restore:volume.rollbackTo",
      outputs: { kept: "keptDataSubvolume", source: "volumeSnapshot", sourceMarker: "restored-from", undone: "undoneDataSubvolume" },
    };
  }
  if (c.mechanism === "wal-pitr" && c.wal) {
    const data = trim(c.wal.dataDir);
    const parent = data.slice(0, data.lastIndexOf("/") + 1);
    return {
      what: "data directory",
      restoreWord: "point-in-time restore",
      data,
      keptName: (stamp) => `${data.slice(parent.length)}.pre-restore-${stamp}`,
      keptPath: (name) => `${parent}${name}`,
      rollbackTo: c.wal.rollbackTo,
      rollbackKey: "delphi-restore:wal.rollbackTo",
      outputs: { kept: "keptDataDirectory", source: "baseBackup", sourceMarker: "base-backup", undone: "undoneDataDirectory" },
    };
  }
  return undefined;
}

/** The kept data, for the mechanisms that must have it (config validation guarantees their blocks). */
export function keptData(c: RestoreConfig): KeptData {
  const k = keptDataOf(c);
  if (!k) throw new Error(`mechanism ${c.mechanism} keeps no data aside (config validation should have said so)`);
  return k;
}
