// Pure: what wal-pitr keeps: the replaced data directory as `<data>.pre-restore-<UTC>`.
import type { RestoreConfig } from "../../config";
import { dbTarget } from "../../runbook/commands";
import type { KeptData } from "../../runbook/kept";
import { keptDataDirSide } from "../../shell/kept";
import { trimSlash as trim } from "../../shell/words";

export function walPitrKept(c: RestoreConfig): KeptData | undefined {
  if (c.wal && c.database) {
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
