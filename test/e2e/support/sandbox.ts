// Shared by the e2e tests: a sandbox in its own temp project folder, and a fingerprint of
// everything a restore could change, to prove that a refused or previewed run changed nothing.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll } from "vitest";
import { readEngineOps, startSandbox, stopSandbox, type StartResult } from "../../../src/sandbox";
import { preRestoreSnapshotRunning } from "../../../src/sandbox/processes";
import { tempProject } from "./temp-project";
import { until } from "./wait";

export { tempProject } from "./temp-project";

/**
 * A sandbox in its own temp project folder for the calling test file: started before its tests,
 * stopped and removed after them. With `projectEnv`, the driver's modules imported afterwards
 * (they read DELPHI_RESTORE_PROJECT_DIR when they load) use that folder too.
 */
export function useTempSandbox(prefix: string, opts: { projectEnv?: boolean; volume?: "btrfs"; walArchive?: boolean } = {}): { dir: string; info: StartResult } {
  const sandbox = {} as { dir: string; info: StartResult };
  beforeAll(async () => {
    sandbox.dir = tempProject(prefix);
    sandbox.info = await startSandbox({ projectDir: sandbox.dir, volume: opts.volume, walArchive: opts.walArchive });
    if (opts.projectEnv) process.env.DELPHI_RESTORE_PROJECT_DIR = sandbox.dir;
  });
  afterAll(async () => {
    if (opts.projectEnv) delete process.env.DELPHI_RESTORE_PROJECT_DIR;
    if (sandbox.dir) {
      await stopSandbox(sandbox.dir);
      rmSync(sandbox.dir, { recursive: true, force: true });
    }
  });
  return sandbox;
}

/**
 * Every background pre-restore snapshot (`snapshot: after`) has ended: no `flock` holding a
 * snapshot's lock and no `.partial` in the backup folder. A test that fingerprints the backup
 * folder waits for this first, or it races the previous restore's dump being renamed into place.
 */
export async function snapshotsSettled(info: StartResult): Promise<void> {
  await until(() => !preRestoreSnapshotRunning() && !readdirSync(info.backupDir).some((f) => f.endsWith(".partial")), "the background pre-restore snapshot to end", 120_000);
}

/** What the engine records when a container changes (preflight's `ps` and the read-only `exec`s change none). */
const CHANGING = new Set(["stop", "start", "die", "create", "destroy", "kill", "restart"]);

export async function sql(info: StartResult, query: string): Promise<string> {
  const r = await execa(join(info.database.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", info.databaseUrl, "-c", query]);
  return r.stdout.trim();
}

/** Container changes on the engine, the data a restore replaces, the backup folder. */
export async function footprint(dir: string, info: StartResult) {
  return {
    compose: readEngineOps(dir).filter((op) => CHANGING.has(op.verb)).length,
    rows: await sql(info, "select (select count(*) from conversations) || '/' || (select count(*) from billing_records)"),
    backups: readdirSync(info.backupDir).sort(),
  };
}
