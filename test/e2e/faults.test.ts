// Faults mid-restore through the engine (the first cases of the faults issue): each is injected,
// `up` fails at the step and host it names, the pre-restore snapshot restores into a scratch
// database and holds what the database held before the run, nothing after the failed step ran;
// then the cause is removed and `up` finishes the restore.
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { addMigration, clearFaults, injectFault, readComposeLog, removeMigration, type StartResult } from "../../src/sandbox";
import { cliIn, pulumiIn } from "./support/cli";
import { CONSUMERS, lastVerbs } from "./support/runbook-order";
import { sql, useTempSandbox } from "./support/sandbox";

let dir: string;
let info: StartResult;
const sandbox = useTempSandbox("faults");
const cli = (args: string[]) => cliIn(dir, args);
let round = 0;

type UpDoc = { ok: boolean; error?: string; failed?: { resource: string; step?: string; host?: string }[]; commandsRun?: number };

/** A new restore each time (another restore point), so every step runs. */
async function newRestore(): Promise<{ code: number | undefined; doc: UpDoc; since: string }> {
  round++;
  const set = await cli(["secrets", "--stack", "sandbox", "--file", info.secretsFile]);
  expect(set.exitCode).toBe(0);
  await configSet("delphi-restore:restorePoint", `2026-01-0${round}T00:00:00Z`);
  return resume();
}

/** `pulumi config set --path` on the sandbox stack, as an operator would type it. */
async function configSet(key: string, value: string): Promise<void> {
  const r = await pulumiIn(dir, ["config", "set", "--stack", "sandbox", "--path", key, value]);
  expect(r.exitCode, String(r.stderr)).toBe(0);
}

async function resume(): Promise<{ code: number | undefined; doc: UpDoc; since: string }> {
  const since = new Date().toISOString();
  const r = await cli(["up", "--stack", "sandbox", "--yes", "--json"]);
  return { code: r.exitCode, doc: JSON.parse(String(r.stdout)) as UpDoc, since };
}

const TABLES = ["conversations", "tools", "billing_records", "tenants"];
const counts = async (db?: string) => {
  const url = db ? info.databaseUrl.replace(/\/delphi$/, `/${db}`) : info.databaseUrl;
  const out: Record<string, string> = {};
  for (const t of TABLES) out[t] = (await execa(join(info.database.pgBin, "psql"), ["-X", "-At", url, "-c", `select count(*) from ${t}`])).stdout.trim();
  return out;
};

/** The newest pre-restore snapshot, restored into a scratch database, holds `expected`. */
async function expectSnapshotRestores(expected: Record<string, string>): Promise<void> {
  const snap = (await execa("sh", ["-c", `ls -1t ${info.backupDir}/pre-restore-*.dump | head -n 1`])).stdout.trim();
  await sql(info, "drop database if exists delphi_fault_check");
  await sql(info, "create database delphi_fault_check");
  try {
    await execa(join(info.database.pgBin, "pg_restore"), ["--no-owner", "--exit-on-error", "-d", info.databaseUrl.replace(/\/delphi$/, "/delphi_fault_check"), snap]);
    expect(await counts("delphi_fault_check")).toEqual(expected);
  } finally {
    await sql(info, "drop database if exists delphi_fault_check");
  }
}

beforeAll(() => {
  ({ dir, info } = sandbox);
});

describe("faults through the engine", () => {
  it("TelWeb's migration fails: reconcile fails on web with the migration's error, services stay stopped, the snapshot restores; without the bad migration, up finishes", async () => {
    const before = await counts();
    addMigration(dir, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n");
    let r: Awaited<ReturnType<typeof newRestore>>;
    try {
      r = await newRestore();
    } finally {
      removeMigration(dir, "20991231000000_broken");
    }
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Reconcile schema (TelWeb migrate deploy)", "web"]]);
    expect(r.doc.error).toContain("migrate deploy failed: migration `20991231000000_broken`");
    expect(lastVerbs(dir, r.since).slice(1)).toEqual(["stop", "stop", "stop", "stop"]);
    expect(readComposeLog(dir).some((op) => op.ts > r.since && op.verb === "up" && op.detail === "up -d")).toBe(false);
    await expectSnapshotRestores(before);
    const again = await resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(lastVerbs(dir, again.since)).toEqual(CONSUMERS.map(() => "up"));
  });

  it("a service fails to start at resume: the update names resume and the host; once it can start, up finishes only what was left", async () => {
    const before = await counts();
    injectFault(dir, "api", "up", "Error response from daemon: api: port is already allocated");
    let r: Awaited<ReturnType<typeof newRestore>>;
    try {
      r = await newRestore();
    } finally {
      clearFaults(dir, "api");
    }
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([["Resume services", "api"]]);
    expect(r.doc.error).toContain("port is already allocated");
    expect(readComposeLog(dir).some((op) => op.ts > r.since && op.verb === "exec" && op.detail.includes("conv_known_0001"))).toBe(false);
    await expectSnapshotRestores(before);
    const again = await resume();
    expect(again.code, again.doc.error).toBe(0);
    // The re-run repeats no destructive step: no snapshot, stop or restore, only what was left.
    const ops = readComposeLog(dir).filter((op) => op.ts > again.since && op.event === "start");
    expect(ops.filter((op) => op.verb === "stop" || (op.verb === "exec" && /^pg_(dump|restore --clean)/.test(op.detail)))).toEqual([]);
    expect(lastVerbs(dir, r.since)).toEqual(CONSUMERS.map(() => "up"));
  });

  it("a verify check fails: the update stops at verify naming the check and the host; services run; with the check fixed, up finishes with the report", async () => {
    // A spot check whose expected value is wrong, as an operator might mistype it.
    await configSet("delphi-restore:verify.spotChecks[0].expect", "2");
    const r = await newRestore();
    expect(r.code).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host, f.resource])).toEqual([["Verify", "db", "verify-sql-known-conversation"]]);
    expect(r.doc.error).toContain("verify known-conversation failed: expected 2, got '1'");
    expect(lastVerbs(dir, r.since)).toEqual(CONSUMERS.map(() => "up"));
    await configSet("delphi-restore:verify.spotChecks[0].expect", "1");
    const again = await resume();
    expect(again.code, again.doc.error).toBe(0);
    expect(again.doc.commandsRun).toBe(3); // the fixed check, the lost-rows count and the notice
  });
});
