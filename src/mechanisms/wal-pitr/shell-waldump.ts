// Pure: the read-only commands find-target runs on the db host to read the WAL archive (the recovery's own are in ./shell.ts).
import { composeExec, quote, type DbTarget } from "../../shell";

/** The archive folder's file names, one per line (the caller keeps the segments). */
export function listArchive(archiveDir: string): string {
  return `ls -1 -- ${quote(archiveDir)}`;
}

/**
 * `pg_waldump` of segments first..last inside the database container (which sees the archive at
 * the same path), only the record kinds find-target reads: Btree and lock records are most of a
 * WAL and say nothing about rows. Several -r need pg_waldump 15 or newer.
 */
export function walDump(db: Pick<DbTarget, "dir" | "container">, archiveDir: string, first: string, last: string): string {
  const rmgrs = ["Heap", "Heap2", "Transaction", "Storage", "XLOG"].flatMap((r) => ["-r", r]);
  return composeExec(db.dir, db.container, ["pg_waldump", "-p", archiveDir, ...rmgrs, first, last]);
}
