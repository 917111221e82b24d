// The plan's exact commands, run over real SSH on the sandbox step by step (bench/by-hand.ts):
// the baseline that proves the commands themselves, since the engine cannot run them on this
// machine (docs/toolchain.md). It is not the engine: no state, no diff, no resume.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runByHand, StepFailed } from "../../bench/by-hand";
import type { RestoreConfig } from "../../src/config";
import { SshRunner } from "../../src/cli/ssh";
import { dataLossWindow, parseLostWrites, restorePointFromName } from "../../src/runbook";
import { planPgRestore } from "../../src/mechanisms/pg-restore/plan";
import { renderReport } from "../../src/runbook/notice";
import { addMigration, layout, readEngineOps, removeMigration, sandboxRestoreConfig, setActiveCalls, writePostBackupRows, type EngineOp, type StartResult } from "../../src/sandbox";
import { compose } from "../../src/sandbox/postgres/db-container";
import { footprint, snapshotsSettled, sql, useTempSandbox } from "./support/sandbox";
import { CONSUMERS, expectRunbookOrder, lastVerbs as lastVerbsIn, opsSince as opsSinceIn } from "./support/runbook-order";

let dir: string;
let info: StartResult;
let config: RestoreConfig;
let secrets: { sshPrivateKey: string; adminPassword: string };
let ssh: SshRunner;

const sandbox = useTempSandbox("byhand");

beforeAll(async () => {
  ({ dir, info } = sandbox);
  ({ config, secrets } = sandboxRestoreConfig(info));
  ssh = new SshRunner(secrets.sshPrivateKey);
});


/** A restore by hand; it returns once its background snapshot has ended, so the next test's fingerprint of the backup folder does not race it. */
const restore = async (c: RestoreConfig = config) => {
  try {
    return await runByHand(c, planPgRestore(c), ssh, secrets);
  } finally {
    await snapshotsSettled(info);
  }
};
const opsSince = (ts: string): EngineOp[] => opsSinceIn(dir, ts);
/** Container stops the engine recorded (the stop signal sent) after a moment, on any host. */
const stopsSince = (ts: string): EngineOp[] => readEngineOps(dir).filter((op) => op.ts > ts && op.verb === "stop" && op.event === "start");
const lastVerbs = (since: string) => lastVerbsIn(dir, since);

describe("a restore (runbook order: quiesce, then restore)", () => {
  let lost: Awaited<ReturnType<typeof writePostBackupRows>>;
  let result: Awaited<ReturnType<typeof restore>>;
  let started: string;

  beforeAll(async () => {
    lost = await writePostBackupRows(dir, 2);
    started = new Date().toISOString();
    result = await restore();
  });

  it("removes the rows written after the dump from the database", async () => {
    const ids = lost.rows.map((r) => `'${r.id}'`).join(",");
    expect(lost.rows.length).toBe(18);
    for (const table of ["conversations", "tools", "billing_records"]) {
      expect(await sql(info, `select count(*) from ${table} where id in (${ids})`), table).toBe("0");
    }
  });

  it("keeps them in the kept database; the notice's comparison counts each as inserted, and the scratch database is gone", async () => {
    const kept = `delphi_pre_restore_${result.runtime.stamp}`;
    expect(await sql(info, `select count(*) from pg_database where datname = '${kept}'`)).toBe("1");
    const counted = parseLostWrites(Object.values(result.timings.find((t) => t.step === "report")?.stdout ?? {})[0] ?? "");
    const expected = new Map<string, number>();
    for (const r of lost.rows) expected.set(`${r.table}/${r.tenant}/inserted`, (expected.get(`${r.table}/${r.tenant}/inserted`) ?? 0) + 1);
    expect(new Map(counted.map((c) => [`${c.table}/${c.tenant}/${c.change}`, c.count]))).toEqual(expected);
    for (const c of counted) expect(c.keys.sort()).toEqual(lost.rows.filter((r) => r.table === c.table && r.tenant === c.tenant).map((r) => r.id).sort());
    expect(await sql(info, "select count(*) from pg_database where datname like '%restore_diff%'")).toBe("0");
    // The snapshot step (after the report) started the background dump of the kept database.
    expect(result.runtime.snapshotPath).toBe(`${info.backupDir}/pre-restore-${result.runtime.stamp}.dump`);
  });

  it("counts them per tenant and table in the tenant-admin notice", () => {
    const counted = parseLostWrites(Object.values(result.timings.find((t) => t.step === "report")?.stdout ?? {})[0] ?? "");
    const md = renderReport({
      deployment: config.deployment,
      restorePoint: result.runtime.restorePoint,
      window: dataLossWindow(result.runtime.restorePoint, result.writesStoppedAt),
      lost: counted,
      contact: config.report.contact,
      tables: config.report.tables,
      generatedAt: result.runtime.resumedAt,
    });
    expect(md).toContain("18 rows across 3 tenants were written after the restore point and are not in the restored database");
    for (const t of ["ten_acme", "ten_globex", "ten_initech"]) expect(md).toContain(`| ${t} | conversations | 2 | 0 | 0 |`);
    expect(result.runtime.restorePoint).toBe(restorePointFromName(basename(info.nightlyDump)));
  });

  it("leaves every service running, TelWeb reconciled and verified", async () => {
    expect(lastVerbs(started)).toEqual(CONSUMERS.map(() => "start"));
    expect((await fetch(info.telwebUrl)).status).toBe(200);
    const verify = result.timings.find((t) => t.step === "verify")?.stdout ?? {};
    expect(Object.keys(verify)).toEqual(["telweb-health", "admin-login", "sql-known-conversation", "sql-known-tool", "sql-known-billing-record", "telemetry", "test-call"]);
  });

  it("leaves no secret in any command's output, any host log, any container's log, the engine's record or the sandbox's files", async () => {
    const keyLine = secrets.sshPrivateKey.split("\n")[1] as string;
    const outputs = JSON.stringify(result.timings.map((t) => t.stdout));
    const hostFiles = readdirSync(join(dir, ".sandbox", "hosts"), { recursive: true, encoding: "utf8" })
      .map((f) => join(dir, ".sandbox", "hosts", f))
      .filter((f) => statSync(f).isFile() && /\.(log|md|json|txt)$/.test(f));
    expect(hostFiles.some((f) => f.endsWith("sshd.log"))).toBe(true);
    // Every service's own log (`docker compose logs` on its host), and the engine's record of every
    // command exec'd in a container (a secret on a command line would be there).
    const L = layout(dir);
    const containerLogs = await Promise.all(info.hosts.map((h) => compose(L, h.name, ["logs", "--no-color"])));
    expect(containerLogs.join("\n")).toMatch(/voiceai-postgres-1 +\|/);
    const engineRecord = readFileSync(L.engineEvents.file, "utf8");
    expect(readEngineOps(dir).some((op) => op.verb === "exec" && op.detail.startsWith("pg_restore --no-owner"))).toBe(true);
    for (const text of [outputs, engineRecord, ...containerLogs, ...hostFiles.map((f) => readFileSync(f, "utf8"))]) {
      expect(text).not.toContain(secrets.adminPassword);
      expect(text).not.toContain(keyLine);
    }
  });

  it("ran in the runbook's order, as the engine's own events tell it", () => {
    expectRunbookOrder(dir, started);
  });
});

