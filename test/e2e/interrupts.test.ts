// Ctrl-C mid-restore, through the engine, in each of quiesce, restore and resume: SIGINT to the
// driver's whole process group, as a terminal sends it. The command in flight is let finish (a
// stop, a pg_restore or a start is never cut in half), nothing after it starts, `up` exits 130
// naming the step and hosts in flight, and `up` again finishes from where it stopped.
import { beforeAll, describe, expect, it } from "vitest";
import { holdAt, readEngineOps, release, waitUntilHeld, type EngineOp } from "../../src/sandbox";
import { ctrlC, faultKit, recovered } from "./support/faults";
import { CONSUMERS, lastVerbs } from "./support/runbook-order";
import { useTempSandbox } from "./support/sandbox";

let dir: string;
const sandbox = useTempSandbox("interrupts");
const kit = faultKit(sandbox);

/** What began on the engine after `since` (a stop signal sent, a container started, an exec) and matches. */
const started = (since: string, pred: (op: EngineOp) => boolean) => readEngineOps(dir).filter((op) => op.ts > since && op.event === "start" && pred(op));
/** Container starts on the engine after `since` (the engine records them as done: event ok). */
const containerStarts = (since: string) => readEngineOps(dir).filter((op) => op.ts > since && op.verb === "start");
const restoreStarts = (since: string) => started(since, (op) => op.verb === "exec" && op.detail.startsWith("pg_restore --no-owner")).length;
const verifyStarts = (since: string) => started(since, (op) => op.verb === "exec" && op.detail.includes("conv_known_0001")).length;

beforeAll(() => {
  ({ dir } = sandbox);
});

/**
 * Start a new restore, hold `name` on `host`, interrupt while it is held (Ctrl-C at a terminal, or
 * SIGINT to the driver's process alone), then let it finish.
 * Returns the interrupted run and the state of the database before it.
 */
async function interruptAt(host: string, name: string, how: "terminal" | "driver only" = "terminal") {
  const before = await kit.counts();
  holdAt(dir, host, name);
  const bg = await kit.startNewRestore();
  try {
    await waitUntilHeld(dir, host, name);
    if (how === "terminal") ctrlC(bg);
    else process.kill(bg.pid, "SIGINT"); // `kill -INT <pid>` from a supervisor: the engine hears it from the driver
    await bg.printed(/Interrupt: cancelling the update after the running commands finish/);
    await bg.printed(/The engine is cancelling: it starts nothing new/);
  } finally {
    release(dir, host, name);
  }
  return { r: await bg.done(), before };
}

describe("Ctrl-C through the engine", () => {
  it("in quiesce: the stop in flight finishes, nothing after quiesce starts, exit 130 names the step; up again finishes", async () => {
    const { r, before } = await interruptAt("ops", "stop");
    expect(r.code).toBe(130);
    expect(r.doc.interrupted).toBe(true);
    expect(r.doc.error).toContain('Interrupted during "Quiesce services"');
    expect(r.doc.inFlight?.map((i) => [i.resource, i.host, i.state])).toContainEqual(["quiesce-ops-ops", "ops", "done"]);
    expect(readEngineOps(dir, "ops").filter((op) => op.ts > r.since && op.verb === "stop").map((op) => op.event)).toEqual(["start", "ok"]);
    expect(restoreStarts(r.since)).toBe(0);
    await kit.expectOldDataKept(before, r.since);
    const again = await kit.resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(again.doc.resumed?.keptSteps).toEqual(expect.arrayContaining(["Check before anything stops", "Quiesce services"]));
    expect(restoreStarts(again.since)).toBe(1);
    recovered("Ctrl-C in quiesce", again);
  });

  it("in the restore: pg_restore runs to its end, nothing starts after it, exit 130; up again goes on from reconcile", async () => {
    const { r, before } = await interruptAt("db", "exec.pg_restore.no-owner");
    expect(r.code).toBe(130);
    expect(r.doc.error).toContain('Interrupted during "Restore database"');
    expect(r.doc.inFlight?.map((i) => [i.resource, i.state])).toEqual([["restore-pg-restore", "done"]]);
    expect(readEngineOps(dir, "db").filter((op) => op.ts > r.since && op.verb === "exec" && op.detail.startsWith("pg_restore --no-owner")).map((op) => op.event)).toEqual(["start", "ok"]);
    expect(containerStarts(r.since)).toEqual([]);
    await kit.expectOldDataKept(before, r.since);
    const again = await kit.resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(again.doc.resumed?.from).toBe("Reconcile schema (TelWeb migrate deploy)");
    expect(restoreStarts(again.since)).toBe(0);
    expect(lastVerbs(dir, again.since)).toEqual(CONSUMERS.map(() => "start"));
    recovered("Ctrl-C in restore", again);
  });

  it("in resume (SIGINT to the driver alone): the starts in flight finish, verify does not start, exit 130; up again finishes with verify and the report", async () => {
    const { r, before } = await interruptAt("media", "up", "driver only");
    expect(r.code).toBe(130);
    expect(r.doc.error).toContain('Interrupted during "Resume services"');
    expect(r.doc.inFlight?.map((i) => [i.resource, i.state])).toContainEqual(["resume-media-media", "done"]);
    // The start held in flight did happen on the engine: media's container started.
    expect(containerStarts(r.since).filter((op) => op.host === "media")).toHaveLength(1);
    expect(verifyStarts(r.since)).toBe(0);
    await kit.expectOldDataKept(before, r.since);
    const again = await kit.resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(verifyStarts(again.since)).toBeGreaterThan(0);
    expect(started(again.since, (op) => op.verb === "stop")).toEqual([]);
    expect(lastVerbs(dir, "")).toEqual(CONSUMERS.map(() => "start"));
    recovered("Ctrl-C in resume", again);
  });
});
