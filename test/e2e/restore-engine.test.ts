// The restore performed by the real Pulumi engine: `delphi-restore preview/up/status/report/
// rollback` as an operator types them, against a real sandbox (Postgres, six sshd hosts) in a temp
// folder. Every host command is this project's host-command resource (a Pulumi dynamic resource
// run by Pulumi's own provider host) running the command over OpenSSH with pinned host keys.
// The tests run in order and build on each other, like an incident: restore, re-run, roll back,
// a bad dump, beforeSwitch, a changed host key, then `pulumi` typed by hand and `destroy`.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { layout, readEngineOps, writePostBackupRows, type PostBackupRows, type StartResult } from "../../src/sandbox";
import { findBinaries } from "../../src/sandbox/binaries";
import { superuserSql } from "../../src/sandbox/postgres";
import { allText, cliIn, pulumiIn, ROOT } from "./support/cli";
import { CONSUMERS, expectRunbookOrder, lastVerbs } from "./support/runbook-order";
import { footprint, snapshotsSettled as settled, sql, useTempSandbox } from "./support/sandbox";
import { setStackConfig } from "./support/stack-file";
import { until } from "./support/wait";

const NS = "delphi-restore";
let dir: string;
let info: StartResult;
let secrets: { sshPrivateKey: string; adminPassword: string };
/** Every stdout/stderr the driver printed, for the secrets scan at the end. */
const printed: string[] = [];

const sandbox = useTempSandbox("restore");

async function cli(args: string[]) {
  const r = await cliIn(dir, args);
  printed.push(String(r.stdout), String(r.stderr));
  return r;
}

type UpDoc = { ok: boolean; commandsRun: number; outputs: Record<string, unknown>; error?: string; failed?: { resource: string; step?: string; host?: string; error?: string }[] };
async function up(args: string[] = []): Promise<{ code: number | undefined; doc: UpDoc; text: string }> {
  const r = await cli(["up", "--stack", "sandbox", "--yes", "--json", ...args]);
  return { code: r.exitCode, doc: JSON.parse(String(r.stdout)) as UpDoc, text: `${r.stdout}\n${r.stderr}` };
}

const setConfig = (values: Record<string, unknown>) => setStackConfig(dir, values);

const count = (table: string, ids: string[]) => sql(info, `select count(*) from ${table} where id in (${ids.map((i) => `'${i}'`).join(",")})`);
const idsOf = (rows: PostBackupRows, table: string) => rows.rows.filter((r) => r.table === table).map((r) => r.id);
/** Compose operations that change a host or the data (preflight's `ps` and read-only `exec`s do not). */
const changing = () => readEngineOps(dir).filter((op) => ["stop", "start"].includes(op.verb) || (op.verb === "exec" && /^(pg_dump|pg_restore --clean|pg_restore --no-owner|psql.*alter database)/i.test(op.detail))).length;
const snapshotsSettled = () => settled(info);
/** `delphi-20261123T020000Z.dump` -> `2026-11-23T02:00:00Z`, the restore point a dump's name gives. */
const restorePointOf = (file: string) => file.replace(/^.*-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.dump$/, "$1-$2-$3T$4:$5:$6Z");

