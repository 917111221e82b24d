// What an archive can reach: base backups from their history files, contiguous WAL from a backup's
// start, the newest backup ending before the target, and refusals that name the reachable window.
import { describe, expect, it } from "vitest";
import { parseListing, parseProbe, probePlan } from "../../../src/mechanisms/wal-pitr/facts";
import { checkTarget, contiguousFrom, lsnSegment, pgTimeToIso, type WalFacts } from "../../../src/mechanisms/wal-pitr/window";
import { segmentName, segmentNumber } from "../../../src/mechanisms/wal-pitr/names";

const seg = (n: number) => segmentName(1, n);
const history = (name: string, start: string, startSeg: number, stop: string, startTime: string, stopTime: string) =>
  [`history=${seg(startSeg)}.00000028.backup`, `  START WAL LOCATION: ${start} (file ${seg(startSeg)})`, `  STOP WAL LOCATION: ${stop} (file ${seg(startSeg)})`, "  CHECKPOINT LOCATION: 0/2000060", "  BACKUP METHOD: streamed", `  START TIME: ${startTime}`, `  LABEL: ${name}`, "  START TIMELINE: 1", `  STOP TIME: ${stopTime}`, "  STOP TIMELINE: 1"].join("\n");

const LISTING = [
  ...[2, 3, 4, 5, 6, 8, 9].map((n) => `file=${seg(n)}`),
  "file=00000002.history",
  history("base-a", "0/2000028", 2, "0/2000138", "2026-11-25 10:00:00 UTC", "2026-11-25 10:00:01 UTC"),
  history("base-b", "0/5000028", 5, "0/5000138", "2026-11-25 12:00:00 UTC", "2026-11-25 12:00:02 UTC"),
  "base=base-a",
  "  START WAL LOCATION: 0/2000028 (file 000000010000000000000002)",
  "base=base-b",
  "  START WAL LOCATION: 0/5000028 (file 000000010000000000000005)",
  "base=half-done",
  "  START WAL LOCATION: 0/9000028 (file 000000010000000000000009)",
].join("\n");

const facts = (extra: Partial<WalFacts> = {}): WalFacts => {
  const l = parseListing(LISTING);
  return { ...l, lastCommits: { [seg(6)]: { lsn: "0/6000F48", time: "2026-11-25T13:00:00.5Z" } }, ...extra };
};

describe("the archive's reach", () => {
  it("reads segments and base backups, matched to their history files by start location", () => {
    const l = parseListing(LISTING);
    expect(l.segments).toEqual([2, 3, 4, 5, 6, 8, 9].map(seg));
    expect(l.backups.map((b) => [b.name, b.startSegment, b.stopLsn, b.stopTime])).toEqual([
      ["base-a", seg(2), "0/2000138", "2026-11-25T10:00:01Z"],
      ["base-b", seg(5), "0/5000138", "2026-11-25T12:00:02Z"],
    ]);
    expect(l.unusable).toEqual(["half-done"]);
  });

  it("follows the WAL from a backup's start until a segment is missing", () => {
    expect(contiguousFrom(parseListing(LISTING).segments, 1, seg(2))).toEqual({ run: [2, 3, 4, 5, 6].map(seg), missing: seg(7) });
    expect(segmentNumber("0000000100000001000000FF")).toBe(511);
    expect(lsnSegment(1, "1/FF000028")).toBe("0000000100000001000000FF");
    expect(pgTimeToIso("2026-11-25 18:30:01.123456 UTC")).toBe("2026-11-25T18:30:01.123456Z");
  });

  it("probes each run's end (a few segments back) and, for an xid, the longest run", () => {
    const plan = probePlan(parseListing(LISTING), { kind: "xid", xid: "745" });
    expect(plan.ends).toEqual([{ end: seg(6), from: seg(3) }]);
    expect(plan.search).toEqual({ from: seg(2), to: seg(6) });
    expect(parseProbe(`last-commit=${seg(6)}|0/6000F48|2026-11-25 13:00:00.5 UTC\nxid-record=0/4000100|2026-11-25 11:30:00 UTC|COMMIT\n`)).toEqual({
      lastCommits: { [seg(6)]: { lsn: "0/6000F48", time: "2026-11-25T13:00:00.5Z" } },
      xidRecord: { lsn: "0/4000100", time: "2026-11-25T11:30:00Z", aborted: false },
      restorePoint: undefined,
    });
  });

  it("takes the newest base backup that ends before the target", () => {
    const v = checkTarget(facts(), { kind: "time", time: "2026-11-25T12:30:00Z" }, true);
    expect(v.ok && [v.choice.backup.name, v.choice.walFrom, v.choice.walTo, v.choice.restorePoint]).toEqual(["base-b", seg(5), seg(6), "2026-11-25T12:30:00Z"]);
    const older = checkTarget(facts(), { kind: "time", time: "2026-11-25T11:00:00Z" }, true);
    expect(older.ok && older.choice.backup.name).toBe("base-a");
  });

  it("an xid target restores to its commit time; exclusive undoes it", () => {
    const v = checkTarget(facts({ xidRecord: { lsn: "0/4000100", time: "2026-11-25T11:30:00Z", aborted: false } }), { kind: "xid", xid: "745" }, false);
    expect(v.ok && [v.choice.backup.name, v.choice.restorePoint]).toEqual(["base-a", "2026-11-25T11:30:00Z"]);
  });

  it("refuses a target before the oldest base backup, naming the window", () => {
    const v = checkTarget(facts(), { kind: "time", time: "2026-11-25T09:00:00Z" }, true);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.problem).toMatch(/before the end of the oldest base backup, base-a \(2026-11-25T10:00:01Z\); reachable: base-a: 2026-11-25T10:00:01Z to 2026-11-25T13:00:00.5Z \(segment 000000010000000000000007 is missing after that\)/);
  });

  it("refuses a target after the last archived commit, and one across a missing segment", () => {
    const late = checkTarget(facts(), { kind: "time", time: "2026-11-25T14:00:00Z" }, true);
    expect(!late.ok && late.problem).toMatch(/after the last archived commit reachable from base-b: segment 000000010000000000000007 is missing from the archive/);
    expect(!late.ok && late.window).toEqual({ from: "2026-11-25T12:00:02Z", to: "2026-11-25T13:00:00.5Z" });
  });

  it("refuses an xid the archive does not hold, or one that rolled back", () => {
    expect(checkTarget(facts(), { kind: "xid", xid: "9" }, false)).toMatchObject({ ok: false, problem: expect.stringMatching(/no commit or abort record/) });
    expect(checkTarget(facts({ xidRecord: { lsn: "0/4000100", time: "2026-11-25T11:30:00Z", aborted: true } }), { kind: "xid", xid: "9" }, false)).toMatchObject({ ok: false, problem: expect.stringMatching(/rolled back/) });
  });

  it("latest: the newest backup, to the end of its run", () => {
    const v = checkTarget(facts(), { kind: "latest" }, true);
    expect(v.ok && [v.choice.backup.name, v.choice.restorePoint]).toEqual(["base-b", "2026-11-25T13:00:00.5Z"]);
  });

  it("refuses when no base backup has its history file in the archive", () => {
    expect(checkTarget({ segments: [], backups: [], unusable: ["x"], lastCommits: {} }, { kind: "latest" }, true)).toMatchObject({ ok: false, problem: expect.stringMatching(/no usable base backup: x has no backup history file/) });
  });
});
