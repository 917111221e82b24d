// Faults of the database host mid-restore, through the engine, with `snapshot: before` (the
// pre-restore pg_dump after quiesce, then pg_restore --clean over the live database: the mode for
// disks that cannot hold two databases): the snapshot cannot be written (the backup folder turned
// read-only; the disk full), and pg_restore killed half-way. A snapshot that cannot be written
// stops the restore before anything is overwritten, with no half snapshot left under a snapshot's
// name; a killed pg_restore fails the restore step, the snapshot taken before it restores, and `up`
// again restores in full.
// pg_dump and pg_restore run inside voiceai-postgres (`docker compose exec`), which sees the
// backup folder through its own bind mount: a fault of that folder is made where they see it, in
// the container's mount namespace (nsenter), and read back there (/proc/<its pid>/root).
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdAt, layout, readEngineOps, release, waitUntilHeld, type StartResult } from "../../src/sandbox";
import { dbContainerState } from "../../src/sandbox/postgres/db-container";
import { faultKit } from "./support/faults";
import { until } from "./support/wait";
import { sql, useTempSandbox } from "./support/sandbox";
import { setStackConfig } from "./support/stack-file";

let dir: string;
let info: StartResult;
const sandbox = useTempSandbox("faults-backup");
const kit = faultKit(sandbox);
/** Mounts made in the database container's mount namespace (undone after the tests). */
const mounts: string[] = [];

/** A container stopped (its stop signal sent) or started on the engine after `since`. */
const startedAfter = (since: string, verb: "stop" | "start") => readEngineOps(dir).some((op) => op.ts > since && op.verb === verb && (verb === "start" || op.event === "start"));
const run = (cmd: string, args: string[]) => execa(cmd, args, { stdin: "ignore" });

/** voiceai-postgres's main process on this machine (pid 1 inside the container). */
function dbPid(): number {
  const { running, pid } = dbContainerState(layout(dir));
  if (!running || !pid) throw new Error("voiceai-postgres is not running");
  return pid;
}
/** A program run in voiceai-postgres's mount namespace (as root, with the container's programs). */
const inDbMounts = (args: string[]) => run("nsenter", ["-t", String(dbPid()), "-m", "--", ...args]);
/** A path as voiceai-postgres sees it, from this machine. */
const asDbSees = (path: string) => `/proc/${dbPid()}/root${path}`;
const partials = () => readdirSync(asDbSees(info.backupDir)).filter((f) => f.endsWith(".partial"));

/** The pg_restore processes running inside this sandbox's voiceai-postgres (not another sandbox's). */
function pgRestoresInDb(): number[] {
  const ns = readlinkSync(`/proc/${dbPid()}/ns/pid`);
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "pg_restore" && readlinkSync(`/proc/${pid}/ns/pid`) === ns;
      } catch {
        return false; // Ended while we looked.
      }
    });
}

beforeAll(() => {
  ({ dir, info } = sandbox);
  setStackConfig(dir, { snapshot: "before" });
});

afterAll(async () => {
  for (const m of mounts.reverse()) await inDbMounts(["umount", m]).catch(() => undefined);
});

/** A new restore whose snapshot fails: `act` runs while its pg_dump waits to start. */
const failSnapshotWith = (act: () => Promise<void>) => kit.newRestoreActingAt("db", "exec.pg_dump", act);

