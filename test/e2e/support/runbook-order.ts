// The runbook's order of operations, read back from the hosts' own compose logs: the pre-restore
// snapshot, every stop, the restore, TelWeb alone, every other start, then the verify checks.
import { expect } from "vitest";
import { readComposeLog, type ComposeOp } from "../../../src/sandbox";

export const CONSUMERS = ["web", "api", "voice", "ops", "media"];

/** The compose operations every host started after a moment (read-only `ps`/`logs` left out). */
export function opsSince(dir: string, since: string): ComposeOp[] {
  return readComposeLog(dir).filter((op) => op.ts > since && op.event === "start" && op.verb !== "logs" && op.verb !== "ps");
}

/** The state each consumer host's last stop/up left it in. */
export function lastVerbs(dir: string, since: string): (string | undefined)[] {
  return CONSUMERS.map((h) => readComposeLog(dir, h).filter((op) => op.ts > since && (op.verb === "stop" || op.verb === "up")).at(-1)?.verb);
}

/**
 * Asserts the order of one restore since `since`. beforeRestore: snapshot, stops, restore;
 * beforeSwitch: snapshot, restore (into a new database, services still up), stops.
 */
export function expectRunbookOrder(dir: string, since: string, order: "beforeRestore" | "beforeSwitch" = "beforeRestore"): void {
  const ops = opsSince(dir, since);
  const idx = (pred: (op: ComposeOp) => boolean) => ops.findIndex(pred);
  const snapshot = idx((op) => op.verb === "exec" && op.detail.startsWith("pg_dump"));
  const stops = ops.map((op, i) => (op.verb === "stop" ? i : -1)).filter((i) => i >= 0);
  const restoreAt = idx((op) => op.verb === "exec" && op.detail.startsWith("pg_restore --clean"));
  // Reconcile starts TelWeb alone (`up -d voiceai-telweb`); resume starts each project (`up -d`).
  const telweb = idx((op) => op.verb === "up" && op.detail === "up -d voiceai-telweb");
  const ups = ops.map((op, i) => (op.verb === "up" && op.detail === "up -d" ? i : -1)).filter((i) => i >= 0);
  const firstSpotCheck = idx((op) => op.verb === "exec" && op.detail.includes("conv_known_0001"));
  expect(snapshot, "pre-restore snapshot").toBeGreaterThanOrEqual(0);
  expect(stops.length, "one stop per consumer host").toBe(CONSUMERS.length);
  if (order === "beforeRestore") {
    expect(Math.min(...stops), "stops after the snapshot").toBeGreaterThan(snapshot);
    expect(restoreAt, "restore after every stop").toBeGreaterThan(Math.max(...stops));
  } else {
    expect(restoreAt, "restore after the snapshot").toBeGreaterThan(snapshot);
    expect(Math.min(...stops), "stops after the restore").toBeGreaterThan(restoreAt);
  }
  expect(telweb, "TelWeb alone after the restore and the stops").toBeGreaterThan(Math.max(restoreAt, ...stops));
  expect(ups.length, "one start per consumer host").toBe(CONSUMERS.length);
  expect(Math.min(...ups), "the rest after TelWeb").toBeGreaterThan(telweb);
  expect(firstSpotCheck, "verify after every start").toBeGreaterThan(Math.max(...ups));
}
