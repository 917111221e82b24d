// The sandbox's WAL mode (`sandbox up --wal-archive`): Postgres archives every finished WAL
// segment into the db host's backup/wal, and base backups (pg_basebackup, plain format, no WAL
// inside) go to backup/base/<name>. Together they are what a point-in-time restore (mechanism
// wal-pitr) needs. Nothing here expects the archive to be whole: tests delete segments from it
// to make a gap, and the waits below read the server's own view (pg_stat_archiver).
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findBinaries, type Binaries } from "../binaries";
import { layout, type Layout } from "../layout";
import { asServerUser, serverUserIds, superuserSql } from ".";
import { readState } from "../state";
import { isSegmentName } from "../../mechanisms/wal-pitr/names";
import { archivedThrough, baseBackupName, manifestWalEnd, segmentEndingAt, walConfLines } from "./wal-parse";

export interface BaseBackup {
  name: string;
  /** The backup's folder (backup_label and backup_manifest inside). */
  path: string;
  /** ISO 8601 UTC: when pg_basebackup was started and when its WAL was archived. */
  startedAt: string;
  endedAt: string;
}

/** How long a segment may take to reach the archive: a local `cp` of 16 MB, so seconds are plenty. */
const ARCHIVE_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The postgresql.conf lines that turn archiving on into this sandbox's archive folder. */
export function walArchiveConf(L: Layout): string[] {
  return walConfLines(L.wal.archive);
}

/**
 * The archive and base backup folders, owned by the server's OS user: archive_command runs as
 * it, and so does pg_basebackup. 0750: the server user writes, nobody else but root reads.
 */
export async function prepareWalDirs(L: Layout): Promise<void> {
  for (const d of [L.backupDir, L.wal.archive, L.wal.baseBackups]) mkdirSync(d, { recursive: true });
  const ids = process.getuid?.() === 0 ? await serverUserIds() : undefined;
  for (const d of [L.wal.archive, L.wal.baseBackups]) {
    if (ids) chownSync(d, ids.uid, ids.gid);
    chmodSync(d, 0o750);
  }
}

/** The WAL segment files in the archive, sorted (oldest first); history and backup files left out. */
export function archiveSegments(L: Layout): string[] {
  if (!existsSync(L.wal.archive)) return [];
  return readdirSync(L.wal.archive).filter(isSegmentName).sort();
}

interface ArchiverState {
  lastArchived: string | null;
  lastFailed: string | null;
  lastFailedAt: string | null;
}

async function archiverState(L: Layout, bins: Binaries, port: number): Promise<ArchiverState> {
  const out = await superuserSql(L, bins, port, "select coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '') from pg_stat_archiver;");
  const [lastArchived, lastFailed, lastFailedAt] = out.trim().split("|");
  return { lastArchived: lastArchived || null, lastFailed: lastFailed || null, lastFailedAt: lastFailedAt || null };
}

/**
 * Wait until the server has archived `segment` (or a later one). pg_stat_archiver is the
 * authority; a file of that name in the archive counts too, since an archiver that is ahead
 * may have been reset. On timeout the error says what the archiver last did.
 */
export async function waitArchived(L: Layout, bins: Binaries, port: number, segment: string, timeoutMs = ARCHIVE_TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = await archiverState(L, bins, port);
    if (archivedThrough(st.lastArchived, segment) || existsSync(join(L.wal.archive, segment))) return;
    if (Date.now() > end) {
      const failed = st.lastFailed ? `; last failure: ${st.lastFailed} at ${st.lastFailedAt} (the server's log says why: docker compose logs voiceai-postgres, on the db host)` : "";
      throw new Error(`WAL segment ${segment} was not archived into ${L.wal.archive} within ${Math.round(timeoutMs / 1000)}s (last archived: ${st.lastArchived ?? "none"}${failed})`);
    }
    await sleep(50);
  }
}

/**
 * `pg_switch_wal()`: close the current segment so the archiver copies it, and wait until it has.
 * The segment is pg_walfile_name of the switch's end: the one just closed, or, when nothing was
 * written since the last switch (a no-op switch), the one closed then.
 */
export async function switchWalOn(L: Layout, bins: Binaries, port: number, timeoutMs = ARCHIVE_TIMEOUT_MS): Promise<{ segment: string }> {
  const segment = (await superuserSql(L, bins, port, "select pg_walfile_name(pg_switch_wal());")).trim();
  if (!isSegmentName(segment)) throw new Error(`pg_switch_wal gave an unexpected segment name '${segment}'`);
  await waitArchived(L, bins, port, segment, timeoutMs);
  return { segment };
}

/**
 * One base backup into backup/base/<name>, as the server's OS user over the local socket (a
 * replication connection, trusted there by initdb's pg_hba). -X none: the backup relies on the
 * archive, so it is usable only once the segment holding its end is archived; pg_basebackup
 * already waits for that, and this checks it against the manifest anyway, after a switch.
 */
export async function baseBackup(L: Layout, bins: Binaries, port: number): Promise<BaseBackup> {
  let name = baseBackupName();
  // One per second, like the snapshots: wait for the next second rather than invent a suffix.
  while (existsSync(join(L.wal.baseBackups, name))) {
    await sleep(1000 - (Date.now() % 1000) + 5);
    name = baseBackupName();
  }
  const path = join(L.wal.baseBackups, name);
  const startedAt = new Date().toISOString();
  await asServerUser(bins, "pg_basebackup", ["-h", L.pg.socketDir, "-p", String(port), "-U", "postgres", "-D", path, "-Fp", "-X", "none", "-c", "fast", "-l", name]);
  const end = manifestWalEnd(readFileSync(join(path, "backup_manifest"), "utf8"));
  const segSize = Number((await superuserSql(L, bins, port, "select setting from pg_settings where name = 'wal_segment_size';")).trim());
  const endSegment = segmentEndingAt(end.timeline, end.endLsn, segSize > 0 ? segSize : undefined);
  await switchWalOn(L, bins, port);
  await waitArchived(L, bins, port, endSegment);
  return { name, path, startedAt, endedAt: new Date().toISOString() };
}

/** The running sandbox in WAL mode, or why there is none. */
function walSandbox(projectDir: string): { L: Layout; bins: Binaries; port: number } {
  const L = layout(projectDir);
  const info = readState(L);
  if (!info) throw new Error(`no sandbox is up in ${L.projectDir} (delphi-restore sandbox up --wal-archive)`);
  if (!info.wal) throw new Error("the sandbox does not archive WAL: start it with `delphi-restore sandbox up --recreate --wal-archive`");
  return { L, bins: findBinaries(), port: info.database.port };
}

/** A base backup of the running sandbox now: `base-<yyyymmddThhmmssZ>` in the db host's backup/base. */
export async function takeBaseBackup(projectDir: string): Promise<BaseBackup> {
  const { L, bins, port } = walSandbox(projectDir);
  return baseBackup(L, bins, port);
}

/** Switch to a new WAL segment and wait until the closed one is archived (30 s at most). */
export async function switchWal(projectDir: string): Promise<{ segment: string }> {
  const { L, bins, port } = walSandbox(projectDir);
  return switchWalOn(L, bins, port);
}

/** The WAL segment files in the running sandbox's archive, sorted. */
export async function listArchive(projectDir: string): Promise<string[]> {
  return archiveSegments(walSandbox(projectDir).L);
}