describe("the database host: the snapshot cannot be written, pg_restore is killed", () => {
  it("the backup folder turned read-only after preflight: the snapshot step fails on db after quiesce, nothing is overwritten, no half snapshot; writable again, up finishes", async () => {
    const before = await kit.counts();
    const snapshots = readdirSync(info.backupDir).filter((f) => f.startsWith("pre-restore-"));
    const d = info.backupDir;
    const r = await failSnapshotWith(async () => {
      await inDbMounts(["mount", "--bind", d, d]);
      mounts.push(d);
      await inDbMounts(["mount", "-o", "remount,bind,ro", d]);
    });
    await inDbMounts(["umount", d]);
    mounts.pop();
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Pre-restore snapshot", "db"]]);
    expect(r.doc.error).toContain("Read-only file system");
    expect(r.doc.error).toMatch(/pre-restore snapshot \S+\/pre-restore-\d{8}T\d{6}Z\.dump could not be written \(pg_dump failed above\); the database was not changed/);
    // Quiesce came first (so the dump would be complete); no restore ran and nothing started.
    expect(startedAfter(r.since, "stop")).toBe(true);
    expect(startedAfter(r.since, "start")).toBe(false);
    expect(readdirSync(asDbSees(info.backupDir)).filter((f) => f.startsWith("pre-restore-"))).toEqual(snapshots);
    expect(await kit.counts()).toEqual(before);
    await kit.expectResumeFinishes("backup folder unwritable");
  });

  it("pg_restore killed half-way (blocked on a table, then SIGKILL): the restore step fails on db saying so; the snapshot restores; up again restores in full", async () => {
    const before = await kit.counts();
    holdAt(dir, "db", "exec.pg_restore.clean");
    const bg = await kit.startNewRestore();
    // A reader holds a lock on billing_records, so pg_restore --clean stops part-way through.
    const blocker = execa(join(info.database.pgBin, "psql"), ["-X", info.databaseUrl, "-c", "begin; lock table billing_records in access share mode; select pg_sleep(600);"], { reject: false });
    try {
      await waitUntilHeld(dir, "db", "exec.pg_restore.clean");
      await until(async () => (await sql(info, "select count(*) from pg_stat_activity where query like '%pg_sleep(600)%' and state = 'active' and pid <> pg_backend_pid()")) === "1", "the blocking reader");
      release(dir, "db", "exec.pg_restore.clean");
      await until(async () => Number(await sql(info, "select count(*) from pg_stat_activity where application_name = 'pg_restore' and wait_event_type = 'Lock'")) > 0, "pg_restore waiting on the lock");
      // SIGKILL to this sandbox's pg_restore alone (others may run beside it on this machine).
      const pids = pgRestoresInDb();
      expect(pids.length, "pg_restore running in voiceai-postgres").toBeGreaterThan(0);
      for (const pid of pids) process.kill(pid, "SIGKILL");
    } finally {
      release(dir, "db", "exec.pg_restore.clean");
      await sql(info, "select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(600)%' and pid <> pg_backend_pid()");
      await blocker;
    }
    const r = await bg.done();
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Restore database", "db"]]);
    expect(r.doc.error).toMatch(/restore-pg-restore failed on host db \(\S+\) with exit code 137 \(killed by SIGKILL\)/);
    expect(startedAfter(r.since, "start")).toBe(false);
    await kit.expectSnapshotRestores(before);
    await kit.expectResumeFinishes("pg_restore killed midway", "Restore database");
    expect(await kit.counts()).toEqual(before);
  });

  it("the disk fills up after preflight: the snapshot step fails on db with no space left, the half-written file is removed, nothing is overwritten; with room again, up finishes", async () => {
    const before = await kit.counts();
    const d = info.backupDir;
    const saved = mkdtempSync(join(tmpdir(), "delphi-backup-"));
    try {
      await run("cp", ["-a", `${d}/.`, saved]);
      const r = await failSnapshotWith(async () => {
        // The backup folder becomes a small disk holding the same files, then filled to the last block.
        await inDbMounts(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", d]);
        mounts.push(d);
        await run("cp", ["-a", `${saved}/.`, asDbSees(d)]);
        const fs = statfsSync(asDbSees(d));
        await run("fallocate", ["-l", String(fs.bavail * fs.bsize), join(asDbSees(d), "filler")]);
      });
      expect(r.code).toBe(1);
      expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Pre-restore snapshot", "db"]]);
      expect(r.doc.error).toContain("No space left on device");
      expect(partials()).toEqual([]);
      expect(startedAfter(r.since, "start")).toBe(false);
      expect(await kit.counts()).toEqual(before);
      rmSync(join(asDbSees(d), "filler"));
      await kit.expectResumeFinishes("too little room for the snapshot");
    } finally {
      if (mounts.includes(d)) {
        await inDbMounts(["umount", d]).catch(() => undefined);
        mounts.splice(mounts.indexOf(d), 1);
      }
      if (existsSync(saved)) rmSync(saved, { recursive: true, force: true });
    }
  });
});
