// Faults mid-restore through the engine (the first cases of the faults issue): each is injected,
// `up` fails at the step and host it names, the pre-restore snapshot restores into a scratch
// database and holds what the database held before the run, nothing after the failed step ran;
// then the cause is removed and `up` finishes the restore.
import { beforeAll, describe, expect, it } from "vitest";
import { addMigration, clearFaults, injectFault, readEngineOps, removeMigration, type EngineOp } from "../../src/sandbox";
import { faultKit, recovered } from "./support/faults";
import { CONSUMERS, lastVerbs } from "./support/runbook-order";
import { useTempSandbox } from "./support/sandbox";

let dir: string;
const sandbox = useTempSandbox("faults");
const kit = faultKit(sandbox);
const { counts, newRestore, newRestoreWith, resume, configSet, expectOldDataKept, expectResumeFinishes } = kit;

/** What the engine recorded since a moment (container stops and starts, commands exec'd in them). */
const engineSince = (since: string, pred: (op: EngineOp) => boolean, host?: string) => readEngineOps(dir, host).filter((op) => op.ts > since && pred(op));

beforeAll(() => {
  ({ dir } = sandbox);
});

describe("faults through the engine", () => {
  it("TelWeb's migration fails: reconcile fails on web with the migration's error, services stay stopped, the snapshot restores; without the bad migration, up finishes", async () => {
    const before = await counts();
    const r = await newRestoreWith(
      () => addMigration(dir, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n"),
      () => removeMigration(dir, "20991231000000_broken"),
    );
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Reconcile schema (TelWeb migrate deploy)", "web"]]);
    expect(r.doc.error).toContain("migrate deploy failed: migration `20991231000000_broken`");
    // On web: TelWeb ended cleanly at quiesce's stop, reconcile started it alone, and it exited
    // with an error (its migrate deploy failed). Every other consumer stayed stopped: resume
    // started no container.
    expect(engineSince(r.since, (op) => op.verb === "start" || op.verb === "die", "web").map((op) => [op.service, op.verb, op.event])).toEqual([
      ["voiceai-telweb", "die", "ok"],
      ["voiceai-telweb", "start", "ok"],
      ["voiceai-telweb", "die", "failed"],
    ]);
    expect(lastVerbs(dir, r.since).slice(1)).toEqual(["stop", "stop", "stop", "stop"]);
    expect(engineSince(r.since, (op) => op.verb === "start" && op.host !== "web")).toEqual([]);
    await expectOldDataKept(before, r.since);
    await expectResumeFinishes("TelWeb's migration fails");
  });

  it("a service fails to start at resume: the update names resume and the host; once it can start, up finishes only what was left", async () => {
    const before = await counts();
    const r = await newRestoreWith(
      () => injectFault(dir, "api", "up", "Error response from daemon: api: port is already allocated"),
      () => clearFaults(dir, "api"),
    );
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Resume services", "api"]]);
    expect(r.doc.error).toContain("port is already allocated");
    // The injected fault failed api's `up` before it reached the engine: api's container never
    // started, and verify did not run.
    expect(engineSince(r.since, (op) => op.verb === "start", "api")).toEqual([]);
    expect(engineSince(r.since, (op) => op.verb === "exec" && op.detail.includes("conv_known_0001"))).toEqual([]);
    await expectOldDataKept(before, r.since);
    const again = await resume();
    expect(again.code, again.doc.error).toBe(0);
    // The re-run repeats no stop, restore or switch, only what was left (the pg_dump of the kept
    // database, snapshot: after, is part of what was left).
    expect(engineSince(again.since, (op) => op.event === "start" && (op.verb === "stop" || (op.verb === "exec" && /^pg_restore --(clean|no-owner)|alter database/.test(op.detail))))).toEqual([]);
    expect(lastVerbs(dir, r.since)).toEqual(CONSUMERS.map(() => "start"));
    recovered("a service fails to start at resume", again);
  });

  it("a verify check fails: the update stops at verify naming the check and the host; services run; with the check fixed, up finishes with the report", async () => {
    // A spot check whose expected value is wrong, as an operator might mistype it.
    const before = await counts();
    await configSet("delphi-restore:verify.spotChecks[0].expect", "2");
    const r = await newRestore();
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host, f.resource])).toEqual([["Verify", "db", "verify-sql-known-conversation"]]);
    expect(r.doc.error).toContain("verify known-conversation failed: expected 2, got '1'");
    expect(lastVerbs(dir, r.since)).toEqual(CONSUMERS.map(() => "start"));
    await expectOldDataKept(before, r.since);
    await configSet("delphi-restore:verify.spotChecks[0].expect", "1");
    const again = await resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(again.doc.commandsRun).toBe(5); // the fixed check, the comparison, the notice, its keys file and the snapshot of the kept data
    recovered("a verify check fails", again);
  });
});
