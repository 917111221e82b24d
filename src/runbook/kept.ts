// Pure: the shape of the data a self-managed restore keeps instead of overwriting it (a replaced
// database, a data subvolume, a data directory): where the live data is, the name the restore
// keeps it under, how the notice and sign-off open it, and the config keys and outputs rollback
// and sign-off read. Each self-managed mechanism describes its own (src/mechanisms/<name>/kept.ts);
// plans, the program's outputs, preflight, `rollback` and `signoff` read it through the registry.
import type { RestoreConfig } from "../config";
import type { KeptSide } from "../shell/kept";

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

/** The kept data, for the plans that must have it (config validation guarantees their blocks). */
export function mustKeep(c: RestoreConfig, k: KeptData | undefined): KeptData {
  if (!k) throw new Error(`mechanism ${c.mechanism} keeps no data aside here (config validation should have said so)`);
  return k;
}
