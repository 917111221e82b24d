// Pure builders for the data a restore keeps instead of overwriting, shared by every self-managed
// mechanism: open kept data that is not a database of the live server (a kept data directory or
// subvolume) with a temporary read-only Postgres, compare the kept rows with the restored ones by
// primary key for the tenant notice, snapshot and sign off the kept data. pg-restore's own
// (restore beside the live database, switch, rename back) are in src/mechanisms/pg-restore/shell.ts. Names are validated by
// the config schema (lower-case identifiers, a UTC stamp) and quoted here as well.
import { type DbTarget, inDb, inDbScript, psql, psqlLocal } from ".";
import { argv, quote, script, trimSlash } from "./words";

/** A UTC stamp as the restore prints it (`20261207T021500Z`); anything else is refused. */
export const STAMP_RE = /^\d{8}T\d{6}Z$/;

export function checkedStamp(stamp: string): string {
  if (!STAMP_RE.test(stamp)) throw new Error(`not a UTC stamp (yyyymmddThhmmssZ): ${JSON.stringify(stamp)}`);
  return stamp;
}


/** A name as an SQL identifier (the stamp's T and Z are upper case, so always quoted). */
export const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;
/** A string as an SQL literal. */
export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The catalogue reads and writes on the `postgres` database, run through `docker compose exec`
 * (`inside` false) or as a command inside the container (true, for inDbScript's lines).
 */
const onCatalogue = (db: DbTarget, sql: string, inside: boolean) => (inside ? psqlLocal(db, [sql], ["-d", "postgres"]) : psql(db, sql, "postgres"));
/** A shell test: the database exists on the server. */
export const exists = (db: DbTarget, name: string, inside = false) => `[ -n "$(${onCatalogue(db, `select 1 from pg_database where datname = ${lit(name)}`, inside)})" ]`;
/** A shell word: the database's comment (empty when it has none). */
export const commentOf = (db: DbTarget, name: string, inside = false) =>
  `$(${onCatalogue(db, `select coalesce(shobj_description(oid, 'pg_database'), '') from pg_database where datname = ${lit(name)}`, inside)})`;
export const setComment = (db: DbTarget, name: string, text: string, inside = false) => onCatalogue(db, `comment on database ${ident(name)} is ${lit(text)}`, inside);

/** The comments that say which database is which (visible to operators in `\l+`). */
export const COMMENTS = {
  restoring: (stamp: string) => `delphi-restore: restoring ${stamp}`,
  restored: (stamp: string) => `delphi-restore: restored ${stamp}`,
  kept: (stamp: string) => `delphi-restore: kept by the restore of ${stamp} (the data as it was when the services stopped)`,
  undone: (stamp: string) => `delphi-restore: put aside by the rollback of the restore of ${stamp}`,
  diff: "delphi-restore: scratch database of the tenant notice",
  captured: (stamp: string) => `delphi-restore: scratch database of the tenant notice, restored side of ${stamp} captured`,
};


/** How the kept data is reached from inside the database container, for psql and pg_dump. */
export interface KeptSide {
  /** In words, for messages. */
  what: string;
  /** Lines that make it reachable (start a temporary server, load a dump); empty for a database. */
  open: string[];
  /** Lines that undo `open`; run on exit, whatever happened. */
  close: string[];
  /** Connection arguments of psql/pg_dump (`-d <db>`, or `-h <socket> -p <port> -d <db>`). */
  conn: string[];
}

/** A kept database of the live server. */
export function keptDatabaseSide(name: string): KeptSide {
  return { what: `the kept database ${name}`, open: [], close: [], conn: ["-d", name] };
}

/** Where the temporary server on kept data listens: a socket folder in the container, no TCP. */
export const KEPT_SERVER = { socketDir: "/tmp/delphi-restore-kept", port: 55432 };

/**
 * A kept data directory (or subvolume) opened by a temporary Postgres in the database container:
 * its own port and socket folder, no TCP listener, archiving off (its WAL must never reach the
 * archive), every transaction read-only. It is stopped (fast) when the command ends.
 */
export function keptDataDirSide(db: DbTarget, dataDir: string): KeptSide {
  const d = trimSlash(dataDir);
  const { socketDir, port } = KEPT_SERVER;
  const opts = `-p ${port} -c listen_addresses= -c unix_socket_directories=${socketDir} -c archive_mode=off -c default_transaction_read_only=on`;
  const ctl = (args: string[]) => inDb(db, ["pg_ctl", "-D", d, ...args]);
  return {
    what: `the kept data ${d} (opened read-only by a temporary Postgres on port ${port})`,
    open: [
      `${inDb(db, ["mkdir", "-p", socketDir])}`,
      // A server an earlier, killed run left on the kept data is stopped first.
      `${ctl(["status"])} >/dev/null 2>&1 && ${ctl(["-m", "fast", "-w", "stop"])} >/dev/null 2>&1 || true`,
      `${ctl(["-w", "-t", "300", "-l", `${socketDir}/server.log`, "-o", opts, "start"])} >/dev/null || { echo ${quote(`could not open the kept data ${d} with a temporary Postgres; its log:`)} >&2; ${inDb(db, ["tail", "-n", "20", `${socketDir}/server.log`])} >&2; exit 1; }`,
    ],
    close: [`${ctl(["-m", "fast", "-w", "stop"])} >/dev/null 2>&1 || true`],
    conn: ["-h", socketDir, "-p", String(port), "-d", db.name],
  };
}

/**
 * A pre-restore dump loaded into a scratch database (only the counted tables, with their primary
 * keys): the kept side when the restore overwrote the live database (`snapshot: before`).
 */
export function keptDumpSide(db: DbTarget, dumpPathExpr: string, scratch: string, tables: string[]): KeptSide {
  const pattern = tables.map((t) => ` (TABLE|TABLE DATA|CONSTRAINT) public ${t} `).join("|");
  return {
    what: `the pre-restore snapshot (loaded into ${scratch})`,
    open: [
      `snap=${dumpPathExpr}`,
      `${inDb(db, ["dropdb", "--if-exists", "-U", db.user, scratch])}`,
      `${inDb(db, ["createdb", "-U", db.user, "-O", db.user, scratch])}`,
      `${inDb(db, ["pg_restore", "--list"])} "$snap" | grep -E ${quote(pattern)} | grep -v ' FK CONSTRAINT ' > "$tmp/toc"`,
      // The filtered table of contents reaches pg_restore in the container on its standard input.
      `${inDb(db, ["pg_restore", "--no-owner", "--exit-on-error", "-U", db.user, "-d", scratch, "-L", "/dev/stdin"])} "$snap" < "$tmp/toc"`,
    ],
    close: [`${inDb(db, ["dropdb", "--if-exists", "-U", db.user, scratch])} >/dev/null 2>&1 || true`],
    conn: ["-d", scratch],
  };
}

/** The container folder the compared rows pass through (client-side \copy files). */
const DIFF_DIR = "/tmp/delphi-restore-diff";

/**
 * One row per primary key of `table`: the key (its columns' text joined by ','), the tenant, and a
 * hash per column (so rows compare on the columns both sides have: a migration may add one).
 * A table the database lacks gives no rows.
 */
function rowsQuery(table: string, tenantColumn: string): string {
  return [
    "select (select string_agg(s.j ->> a.attname, ',' order by k.ord) from unnest(i.indkey) with ordinality as k(attnum, ord)",
    "join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum) as pk,",
    `s.j ->> ${lit(tenantColumn)} as tenant,`,
    "(select jsonb_object_agg(e.key, md5(e.value::text)) from jsonb_each(s.j) e) as h",
    `from (select to_jsonb(x) as j from ${ident(table)} x) s, pg_index i`,
    `where i.indrelid = to_regclass(${lit(table)}) and i.indisprimary`,
  ].join(" ");
}

/** psql inside the container (for inDbScript's lines) on the given connection arguments. */
const psqlOn = (db: DbTarget, conn: string[], sql: string, extra: string[] = []) => psqlLocal(db, [sql], conn, extra);

/** Lines inside the container: \copy the rows of every table from one side into files, `<prefix>_<table>.tsv`. */
function exportRows(db: DbTarget, conn: string[], prefix: string, tables: string[], tenantColumn: string): string[] {
  return tables.map((t) => {
    const file = `${DIFF_DIR}/${prefix}_${t}.tsv`;
    // A counted table this side lacks (a migration made it after the dump) has no rows here.
    return `if [ "$(${psqlOn(db, conn, `select to_regclass(${lit(t)}) is null`)})" = t ]; then : > ${file}; else ${psqlOn(db, conn, `\\copy (${rowsQuery(t, tenantColumn)}) to '${file}'`)}; fi`;
  });
}

/**
 * Lines inside the container: the keyed table `<prefix>_<table>` of every table in `scratch`,
 * loaded from its file (made again when `replace`: a comparison re-run after a failure).
 */
function loadRows(db: DbTarget, scratch: string, prefix: string, tables: string[], replace: boolean): string[] {
  return tables.map((t) => {
    const table = ident(`${prefix}_${t}`);
    const create = `${replace ? `drop table if exists ${table}; ` : ""}create table ${table} (pk text primary key, tenant text, h jsonb)`;
    return `${psqlOn(db, ["-d", scratch], create)} && ${psqlOn(db, ["-d", scratch], `\\copy ${table} from '${DIFF_DIR}/${prefix}_${t}.tsv'`)}`;
  });
}

/** Lines inside the container: a fresh scratch database (an earlier one of this tool's is dropped; another is refused). */
function scratchDatabase(db: DbTarget, scratch: string): string[] {
  return [
    `if ${exists(db, scratch, true)}; then`,
    `  case "${commentOf(db, scratch, true)}" in ${quote(COMMENTS.diff)}*) ${argv(["dropdb", "-U", db.user, scratch])};; *) echo ${quote(`database ${scratch} exists and is not this tool's scratch database; rename or drop it`)} >&2; exit 1;; esac`,
    `fi`,
    argv(["createdb", "-U", db.user, "-O", db.user, scratch]),
    setComment(db, scratch, COMMENTS.diff, true),
  ];
}

/**
 * The restored side, taken while nothing writes to it (right after the restore, before any
 * service starts): every counted table's keys and column hashes, kept in the scratch database
 * `scratch` until the notice compares them with the kept data.
 */
export function captureRestored(db: DbTarget, database: string, scratch: string, tables: string[], tenantColumn: string, stamp: string): string[] {
  // One exec: some twenty catalogue reads and \copy calls, each a local psql in the container.
  return [
    `cd ${quote(db.dir)}`,
    inDbScript(db, [
      // A re-run after this restore's capture (the step failed later, at the switch): kept as it
      // is, since the restored side may already be under the live name, or have been written to.
      `if ${exists(db, scratch, true)} && [ "${commentOf(db, scratch, true)}" = ${quote(COMMENTS.captured(stamp))} ]; then echo ${quote(`captured already (${stamp})`)}; exit 0; fi`,
      ...scratchDatabase(db, scratch),
      `diff_done() { rm -rf ${DIFF_DIR}; }; trap diff_done EXIT`,
      `rm -rf ${DIFF_DIR} && mkdir -p ${DIFF_DIR}`,
      ...exportRows(db, ["-d", database], "r", tables, tenantColumn),
      ...loadRows(db, scratch, "r", tables, false),
      setComment(db, scratch, COMMENTS.captured(stamp), true),
      `echo ${quote(`captured=${tables.join(",")}`)}`,
    ]),
  ];
}

/** At most this many keys per table, tenant and kind of change are printed (counts are exact). */
export const KEYS_PRINTED = 5000;

function compareQuery(table: string): string {
  const k = ident(`k_${table}`);
  const r = ident(`r_${table}`);
  const sub = (side: string) => `(select jsonb_object_agg(e.key, e.value) from jsonb_each(${side}.h) e where e.key = any(cc.a))`;
  return [
    `with cc as (select array(select jsonb_object_keys((select h from ${k} limit 1)) intersect select jsonb_object_keys((select h from ${r} limit 1))) as a),`,
    `d as (select regexp_replace(coalesce(k.tenant, r.tenant, ''), '[[:cntrl:]]', ' ', 'g') as tenant,`,
    `case when r.pk is null then 'inserted' when k.pk is null then 'deleted' else 'updated' end as change,`,
    `regexp_replace(coalesce(k.pk, r.pk), '[[:cntrl:]]', ' ', 'g') as pk`,
    `from (${k} k full join ${r} r on k.pk = r.pk) cross join cc`,
    `where k.pk is null or r.pk is null or ${sub("k")} is distinct from ${sub("r")}),`,
    `n as (select d.*, row_number() over (partition by tenant, change order by pk) as rn, count(*) over (partition by tenant, change) as total from d)`,
    `select 'count', ${lit(table)}, tenant, change, total::text from n where rn = 1`,
    `union all select 'key', ${lit(table)}, tenant, change, pk from n where rn <= ${KEYS_PRINTED}`,
  ].join(" ");
}

/**
 * The exact difference for the tenant notice: the kept side's rows (opened by `kept`) against the
 * restored side captured before the services started, by primary key, per table and tenant.
 * Prints `count\t<table>\t<tenant>\t<inserted|updated|deleted>\t<n>` and `key\t...\t<key>` lines,
 * then drops the scratch database. Inserted: written after the restore point and not in the
 * restored data; updated: changed since; deleted: deleted since (the restore brought it back).
 */
export function compareWithKept(db: DbTarget, kept: KeptSide, scratch: string, tables: string[], tenantColumn: string): string {
  return script([
    `cd ${quote(db.dir)}`,
    `tmp=$(mktemp -d)`,
    `cleanup() { ${[...kept.close, `rm -rf "$tmp"`].join("; ")}; }`,
    "trap cleanup EXIT",
    `if ! ${exists(db, scratch)}; then echo ${quote(`the restored side was not captured (no scratch database ${scratch}); the notice cannot count the difference`)} >&2; exit 1; fi`,
    ...kept.open,
    // One exec for the rest: the kept side's rows exported and loaded, the comparison, the drop.
    inDbScript(db, [
      `diff_done() { rm -rf ${DIFF_DIR}; }; trap diff_done EXIT`,
      `rm -rf ${DIFF_DIR} && mkdir -p ${DIFF_DIR}`,
      ...exportRows(db, kept.conn, "k", tables, tenantColumn),
      ...loadRows(db, scratch, "k", tables, true),
      ...tables.map((t) => psqlOn(db, ["-d", scratch], compareQuery(t), ["-F", "\t"])),
      argv(["dropdb", "-U", db.user, scratch]),
      `echo ${quote(`compared=${tables.join(",")}`)}`,
    ]),
  ]);
}

/**
 * A pg_dump -Fc of the kept side to `file`, proven readable in full (`pg_restore --list`, then
 * every table's data read: `pg_restore -f /dev/null`), written under a temporary name and renamed
 * only once proven. Lines for a script that has `cd`'d to the project.
 */
export function dumpKeptLines(db: DbTarget, kept: KeptSide, file: string): string[] {
  return [
    `f=${quote(file)}`,
    `p="$f.partial"`,
    `${inDb(db, ["pg_dump", "-Fc", "-U", db.user, ...kept.conn, "-f"])} "$p" || { echo "the dump $f of ${kept.what} could not be written (pg_dump failed above)" >&2; exit 1; }`,
    `${inDb(db, ["pg_restore", "--list"])} "$p" > /dev/null || { echo "the dump $f is not readable (pg_restore --list failed)" >&2; exit 1; }`,
    `${inDb(db, ["pg_restore", "-f", "/dev/null"])} "$p" || { echo "the dump $f cannot be read in full (pg_restore -f /dev/null failed)" >&2; exit 1; }`,
    `${inDb(db, ["mv"])} "$p" "$f"`,
  ];
}

/**
 * The pre-restore snapshot file taken after the services are back (`snapshot: after`), from the
 * kept data: complete to the moment the services stopped, and off the critical path. It runs on
 * the db host in the background (the restore does not wait for it); `<file>.log` says how it went
 * and ends with `snapshot-done=<file>` or `snapshot-failed=...`. A re-run finds it written.
 */
export function snapshotAfter(db: DbTarget, kept: KeptSide, file: string): string {
  const { lock, log } = snapshotJobFiles(file);
  const inner = script([
    `cd ${quote(db.dir)}`,
    `cleanup() { ${[...kept.close, `${inDb(db, ["rm", "-f"])} ${quote(`${file}.partial`)} >/dev/null 2>&1`, "true"].join("; ")}; }`,
    "trap 'r=$?; cleanup; [ $r -eq 0 ] || echo snapshot-failed=$r' EXIT",
    ...kept.open,
    ...dumpKeptLines(db, kept, file),
    `echo "snapshot-done=$f"`,
  ]);
  return script([
    `cd ${quote(db.dir)}`,
    `f=${quote(file)}`,
    `if ${inDb(db, ["test", "-e", file])}; then echo "snapshot=$f"; echo "snapshot-state=written"; exit 0; fi`,
    // flock: sign-off (which opens the same kept data) waits for this to end.
    `nohup flock ${quote(lock)} ${inner} > ${quote(log)} 2>&1 < /dev/null &`,
    `echo "snapshot=$f"`,
    `echo ${quote(`snapshot-state=writing in the background (log on the db host: ${log})`)}`,
  ]);
}

/** The db host's lock and log of a background snapshot (the host's /tmp: the backup folder may be the container's only). */
export function snapshotJobFiles(file: string): { lock: string; log: string } {
  const base = `/tmp/delphi-restore-${file.slice(file.lastIndexOf("/") + 1)}`;
  return { lock: `${base}.lock`, log: `${base}.log` };
}

/** Wait for a background snapshot of this file to end (its lock), for sign-off. */
export function waitForSnapshotLines(file: string): string[] {
  const { lock } = snapshotJobFiles(file);
  return [`if [ -e ${quote(lock)} ]; then flock ${quote(lock)} true; fi`];
}

/**
 * Sign-off: archive the kept data and remove it. The archive (`pre-restore-<stamp>.dump`: the
 * snapshot `after` wrote, or written now) must read in full first (`pg_restore --list`, then every
 * table's data); if it does not, nothing is removed and the step fails. A re-run after the removal
 * finds the archive and says so.
 */
export function signoffKept(db: DbTarget, kept: KeptSide, kind: "database" | "subvolume" | "directory", keptPath: string, archive: string): string {
  const present = kind === "database" ? exists(db, keptPath) : `[ -e ${quote(keptPath)} ]`;
  const remove =
    kind === "database"
      ? inDb(db, ["dropdb", "-U", db.user, keptPath])
      : kind === "subvolume"
        ? argv(["btrfs", "subvolume", "delete", keptPath])
        : argv(["rm", "-rf", keptPath]);
  const keeps = `; the kept data ${keptPath} stays`;
  return script([
    `cd ${quote(db.dir)}`,
    // A snapshot still being written in the background (snapshot: after) ends first.
    ...waitForSnapshotLines(archive),
    `f=${quote(archive)}`,
    `if ${present}; then`,
    `  trap ${quote(kept.close.join("; ") || "true")} EXIT`,
    ...kept.open.map((l) => `  ${l}`),
    `  if ${inDb(db, ["test", "-e", archive])}; then`,
    `    ${inDb(db, ["pg_restore", "--list"])} "$f" > /dev/null || { echo "the archive $f is not readable (pg_restore --list failed)${keeps}" >&2; exit 1; }`,
    `    ${inDb(db, ["pg_restore", "-f", "/dev/null"])} "$f" || { echo "the archive $f cannot be read in full (pg_restore -f /dev/null failed)${keeps}" >&2; exit 1; }`,
    `    echo "archive-verified=$f"`,
    `  else`,
    ...dumpKeptLines(db, kept, archive).map((l) => `    ${l.replace(/ >&2; exit 1; }$/, ` >&2; echo ${quote(keeps.slice(2))} >&2; exit 1; }`)}`),
    `    echo "archive-written=$f"`,
    `  fi`,
    ...kept.close.map((l) => `  ${l}`),
    `  trap - EXIT`,
    `  ${remove} >/dev/null || { echo ${quote(`could not remove ${keptPath} (the archive $f is verified)`)} >&2; exit 1; }`,
    `  echo ${quote(`removed=${keptPath}`)}`,
    `elif ${inDb(db, ["test", "-e", archive])}; then`,
    `  echo ${quote(`already signed off: ${keptPath} is gone and its archive exists`)}`,
    `else`,
    `  echo ${quote(`neither the kept data ${keptPath} nor its archive ${archive} exists; nothing to sign off`)} >&2; exit 1`,
    `fi`,
    `echo "archive=$f"`,
  ]);
}

/** The argv of removing kept data, for descriptions. */
export function removalWords(kind: "database" | "subvolume" | "directory", path: string): string {
  if (kind === "database") return argv(["dropdb", path]);
  if (kind === "subvolume") return argv(["btrfs", "subvolume", "delete", path]);
  return argv(["rm", "-rf", path]);
}
