// Cross-field rules of mechanism wal-pitr: its blocks, exactly one recovery target, and the keys
// it does not read. Each problem names the key and the fix, like every other config rule.
import type { MechanismConfig } from "../../config/mechanism-config";
import type { AddProblem } from "../../config/problems";
import { NAMESPACE, type ParsedConfig } from "../../config/schema";
import { WAL_PITR_NAMES } from "./schema";

/** The target's kinds, in the order Postgres documents them. */
const TARGET_KINDS = ["time", "xid", "lsn", "name"] as const;

function walChecks(c: ParsedConfig, add: AddProblem, active: boolean): void {
  if (!active) {
    if (c.wal) add(["wal"], `is only read by mechanism wal-pitr, not by ${c.mechanism}`, `remove it: pulumi config rm '${NAMESPACE}:wal', or set mechanism to wal-pitr`, "{...}");
    if (c.target) add(["target"], `is only read by mechanism wal-pitr (AWS point-in-time restores take aws.targetTime)`, `remove it: pulumi config rm '${NAMESPACE}:target'`, "{...}");
    return;
  }
  if (!c.wal)
    add(["wal"], "is required for mechanism wal-pitr: the WAL archive, the base backups and the data directory on the db host", `pulumi config set --path '${NAMESPACE}:wal.archiveDir' /backup/wal (and wal.baseBackupsDir, wal.dataDir)`);
  const t = c.target;
  if (c.phase === "restore") {
    const kinds = t ? TARGET_KINDS.filter((k) => t[k] !== undefined) : [];
    const chosen = kinds.length + (t?.latest ? 1 : 0);
    if (!t || chosen === 0)
      add(["target"], "is required for mechanism wal-pitr: exactly one of time, xid, lsn, name, or latest: true (`delphi-restore find-target` proposes one)", `pulumi config set --path '${NAMESPACE}:target.time' 2026-11-23T02:29:59Z, or run: delphi-restore find-target --stack <stack> --apply`);
    else if (chosen > 1)
      add(["target"], `names ${[...kinds, ...(t.latest ? ["latest"] : [])].join(" and ")}: a recovery target is exactly one of time, xid, lsn, name or latest`, `keep one: pulumi config rm --path '${NAMESPACE}:target.${kinds.at(-1) ?? "latest"}'`, "{...}");
    if (t?.time && Date.parse(t.time) > Date.now())
      add(["target", "time"], "is in the future: a point-in-time restore can only go back", `pulumi config set --path '${NAMESPACE}:target.time' <a past time, UTC>`, t.time);
    if (t && !t.inclusive && (t.latest || t.name))
      add(["target", "inclusive"], `has no meaning for a ${t.latest ? "latest" : "restore point"} target (Postgres ignores it there)`, `remove it: pulumi config rm --path '${NAMESPACE}:target.inclusive'`, false);
  }
  if (c.phase === "rollback" && !c.wal?.rollbackTo)
    add(["wal", "rollbackTo"], "is required for phase rollback: the data directory the restore kept, to put back", `run \`delphi-restore rollback\` (it sets it from the last restore's outputs)`);
  if (c.phase !== "rollback" && c.wal?.rollbackTo)
    add(["wal", "rollbackTo"], "is only read in phase rollback", `remove it: pulumi config rm --path '${NAMESPACE}:wal.rollbackTo'`, c.wal.rollbackTo);
  if (c.dump) add(["dump"], "is only read by pg-restore; wal-pitr recovers from a base backup and the WAL archive", `remove it: pulumi config rm '${NAMESPACE}:dump'`, c.dump);
  if (c.restorePoint) add(["restorePoint"], "is the recovery target for wal-pitr: set target instead", `pulumi config rm '${NAMESPACE}:restorePoint' && pulumi config set --path '${NAMESPACE}:target.time' ${c.restorePoint}`, c.restorePoint);
  if (c.order === "beforeSwitch")
    add(["order"], "cannot apply to wal-pitr: recovery replaces the data directory under the database, so services stop first", `pulumi config set ${NAMESPACE}:order beforeRestore`, c.order);
}

export const walPitrConfig = {
  names: WAL_PITR_NAMES,
  selfManaged: true,
  rollbackKey: "wal.rollbackTo",
  rules: { blocks: walChecks },
} as const satisfies MechanismConfig;
