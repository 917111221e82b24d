// Pure: what one single-tenant recovery is asked to do (`delphi-restore tenant ...` flags, kept as
// the recovery stack's `delphi-restore:tenant` config), validated with keyed errors before
// anything is declared. Every value here reaches a shell or SQL, so each is held to a narrow shape.
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "../config";

/** A tenant id as the application writes it: letters, digits and `_.:-`, at most 64. */
export const TENANT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** A table or column name this tool accepts: a lower-case SQL identifier. */
export const IDENT_RE = /^[a-z_][a-z0-9_]{0,62}$/;
/** A dump's file name in the backup folder (no folders: the backup folder is the only place read). */
const DUMP_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,200}\.dump$/;
const DATABASE_RE = /^[a-z_][a-z0-9_]{0,40}_pre_restore_\d{8}T\d{6}Z$/;

export const MODES = ["missing", "replace"] as const;
export type Mode = (typeof MODES)[number];

/**
 * Where the tenant's rows come from: a nightly dump (the newest, or one by name), the data the
 * last whole restore kept (`<db>_pre_restore_<UTC>`, the newest or one by name), or a pre-restore
 * snapshot file (`pre-restore-<UTC>.dump`, the newest or one by name).
 */
export type Source = { kind: "dump"; file?: string } | { kind: "kept"; database?: string } | { kind: "snapshot"; file?: string };

export interface TenantRequest {
  tenant: string;
  from: Source;
  /** Only these tables (each must belong to tenants); all of the tenant's tables when absent. */
  tables?: string[];
  mode: Mode;
  /** The column naming a row's tenant. */
  column: string;
  /** restore (bring the rows back) or undo (put the tenant's rows back as they were before). */
  phase: "recover" | "undo";
  /** Set by `tenant undo` from the recovery's outputs: the folder holding the pre-change copy. */
  undoDir?: string;
}

const FROM_HELP = "dump, dump:<file>.dump, kept, kept:<db>_pre_restore_<UTC>, snapshot or snapshot:pre-restore-<UTC>.dump";

export function parseSource(text: string): Source | undefined {
  const [kind, name, ...rest] = text.split(":");
  const arg = rest.length > 0 ? [name, ...rest].join(":") : name;
  if (kind === "dump" && (arg === undefined || DUMP_FILE_RE.test(arg))) return { kind, ...(arg ? { file: arg } : {}) };
  if (kind === "snapshot" && (arg === undefined || (DUMP_FILE_RE.test(arg) && arg.startsWith("pre-restore-")))) return { kind, ...(arg ? { file: arg } : {}) };
  if (kind === "kept" && (arg === undefined || DATABASE_RE.test(arg))) return { kind, ...(arg ? { database: arg } : {}) };
  return undefined;
}

export function sourceText(s: Source): string {
  if (s.kind === "kept") return s.database ? `kept:${s.database}` : "kept";
  return s.file ? `${s.kind}:${s.file}` : s.kind;
}

const requestSchema = z.object({
  tenant: z.string().regex(TENANT_ID_RE),
  from: z.string(),
  tables: z.array(z.string().regex(IDENT_RE)).min(1).optional(),
  mode: z.enum(MODES).default("missing"),
  column: z.string().regex(IDENT_RE).default("tenant_id"),
  phase: z.enum(["recover", "undo"]).default("recover"),
  undoDir: z.string().regex(/^\/[A-Za-z0-9_./-]+$/).optional(),
});

const FIXES: Record<string, string> = {
  tenant: "give the tenant's id as the application stores it, e.g. --tenant ten_acme",
  from: `use one of: ${FROM_HELP}`,
  tables: "comma-separated lower-case table names, e.g. --tables conversations,conversation_turns",
  mode: "missing (bring back rows that are gone) or replace (also overwrite the tenant's rows that differ)",
  column: "the tenant column's name, a lower-case identifier (config report.tenantColumn)",
  phase: "recover or undo (set by `delphi-restore tenant undo`)",
  undoDir: "set by `delphi-restore tenant undo` from the recovery's outputs; an absolute path",
};

/** Validate a request; every problem at once, keyed `delphi-restore:tenant.<field>` (the flag in brackets). */
export function parseRequest(raw: Record<string, unknown>): TenantRequest {
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string, value: unknown) =>
    problems.push({ key: `delphi-restore:tenant.${field}`, value: value === undefined ? undefined : JSON.stringify(value), message, fix: FIXES[field] ?? "see docs/tenant.md" });
  const r = requestSchema.safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) {
      const field = String(issue.path[0] ?? "tenant");
      add(field, field === "tenant" && raw.tenant !== undefined ? "not a tenant id (letters, digits and _.:-, at most 64)" : issue.message, raw[field]);
    }
    throw new ConfigError(problems);
  }
  const from = parseSource(r.data.from);
  if (!from) add("from", `not a source this tool reads: ${r.data.from}`, r.data.from);
  if (r.data.phase === "undo" && !r.data.undoDir) add("undoDir", "undo needs the folder of the recovery's pre-change copy", undefined);
  if (problems.length > 0 || !from) throw new ConfigError(problems);
  const { from: _from, tables, undoDir, ...rest } = r.data;
  return { ...rest, from, ...(tables ? { tables: [...new Set(tables)] } : {}), ...(undoDir ? { undoDir } : {}) };
}

/** The recovery stack of a tenant on a deployment's stack: its own state, config and lock. */
export function recoveryStackName(base: string, tenant: string): string {
  return `${base}.tenant-${tenant.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
}

/** What identifies one recovery: a new source, mode or table list is a new recovery (every command runs again). */
export function recoveryKey(req: TenantRequest, resolvedSource: string): string {
  return JSON.stringify({ tenant: req.tenant, from: resolvedSource, tables: req.tables ?? "all", mode: req.mode, column: req.column });
}
