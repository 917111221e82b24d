// The runbook's order of operations, read back from the Docker engine's own events for the
// sandbox's containers: the pre-restore snapshot (pg_dump exec'd in voiceai-postgres), every
// consumer's stop, the restore (pg_restore --clean in it), TelWeb started alone, every other
// consumer started, then the verify checks.
import { expect } from "vitest";
import { readEngineOps, type EngineOp } from "../../../src/sandbox";

export const CONSUMERS = ["web", "api", "voice", "ops", "media"];

/** What began on the engine after a moment: stop signals, container starts, exec'd commands. */
export function opsSince(dir: string, since: string): EngineOp[] {
  return readEngineOps(dir).filter((op) => op.ts > since && (op.verb === "start" || (op.event === "start" && (op.verb === "stop" || op.verb === "exec"))));
}

/** Whether each consumer host's container was last stopped or started (undefined: neither) since a moment. */
export function lastVerbs(dir: string, since: string): (string | undefined)[] {
  return CONSUMERS.map((h) => readEngineOps(dir, h).filter((op) => op.ts > since && ((op.verb === "stop" && op.event === "ok") || op.verb === "start")).at(-1)?.verb);
}

/**
 * Asserts the order of one restore since `since`. beforeRestore: stops, the restore into a fresh
 * database, the switch (two renames); beforeSwitch: the restore (services still up), stops, the
 * switch. `snapshot: before`: stops, pg_dump, the restore over the live database (no switch);
 * `after`: the pg_dump of the kept database after every start (in the background: when recorded).
 */
export function expectRunbookOrder(dir: string, since: string, order: "beforeRestore" | "beforeSwitch" = "beforeRestore", snapshot: "after" | "before" | "none" = "after"): void {
  const ops = opsSince(dir, since);
  const idx = (pred: (op: EngineOp) => boolean) => ops.findIndex(pred);
  const inPostgres = (op: EngineOp, re: RegExp) => op.verb === "exec" && op.service === "voiceai-postgres" && re.test(op.detail);
  // A background snapshot of an earlier restore may still be running when this one starts: only a
  // pg_dump after this restore's first stop counts.
  const firstStop = idx((op) => op.verb === "stop" && CONSUMERS.includes(op.host));
  const dumpAt = ops.findIndex((op, i) => i > firstStop && inPostgres(op, /^pg_dump/));
  const stops = ops.map((op, i) => (op.verb === "stop" && CONSUMERS.includes(op.host) ? i : -1)).filter((i) => i >= 0);
  const restoreAt = idx((op) => inPostgres(op, snapshot === "before" ? /^pg_restore --clean/ : /^pg_restore --no-owner/));
  const switchAt = ops.map((op, i) => (inPostgres(op, /alter database "?\w+"? rename to "?\w+_pre_restore_/) ? i : -1)).filter((i) => i >= 0).at(-1) ?? -1;
  // Reconcile starts TelWeb alone; resume starts every other consumer's container.
  const telweb = idx((op) => op.verb === "start" && op.service === "voiceai-telweb");
  const starts = ops.map((op, i) => (op.verb === "start" && CONSUMERS.includes(op.host) && op.service !== "voiceai-telweb" ? i : -1)).filter((i) => i >= 0);
  const firstSpotCheck = idx((op) => op.verb === "exec" && op.detail.includes("conv_known_0001"));
  expect(restoreAt, "the restore (pg_restore inside voiceai-postgres)").toBeGreaterThanOrEqual(0);
  if (snapshot !== "before") expect(switchAt, "the switch (the live database renamed to <db>_pre_restore_<UTC>)").toBeGreaterThan(restoreAt);
  const destructive = snapshot === "before" ? restoreAt : switchAt;
  // Each consumer's state when the data was replaced, from the whole record: a container a failed
  // earlier run left stopped is stopped again by quiesce without an event (it is not running).
  const stateAt = (i: number) => CONSUMERS.map((h) => readEngineOps(dir, h).filter((op) => op.ts <= ops[i].ts && ((op.verb === "stop" && op.event === "ok") || op.verb === "start")).at(-1)?.verb);
  // A consumer running when this run began is stopped by it, each once.
  const runningAtStart = CONSUMERS.filter((h) => readEngineOps(dir, h).filter((op) => op.ts <= since && ((op.verb === "stop" && op.event === "ok") || op.verb === "start")).at(-1)?.verb === "start");
  const stoppedHosts = stops.map((i) => ops[i].host);
  expect(stateAt(destructive), "every consumer stopped when the data was replaced").toEqual(CONSUMERS.map(() => "stop"));
  if (order === "beforeRestore") {
    expect(stoppedHosts.sort(), "one stop per consumer that was running").toEqual([...runningAtStart].sort());
    if (stops.length) expect(restoreAt, "restore after every stop").toBeGreaterThan(Math.max(...stops));
    if (snapshot === "before") {
      expect(dumpAt, "the pre-restore pg_dump after the stops, before the restore").toBeGreaterThan(Math.max(-1, ...stops));
      expect(restoreAt).toBeGreaterThan(dumpAt);
    }
  } else {
    expect(stateAt(restoreAt), "every consumer running while the restore ran").toEqual(CONSUMERS.map(() => "start"));
    expect(stops.length, "one stop per consumer host, for the switch").toBe(CONSUMERS.length);
    expect(Math.min(...stops), "stops after the restore").toBeGreaterThan(restoreAt);
  }
  expect(telweb, "TelWeb alone after the restore, the stops and the switch").toBeGreaterThan(Math.max(destructive, ...stops));
  expect(starts.length, "one start per other consumer host").toBe(CONSUMERS.length - 1);
  expect(Math.min(...starts), "the rest after TelWeb").toBeGreaterThan(telweb);
  expect(firstSpotCheck, "verify after every start").toBeGreaterThan(Math.max(...starts));
  if (snapshot === "after" && dumpAt >= 0) expect(dumpAt, "the snapshot of the kept database after every start").toBeGreaterThan(Math.max(...starts));
}
