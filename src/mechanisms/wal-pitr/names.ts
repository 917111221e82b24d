// Pure: WAL segment file names and WAL locations (LSNs), the arithmetic every reader of a WAL
// archive needs: the restore's reach check, find-target and the sandbox's archiving all use these.

/** A segment file: timeline, log and segment number, 8 upper-case hex digits each. */
export const WAL_SEGMENT = /^[0-9A-F]{24}$/;

/** Segments per log number with the default 16 MiB wal_segment_size (0x100000000 / 0x1000000). */
export const SEGMENTS_PER_LOG = 0x100;

/** A plain segment name (not `.history`, `.backup` or `.partial`). */
export function isSegmentName(name: string): boolean {
  return WAL_SEGMENT.test(name);
}

export function segmentTimeline(seg: string): number {
  return Number.parseInt(seg.slice(0, 8), 16);
}

/** A segment's position in its timeline's sequence. */
export function segmentNumber(seg: string, perLog = SEGMENTS_PER_LOG): number {
  return Number.parseInt(seg.slice(8, 16), 16) * perLog + Number.parseInt(seg.slice(16, 24), 16);
}

/** The name of the segment at position `n` of a timeline. */
export function segmentName(timeline: number, n: number, perLog = SEGMENTS_PER_LOG): string {
  const hex = (v: number) => v.toString(16).toUpperCase().padStart(8, "0");
  return `${hex(timeline)}${hex(Math.floor(n / perLog))}${hex(n % perLog)}`;
}

/** A WAL location `hi/lo` (hex) as a number of bytes: exact below 2^53 (8 PiB of WAL). */
export function parseLsn(lsn: string): number {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw new Error(`not a WAL location: '${lsn}'`);
  return parseInt(m[1], 16) * 2 ** 32 + parseInt(m[2], 16);
}
