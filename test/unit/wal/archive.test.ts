import { describe, expect, it } from "vitest";
import { archiveLayout } from "../../../src/mechanisms/wal-pitr/archive";

describe("archiveLayout", () => {
  it("keeps segment names only, sorted, and reads a contiguous archive in one run", () => {
    const l = archiveLayout(["000000010000000000000003", "000000010000000000000002", "000000010000000000000002.00000028.backup", "00000002.history", "000000010000000000000004.partial", ""]);
    expect(l).toEqual({ segments: ["000000010000000000000002", "000000010000000000000003"], runs: [{ first: "000000010000000000000002", last: "000000010000000000000003" }], gaps: [], otherTimelines: 0 });
  });
  it("crosses a log boundary (…000000FF then …0100000000) and names missing segments", () => {
    const l = archiveLayout(["0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000", "000000010000000100000003"]);
    expect(l.runs).toEqual([{ first: "0000000100000000000000FE", last: "000000010000000100000000" }, { first: "000000010000000100000003", last: "000000010000000100000003" }]);
    expect(l.gaps).toEqual(["000000010000000100000001", "000000010000000100000002"]);
  });
  it("follows the newest timeline: older timelines only before it began", () => {
    const l = archiveLayout(["000000010000000000000001", "000000010000000000000002", "000000010000000000000003", "000000020000000000000003", "000000020000000000000004"]);
    expect(l.segments).toEqual(["000000010000000000000001", "000000010000000000000002", "000000020000000000000003", "000000020000000000000004"]);
    expect(l.runs.length).toBe(2);
    expect(l.gaps).toEqual([]);
    expect(l.otherTimelines).toBe(1);
  });
  it("is empty for an empty archive", () => expect(archiveLayout([]).runs).toEqual([]));
});
