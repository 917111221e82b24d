// Waiting on a condition instead of sleeping, for every e2e file; and the engine's record once the
// events a test caused are in it.
import type { EngineOp } from "../../../src/sandbox";

/** Resolves when `cond` holds (polled every 100 ms); fails naming what it waited for and how long. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The engine's operations `pick` selects, once `n` of them are recorded: `docker events` writes an
 * event to the sandbox's file a moment after the engine sent it, which may be after the CLI call
 * that caused it returned.
 */
export async function recorded(pick: () => EngineOp[], n: number, what: string): Promise<EngineOp[]> {
  await until(() => pick().length >= n, `${n} engine events: ${what}`, 10_000);
  return pick();
}
