// The operator's command as a user types it (`bin/delphi-restore ...`), against a real sandbox in
// a temp project folder, with the real Pulumi engine built by scripts/setup.sh: preflight, preview
// (which changes nothing), the confirmation, bad input, bookkeeping. The restore itself through
// the engine is test/e2e/restore-engine.test.ts. With transport pulumi-command on a machine
// without the command provider, the driver stops with exit code 4 and changes nothing.
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hostDown, hostUp, readEngineOps, setActiveCalls, type StartResult } from "../../src/sandbox";
import { footprint, useTempSandbox } from "./support/sandbox";
import { allText, cliIn, ROOT } from "./support/cli";

const toolchain = JSON.parse(readFileSync(join(ROOT, ".tools", "toolchain.json"), "utf8")) as { commandProvider: { source?: string; missing?: string } };
const commandProviderMissing = !toolchain.commandProvider.source;

let dir: string;
let info: StartResult;
let secrets: { sshPrivateKey: string; adminPassword: string };

const cli = (args: string[]) => cliIn(dir, args);

const sandbox = useTempSandbox("driver");

beforeAll(async () => {
  ({ dir, info } = sandbox);
  secrets = JSON.parse(readFileSync(info.secretsFile, "utf8")) as typeof secrets;
  const r = await cli(["secrets", "--stack", "sandbox", "--file", info.secretsFile]);
  expect(r.exitCode, r.stderr).toBe(0);
  // The key names are echoed, never the values.
  expect(r.stdout).toContain("sshPrivateKey, adminPassword");
  expect(r.stdout + r.stderr).not.toContain(secrets.adminPassword);
});

