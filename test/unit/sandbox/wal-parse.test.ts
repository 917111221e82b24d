// The WAL mode's pure parts: base backup names, segment names from WAL locations, what
// pg_stat_archiver's last_archived_wal implies, the archive settings as postgresql.conf lines,
// and a base backup manifest's WAL range (sample shaped as PostgreSQL 15's pg_basebackup writes it).
import { describe, expect, it } from "vitest";
import {
  archiveCommand,
  archivedThrough,
  baseBackupName,
  confString,
  manifestWalEnd,
  restoreCommand,
  segmentEndingAt,
  shellWord,
  walConfLines,
} from "../../../src/sandbox/postgres/wal-parse";
import { isSegmentName as isWalSegment, parseLsn } from "../../../src/mechanisms/wal-pitr/names";

describe("base backup names", () => {
  it("carry the UTC second", () => {
    expect(baseBackupName(new Date("2026-01-25T02:00:07.891Z"))).toBe("base-20260125T020007Z");
  });
});

describe("WAL segments", () => {
  it("are 24 upper-case hex digits; history, backup and partial files are not segments", () => {
    expect(isWalSegment("000000010000000000000002")).toBe(true);
    for (const no of ["00000002.history", "000000010000000000000002.00000028.backup", "000000010000000000000002.partial", "00000001000000000000000a", "0000000100000000000000020"]) expect(isWalSegment(no), no).toBe(false);
  });

  it("are named from a timeline and the location where the WAL ends", () => {
    expect(parseLsn("0/4000100")).toBe(0x4000100);
    expect(parseLsn("1/0")).toBe(2 ** 32);
    expect(segmentEndingAt(1, "0/4000100")).toBe("000000010000000000000004");
    // Exactly on a boundary: the end of the segment before (as pg_walfile_name).
    expect(segmentEndingAt(1, "0/5000000")).toBe("000000010000000000000004");
    expect(segmentEndingAt(2, "1/FF000028")).toBe("0000000200000001000000FF");
    expect(segmentEndingAt(1, "0/3000028", 64 * 1024 * 1024)).toBe("000000010000000000000000");
    expect(() => parseLsn("0-3000028")).toThrow(/not a WAL location/);
  });

  it("count as archived when the archiver's last segment is that one or later", () => {
    const seg = "000000010000000000000004";
    expect(archivedThrough(seg, seg)).toBe(true);
    expect(archivedThrough("000000010000000000000005", seg)).toBe(true);
    expect(archivedThrough("000000020000000000000004", seg)).toBe(true);
    expect(archivedThrough("000000010000000000000003", seg)).toBe(false);
    // A backup history file is archived ahead of the segment it names; it proves nothing.
    expect(archivedThrough("000000010000000000000004.00000028.backup", seg)).toBe(false);
    expect(archivedThrough("00000002.history", seg)).toBe(false);
    expect(archivedThrough(null, seg)).toBe(false);
    expect(archivedThrough("", seg)).toBe(false);
  });
});

describe("archive settings", () => {
  it("quote paths for sh, then for postgresql.conf, and keep a literal % from being expanded", () => {
    expect(shellWord("/srv/db/backup/wal")).toBe("/srv/db/backup/wal");
    expect(shellWord("/srv/it's here")).toBe(`'/srv/it'\\''s here'`);
    expect(archiveCommand("/srv/db/backup/wal")).toBe("test ! -f /srv/db/backup/wal/%f && cp %p /srv/db/backup/wal/%f");
    expect(archiveCommand("/srv/a b/100%")).toBe("test ! -f '/srv/a b/100%%'/%f && cp %p '/srv/a b/100%%'/%f");
    expect(restoreCommand("/srv/db/backup/wal")).toBe(`cp /srv/db/backup/wal/%f "%p"`);
    expect(confString("it's")).toBe("'it''s'");
    const lines = walConfLines("/srv/o'k");
    expect(lines).toEqual(["wal_level = replica", "archive_mode = on", expect.stringMatching(/^archive_command = '.*'$/), "archive_timeout = 0", "max_wal_senders = 4"]);
    // Read back as postgresql.conf reads it (quotes undoubled), it is the shell command.
    const value = lines[2].slice("archive_command = '".length, -1);
    expect(value).not.toMatch(/(^|[^'])'([^']|$)/);
    expect(value.replace(/''/g, "'")).toBe(`test ! -f '/srv/o'\\''k'/%f && cp %p '/srv/o'\\''k'/%f`);
  });
});

const MANIFEST = JSON.stringify({
  "PostgreSQL-Backup-Manifest-Version": 1,
  Files: [{ Path: "backup_label", Size: 221, "Last-Modified": "2026-01-25 02:00:07 GMT", "Checksum-Algorithm": "CRC32C", Checksum: "b1f3c1a2" }],
  "WAL-Ranges": [{ Timeline: 1, "Start-LSN": "0/4000028", "End-LSN": "0/4000100" }],
  "Manifest-Checksum": "0f7d",
});

describe("backup_manifest", () => {
  it("gives the timeline and WAL range the backup needs", () => {
    expect(manifestWalEnd(MANIFEST)).toEqual({ timeline: 1, startLsn: "0/4000028", endLsn: "0/4000100" });
  });

  it("says what is wrong with a manifest it cannot use", () => {
    expect(() => manifestWalEnd("{")).toThrow(/not JSON/);
    expect(() => manifestWalEnd(JSON.stringify({ "WAL-Ranges": [] }))).toThrow(/no WAL-Ranges/);
    expect(() => manifestWalEnd(JSON.stringify({ "WAL-Ranges": [{ Timeline: 1, "Start-LSN": "0/1" }] }))).toThrow(/lacks/);
    expect(() => manifestWalEnd(JSON.stringify({ "WAL-Ranges": [{ Timeline: 1, "Start-LSN": "0/1", "End-LSN": "x" }] }))).toThrow(/not a WAL location/);
  });
});
