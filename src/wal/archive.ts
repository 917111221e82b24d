// Pure: a WAL archive's file names -> its segments, in the contiguous runs pg_waldump can read in
// one go, and the segments missing between them.

/** A segment file name: timeline, log and segment number, 8 hex digits each. */
const SEGMENT = /^[0-9A-F]{24}$/;

/** Segments per log number with the default 16 MB wal_segment_size (0x100000000 / 16 MiB). */
export const SEGMENTS_PER_LOG = 0x100;

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

function position(name: string, perLog: number): bigint {
  return BigInt(`0x${name.slice(8, 16)}`) * BigInt(perLog) + BigInt(`0x${name.slice(16, 24)}`);
}

function nameAt(timeline: string, pos: bigint, perLog: number): string {
  const hex = (n: bigint) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${timeline}${hex(pos / BigInt(perLog))}${hex(pos % BigInt(perLog))}`;
}

/**
 * The archive as the newest timeline sees it: its own segments, and older timelines' segments from
 * before its first one (a restore makes a new timeline; what the old one wrote after the branch
 * point is not this database's history). `.history`, `.backup` and `.partial` files are ignored.
 * At most `maxGapNames` missing names are listed per gap, then a count.
 */
export function archiveLayout(names: string[], perLog = SEGMENTS_PER_LOG, maxGapNames = 10): ArchiveLayout {
  const all = [...new Set(names.map((n) => n.trim()).filter((n) => SEGMENT.test(n)))].sort();
  const newest = all.at(-1)?.slice(0, 8);
  const newestStart = all.find((n) => n.startsWith(newest ?? ""));
  const startPos = newestStart ? position(newestStart, perLog) : 0n;
  // Per position, the newest timeline's segment wins.
  const byPos = new Map<bigint, string>();
  for (const n of all) if (n.startsWith(newest ?? "") || position(n, perLog) < startPos) byPos.set(position(n, perLog), n);
  const segments = [...byPos.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, n]) => n);
  const runs: { first: string; last: string }[] = [];
  const gaps: string[] = [];
  let prev: string | undefined;
  for (const n of segments) {
    const run = runs.at(-1);
    // A timeline change starts a new pg_waldump call too (it reads one timeline).
    if (run && prev && position(n, perLog) === position(prev, perLog) + 1n && n.slice(0, 8) === prev.slice(0, 8)) run.last = n;
    else {
      if (prev) {
        const missing = position(n, perLog) - position(prev, perLog) - 1n;
        for (let i = 1n; i <= missing && i <= BigInt(maxGapNames); i++) gaps.push(nameAt(n.slice(0, 8), position(prev, perLog) + i, perLog));
        if (missing > BigInt(maxGapNames)) gaps.push(`... ${missing - BigInt(maxGapNames)} more`);
      }
      runs.push({ first: n, last: n });
    }
    prev = n;
  }
  return { segments, runs, gaps, otherTimelines: all.length - segments.length };
}
