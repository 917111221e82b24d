// What the benchmarks share: a sandbox of their own for one run (always stopped and removed, even
// when the run fails), medians, seconds, and the one way a benchmark reports a failure.
import { rmSync } from "node:fs";
import { startSandbox, stopSandbox, type StartResult } from "../src/sandbox";
import { tempProject } from "../test/e2e/support/temp-project";

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const secs = (ms: number) => (ms / 1000).toFixed(2);

export async function withBenchSandbox<T>(prefix: string, run: (dir: string, info: StartResult) => Promise<T>): Promise<T> {
  const dir = tempProject(prefix);
  try {
    return await run(dir, await startSandbox({ projectDir: dir, log: () => undefined }));
  } finally {
    await stopSandbox(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
