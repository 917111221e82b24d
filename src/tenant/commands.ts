// Pure: the host commands of a single-tenant recovery, run on the database host in the database's
// compose project (psql and pg_restore inside the database container, where the backup folder is
// mounted at the same path). The SQL is fed to psql through a quoted here-document, so no value
// of it passes through the shell's expansion; every name that reaches the shell is validated
// (./request.ts, the stamp) and quoted.
import { type DbTarget, inDb, inDbScript, newestDumpExpr, psql } from "../shell";
import { commentOf, exists, lit, setComment } from "../shell/kept";
import { quote, script, trimSlash } from "../shell/words";
import { CATALOG_SQL, type OwnedTable } from "./catalog";
import type { Source, TenantRequest } from "./request";
import { applySession, computeSession, exportSql, tenantsSql, undoSession, verifySession } from "./sql";

/** The comment that marks this tool's scratch databases: one of another name is never dropped. */
export const SCRATCH_COMMENT = "delphi-restore: tenant recovery scratch";

/** A scratch database per recovery (the stamp its first step took); `preview` uses its own. */
export const scratchName = (db: DbTarget, stamp: string) => `${db.name}_tenant_${stamp}`;
export const previewScratch = (db: DbTarget) => `${db.name}_tenant_preview`;

/** The recovery's folder in the backup folder: the source rows, the pre-change copy, the markers. */
export function workDir(backupDir: string, tenant: string, stamp: string): string {
  return `${trimSlash(backupDir)}/tenant-${tenant.replace(/[^A-Za-z0-9_.-]/g, "-")}-${stamp}`;
}

const HEREDOC = "DELPHI_TENANT_SQL";

/** psql in the database container reading `sql` from a quoted here-document (lines of a script). */
function psqlSession(db: DbTarget, database: string, sql: string): string {
  if (sql.split("\n").includes(HEREDOC)) throw new Error("the session's SQL contains the here-document's end marker");
  return `${inDb(db, ["psql", "-X", "-q", "-U", db.user, "-d", database, "-f", "-"])} <<'${HEREDOC}'\n${sql}\n${HEREDOC}`;
}


/** Resolve the source on the host: `source=<dump path | database>` (the newest when none is named). */
export function resolveSourceLines(db: DbTarget, backupDir: string, from: Source): string[] {
  const dir = trimSlash(backupDir);
  if (from.kind === "kept") {
    const newest = `select datname from pg_database where datname like ${lit(`${db.name.replace(/_/g, "\\_")}\\_pre\\_restore\\_%`)} order by datname desc limit 1`;
    const pick = from.database ? `select datname from pg_database where datname = ${lit(from.database)}` : newest;
    return [
      `src=$(${psql(db, pick, "postgres")})`,
      `[ -n "$src" ] || { echo ${quote(from.database ? `no database ${from.database} on the server; the kept databases: delphi-restore tenant preview --from kept lists the newest` : `no kept database (${db.name}_pre_restore_<UTC>) on the server: no whole restore has kept one, or it was signed off (use --from snapshot)`)} >&2; exit 1; }`,
      `echo "source=$src"`,
    ];
  }
  const expr =
    from.file !== undefined
      ? quote(`${dir}/${from.file}`)
      : from.kind === "dump"
        ? newestDumpExpr(db, dir)
        : `$(${inDbScript(db, [`ls -1t ${quote(dir)}/pre-restore-*.dump`])} 2>/dev/null | head -n 1)`;
  return [
    `src=${expr}`,
    `[ -n "$src" ] || { echo ${quote(`no ${from.kind === "dump" ? "dump (*.dump)" : "pre-restore snapshot (pre-restore-<UTC>.dump)"} in ${dir}`)} >&2; exit 1; }`,
    `${inDb(db, ["pg_restore", "--list"])} "$src" > /dev/null 2>&1 || { echo "the source $src is not a readable pg_dump archive; nothing was changed" >&2; exit 1; }`,
    `echo "source=$src"`,
    `echo "source-mtime=$(${inDb(db, ["stat", "-c", "%Y"])} "$src")"`,
  ];
}

/** Drop a scratch database if it is this tool's (its comment), refuse if it is not. */
function dropScratchLines(db: DbTarget, name: string): string[] {
  return [
    `if ${exists(db, name)}; then`,
    `  if [ "${commentOf(db, name)}" = ${quote(SCRATCH_COMMENT)} ]; then ${inDb(db, ["dropdb", "-U", db.user, name])}; else echo ${quote(`database ${name} exists and is not this tool's scratch database; rename or drop it. Nothing was changed.`)} >&2; exit 1; fi`,
    `fi`,
  ];
}

/** A fresh scratch database holding the dump's schema (foreign keys too, until dropFks). */
function scratchWithSchema(db: DbTarget, name: string): string[] {
  return [
    ...dropScratchLines(db, name),
    `${inDb(db, ["createdb", "-U", db.user, "-T", "template0", "-O", db.user, name])}`,
    setComment(db, name, SCRATCH_COMMENT),
    `${inDb(db, ["pg_restore", "--schema-only", "--no-owner", "--no-acl", "--exit-on-error", "-U", db.user, "-d", name])} "$src"`,
  ];
}

