// Cross-field rules of mechanism pg-restore: what rollback and sign-off need of the kept database
// (none with `snapshot: before`, which overwrote the live one), and the name length keeping allows.
// A leaf below src/config: it imports only src/config's schema and problems.
import type { MechanismConfig } from "../../config/mechanism-config";
import type { AddProblem } from "../../config/problems";
import { NAMESPACE, type ParsedConfig } from "../../config/schema";
import { PG_RESTORE_NAMES } from "./schema";

function phaseChecks(c: ParsedConfig, add: AddProblem): void {
  if (c.phase !== "restore" && c.snapshot === "before")
    add(["snapshot"], `is before, so the restore overwrote the live database and kept none: there is nothing to ${c.phase === "signoff" ? "sign off" : "rename back"} (the pre-restore snapshot file is the copy)`, `restore the pre-restore snapshot as a new restore: pulumi config set ${NAMESPACE}:dump pre-restore-<UTC>.dump && pulumi config set ${NAMESPACE}:phase restore`, c.snapshot);
  if (c.phase === "rollback" && c.kept && c.database && !c.kept.startsWith(`${c.database.name}_pre_restore_`))
    add(["kept"], `must be a database a restore of ${c.database.name} kept (${c.database.name}_pre_restore_<UTC>) to rename back`, `run \`delphi-restore rollback\` (it sets it from the last restore's outputs)`, c.kept);
}

function databaseChecks(c: ParsedConfig, add: AddProblem): void {
  if (c.database && c.database.name.length > 34)
    add(["database", "name"], `is ${c.database.name.length} characters; the restore keeps the replaced database as <name>_pre_restore_<UTC> (29 more), and Postgres names stop at 63`, "use a database name of at most 34 characters", c.database.name);
}

export const pgRestoreConfig = {
  names: PG_RESTORE_NAMES,
  selfManaged: true,
  restoresBeside: true,
  rollbackKey: "kept",
  rules: { phase: phaseChecks, database: databaseChecks },
} as const satisfies MechanismConfig;
