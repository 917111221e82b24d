// Pure: the data a self-managed restore keeps instead of overwriting it: pg-restore's replaced
// database (`<db>_pre_restore_<UTC>`), a volume snapshot's data subvolume, a point-in-time
// restore's data directory (`<data>.pre-restore-<UTC>`). Where the live data is, the name the
// restore keeps it under, how the notice and sign-off open it, how sign-off removes it, and the
// config keys and outputs rollback and sign-off read. Plans, the program's outputs, preflight,
// `rollback` and `signoff` all read it here.
import type { RestoreConfig } from "../config";
import { dbTarget } from "./commands";
import { type KeptSide, keptDatabaseName, keptDataDirSide, keptDatabaseSide } from "../shell/kept";
import { trimSlash as trim } from "../shell/words";

export interface KeptData {
  /** What is kept: a database of the live server, a btrfs subvolume, or a plain folder. */
  kind: "database" | "subvolume" | "directory";
  /** In words: "database", "data subvolume" or "data directory". */
  what: string;
  /** The restore, in words, for messages ("volume restore"). */
  restoreWord: string;
  /** The live data: the database name, or its path on the db host. */
  data: string;
  /** The name the restore with UTC stamp `stamp` keeps the data under. */
  keptName: (stamp: string) => string;
  /** Where a kept name lives (a path on the db host; a database's name is itself). */
  keptPath: (name: string) => string;
  /** How the notice, the after-snapshot and sign-off read a kept name. */
  side: (name: string) => KeptSide;
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

/** The kept data of a self-managed config; undefined for AWS and for pg-restore with `snapshot: before` (it overwrites). */
export function keptDataOf(c: RestoreConfig): KeptData | undefined {
  if (c.mechanism === "pg-restore" && c.database && c.snapshot !== "before") {
    const name = c.database.name;
    return {
      kind: "database",
      what: "database",
      restoreWord: "restore",
      data: name,
      keptName: (stamp) => keptDatabaseName(name, stamp),
      keptPath: (n) => n,
      side: keptDatabaseSide,
      rollbackTo: c.kept,
      rollbackKey: "delphi-restore:kept",
      outputs: { kept: "keptDatabase", source: "restoredFrom", sourceMarker: "dump", undone: "undoneDatabase" },
    };
  }
  if (c.mechanism === "volume-snapshot" && c.volume && c.database) {
    const v = c.volume;
    const mount = trim(v.mount);
    const db = dbTarget(c);
    return {
      kind: "subvolume",
      what: "data subvolume",
      restoreWord: "volume restore",
      data: `${mount}/${v.dataSubvolume}`,
      keptName: (stamp) => `${v.dataSubvolume}.pre-restore-${stamp}`,
      keptPath: (n) => `${mount}/${n}`,
      side: (n) => keptDataDirSide(db, `${mount}/${n}`),
      rollbackTo: v.rollbackTo,
      rollbackKey: "delphi-restore:volume.rollbackTo",
      outputs: { kept: "keptDataSubvolume", source: "volumeSnapshot", sourceMarker: "restored-from", undone: "undoneDataSubvolume" },
    };
  }
  if (c.mechanism === "wal-pitr" && c.wal && c.database) {
    const data = trim(c.wal.dataDir);
    const parent = data.slice(0, data.lastIndexOf("/") + 1);
    const db = dbTarget(c);
    return {
      kind: "directory",
      what: "data directory",
      restoreWord: "point-in-time restore",
      data,
      keptName: (stamp) => `${data.slice(parent.length)}.pre-restore-${stamp}`,
      keptPath: (n) => `${parent}${n}`,
      side: (n) => keptDataDirSide(db, `${parent}${n}`),
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
  if (!k) throw new Error(`mechanism ${c.mechanism} keeps no data aside here (config validation should have said so)`);
  return k;
}
