// Faults of the hosts mid-restore, through the engine: a host that stops answering during
// quiesce, a host that stops accepting the key, a host that reboots between quiesce and the
// restore, and an SSH connection that drops while the restore runs. Each: the update fails naming
// the step and the host, nothing destructive runs after that point, the pre-restore snapshot
// restores to what the database held before, and `up` again finishes, saying where it went on.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { clearFaults, dropConnections, holdAt, hostDown, hostUp, readEngineOps, rebootHost, release, restoreClientKey, revokeClientKey, injectFault, layout, waitUntilHeld } from "../../src/sandbox";
import { cmdline } from "../../src/sandbox/processes";
import { faultKit, recovered } from "./support/faults";
import { until } from "./support/wait";
import { CONSUMERS, lastVerbs } from "./support/runbook-order";
import { useTempSandbox } from "./support/sandbox";

let dir: string;
const sandbox = useTempSandbox("faults-hosts");
const kit = faultKit(sandbox);

/** The restore (pg_restore exec'd in voiceai-postgres, into the fresh database) started after `since`. */
const restoreRan = (since: string) => readEngineOps(dir, "db").some((op) => op.ts > since && op.event === "start" && op.verb === "exec" && op.detail.startsWith("pg_restore --no-owner"));
/** A consumer's container started on the engine after `since`. */
const containerStartedAfter = (since: string) => readEngineOps(dir).some((op) => op.ts > since && op.verb === "start");

beforeAll(() => {
  ({ dir } = sandbox);
});