beforeAll(async () => {
  ({ dir, info } = sandbox);
  secrets = JSON.parse(readFileSync(info.secretsFile, "utf8")) as typeof secrets;
  expect((await cli(["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
});

describe("a restore through the engine", () => {
  let lost: PostBackupRows;
  let first: Awaited<ReturnType<typeof up>>;
  let started: string;

  it("preview changes nothing on any host or in the database, and names every host, service and command up will run", async () => {
    const before = await footprint(dir, info);
    const opsBefore = readEngineOps(dir).length;
    const human = await cli(["preview", "--stack", "sandbox"]);
    expect(human.exitCode, String(human.stderr)).toBe(0);
    const json = JSON.parse(String((await cli(["preview", "--stack", "sandbox", "--json"])).stdout)) as { ok: boolean; summary: { steps: { step: string; commands: { host: string; name: string }[] }[] }; changeSummary: Record<string, number> };
    expect(json.ok).toBe(true);
    const commands = json.summary.steps.flatMap((s) => s.commands.map((c) => ({ ...c, resource: `${s.step}-${c.name}` })));
    expect(commands.length).toBeGreaterThan(20);
    // The engine's own preview lists each command as a resource, with its host and command text.
    for (const c of commands) expect(String(human.stdout), c.resource).toContain(`HostCommand::${c.resource}]`);
    for (const h of info.hosts) expect(String(human.stdout)).toContain(`name      : "${h.name}"`);
    for (const h of info.hosts.filter((x) => x.role !== "db")) expect(String(human.stdout)).toContain(`${h.name}: ${h.services.join(", ")}`);
    // Components, the notice and keys writers and the stack itself come on top of the host commands.
    expect(json.changeSummary.create).toBe(commands.length + 2 + json.summary.steps.length + 1);
    expect(await footprint(dir, info)).toEqual(before);
    // Only read-only compose calls (preflight's `ps`, `exec` checks) reached the hosts.
    expect(readEngineOps(dir).slice(opsBefore).filter((op) => ["stop", "start"].includes(op.verb))).toEqual([]);
  });

  it("up --yes restores for real: rows written after the dump are gone from the database", async () => {
    lost = await writePostBackupRows(dir, 2);
    started = new Date().toISOString();
    first = await up();
    expect(first.code, first.text).toBe(0);
    expect(first.doc.ok).toBe(true);
    expect(first.doc.commandsRun).toBeGreaterThan(20);
    for (const table of ["conversations", "tools", "billing_records"]) expect(await count(table, idsOf(lost, table)), table).toBe("0");
  });

  it("keeps them in the kept database (and the pre-restore snapshot) and counts them in the tenant notice, which `report` prints", async () => {
    const kept = String(first.doc.outputs.keptDatabase);
    expect(kept).toMatch(/^delphi_pre_restore_\d{8}T\d{6}Z$/);
    const inKept = async (table: string) => (await execa(join(info.database.pgBin, "psql"), ["-X", "-At", info.databaseUrl.replace(/\/delphi$/, `/${kept}`), "-c", `select count(*) from ${table} where id in (${idsOf(lost, table).map((i) => `'${i}'`).join(",")})`])).stdout.trim();
    for (const table of ["conversations", "tools", "billing_records"]) expect(await inKept(table), table).toBe(String(idsOf(lost, table).length));
    const snap = String(first.doc.outputs.preRestoreSnapshot);
    expect(snap).toBe(`${info.backupDir}/pre-restore-${kept.slice(-16)}.dump`);
    await until(() => existsSync(snap), `the background snapshot ${snap}`);
    expect(first.doc.outputs.lostRows).toBe(18);
    expect(first.doc.outputs.restorePoint).toBe(`${basename(info.nightlyDump).replace(/^delphi-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.dump$/, "$1-$2-$3T$4:$5:$6Z")}`);
    const report = await cli(["report", "--stack", "sandbox"]);
    expect(report.exitCode).toBe(0);
    expect(String(report.stdout)).toContain("18 rows across 3 tenants were written after the restore point and are not in the restored database");
    for (const t of ["ten_acme", "ten_globex", "ten_initech"]) for (const tb of ["conversations", "tools", "billing records"]) expect(String(report.stdout)).toContain(`| ${t} | ${tb} | 2 | 0 | 0 |`);
    expect(readFileSync(String(first.doc.outputs.reportPath), "utf8").trim()).toBe(String(report.stdout).trim());
  });

  it("leaves every service running, TelWeb reconciled, every verify check passed; status says every step is done", async () => {
    expect(lastVerbs(dir, started)).toEqual(CONSUMERS.map(() => "start"));
    expect((await fetch(info.telwebUrl)).status).toBe(200);
    expect(Object.keys(first.doc.outputs.verifyResults as object).sort()).toEqual(["admin-login", "sql-known-billing-record", "sql-known-conversation", "sql-known-tool", "telemetry", "telweb-health", "test-call"]);
    const status = JSON.parse(String((await cli(["status", "--stack", "sandbox", "--json"])).stdout)) as { steps: { state: string }[] };
    expect(status.steps.map((s) => s.state)).toEqual(status.steps.map(() => "done"));
  });

  it("ran in the runbook's order, as the engine's own events tell it", () => {
    expectRunbookOrder(dir, started);
  });

  it("up again with nothing changed runs no command: the engine records no change", async () => {
    const before = changing();
    const again = await up();
    expect(again.code, again.text).toBe(0);
    expect(again.doc.commandsRun).toBe(0);
    expect(changing()).toBe(before);
    const human = await cli(["up", "--stack", "sandbox", "--yes"]);
    expect(String(human.stdout)).toContain("Nothing to do on stack 'sandbox': this restore already completed");
  });

  it("rollback (pg-restore) renames the kept database back through the engine: the lost rows are back, the restored database is kept too", async () => {
    const since = new Date().toISOString();
    const kept = String(first.doc.outputs.keptDatabase);
    const r = await cli(["rollback", "--stack", "sandbox", "--yes"]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(String(r.stdout)).toContain(`Rolling back: putting ${kept} (the database the last restore kept) back`);
    for (const table of ["conversations", "tools", "billing_records"]) expect(await count(table, idsOf(lost, table)), table).toBe(String(idsOf(lost, table).length));
    const names = (await sql(info, "select datname from pg_database")).split("\n");
    expect(names).toContain(`delphi_undone_${kept.slice(-16)}`);
    expect(names).not.toContain(kept);
    // Services stopped for the renames only, and every one runs again; no pg_restore ran.
    expect(lastVerbs(dir, since)).toEqual(CONSUMERS.map(() => "start"));
    expect(readEngineOps(dir).some((op) => op.ts > since && op.verb === "exec" && /^pg_restore --/.test(op.detail) && !/^pg_restore --list/.test(op.detail))).toBe(false);
    // Back to restores for the tests below.
    setConfig({ phase: undefined, kept: undefined });
  });
});

describe("a dump that cannot be restored", () => {
  it("an unreadable dump is refused by preflight before anything runs, naming the dump", async () => {
    const corrupt = "delphi-20991231T000000Z.dump";
    writeFileSync(join(info.backupDir, corrupt), "this is not a pg_dump archive\n");
    setConfig({ dump: corrupt });
    const before = changing();
    const data = await footprint(dir, info);
    try {
      const r = await up();
      expect(r.code).toBe(1);
      expect(JSON.stringify(r.doc)).toContain(`the dump ${info.backupDir}/${corrupt} is missing or not a pg_dump archive`);
      expect(changing()).toBe(before);
      expect(await footprint(dir, info)).toEqual({ ...data });
    } finally {
      rmSync(join(info.backupDir, corrupt));
    }
  });

  it("a dump cut short (its table of contents still lists) is read through before anything stops, and refused with its path and the reason", async () => {
    const cut = "delphi-20991230T000000Z.dump";
    const whole = readFileSync(info.nightlyDump);
    writeFileSync(join(info.backupDir, cut), whole.subarray(0, Math.floor(whole.length * 0.9)));
    setConfig({ dump: cut });
    const before = changing();
    const data = await footprint(dir, info);
    try {
      const r = await up();
      expect(r.code).toBe(1);
      const checks = (r.doc as unknown as { preview: { checks: { check: string; ok: boolean; detail: string }[] } }).preview.checks;
      const read = checks.find((c) => c.check === "dump reads in full");
      expect(read?.ok).toBe(false);
      expect(read?.detail).toContain(`dump ${info.backupDir}/${cut} cannot be read in full: pg_restore: error: could not read from input file`);
      expect(changing()).toBe(before);
      expect(await footprint(dir, info)).toEqual(data);
    } finally {
      rmSync(join(info.backupDir, cut));
    }
  });

  it("a dump that reads in full but cannot be restored (a grant to a role this server lacks) fails the update at the restore step; the snapshot exists; status names the step; nothing after it ran", async () => {
    const bad = "delphi-20991229T000000Z.dump";
    const L = layout(dir);
    await superuserSql(L, findBinaries(), info.database.port, "create role delphi_ghost");
    await sql(info, "grant select on conversations to delphi_ghost");
    await execa(join(info.database.pgBin, "pg_dump"), ["-Fc", "-f", join(info.backupDir, bad), info.databaseUrl]);
    await sql(info, "revoke select on conversations from delphi_ghost");
    await superuserSql(L, findBinaries(), info.database.port, "drop role delphi_ghost");
    await snapshotsSettled();
    const rowsBefore = await sql(info, "select count(*) from conversations");
    const since = new Date().toISOString();
    setConfig({ dump: bad });
    const r = await up();
    rmSync(join(info.backupDir, bad));
    expect(r.code, r.text).toBe(1);
    expect(r.doc.ok).toBe(false);
    expect(r.doc.failed?.map((f) => [f.resource, f.step, f.host])).toEqual([["restore-pg-restore", "Restore database", "db"]]);
    expect(r.doc.error).toContain('The restore stopped at step "Restore database" on host db (restore-pg-restore)');
    expect(r.doc.error).toMatch(/restore-pg-restore failed on host db \(127\.0\.0\.1:\d+\) with exit code \d+/);
    expect(r.doc.error).toContain('role "delphi_ghost" does not exist');
    // Nothing was renamed or overwritten: the live database is as it was.
    expect(await sql(info, "select count(*) from conversations")).toBe(rowsBefore);
    expect((await sql(info, "select datname from pg_database")).split("\n")).toContain("delphi_restored");
    expect(lastVerbs(dir, since)).toEqual(CONSUMERS.map(() => "stop"));
    expect(readEngineOps(dir).some((op) => op.ts > since && op.verb === "start")).toBe(false);
    const status = await cli(["status", "--stack", "sandbox", "--json"]);
    expect(status.exitCode).toBe(1);
    const steps = (JSON.parse(String(status.stdout)) as { steps: { step: string; state: string; failed: string[] }[] }).steps;
    expect(steps.find((s) => s.step === "restore")).toMatchObject({ state: "failed", failed: ["restore-pg-restore"] });
    expect(steps.filter((s) => s.state === "done").map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm"]);
  });

  it("a second up with a good dump completes: a new restore, every step in order, the data whole again", async () => {
    const since = new Date().toISOString();
    setConfig({ dump: basename(info.nightlyDump) });
    const r = await up();
    expect(r.code, r.text).toBe(0);
    expect(lastVerbs(dir, since)).toEqual(CONSUMERS.map(() => "start"));
    expectRunbookOrder(dir, since);
    expect(await sql(info, "select count(*) from conversations where id = 'conv_known_0001'")).toBe("1");
  });
});

describe("order: beforeSwitch through the engine", () => {
  it("restores beside the live database while services run, stops them only for the switch, keeps the old database", async () => {
    const since = new Date().toISOString();
    setConfig({ order: "beforeSwitch" });
    const r = await up();
    expect(r.code, r.text).toBe(0);
    expectRunbookOrder(dir, since, "beforeSwitch");
    const kept = String(r.doc.outputs.keptDatabase);
    expect(await sql(info, `select count(*) from pg_database where datname = '${kept}'`)).toBe("1");
    setConfig({ order: "beforeRestore" });
  });
});

describe("dump: newest, two incidents in a row on one stack", () => {
  it("each up restores the dump that is newest then: a newer one is a new restore, never \"nothing to do\"; the same one again runs nothing", async () => {
    await snapshotsSettled();
    setConfig({ dump: undefined });
    const first = await up();
    expect(first.code, first.text).toBe(0);
    expect(first.doc.commandsRun).toBeGreaterThan(20);
    expect(first.doc.outputs.restorePoint).toBe(restorePointOf(basename(info.nightlyDump)));

    // A week later: rows written since, then a newer nightly dump that holds them.
    const written = await writePostBackupRows(dir, 1);
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const newer = join(info.backupDir, `delphi-${stamp}.dump`);
    await execa(join(info.database.pgBin, "pg_dump"), ["-Fc", "-f", newer, info.databaseUrl]);
    await snapshotsSettled();
    try {
      const second = await up();
      expect(second.code, second.text).toBe(0);
      expect(second.text).not.toContain("Nothing to do");
      expect(second.doc.commandsRun).toBeGreaterThan(20);
      expect(second.doc.outputs.restorePoint).toBe(restorePointOf(basename(newer)));
      for (const table of ["conversations", "tools", "billing_records"]) expect(await count(table, idsOf(written, table)), table).toBe(String(idsOf(written, table).length));
      await snapshotsSettled();
      const again = await up();
      expect(again.code, again.text).toBe(0);
      expect(again.doc.commandsRun).toBe(0);
    } finally {
      rmSync(newer, { force: true });
      setConfig({ dump: basename(info.nightlyDump) });
    }
  });
});

describe("a host whose host key differs from config", () => {
  it("is refused before any command runs on any host, naming the host and both fingerprints", async () => {
    const file = join(dir, "Pulumi.sandbox.yaml");
    const good = readFileSync(file, "utf8");
    const keyDir = join(dir, "other-host-key");
    mkdirSync(keyDir, { recursive: true });
    await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "k")]);
    const other = readFileSync(join(keyDir, "k.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
    const cfg = parseYaml(good) as { config: Record<string, { api: { hostKey: string } }> };
    cfg.config[`${NS}:hosts`].api.hostKey = other;
    writeFileSync(file, stringifyYaml(cfg, { lineWidth: 0 }));
    setConfig({ dump: undefined }); // a new restore, so every command would run
    const before = changing();
    const data = await footprint(dir, info);
    try {
      const r = await up();
      expect(r.code).toBe(1);
      const checks = (r.doc as unknown as { preview: { checks: { check: string; host: string; ok: boolean; detail: string }[] } }).preview.checks;
      expect(checks.filter((c) => !c.ok && c.check === "ssh").map((c) => c.host)).toEqual(["api"]);
      const detail = checks.find((c) => c.host === "api" && c.check === "ssh")?.detail ?? "";
      expect(detail).toContain("presented a host key that differs from hosts.api.hostKey");
      expect(detail).toMatch(/\(ssh-ed25519 SHA256:\S+\); nothing was run on it.*it presents ssh-ed25519 SHA256:\S+$/s);
      expect(changing()).toBe(before);
      expect(await footprint(dir, info)).toEqual(data);
    } finally {
      writeFileSync(file, good);
    }
    // With the right key pinned again, the restore runs (the newest dump: a new restore, so the
    // next test's, by hand with the nightly named, is one too).
    setConfig({ dump: undefined });
    const t0 = Date.now();
    const again = await up();
    expect(again.code, again.text).toBe(0);
    console.log(`recovery: a host key that changed: re-run completed in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });
});

describe("secrets after full restores", () => {
  it("the SSH key, the admin password and the database password appear nowhere in plaintext", async () => {
    const dbPassword = decodeURIComponent(new URL(info.databaseUrl).password);
    const keyLines = secrets.sshPrivateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    const exported = await pulumiIn(dir, ["stack", "export", "--stack", "sandbox"]);
    const texts = {
      "exported state (serialised provider included)": String(exported.stdout),
      "state folder (backend, run log, progress)": allText(join(dir, ".state")),
      "driver output (human and --json)": printed.join("\n"),
      reports: allText(join(dir, ".sandbox", "reports")),
      "stack config": readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8"),
    };
    expect(texts["exported state (serialised provider included)"]).toContain("__provider");
    for (const [where, text] of Object.entries(texts)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text, where).not.toContain(secrets.adminPassword);
      expect(text, where).not.toContain(dbPassword);
      for (const line of keyLines) expect(text, where).not.toContain(line);
    }
  });
});

describe("pulumi typed by hand, and destroy", () => {
  // Typed in the checkout (Pulumi.yaml's `main` is index.ts) against this project folder's stack.
  const pulumi = (args: string[]) => pulumiIn(dir, [...args, "--stack", "sandbox", "--non-interactive", "--config-file", join(dir, "Pulumi.sandbox.yaml")], { cwd: ROOT });

  it("pulumi preview and pulumi up (a new restore) run the same program through the nodejs language host", async () => {
    // The last restore was beforeSwitch: this is a new restore (order beforeRestore), run by hand.
    setConfig({ dump: basename(info.nightlyDump), order: "beforeRestore" });
    const preview = await pulumi(["preview", "--diff"]);
    expect(preview.exitCode, String(preview.stderr)).toBe(0);
    expect(String(preview.stdout)).toContain("HostCommand::restore-pg-restore");
    expect(String(preview.stdout)).not.toContain(secrets.adminPassword);
    const since = new Date().toISOString();
    const r = await pulumi(["up", "--yes", "--skip-preview"]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(String(r.stdout)).not.toMatch(/warning: using .* from \$PATH/);
    expectRunbookOrder(dir, since);
  });

  it("destroy afterwards stops nothing and deletes no data or snapshot", async () => {
    await snapshotsSettled();
    const before = await footprint(dir, info);
    const ops = changing();
    const r = await pulumi(["destroy", "--yes", "--skip-preview"]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(String(r.stdout)).toMatch(/\d+ deleted/);
    expect(changing()).toBe(ops);
    expect(await footprint(dir, info)).toEqual(before);
    expect(lastVerbs(dir, "")).toEqual(CONSUMERS.map(() => "start"));
  });
});

