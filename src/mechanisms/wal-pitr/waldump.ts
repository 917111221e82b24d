// Pure: `pg_waldump` (PostgreSQL 15) text output -> the transactions in it, with what each did to
// which relation file. Fed line by line (WaldumpParser.push), so a big archive streams through
// and only open transactions and the interesting committed ones are kept in memory.
//
// Formats (from real PG 15 output; see test/unit/fixtures/waldump-pg15.txt):
//   rmgr: Heap  len (rec/tot): 54/ 54, tx: 731, lsn: 0/02036BD0, prev 0/02036BA8, desc: DELETE off 5 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/16384 blk 0
//   rmgr: Heap  ... desc: UPDATE off 58 xmax 734 ... ; new off 17 xmax 0, blkref #0: rel 1663/5/16384 blk 1, blkref #1: rel 1663/5/16384 blk 0
//   rmgr: Heap2 ... desc: MULTI_INSERT+INIT 30 tuples flags 0x02, blkref #0: rel 1663/5/16398 blk 0
//   rmgr: Storage ... desc: CREATE base/5/16401                       (a new relation file: CREATE TABLE, TRUNCATE, rewrite)
//   rmgr: XLOG  ... tx: 724, ... desc: FPI , blkref #0: rel 1663/5/16388 blk 0 FPW   (a page written whole: index build, rewrite)
//   rmgr: Transaction ... desc: COMMIT 2026-11-25 18:27:26.861950 UTC; rels: base/5/16398; inval msgs: ...
//   rmgr: Transaction ... desc: ABORT 2026-11-25 18:27:26.860992 UTC
//   rmgr: Heap  ... desc: TRUNCATE nrelids 1 relids 16390           (wal_level logical only; relids are pg_class oids)
// At wal_level replica a TRUNCATE leaves no record of its own: it creates a new file for the table
// (Storage CREATE) and drops the old one at commit (`rels:`), as a rewrite (VACUUM FULL, CLUSTER,
// ALTER TABLE) does; a rewrite fills the new file with whole pages (FPI), a TRUNCATE does not.
import { parseLsn } from "./names";

/** A relation file: `<database oid>/<relfilenode>` (database 0 for shared catalogues). */
export type RelKey = string;

/** Relation files below this were made by initdb: the system catalogues, never the application's. */
export const FIRST_NORMAL_OID = 16384;

export interface RelCounts {
  deleted: number;
  updated: number;
  inserted: number;
}

export interface WalTransaction {
  xid: string;
  status: "committed" | "aborted";
  /** The commit (or abort) record's time as pg_waldump prints it, converted to ISO 8601 UTC with microseconds. */
  commitTime: string;
  /** The commit (or abort) record's LSN. */
  lsn: string;
  /** Rows changed per relation file (application relations only, see FIRST_NORMAL_OID). */
  rels: Map<RelKey, RelCounts>;
  /** Relation files created in the transaction (Storage CREATE). */
  created: Set<RelKey>;
  /** Created files the transaction wrote whole pages into (a rewrite or index build, not a TRUNCATE). */
  filled: Set<RelKey>;
  /** Relation files dropped at commit (DROP, TRUNCATE, rewrite). */
  dropped: Set<RelKey>;
  /** pg_class oids of a TRUNCATE record (wal_level logical). */
  truncatedOids: number[];
  /** Its place among the commits read (0 = the first): how many committed after it is `commits - seq - 1`. */
  seq: number;
}

export interface WaldumpResult {
  /** Committed transactions that passed the parser's `keep` filter, in commit order. */
  transactions: WalTransaction[];
  /** Rows inserted minus deleted per relation file over everything read (committed only): a lower bound of a dropped file's rows. */
  netRows: Map<RelKey, number>;
  /** Committed transactions read (kept or not). */
  commits: number;
  /** Records read, the first and last LSN seen. */
  records: number;
  firstLsn?: string;
  lastLsn?: string;
  /** Restore points seen: name and LSN. */
  restorePoints: { name: string; lsn: string }[];
}

const RECORD = /^rmgr: (\S+)\s+len \(rec\/tot\):\s*\d+\/\s*\d+, tx:\s*(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+), prev [0-9A-F]+\/[0-9A-F]+, desc: (.*)$/;
const BLKREF0 = /blkref #0: rel (\d+)\/(\d+)\/(\d+)/;
const STAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? UTC/;

/** pg_waldump's `2026-11-25 18:27:26.861950 UTC` as `2026-11-25T18:27:26.861950Z`. */
export function waldumpTimeToIso(s: string): string | undefined {
  const m = STAMP.exec(s);
  if (!m) return undefined;
  const frac = (m[3] ?? ".").slice(1).padEnd(6, "0").slice(0, 6);
  return `${m[1]}T${m[2]}.${frac}Z`;
}

/** `base/5/16398`, `global/1262` or `pg_tblspc/16385/PG_15_202209061/5/16398` as a RelKey. */
function relPathKey(path: string): RelKey | undefined {
  const parts = path.split("/");
  const node = parts.at(-1);
  if (!node || !/^\d+$/.test(node)) return undefined;
  const db = parts[0] === "global" ? "0" : parts.at(-2);
  return db && /^\d+$/.test(db) ? `${db}/${node}` : undefined;
}

function isApplication(key: RelKey): boolean {
  return Number(key.split("/")[1]) >= FIRST_NORMAL_OID;
}