describe("host faults through the engine", () => {
  it("a host unreachable during quiesce: the update fails at quiesce naming the host; no restore; once it answers, up finishes from quiesce", async () => {
    const before = await kit.counts();
    // Preflight passed; the snapshot is being taken. Now the ops host goes away.
    const r = await kit.newRestoreActingAt("db", "exec.date", () => hostDown(dir, "ops"), () => hostUp(dir, "ops"));
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Quiesce services", "ops"]]);
    expect(r.doc.error).toMatch(/host ops \(\S+@127\.0\.0\.1:\d+\) cannot be reached over SSH/);
    expect(restoreRan(r.since)).toBe(false);
    expect(containerStartedAfter(r.since)).toBe(false);
    await kit.expectOldDataKept(before, r.since);
    const again = await kit.expectResumeFinishes("host unreachable during quiesce", "Quiesce services");
    expect(again.doc.resumed?.keptSteps).toContain("Check before anything stops");
  });

  it("a host that stops accepting the key after preflight: quiesce fails naming the host and the refused key; with the key back, up finishes", async () => {
    const before = await kit.counts();
    const r = await kit.newRestoreActingAt("db", "exec.date", () => revokeClientKey(dir, "media"), () => restoreClientKey(dir, "media"));
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Quiesce services", "media"]]);
    expect(r.doc.error).toContain("refused the SSH key");
    expect(restoreRan(r.since)).toBe(false);
    await kit.expectOldDataKept(before, r.since);
    await kit.expectResumeFinishes("wrong SSH key", "Quiesce services");
  });

  it("a host rebooted between quiesce and the restore (its services back up): caught before the restore, stopped again, named; up again finishes", async () => {
    const before = await kit.counts();
    // web's stop is held, so the update is still in quiesce when api's stop has finished.
    const r = await kit.newRestoreActingAt("web", "stop", async (since) => {
      await until(() => readEngineOps(dir, "api").some((op) => op.ts > since && op.verb === "stop" && op.event === "ok"), "api's quiesce");
      await rebootHost(dir, "api");
    });
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Confirm services still stopped", "api"]]);
    expect(r.doc.error).toContain("on host api");
    expect(r.doc.error).toContain("running again since quiesce: voiceai-api (the host rebooted, or someone started it). Stopped it again; the restore did not start.");
    expect(restoreRan(r.since)).toBe(false);
    // On the engine: quiesce stopped api's container, the reboot started it, confirm stopped it again.
    expect(readEngineOps(dir, "api").filter((op) => op.ts > r.since && (op.verb === "start" || (op.verb === "stop" && op.event === "ok"))).map((op) => op.verb)).toEqual(["stop", "start", "stop"]);
    expect(lastVerbs(dir, r.since)).toEqual(CONSUMERS.map(() => "stop"));
    await kit.expectOldDataKept(before, r.since);
    await kit.expectResumeFinishes("host rebooted between steps", "Confirm services still stopped");
  });

  it("a host rebooted between two updates (the restore failed after confirm): the next up's preflight finds its services running and refuses before anything runs; stopped again, up finishes", async () => {
    const before = await kit.counts();
    const r = await kit.newRestoreWith(
      () => injectFault(dir, "db", "exec.pg_restore.no-owner", "injected: pg_restore lost its database connection"),
      () => clearFaults(dir, "db"),
    );
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Restore database", "db"]]);
    // The injected fault stopped pg_restore before it reached the engine: no restore was exec'd.
    expect(r.doc.error).toContain("injected: pg_restore lost its database connection");
    expect(restoreRan(r.since)).toBe(false);
    await rebootHost(dir, "api");
    const refused = await kit.resume();
    expect(refused.code).toBe(1);
    const checks = (refused.doc as unknown as { preview: { checks: { check: string; host: string; ok: boolean; detail: string }[] } }).preview.checks;
    expect(checks.filter((c) => !c.ok).map((c) => [c.check, c.host])).toEqual([["compose project api", "api"]]);
    expect(checks.find((c) => !c.ok)?.detail).toContain("running again since this restore's quiesce: voiceai-api (the host rebooted, or someone started it)");
    expect(checks.filter((c) => c.check.startsWith("compose project") && c.ok).map((c) => c.detail)).toEqual(CONSUMERS.slice(1).map(() => "stopped since this restore's quiesce"));
    expect(restoreRan(refused.since)).toBe(false);
    // The operator stops it on the host, as the message says.
    const api = layout(dir).host("api");
    await execa(join(api.bin, "docker"), ["compose", "stop"], { cwd: api.projectDir });
    await kit.expectOldDataKept(before, r.since);
    await kit.expectResumeFinishes("host rebooted between two updates", "Restore database");
  });

  it("the SSH connection drops while pg_restore runs: the update fails at the restore naming db; the re-run waits for the restore still running there, which finishes it, and goes on", async () => {
    const before = await kit.counts();
    holdAt(dir, "db", "exec.pg_restore.no-owner");
    const run = await kit.startNewRestore();
    let orphan = true;
    try {
      await waitUntilHeld(dir, "db", "exec.pg_restore.no-owner");
      expect(dropConnections(dir, "db")).toBeGreaterThan(0);
      const r = await run.done();
      expect(r.code).toBe(1);
      expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Restore database", "db"]]);
      expect(r.doc.error).toMatch(/host db \(\S+\) dropped the SSH connection while the command ran \(Connection to 127\.0\.0\.1 closed by remote host\.\); the command may still be running there/);
      expect(containerStartedAfter(r.since)).toBe(false);
      await kit.expectOldDataKept(before, r.since);
      // The restore goes on on the host (as it would after a real drop). The re-run's restore
      // waits for it instead of running a second pg_restore beside it.
      const rerun = kit.startResume();
      const lockWaiter = () => readdirSync("/proc").some((p) => /^\d+$/.test(p) && /^flock -o .*restore-pg-restore\.lock/.test(cmdline(Number(p))));
      await until(lockWaiter, "the re-run's restore waiting for the one still running");
      release(dir, "db", "exec.pg_restore.no-owner");
      orphan = false;
      const again = await rerun.done();
      expect(again.code, again.doc.error).toBe(0);
      expect(again.doc.resumed?.from).toBe("Restore database");
      // One pg_restore ran: the first (cut off from its client) went on to its end, and so did its
      // switch, before the re-run's command started; the re-run found this restore in place and
      // restored nothing again.
      const restores = readEngineOps(dir, "db").filter((op) => op.ts > r.since && op.verb === "exec" && op.detail.startsWith("pg_restore --no-owner"));
      expect(restores.map((op) => op.event)).toEqual(["start", "ok"]);
      await kit.expectOldDataKept(before, r.since);
      expect(lastVerbs(dir, again.since)).toEqual(CONSUMERS.map(() => "start"));
      recovered("SSH connection dropped during pg_restore", again);
    } finally {
      if (orphan) release(dir, "db", "exec.pg_restore.no-owner");
    }
  });
});
