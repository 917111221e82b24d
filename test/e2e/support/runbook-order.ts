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
 * Asserts the order of one restore since `since`. beforeRestore: snapshot, stops, restore;
 * beforeSwitch: snapshot, restore (into a new database, services still up), stops.
 */
export function expectRunbookOrder(dir: string, since: string, order: "beforeRestore" | "beforeSwitch" = "beforeRestore"): void {
  const ops = opsSince(dir, since);
  const idx = (pred: (op: EngineOp) => boolean) => ops.findIndex(pred);
  const snapshot = idx((op) => op.verb === "exec" && op.service === "voiceai-postgres" && op.detail.startsWith("pg_dump"));
  const stops = ops.map((op, i) => (op.verb === "stop" && CONSUMERS.includes(op.host) ? i : -1)).filter((i) => i >= 0);
  const restoreAt = idx((op) => op.verb === "exec" && op.service === "voiceai-postgres" && op.detail.startsWith("pg_restore --clean"));
  // Reconcile starts TelWeb alone; resume starts every other consumer's container.
  const telweb = idx((op) => op.verb === "start" && op.service === "voiceai-telweb");
  const starts = ops.map((op, i) => (op.verb === "start" && CONSUMERS.includes(op.host) && op.service !== "voiceai-telweb" ? i : -1)).filter((i) => i >= 0);
  const firstSpotCheck = idx((op) => op.verb === "exec" && op.detail.includes("conv_known_0001"));
  expect(snapshot, "pre-restore snapshot (pg_dump inside voiceai-postgres)").toBeGreaterThanOrEqual(0);
  expect(restoreAt, "the restore (pg_restore --clean inside voiceai-postgres)").toBeGreaterThanOrEqual(0);
  // Each consumer's state when pg_restore began, from the whole record: a container a failed
  // earlier run left stopped is stopped again by quiesce without an event (it is not running).
  const stateAtRestore = CONSUMERS.map((h) => readEngineOps(dir, h).filter((op) => op.ts <= ops[restoreAt].ts && ((op.verb === "stop" && op.event === "ok") || op.verb === "start")).at(-1)?.verb);
  // A consumer running when this run began is stopped by it, each once.
  const runningAtStart = CONSUMERS.filter((h) => readEngineOps(dir, h).filter((op) => op.ts <= since && ((op.verb === "stop" && op.event === "ok") || op.verb === "start")).at(-1)?.verb === "start");
  const stoppedHosts = stops.map((i) => ops[i].host);
  if (order === "beforeRestore") {
    expect(stoppedHosts.sort(), "one stop per consumer that was running").toEqual([...runningAtStart].sort());
    expect(stateAtRestore, "every consumer stopped when the restore ran").toEqual(CONSUMERS.map(() => "stop"));
    if (stops.length) expect(Math.min(...stops), "stops after the snapshot").toBeGreaterThan(snapshot);
    if (stops.length) expect(restoreAt, "restore after every stop").toBeGreaterThan(Math.max(...stops));
  } else {
    expect(stateAtRestore, "every consumer running while the restore ran").toEqual(CONSUMERS.map(() => "start"));
    expect(restoreAt, "restore after the snapshot").toBeGreaterThan(snapshot);
    expect(stops.length, "one stop per consumer host, for the switch").toBe(CONSUMERS.length);
    expect(Math.min(...stops), "stops after the restore").toBeGreaterThan(restoreAt);
  }
  expect(telweb, "TelWeb alone after the restore and the stops").toBeGreaterThan(Math.max(restoreAt, ...stops));
  expect(starts.length, "one start per other consumer host").toBe(CONSUMERS.length - 1);
  expect(Math.min(...starts), "the rest after TelWeb").toBeGreaterThan(telweb);
  expect(firstSpotCheck, "verify after every start").toBeGreaterThan(Math.max(...starts));
}
