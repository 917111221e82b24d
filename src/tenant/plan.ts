// Pure: the steps of a single-tenant recovery (and of its undo), each one host command on the
// database host, in order. No service is stopped by any of them.
import type { DbTarget } from "../shell";
import { type RecoveryContext, applyCommand, cleanupCommand, computeCommand, loadCommand, stampCommand, undoCommand, verifyCommand } from "./commands";
import type { OwnedTable } from "./catalog";

export interface TenantStep {
  /** Resource names are `<step>-db`. */
  step: "stamp" | "load" | "compute" | "apply" | "verify" | "cleanup" | "undo";
  title: string;
  description: string;
  /** The command; `stamp` is the recovery's (from the first step; a placeholder in previews). */
  render: (stamp: string) => string;
  needsStamp: boolean;
}

export const STAMP_PLACEHOLDER = "<UTC>";

export function recoverySteps(c: RecoveryContext): TenantStep[] {
  const names = c.tables.map((t) => t.name).join(", ");
  const from = c.req.from.kind === "kept" ? `the kept database ${c.source}` : c.source;
  return [
    { step: "stamp", title: "Stamp the recovery", description: "the recovery's UTC stamp from the database container's clock (names its scratch database and folder)", render: () => stampCommand(c.db), needsStamp: false },
    {
      step: "load",
      title: "Load the source's tables into a scratch database",
      description: c.req.from.kind === "kept" ? `none: ${from} is read in place` : `pg_restore the schema and the rows of ${names} from ${from} into ${c.db.name}_tenant_<UTC> (foreign keys dropped there)`,
      render: (s) => loadCommand(c, s),
      needsStamp: true,
    },
    { step: "compute", title: "Compare with the live rows (conflicts refuse)", description: `export tenant ${c.req.tenant}'s rows, compare with ${c.db.name} by primary key (read-only)`, render: (s) => computeCommand(c, s), needsStamp: true },
    {
      step: "apply",
      title: "Apply in one transaction",
      description: `copy tenant ${c.req.tenant}'s current rows (for undo), then ${c.req.mode === "replace" ? "insert the missing rows and overwrite those that differ" : "insert the missing rows"} in ${c.db.name}, parents first; every other tenant's rows checked unchanged`,
      render: (s) => applyCommand(c, s),
      needsStamp: true,
    },
    { step: "verify", title: "Verify every recovered row", description: `each of the source's rows of tenant ${c.req.tenant} is in ${c.db.name}`, render: (s) => verifyCommand(c, s), needsStamp: true },
    { step: "cleanup", title: "Drop the scratch database", description: c.req.from.kind === "kept" ? "none (no scratch database)" : `dropdb ${c.db.name}_tenant_<UTC> (the folder with the pre-change copy stays)`, render: (s) => cleanupCommand(c, s), needsStamp: true },
  ];
}

export function undoSteps(db: DbTarget, tables: OwnedTable[], tenant: string, dir: string): TenantStep[] {
  return [
    {
      step: "undo",
      title: "Undo: put the tenant's rows back as they were",
      description: `in one transaction: delete the rows the recovery inserted, put back the rows it overwrote (from ${dir}); every other tenant's rows checked unchanged`,
      render: () => undoCommand(db, tables, tenant, dir),
      needsStamp: false,
    },
  ];
}
