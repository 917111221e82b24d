// Pure: what pg-restore keeps: the replaced database as `<db>_pre_restore_<UTC>` (none with
// `snapshot: before`, which overwrites it).
import type { RestoreConfig } from "../../config";
import type { KeptData } from "../../runbook/kept";
import { keptDatabaseSide } from "../../shell/kept";
import { keptDatabaseName } from "./shell";

export function pgRestoreKept(c: RestoreConfig): KeptData | undefined {
  if (c.database && c.snapshot !== "before") {
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
  return undefined;
}
