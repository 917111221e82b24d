// Pure helpers of the sandbox's WAL mode (`sandbox up --wal-archive`): base backup names, the
// archive settings as postgresql.conf lines, WAL segment names and what a base backup's manifest
// says about its end. No I/O here, so the unit tests cover them without a server.
import { isSegmentName, parseLsn, segmentName } from "../../mechanisms/wal-pitr/names";
import { utcStamp } from "./volume-parse";

/** `base-20260125T020007Z`: second resolution, the stamp the dumps and snapshots carry. */
export function baseBackupName(d = new Date()): string {
  return `base-${utcStamp(d)}`;
}

/** Postgres' default segment size (initdb --wal-segsize unset). */
export const DEFAULT_WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * The segment file holding the WAL that ends at `lsn`: like Postgres' XLByteToPrevSeg (and
 * pg_walfile_name), a location exactly on a segment boundary belongs to the segment before it,
 * since it is the end of what was written there.
 */
export function segmentEndingAt(timeline: number, lsn: string, segmentBytes = DEFAULT_WAL_SEGMENT_BYTES): string {
  const segNo = Math.floor(Math.max(parseLsn(lsn) - 1, 0) / segmentBytes);
  return segmentName(timeline, segNo, 2 ** 32 / segmentBytes);
}

/**
 * Whether pg_stat_archiver's last_archived_wal says `segment` is archived. The archiver works
 * through segments in order, so a later segment implies it; only a plain segment name counts
 * (a `.backup` or `.history` file is archived out of that order, a `.partial` is not the segment).
 */
export function archivedThrough(lastArchived: string | null | undefined, segment: string): boolean {
  if (!lastArchived || !isSegmentName(lastArchived)) return false;
  // Same width, upper-case hex: string order is numeric order, timeline first.
  return lastArchived >= segment;
}

/** A string value for postgresql.conf: single-quoted, quotes doubled. */
export function confString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A word for sh: single-quoted unless it is plainly safe. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** archive_command and restore_command expand %f, %p and %%: a literal % in a path is written %%. */
const percentSafe = (s: string) => s.replace(/%/g, "%%");

/** Copy a finished segment into the archive, never over one that is there (Postgres' documented example). */
export function archiveCommand(archiveDir: string): string {
  const dir = percentSafe(shellWord(archiveDir));
  return `test ! -f ${dir}/%f && cp %p ${dir}/%f`;
}

/** The restore_command a point-in-time recovery from this archive uses. */
export function restoreCommand(archiveDir: string): string {
  return `cp ${percentSafe(shellWord(archiveDir))}/%f "%p"`;
}

/**
 * The postgresql.conf lines of WAL mode: replica-level WAL archived segment by segment into
 * `archiveDir`, only when a segment is full or switched (no timeout: the tests decide when), and
 * WAL senders for pg_basebackup. Durability (fsync, full_page_writes) is set by the caller.
 */
export function walConfLines(archiveDir: string): string[] {
  return ["wal_level = replica", "archive_mode = on", `archive_command = ${confString(archiveCommand(archiveDir))}`, "archive_timeout = 0", "max_wal_senders = 4"];
}

export interface ManifestWalRange {
  timeline: number;
  startLsn: string;
  endLsn: string;
}

/** The WAL range a base backup needs, from its backup_manifest (JSON, `WAL-Ranges`): the last one is where it ends. */
export function manifestWalEnd(manifestJson: string): ManifestWalRange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestJson);
  } catch (e) {
    throw new Error(`backup_manifest is not JSON: ${(e as Error).message}`);
  }
  const ranges = (parsed as { "WAL-Ranges"?: unknown })["WAL-Ranges"];
  if (!Array.isArray(ranges) || ranges.length === 0) throw new Error("backup_manifest has no WAL-Ranges");
  const last = ranges[ranges.length - 1] as { Timeline?: unknown; "Start-LSN"?: unknown; "End-LSN"?: unknown };
  if (typeof last.Timeline !== "number" || typeof last["Start-LSN"] !== "string" || typeof last["End-LSN"] !== "string")
    throw new Error("backup_manifest's WAL-Ranges entry lacks Timeline, Start-LSN or End-LSN");
  parseLsn(last["Start-LSN"]);
  parseLsn(last["End-LSN"]);
  return { timeline: last.Timeline, startLsn: last["Start-LSN"], endLsn: last["End-LSN"] };
}