/** The scratch database's foreign keys dropped (after its catalog was read): a subset of tables then loads in any order. */
function dropFks(db: DbTarget, name: string): string {
  return psql(
    db,
    "do $$ declare r record; begin for r in select conrelid::regclass::text as t, conname from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace loop execute format('alter table %s drop constraint %I', r.t, r.conname); end loop; end $$",
    name,
  );
}

/**
 * Read-only but for a scratch database it drops again: resolve the source, print both catalogs
 * (`catalog-source=` and `catalog-live=`, one JSON line each). A dump's schema is restored into
 * the preview scratch database to be read (and left there for `analyse`, which drops it).
 */
export function catalogCommand(db: DbTarget, backupDir: string, req: TenantRequest): string {
  const source = req.from.kind === "kept" ? "$src" : previewScratch(db);
  return script([
    `cd ${quote(db.dir)}`,
    ...resolveSourceLines(db, backupDir, req.from),
    ...(req.from.kind === "kept" ? [] : scratchWithSchema(db, previewScratch(db))),
    `echo "catalog-source=$(${inDb(db, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", db.user, "-d"])} "${source === "$src" ? "$src" : source}" -c ${quote(CATALOG_SQL)})"`,
    `echo "catalog-live=$(${psql(db, CATALOG_SQL)})"`,
    ...(req.from.kind === "kept" ? [] : [dropFks(db, previewScratch(db))]),
  ]);
}

/** The lines that load the tables' rows from the source (a dump) into `scratch`, which has the schema. */
function loadDataLines(db: DbTarget, scratch: string, tables: OwnedTable[]): string[] {
  const pattern = tables.map((t) => ` TABLE DATA public ${t.name} `).join("|");
  return [
    `${inDb(db, ["pg_restore", "--list"])} "$src" | grep -E ${quote(pattern)} > "$tmp/toc" || true`,
    `${inDb(db, ["pg_restore", "--data-only", "--no-owner", "--exit-on-error", "-U", db.user, "-d", scratch, "-L", "/dev/stdin"])} "$src" < "$tmp/toc"`,
  ];
}

/** Export the tenant's rows from the source database into `dir`, and name the tenants it knows. */
function exportLines(db: DbTarget, sourceDb: string, tables: OwnedTable[], tenant: string, dir: string): string[] {
  const psqlIn = (sql: string) => `${inDb(db, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", db.user, "-d"])} ${quote(sourceDb)} -c ${quote(sql)}`;
  return [
    `${inDbScript(db, [`mkdir -p ${quote(dir)}`])}`,
    ...exportSql(tables, tenant, dir).map((line) => `${inDb(db, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", "-U", db.user, "-d"])} ${quote(sourceDb)} -c ${quote(line)}`),
    `echo "source-tenants=$(${psqlIn(tenantsSql(tables))})"`,
  ];
}

/**
 * preview's comparison, run by the command line (not a resource): the tables' rows loaded into the
 * preview scratch database, the tenant's exported to a temporary folder, compared with the live
 * rows in a transaction that is rolled back; the scratch database and the folder are removed.
 */
export function analyseCommand(db: DbTarget, req: TenantRequest, tables: OwnedTable[], source: string): string {
  const dir = `/tmp/delphi-restore-tenant-preview`;
  const fromDb = req.from.kind === "kept" ? source : previewScratch(db);
  return script([
    `cd ${quote(db.dir)}`,
    `tmp=$(mktemp -d)`,
    `cleanup() { rm -rf "$tmp"; ${inDbScript(db, [`rm -rf ${dir}`])} >/dev/null 2>&1 || true; ${req.from.kind === "kept" ? "true" : `${inDb(db, ["dropdb", "--if-exists", "-U", db.user, previewScratch(db)])} >/dev/null 2>&1 || true`}; }`,
    "trap cleanup EXIT",
    `src=${quote(source)}`,
    ...(req.from.kind === "kept" ? [] : loadDataLines(db, previewScratch(db), tables)),
    `${inDbScript(db, [`rm -rf ${dir}`])}`,
    ...exportLines(db, fromDb, tables, req.tenant, dir),
    psqlSession(db, db.name, computeSession(tables, req.tenant, dir)),
  ]);
}

export interface RecoveryContext {
  db: DbTarget;
  req: TenantRequest;
  tables: OwnedTable[];
  /** The resolved source: a dump's path, or a kept database's name. */
  source: string;
  backupDir: string;
}

/** The first step: the recovery's stamp, from the database container's clock. */
export function stampCommand(db: DbTarget): string {
  return script([`cd ${quote(db.dir)}`, `echo "stamp=$(${inDb(db, ["date", "-u", "+%Y%m%dT%H%M%SZ"])})"`]);
}

