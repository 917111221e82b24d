// Pure: the destructive transactions among those the WAL archive holds, biggest first, and the
// recovery target that undoes the worst one and keeps everything committed before it.
//
// Ranking (documented in the README): a candidate's `rows` is the rows it deleted or updated, plus,
// for a TRUNCATE or DROP, the rows its old files held as far as the archive shows (rows inserted
// minus deleted in the files since the archive's start: a lower bound, 0 when the table was filled
// before the oldest segment). A TRUNCATE or DROP ranks at least as high as a delete of --min-rows
// rows, and above an equal delete: emptying a table is the worse mistake. Ties: earlier commit first.
import { FIRST_NORMAL_OID, type RelKey, type WalTransaction, type WaldumpResult } from "./waldump";

/** The live database's relation files, from CATALOGUE_SQL. */
export interface Catalogue {
  /** The database's oid: relation files of other databases are never named from this one. */
  dbOid: string;
  /** relfilenode -> schema-qualified name and relkind. */
  byNode: Map<string, { table: string; kind: string }>;
  /** pg_class oid -> schema-qualified name (a logical-level TRUNCATE names oids). */
  byOid: Map<string, string>;
}

/** One row per relation file: relfilenode|oid|relkind|schema.name|database oid. */
export const CATALOGUE_SQL =
  "select c.relfilenode, c.oid, c.relkind, n.nspname || '.' || c.relname, (select d.oid from pg_database d where d.datname = current_database()) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relfilenode >= 16384";

export function parseCatalogue(text: string): Catalogue {
  const cat: Catalogue = { dbOid: "", byNode: new Map(), byOid: new Map() };
  for (const line of text.split("\n")) {
    const f = line.trim().split("|");
    if (f.length < 5 || !/^\d+$/.test(f[0] ?? "")) continue;
    const [node, oid, kind, table, db] = f as [string, string, string, string, string];
    cat.byNode.set(node, { table, kind });
    cat.byOid.set(oid, table);
    cat.dbOid = db;
  }
  return cat;
}

export interface TableChange {
  /** `schema.table`, or `relation <relfilenode>` when the live catalogue no longer has the file (dropped, or rewritten since). */
  table: string;
  deleted: number;
  updated: number;
  truncated: boolean;
  dropped: boolean;
}

export interface Candidate {
  xid: string;
  /** ISO 8601 UTC with microseconds. */
  commitTime: string;
  lsn: string;
  tables: TableChange[];
  /** Rows deleted or updated, plus the rows a TRUNCATE or DROP removed as far as the archive shows. */
  rows: number;
  /** Committed transactions after it in the archive (lost too when recovery stops before it). */
  committedAfter: number;
}

export interface Suggestion {
  xid: string;
  inclusive: false;
  /** The moment just before its commit (one microsecond earlier): the same target as a time. */
  timeBefore: string;
  /** What the target undoes and what it keeps, in one sentence. */
  undoes: string;
}

export interface RankOptions {
  /** Only commits at or after this moment (ISO 8601). */
  since?: string;
  /** A DELETE/UPDATE counts when it changed at least this many rows of one table. */
  minRows?: number;
}

export const DEFAULT_MIN_ROWS = 10;
const TABLE_KINDS = new Set(["r", "p", "m"]);
const SYSTEM_SCHEMAS = /^(pg_catalog|information_schema)\./;

function nameOf(cat: Catalogue, key: RelKey): string {
  const [db, node] = key.split("/") as [string, string];
  const known = db === cat.dbOid ? cat.byNode.get(node) : undefined;
  return known?.table ?? (db === cat.dbOid || !cat.dbOid ? `relation ${node}` : `relation ${node} (database ${db})`);
}

/** Pure: what one transaction destroyed, per table (empty when nothing). */
export function tableChanges(t: WalTransaction, cat: Catalogue): TableChange[] {
  const changes = new Map<string, TableChange>();
  const at = (table: string) => {
    let c = changes.get(table);
    if (!c) changes.set(table, (c = { table, deleted: 0, updated: 0, truncated: false, dropped: false }));
    return c;
  };
  for (const [key, n] of t.rels) {
    if (n.deleted + n.updated === 0) continue;
    const name = nameOf(cat, key);
    if (SYSTEM_SCHEMAS.test(name)) continue;
    const c = at(name);
    c.deleted += n.deleted;
    c.updated += n.updated;
  }
  // A transaction that made new files replaced its dropped ones (TRUNCATE, rewrite, REINDEX): a
  // new table file it did not fill with whole pages is a TRUNCATE. Without new files, a drop is a DROP.
  // CREATE TABLE makes files and drops none: only a transaction that also dropped files truncated.
  const replaced = [...t.dropped].some((k) => Number(k.split("/")[1]) >= FIRST_NORMAL_OID);
  for (const key of replaced ? t.created : []) {
    const [db, node] = key.split("/") as [string, string];
    const known = db === cat.dbOid ? cat.byNode.get(node) : undefined;
    if (known && TABLE_KINDS.has(known.kind) && !t.filled.has(key) && !SYSTEM_SCHEMAS.test(known.table)) at(known.table).truncated = true;
  }
  for (const oid of t.truncatedOids) {
    const name = cat.byOid.get(String(oid)) ?? `relation oid ${oid}`;
    if (!SYSTEM_SCHEMAS.test(name)) at(name).truncated = true;
  }
  if (t.created.size === 0)
    for (const key of t.dropped) if (Number(key.split("/")[1]) >= FIRST_NORMAL_OID) at(nameOf(cat, key)).dropped = true;
  return [...changes.values()];
}

