// What the benchmarks share: a sandbox of their own for one run (always stopped and removed, even
// when the run fails), medians, seconds, downtime from the engine's own events, clearing
// snapshots, and the one way a benchmark reports a failure.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { readEngineOps, startSandbox, stopSandbox, type StartResult } from "../src/sandbox";
import { tempProject } from "../test/e2e/support/temp-project";

export const secs = (ms: number) => (ms / 1000).toFixed(2);

export async function withBenchSandbox<T>(prefix: string, run: (dir: string, info: StartResult) => Promise<T>, opts: { hosts?: number } = {}): Promise<T> {
  const dir = tempProject(prefix);
  try {
    return await run(dir, await startSandbox({ projectDir: dir, hosts: opts.hosts, log: () => undefined }));
  } finally {
    await stopSandbox(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    // A failed psql or pg_dump names its database URL: never print the password in it.
    const text = ((e as Error).stack ?? String(e)).replace(/(\/\/[^:/@\s]+):[^@\s]*@/g, "$1:***@");
    process.stderr.write(`bench failed: ${text}\n`);
    process.exitCode = 1;
  });
}

/**
 * First consumer stop (the engine sent the stop signal) to the last consumer container start after
 * `since` (and before `before`, when a later run's events are in the record too), from the engine's
 * own events for the sandbox (ms); undefined without both.
 */
export function downtimeMs(projectDir: string, since: string, before?: string): number | undefined {
  const ops = readEngineOps(projectDir).filter((op) => op.ts > since && (before === undefined || op.ts < before) && op.host !== "db");
  const firstStop = ops.find((op) => op.verb === "stop" && op.event === "start")?.ts;
  const lastStart = ops.filter((op) => op.verb === "start").at(-1)?.ts;
  return firstStop && lastStart ? Date.parse(lastStart) - Date.parse(firstStop) : undefined;
}

/** Pre-restore snapshots pile up (a GiB each on a large dataset); the next restore does not need them. */
export function clearSnapshots(info: StartResult): void {
  for (const f of readdirSync(info.backupDir)) if (f.startsWith("pre-restore-")) rmSync(join(info.backupDir, f), { recursive: true, force: true });
}