describe("delphi-restore preflight", () => {
  it("passes every check on a healthy sandbox, and --json carries the same checks", async () => {
    const human = await cli(["preflight", "--stack", "sandbox"]);
    expect(human.exitCode, human.stdout + human.stderr).toBe(0);
    for (const h of info.hosts) expect(human.stdout).toMatch(new RegExp(`PASS.*ssh.*${h.name}`));
    expect(human.stdout).toContain("dump reads in full");
    const json = await cli(["preflight", "--stack", "sandbox", "--json"]);
    const doc = JSON.parse(json.stdout) as { ok: boolean; checks: { check: string; host: string; ok: boolean }[] };
    expect(doc.ok).toBe(true);
    expect(doc.checks.length).toBeGreaterThanOrEqual(info.hosts.length + 3);
    for (const c of doc.checks) expect(human.stdout).toMatch(new RegExp(`PASS.*${c.check}.*${c.host}`));
  });

  it("reads the dump in full once: the next preflight finds the same file unchanged and says so instead of reading it again", async () => {
    // Each full read is pg_restore exec'd in voiceai-postgres, as the engine records it.
    const fullReads = () => readEngineOps(dir, "db").filter((op) => op.verb === "exec" && op.event === "start" && op.detail.startsWith("pg_restore -f /dev/null")).length;
    // Touching the dump (a new mtime) makes it a file preflight has not read.
    utimesSync(info.nightlyDump, new Date(), new Date());
    const before = fullReads();
    const first = JSON.parse((await cli(["preflight", "--stack", "sandbox", "--json"])).stdout) as { checks: { check: string; detail: string; note?: string }[] };
    const second = JSON.parse((await cli(["preflight", "--stack", "sandbox", "--json"])).stdout) as typeof first;
    const dumpCheck = (d: typeof first) => d.checks.find((c) => c.check === "dump reads in full");
    expect(dumpCheck(first)?.note).toBeUndefined();
    expect(dumpCheck(second)?.detail).toBe(dumpCheck(first)?.detail);
    expect(dumpCheck(second)?.note).toMatch(/^read in full at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; same size and mtime since, not read again$/);
    expect(fullReads() - before).toBe(1);
  });

  it("finds a stopped SSH host, names it, and exits 1", async () => {
    await hostDown(dir, "ops");
    try {
      const r = await cli(["preflight", "--stack", "sandbox"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/FAIL.*ssh.*ops/);
      expect(r.stdout).toMatch(/PASS.*ssh.*web/);
      const j = JSON.parse((await cli(["preflight", "--stack", "sandbox", "--json"])).stdout) as { ok: boolean; checks: { check: string; host: string; ok: boolean }[] };
      expect(j.ok).toBe(false);
      expect(j.checks.filter((c) => !c.ok).map((c) => c.host)).toContain("ops");
    } finally {
      await hostUp(dir, "ops");
    }
  });
});

describe("delphi-restore preflight: live calls", () => {
  it("reports Voice's active calls before anything stops, and exits 1", async () => {
    setActiveCalls(dir, 2);
    try {
      const r = await cli(["preflight", "--stack", "sandbox"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/FAIL.*voice active calls.*voice.*2 active calls/);
    } finally {
      setActiveCalls(dir, 0);
    }
  });
});

describe("delphi-restore preview / up with the real engine", () => {
  it("preview prints the blast radius (every host, service and step), then the engine's own preview, and changes nothing", async () => {
    const before = await footprint(dir, info);
    const r = await cli(["preview", "--stack", "sandbox"]);
    const out = r.stdout + r.stderr;
    for (const h of info.hosts.filter((x) => x.role !== "db")) {
      expect(out).toContain(`${h.name}: ${h.services.join(", ")}`);
    }
    for (const title of ["Check before anything stops", "Quiesce", "Restore database", "Reconcile", "Resume", "Verify", "Tenant-admin report", "Pre-restore snapshot"]) expect(out).toContain(title);
    expect(out).toContain("pg_restore --no-owner --exit-on-error");
    expect(out).toContain("delphi_pre_restore_<UTC> (kept)");
    expect(r.exitCode, out).toBe(0);
    expect(out).toMatch(/Resources:\s+\+ \d+ to create/);
    expect(await footprint(dir, info)).toEqual(before);
    expect(out).not.toContain(secrets.adminPassword);
  });

  it("preview --json parses and carries the summary's facts", async () => {
    const r = await cli(["preview", "--stack", "sandbox", "--json"]);
    const doc = JSON.parse(r.stdout) as { ok: boolean; stage?: string; summary: { stops: { host: string; services: string[] }[]; order: string; steps: { step: string }[] } };
    expect(doc.summary.order).toBe("beforeRestore");
    expect(doc.summary.stops.map((s) => s.host).sort()).toEqual(info.hosts.filter((h) => h.role !== "db").map((h) => h.name).sort());
    expect(doc.summary.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(doc.ok).toBe(true);
  });

  it.runIf(commandProviderMissing)("transport pulumi-command without the command provider: up --yes stops with exit 4 after the summary, and nothing runs", async () => {
    const good = readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    writeFileSync(join(dir, "Pulumi.viacommand.yaml"), good.replace("delphi-restore:transport: ssh", "delphi-restore:transport: pulumi-command"));
    expect((await cli(["secrets", "--stack", "viacommand", "--file", info.secretsFile])).exitCode).toBe(0);
    const before = await footprint(dir, info);
    const r = await cli(["up", "--stack", "viacommand", "--yes"]);
    expect(r.exitCode).toBe(4);
    expect(r.stdout + r.stderr).toContain("command provider");
    expect(r.stdout + r.stderr).toContain("delphi-restore:transport ssh");
    expect(await footprint(dir, info)).toEqual(before);
    // --json: exactly one object on stdout, carrying the preview's facts and why it stopped.
    const j = await cli(["up", "--stack", "viacommand", "--yes", "--json"]);
    expect(j.exitCode).toBe(4);
    const doc = JSON.parse(j.stdout) as { ok: boolean; stage: string; preview: { stage: string; error: string; summary: { order: string } } };
    expect([doc.ok, doc.stage, doc.preview.stage, doc.preview.summary.order]).toEqual([false, "preview", "toolchain", "beforeRestore"]);
  });

  it("up without --yes and without a terminal declines (exit 3), changing nothing", async () => {
    const before = await footprint(dir, info);
    const r = await cli(["up", "--stack", "sandbox"]);
    expect(r.exitCode).toBe(3);
    expect(r.stdout + r.stderr).toContain("Not confirmed: nothing was changed");
    expect(await footprint(dir, info)).toEqual(before);
  });
});

describe("bad input and bookkeeping", () => {
  it("a stack without a config file is a usage error (exit 2) that says how to make one", async () => {
    const r = await cli(["preview", "--stack", "nosuch"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("Pulumi.nosuch.yaml does not exist");
  });

  it("a bad value in the stack config is rejected (exit 2) with the key, the value and the fix, before the engine runs", async () => {
    const good = readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    writeFileSync(join(dir, "Pulumi.badorder.yaml"), good.replace("delphi-restore:order: beforeRestore", "delphi-restore:order: sideways"));
    const before = await footprint(dir, info);
    const r = await cli(["preview", "--stack", "badorder", "--json"]);
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; problems: { key: string; value: unknown; fix: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems[0]?.key).toBe("delphi-restore:order");
    expect(String(doc.problems[0]?.value)).toContain("sideways");
    expect(doc.problems[0]?.fix).toMatch(/beforeRestore|beforeSwitch/);
    expect(await footprint(dir, info)).toEqual(before);
  });

  it("status and report say plainly that no restore has run, in text and --json", async () => {
    const status = await cli(["status", "--stack", "sandbox", "--json"]);
    expect(status.exitCode).toBe(0);
    const doc = JSON.parse(status.stdout) as { ran: boolean; steps: { step: string; state: string }[] };
    expect(doc.ran).toBe(false);
    expect(doc.steps.map((s) => s.state)).toEqual(doc.steps.map(() => "pending"));
    expect((await cli(["status", "--stack", "sandbox"])).stdout).toContain("No restore has run on stack 'sandbox' yet");
    const report = await cli(["report", "--stack", "sandbox"]);
    expect(report.exitCode).toBe(1);
    expect(report.stdout + report.stderr).toContain("No report yet");
    const reportJson = await cli(["report", "--stack", "sandbox", "--json"]);
    expect(JSON.parse(reportJson.stdout)).toMatchObject({ ok: false, error: expect.stringContaining("no report yet") });
  });

  it("self-managed rollback before any restore, and signoff, say why they cannot run, changing nothing", async () => {
    const before = await footprint(dir, info);
    const rollback = await cli(["rollback", "--stack", "sandbox", "--yes", "--json"]);
    expect(rollback.exitCode).toBe(1);
    expect((JSON.parse(rollback.stdout) as { error: string }).error).toContain("No kept database is recorded for stack 'sandbox'");
    const signoff = await cli(["signoff", "--stack", "sandbox", "--yes"]);
    expect(signoff.exitCode).toBe(1);
    expect(signoff.stdout + signoff.stderr).toContain("No kept database is recorded for stack 'sandbox': nothing to sign off.");
    expect(await footprint(dir, info)).toEqual(before);
  });

  it("an unknown command or option is a usage error (exit 2)", async () => {
    expect((await cli(["restore-everything"])).exitCode).toBe(2);
    expect((await cli(["preview", "--stak", "x"])).exitCode).toBe(2);
  });

  it("every run is in the run log with who, what, when and the exit code", () => {
    const lines = readFileSync(join(dir, ".state", "runs.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { command: string; stack: string; exitCode: number; user: string; at: string });
    expect(lines.some((l) => l.command === "preflight" && l.exitCode === 1)).toBe(true);
    expect(lines.some((l) => l.command === "preview" && l.stack === "nosuch" && l.exitCode === 2)).toBe(true);
    for (const l of lines) expect(l.user.length).toBeGreaterThan(0);
  });

  it("no secret appears in plaintext in the state folder, the stack config or the run log", () => {
    const text = allText(join(dir, ".state")) + readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(secrets.adminPassword);
    expect(text).not.toContain(secrets.sshPrivateKey.split("\n")[1]);
  });
});