/** Pure: the destructive committed transactions, biggest first (see the ranking note at the top). */
export function rankCandidates(dump: Pick<WaldumpResult, "transactions" | "netRows" | "commits">, cat: Catalogue, opts: RankOptions = {}): Candidate[] {
  const minRows = opts.minRows ?? DEFAULT_MIN_ROWS;
  const since = opts.since ? Date.parse(opts.since) : undefined;
  const scored: { c: Candidate; score: number; empties: boolean }[] = [];
  for (const t of dump.transactions) {
    if (t.status !== "committed") continue;
    if (since !== undefined && Date.parse(t.commitTime) < since) continue;
    const tables = tableChanges(t, cat);
    const empties = tables.some((c) => c.truncated || c.dropped);
    if (!empties && !tables.some((c) => c.deleted + c.updated >= minRows)) continue;
    let rows = tables.reduce((n, c) => n + c.deleted + c.updated, 0);
    if (empties) for (const key of t.dropped) rows += Math.max(0, dump.netRows.get(key) ?? 0);
    const c: Candidate = { xid: t.xid, commitTime: t.commitTime, lsn: t.lsn, tables, rows, committedAfter: Math.max(0, dump.commits - t.seq - 1) };
    scored.push({ c, score: empties ? Math.max(rows, minRows) : rows, empties });
  }
  scored.sort((a, b) => b.score - a.score || Number(b.empties) - Number(a.empties) || a.c.commitTime.localeCompare(b.c.commitTime));
  return scored.map((s) => s.c);
}

/** `2026-11-25T18:27:26.861950Z` minus one microsecond, in the same form. */
export function microsecondBefore(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!m) throw new Error(`not an ISO 8601 UTC time with microseconds: ${iso}`);
  const micros = BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? "").padEnd(6, "0")) - 1n;
  const secs = micros / 1000000n;
  const frac = (micros % 1000000n).toString().padStart(6, "0");
  return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Pure: `DELETE 40 rows of public.conversations, TRUNCATE of public.billing`. */
export function describeChanges(c: Candidate): string {
  const parts: string[] = [];
  const dropped = c.tables.filter((t) => t.dropped);
  for (const t of c.tables) {
    if (t.deleted) parts.push(`DELETE ${t.deleted} row${t.deleted === 1 ? "" : "s"} of ${t.table}`);
    if (t.updated) parts.push(`UPDATE ${t.updated} row${t.updated === 1 ? "" : "s"} of ${t.table}`);
    if (t.truncated) parts.push(`TRUNCATE of ${t.table}`);
  }
  // A dropped table is several files (table, TOAST, indexes) the catalogue no longer names.
  if (dropped.length) parts.push(`DROP of ${dropped.length === 1 ? dropped[0]?.table : `${dropped.length} relation files (${dropped.map((t) => t.table.replace(/^relation /, "")).join(", ")})`}`);
  const emptied = c.tables.some((t) => t.truncated || t.dropped);
  const counted = c.tables.reduce((n, t) => n + t.deleted + t.updated, 0);
  if (emptied && c.rows > counted) parts.push(`at least ${c.rows - counted} rows removed, as far as the archive shows`);
  return parts.join(", ");
}

/** Pure: the target that undoes the worst candidate, or null when there is none. */
export function suggestTarget(candidates: Candidate[]): Suggestion | null {
  const worst = candidates[0];
  if (!worst) return null;
  const after = worst.committedAfter;
  const lost = after === 0 ? "nothing committed after it is in the archive" : after === 1 ? "the 1 transaction committed after it in the archive is lost too (recovery stops there)" : `the ${after} transactions committed after it in the archive are lost too (recovery stops there)`;
  return {
    xid: worst.xid,
    inclusive: false,
    timeBefore: microsecondBefore(worst.commitTime),
    undoes: `Recovers to just before transaction ${worst.xid} (committed ${worst.commitTime} at ${worst.lsn}): undoes its ${describeChanges(worst)}; keeps everything committed before it; ${lost}.`,
  };
}
