// Ranking and the suggestion over the real PG 15 fixture and the live catalogue it came with.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeChanges, microsecondBefore, parseCatalogue, rankCandidates, suggestTarget } from "../../../src/mechanisms/wal-pitr/find-target";
import { parseWaldump } from "../../../src/mechanisms/wal-pitr/waldump";
import { CATALOGUE } from "../fixtures/wal/catalogue";

const FIXTURE = readFileSync(join(__dirname, "..", "fixtures", "wal", "waldump-pg15.txt"), "utf8");

describe("rankCandidates", () => {
  const dump = parseWaldump(FIXTURE);
  const cat = parseCatalogue(CATALOGUE);

  it("lists DROP, UPDATE, DELETE and TRUNCATE biggest first; not the one-row delete, not the aborted delete", () => {
    const c = rankCandidates(dump, cat);
    expect(c.map((x) => x.xid)).toEqual(["737", "733", "732", "734", "736"]);
    expect(c.map((x) => x.rows)).toEqual([50, 50, 40, 40, 30]);
    expect(c.map(describeChanges)).toEqual([
      "DROP of 4 relation files (16391, 16394, 16395, 16396), at least 50 rows removed, as far as the archive shows",
      "UPDATE 50 rows of relation 16391",
      "DELETE 40 rows of public.conversations",
      "UPDATE 40 rows of public.conversations",
      "TRUNCATE of public.billing, at least 30 rows removed, as far as the archive shows",
    ]);
    expect(c[2]).toMatchObject({ commitTime: "2026-11-25T18:27:26.860053Z", lsn: "0/02037528", tables: [{ table: "public.conversations", deleted: 40, updated: 0, truncated: false, dropped: false }], committedAfter: 5 });
  });

  it("honours --min-rows and --since", () => {
    expect(rankCandidates(dump, cat, { minRows: 1 }).map((x) => x.xid)).toContain("731");
    expect(rankCandidates(dump, cat, { minRows: 45 }).map((x) => x.xid)).toEqual(["737", "733", "736"]);
    expect(rankCandidates(dump, cat, { since: "2026-11-25T18:27:26.861Z" }).map((x) => x.xid)).toEqual(["737", "736"]);
  });

  it("does not take a rewrite (new file filled with whole pages) or CREATE TABLE for a TRUNCATE", () => {
    const ddl = dump.transactions.filter((t) => ["724", "725", "726"].includes(t.xid));
    expect(rankCandidates({ ...dump, transactions: ddl }, cat)).toEqual([]);
    const rewrite = { ...dump.transactions.find((t) => t.xid === "736")! };
    rewrite.filled = new Set(["5/16401"]);
    expect(rankCandidates({ ...dump, transactions: [rewrite] }, cat)).toEqual([]);
  });

  it("a TRUNCATE of a table filled before the archive began still ranks above small deletes", () => {
    const c = rankCandidates({ ...dump, netRows: new Map() }, cat, { minRows: 10 });
    const i = (x: string) => c.findIndex((k) => k.xid === x);
    expect(c.find((k) => k.xid === "736")?.rows).toBe(0);
    expect(i("736")).toBeGreaterThan(i("734"));
    expect(rankCandidates({ ...dump, netRows: new Map(), transactions: dump.transactions.filter((t) => ["731", "736"].includes(t.xid)) }, cat, { minRows: 1 }).map((k) => k.xid)).toEqual(["736", "731"]);
  });
});

describe("suggestTarget", () => {
  it("proposes the worst candidate's xid, inclusive false, and the microsecond before its commit", () => {
    const c = rankCandidates(parseWaldump(FIXTURE), parseCatalogue(CATALOGUE), { since: "2026-11-25T18:27:26.860Z", minRows: 10 }).filter((k) => k.xid === "732");
    const s = suggestTarget(c);
    expect(s).toMatchObject({ xid: "732", inclusive: false, timeBefore: "2026-11-25T18:27:26.860052Z" });
    expect(s?.undoes).toContain("undoes its DELETE 40 rows of public.conversations; keeps everything committed before it; the 5 transactions committed after it");
  });
  it("is null without candidates", () => expect(suggestTarget([])).toBeNull());
  it("steps back across a second boundary", () => {
    expect(microsecondBefore("2026-01-01T00:00:00.000000Z")).toBe("2025-12-31T23:59:59.999999Z");
    expect(microsecondBefore("2026-11-25T18:30:01Z")).toBe("2026-11-25T18:30:00.999999Z");
  });
});