/** Load the source's needed tables into this recovery's scratch database (a kept database is read as it is). */
export function loadCommand(c: RecoveryContext, stamp: string): string {
  if (c.req.from.kind === "kept") return script([`echo ${quote(`the source is the kept database ${c.source}: read in place, nothing to load`)}`]);
  const scratch = scratchName(c.db, stamp);
  return script([
    `cd ${quote(c.db.dir)}`,
    `tmp=$(mktemp -d)`,
    `trap 'rm -rf "$tmp"' EXIT`,
    `src=${quote(c.source)}`,
    ...scratchWithSchema(c.db, scratch),
    dropFks(c.db, scratch),
    ...loadDataLines(c.db, scratch, c.tables),
    `echo ${quote(`loaded=${c.tables.map((t) => t.name).join(",")} into ${scratch}`)}`,
  ]);
}

/** Export the tenant's rows and compare (read-only); refused, listing them, on conflicts or an unknown tenant. */
export function computeCommand(c: RecoveryContext, stamp: string): string {
  const dir = workDir(c.backupDir, c.req.tenant, stamp);
  const fromDb = c.req.from.kind === "kept" ? c.source : scratchName(c.db, stamp);
  return script([
    `cd ${quote(c.db.dir)}`,
    ...exportLines(c.db, fromDb, c.tables, c.req.tenant, dir),
    `out=$(${psqlSession(c.db, c.db.name, computeSession(c.tables, c.req.tenant, dir))}\n)`,
    `printf '%s\\n' "$out"`,
    `if printf '%s\\n' "$out" | grep -q '^conflict'; then echo ${quote(`conflicts: rows of tenant ${c.req.tenant} in the source have keys that belong to another tenant now (listed above); nothing was changed`)} >&2; exit 1; fi`,
    `echo ${quote(`work-dir=${dir}`)}`,
  ]);
}

/** The change, once: the pre-change copy and the marker `applied` in the work folder; a re-run after it changes nothing. */
export function applyCommand(c: RecoveryContext, stamp: string): string {
  const dir = workDir(c.backupDir, c.req.tenant, stamp);
  return script([
    `cd ${quote(c.db.dir)}`,
    `if ${inDb(c.db, ["test", "-e", `${dir}/applied`])}; then echo ${quote(`already applied (${dir}/applied); nothing was changed again`)}; ${inDb(c.db, ["cat", `${dir}/applied`])}; exit 0; fi`,
    `out=$(${psqlSession(c.db, c.db.name, applySession(c.tables, c.req.tenant, dir, c.req.mode))}\n)`,
    `printf '%s\\n' "$out" | ${inDb(c.db, ["sh", "-c", `cat > ${quote(`${dir}/applied`)}`])}`,
    `printf '%s\\n' "$out"`,
    `echo ${quote(`undo-dir=${dir}`)}`,
  ]);
}

/** Every recovered row is there now; prints `verified` lines (the step fails when one is missing). */
export function verifyCommand(c: RecoveryContext, stamp: string): string {
  const dir = workDir(c.backupDir, c.req.tenant, stamp);
  return script([
    `cd ${quote(c.db.dir)}`,
    `out=$(${psqlSession(c.db, c.db.name, verifySession(c.tables, c.req.tenant, dir))}\n)`,
    `printf '%s\\n' "$out"`,
    `if printf '%s\\n' "$out" | awk -F '\\t' '$1 == "verified" && $3 != $4 { bad = 1 } END { exit !bad }'; then echo 'a recovered row is missing after the change (see the verified lines above)' >&2; exit 1; fi`,
  ]);
}

/** Drop this recovery's scratch database (the work folder stays: it is the undo's copy). */
export function cleanupCommand(c: RecoveryContext, stamp: string): string {
  if (c.req.from.kind === "kept") return script([`echo 'no scratch database: the kept database was read in place'`]);
  return script([`cd ${quote(c.db.dir)}`, ...dropScratchLines(c.db, scratchName(c.db, stamp)), `echo ${quote(`dropped the scratch database ${scratchName(c.db, stamp)}`)}`]);
}

/** Undo the change recorded in `dir`, once (marker `undone`). */
export function undoCommand(db: DbTarget, tables: OwnedTable[], tenant: string, dir: string): string {
  return script([
    `cd ${quote(db.dir)}`,
    `${inDb(db, ["test", "-e", `${dir}/applied`])} || { echo ${quote(`${dir} holds no applied change (no marker 'applied'); nothing to undo. Nothing was changed.`)} >&2; exit 1; }`,
    `if ${inDb(db, ["test", "-e", `${dir}/undone`])}; then echo ${quote(`already undone (${dir}/undone); nothing was changed again`)}; ${inDb(db, ["cat", `${dir}/undone`])}; exit 0; fi`,
    `out=$(${psqlSession(db, db.name, undoSession(tables, tenant, dir))}\n)`,
    `printf '%s\\n' "$out" | ${inDb(db, ["sh", "-c", `cat > ${quote(`${dir}/undone`)}`])}`,
    `printf '%s\\n' "$out"`,
  ]);
}
