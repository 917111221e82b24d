// Pure: a WAL archive's file names -> its segments, in the contiguous runs pg_waldump can read in
// one go, and the segments missing between them.

import { SEGMENTS_PER_LOG, isSegmentName, segmentName, segmentNumber, segmentTimeline } from "./names";

export { SEGMENTS_PER_LOG } from "./names";

export interface ArchiveLayout {
  /** The segments read, oldest first. */
  segments: string[];
  /** Contiguous runs: each is one pg_waldump call. */
  runs: { first: string; last: string }[];
  /** Segment names missing inside the sequence (a gap: records there cannot be read). */
  gaps: string[];
  /** Segments of older timelines left out (after the newest timeline began, they are history it did not take). */
  otherTimelines: number;
}

/**
 * The archive as the newest timeline sees it: its own segments, and older timelines' segments from
 * before its first one (a restore makes a new timeline; what the old one wrote after the branch
 * point is not this database's history). `.history`, `.backup` and `.partial` files are ignored.
 * At most `maxGapNames` missing names are listed per gap, then a count.
 */
export function archiveLayout(names: string[], perLog = SEGMENTS_PER_LOG, maxGapNames = 10): ArchiveLayout {
  const all = [...new Set(names.map((n) => n.trim()).filter(isSegmentName))].sort();
  const newest = all.at(-1)?.slice(0, 8);
  const newestStart = all.find((n) => n.startsWith(newest ?? ""));
  const position = (n: string) => segmentNumber(n, perLog);
  const startPos = newestStart ? position(newestStart) : 0;
  // Per position, the newest timeline's segment wins.
  const byPos = new Map<number, string>();
  for (const n of all) if (n.startsWith(newest ?? "") || position(n) < startPos) byPos.set(position(n), n);
  const segments = [...byPos.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  const runs: { first: string; last: string }[] = [];
  const gaps: string[] = [];
  let prev: string | undefined;
  for (const n of segments) {
    const run = runs.at(-1);
    // A timeline change starts a new pg_waldump call too (it reads one timeline).
    if (run && prev && position(n) === position(prev) + 1 && n.slice(0, 8) === prev.slice(0, 8)) run.last = n;
    else {
      if (prev) {
        const missing = position(n) - position(prev) - 1;
        for (let i = 1; i <= missing && i <= maxGapNames; i++) gaps.push(segmentName(segmentTimeline(n), position(prev) + i, perLog));
        if (missing > maxGapNames) gaps.push(`... ${missing - maxGapNames} more`);
      }
      runs.push({ first: n, last: n });
    }
    prev = n;
  }
  return { segments, runs, gaps, otherTimelines: all.length - segments.length };
}
