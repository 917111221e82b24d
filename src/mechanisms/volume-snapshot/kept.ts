// Pure: what volume-snapshot keeps: the replaced data subvolume as `<subvolume>.pre-restore-<UTC>`.
import type { RestoreConfig } from "../../config";
import { dbTarget } from "../../runbook/commands";
import type { KeptData } from "../../runbook/kept";
import { keptDataDirSide } from "../../shell/kept";
import { trimSlash as trim } from "../../shell/words";

export function volumeSnapshotKept(c: RestoreConfig): KeptData | undefined {
  if (c.volume && c.database) {
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
  return undefined;
}