describe("failures stop the runbook where they happen", () => {
  let since: string;
  beforeEach(() => {
    since = new Date().toISOString();
  });

  it("a corrupt dump: refused at the first step, which reads it through; nothing stopped, nothing written; a re-run with a good dump completes", async () => {
    const corrupt = join(info.backupDir, "delphi-20991231T000000Z.dump"); // the newest by name and time
    writeFileSync(corrupt, "this is not a pg_dump archive\n");
    const before = await sql(info, "select count(*) from conversations");
    const backupsBefore = (await footprint(dir, info)).backups.filter((f) => f !== basename(corrupt)); // the corrupt dump goes in the finally below
    let failure: unknown;
    try {
      await restore();
    } catch (e) {
      failure = e;
    } finally {
      rmSync(corrupt); // whatever this test finds, the next tests restore the good newest dump
    }
    expect(failure).toBeInstanceOf(StepFailed);
    expect((failure as StepFailed).step).toBe("precheck");
    expect((failure as StepFailed).host).toBe("db");
    expect((failure as Error).message).toContain(`dump ${corrupt} cannot be read in full`);
    expect((failure as Error).message).toContain("the restore is refused; nothing was stopped or changed");
    expect((await footprint(dir, info)).backups).toEqual(backupsBefore);
    expect(stopsSince(since)).toEqual([]);
    expect(await sql(info, "select count(*) from conversations")).toBe(before);

    const again = await restore();
    expect(again.timings.map((t) => t.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(lastVerbs(since)).toEqual(CONSUMERS.map(() => "start"));
  });

  it("Voice with active calls: the restore is refused before any service stops; forceStop overrides", async () => {
    setActiveCalls(dir, 2);
    try {
      const before = await sql(info, "select count(*) from conversations");
      await expect(restore()).rejects.toThrow(/step precheck failed on voice .*2 active calls; refusing to stop Voice/);
      expect(stopsSince(since)).toEqual([]);
      expect(opsSince(since).some((op) => op.verb === "exec" && /^pg_restore --(clean|no-owner)/.test(op.detail))).toBe(false);
      expect(await sql(info, "select count(*) from conversations")).toBe(before);
      const forced = { ...config, voice: { ...config.voice, forceStop: true } };
      const r = await restore(forced);
      expect(r.timings.at(-1)?.step).toBe("snapshot");
    } finally {
      setActiveCalls(dir, 0);
    }
  });

  it("beforeSwitch: restores beside the live database while it serves, then switches, keeping the old one under the restore's stamp", async () => {
    const c: RestoreConfig = { ...config, order: "beforeSwitch" };
    const first = await restore(c);
    expect(first.timings.map((t) => t.step)).toEqual(["precheck", "restore", "quiesce", "confirm", "repoint", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(await sql(info, `select count(*) from pg_database where datname = 'delphi_pre_restore_${first.runtime.stamp}'`)).toBe("1");
    expectRunbookOrder(dir, since, "beforeSwitch");
  });

  it("a failing migration fails the reconcile step with the migration's error; services stay stopped", async () => {
    addMigration(dir, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n");
    try {
      await expect(restore()).rejects.toThrow(/step reconcile failed on web/);
      expect(lastVerbs(since).slice(1)).toEqual(["stop", "stop", "stop", "stop"]);
    } finally {
      removeMigration(dir, "20991231000000_broken");
    }
    const r = await restore();
    expect(r.timings.at(-1)?.step).toBe("snapshot");
  });
});