export interface ParserOptions {
  /** Keep a committed transaction (the others are counted into netRows and forgotten). Default: keep all. */
  keep?: (t: WalTransaction) => boolean;
}

export class WaldumpParser {
  private readonly open = new Map<string, WalTransaction>();
  private readonly kept: WalTransaction[] = [];
  private readonly netRows = new Map<RelKey, number>();
  private readonly restorePoints: { name: string; lsn: string }[] = [];
  private records = 0;
  private commits = 0;
  private firstLsn?: string;
  private last?: { lsn: string; value: number };
  private rest = "";

  constructor(private readonly opts: ParserOptions = {}) {}

  /** Feed a chunk of output (any split: partial lines are held until their end arrives). */
  write(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    for (const l of lines) this.push(l);
  }

  /** Feed one line. Records at or before the last LSN seen are skipped (overlapping reads). */
  push(line: string): void {
    const m = RECORD.exec(line.trimEnd());
    if (!m) return;
    const [, rmgr, xid, lsn, desc] = m as unknown as [string, string, string, string, string];
    const value = parseLsn(lsn);
    if (this.last && value <= this.last.value) return;
    this.last = { lsn, value };
    this.firstLsn ??= lsn;
    this.records++;
    if (rmgr === "XLOG" && desc.startsWith("RESTORE_POINT ")) this.restorePoints.push({ name: desc.slice(14).trim(), lsn });
    if (xid === "0") return; // not part of a transaction (checkpoints, pruning, switches)
    if (rmgr === "Transaction") return this.end(xid, lsn, desc);
    const op = /^([A-Z_0-9]+)(\+INIT)?/.exec(desc)?.[1];
    if (rmgr === "Storage" && op === "CREATE") {
      const key = relPathKey(desc.slice(7).trim());
      if (key) this.tx(xid).created.add(key);
      return;
    }
    if (rmgr === "Heap" && op === "TRUNCATE") {
      const oids = / relids ([\d ]+)/.exec(desc)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
      this.tx(xid).truncatedOids.push(...oids);
      return;
    }
    const ref = BLKREF0.exec(desc);
    if (!ref) return;
    const key = `${ref[2]}/${ref[3]}`;
    if (rmgr === "XLOG" && (op === "FPI" || op === "FPI_FOR_HINT")) {
      this.tx(xid).filled.add(key);
      return;
    }
    if (!isApplication(key)) return;
    const count = (field: keyof RelCounts, n: number) => {
      const t = this.tx(xid);
      const c = t.rels.get(key) ?? { deleted: 0, updated: 0, inserted: 0 };
      c[field] += n;
      t.rels.set(key, c);
    };
    if (rmgr === "Heap" && op === "DELETE") count("deleted", 1);
    else if (rmgr === "Heap" && (op === "UPDATE" || op === "HOT_UPDATE")) count("updated", 1);
    else if (rmgr === "Heap" && op === "INSERT") count("inserted", 1);
    else if (rmgr === "Heap2" && op === "MULTI_INSERT") count("inserted", Number(/ (\d+) tuples/.exec(desc)?.[1] ?? 1));
  }

  private tx(xid: string): WalTransaction {
    let t = this.open.get(xid);
    if (!t) {
      t = { xid, status: "committed", commitTime: "", lsn: "", rels: new Map(), created: new Set(), filled: new Set(), dropped: new Set(), truncatedOids: [], seq: -1 };
      this.open.set(xid, t);
    }
    return t;
  }

  /** COMMIT / ABORT (also their PREPARED forms): the transaction ends here. */
  private end(xid: string, lsn: string, desc: string): void {
    const kind = /^(COMMIT|ABORT)(_PREPARED)?\b/.exec(desc);
    if (!kind) return; // PREPARE, ASSIGNMENT: not an end
    // A prepared transaction's end names its own xid after the keyword (`COMMIT_PREPARED 812: <time>`).
    const prepared = kind[2] ? /^\S+ (\d+): /.exec(desc)?.[1] : undefined;
    const id = prepared ?? xid;
    const t = this.open.get(id) ?? this.tx(id);
    this.open.delete(id);
    t.status = kind[1] === "COMMIT" ? "committed" : "aborted";
    t.lsn = lsn;
    t.commitTime = waldumpTimeToIso(desc.replace(/^\S+ (\d+: )?/, "")) ?? "";
    if (t.status === "aborted") return;
    t.seq = this.commits++;
    const rels = /; rels: ([^;]*)/.exec(desc)?.[1];
    for (const p of rels?.trim().split(/\s+/) ?? []) {
      const key = relPathKey(p);
      if (key) t.dropped.add(key);
    }
    for (const [key, c] of t.rels) this.netRows.set(key, (this.netRows.get(key) ?? 0) + c.inserted - c.deleted);
    if (!this.opts.keep || this.opts.keep(t)) this.kept.push(t);
  }

  /** What was read. Transactions still open at the end (not committed in the archive) are not in it. */
  finish(): WaldumpResult {
    if (this.rest) this.push(this.rest);
    this.rest = "";
    return { transactions: this.kept, commits: this.commits, netRows: this.netRows, records: this.records, firstLsn: this.firstLsn, lastLsn: this.last?.lsn, restorePoints: this.restorePoints };
  }
}

/** The whole text at once (tests, small archives). */
export function parseWaldump(text: string, opts: ParserOptions = {}): WaldumpResult {
  const p = new WaldumpParser(opts);
  p.write(text);
  return p.finish();
}
