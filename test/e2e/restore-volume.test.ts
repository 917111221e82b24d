// A volume-snapshot restore through the real Pulumi engine on the sandbox's btrfs data volume: the
// database's data directory is a btrfs subvolume on a loop device, snapshots are real read-only
// subvolumes, and the database container really stops and starts around the swap. The tests build
// on each other like an incident: writes, a snapshot, more writes, refusals, the restore, rollback.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { readEngineOps, takeVolumeSnapshot, writePostBackupRows, type PostBackupRows, type StartResult } from "../../src/sandbox";
import { cliIn } from "./support/cli";
import { CONSUMERS, lastVerbs, opsSince } from "./support/runbook-order";
import { sql, useTempSandbox } from "./support/sandbox";
import { setStackConfig } from "./support/stack-file";
import { until } from "./support/wait";

let dir: string;
let info: StartResult;
let mount: string;
const sandbox = useTempSandbox("volume", { volume: "btrfs" });

type UpDoc = { ok: boolean; commandsRun: number; outputs: Record<string, unknown>; error?: string; failed?: { step?: string; host?: string; error?: string }[] };
async function up(command = "up"): Promise<{ code: number | undefined; doc: UpDoc; text: string }> {
  const r = await cliIn(dir, [command, "--stack", "sandbox", "--yes", "--json"]);
  return { code: r.exitCode, doc: JSON.parse(String(r.stdout)) as UpDoc, text: `${r.stdout}\n${r.stderr}` };
}

const setConfig = (values: Record<string, unknown>) => setStackConfig(dir, values);

const volume = (extra: Record<string, unknown>) => ({ mount, dataSubvolume: "data", snapshotsDir: "snapshots", minFreeMiB: 64, recoveryTimeoutSeconds: 120, ...extra });
const present = async (rows: PostBackupRows) => Number(await sql(info, `select count(*) from conversations where id in (${rows.rows.filter((r) => r.table === "conversations").map((r) => `'${r.id}'`).join(",")})`));
const conversations = (rows: PostBackupRows) => rows.rows.filter((r) => r.table === "conversations").length;
/** Containers the engine began to stop or started, on any host (the database's among them). */
const changing = () => readEngineOps(dir).filter((op) => (op.verb === "stop" && op.event === "start") || op.verb === "start");
const secondPassed = (since: number) => new Promise((r) => setTimeout(r, Math.max(0, since + 1100 - Date.now())));

let early: PostBackupRows;
let late: PostBackupRows;
let snapshotName: string;

beforeAll(async () => {
  ({ dir, info } = sandbox);
  if (!info.volume) throw new Error("the sandbox started without its btrfs volume");
  mount = info.volume.mount;
  expect((await cliIn(dir, ["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
  // Tenants write; a snapshot is taken; tenants write again (a second apart: creation times are whole seconds).
  early = await writePostBackupRows(dir, 1);
  await secondPassed(Date.now());
  const snap = await takeVolumeSnapshot(dir);
  snapshotName = snap.name;
  await secondPassed(Date.parse(snap.createdAt));
  late = await writePostBackupRows(dir, 2);
  // A settings change and a delete after the snapshot: writes the notice must count too.
  await sql(info, "update tools set name = 'crm-lookup-v2' where id = 'tool_acme_crm'");
  await sql(info, "delete from billing_records where id = 'bill_globex_001'");
  setConfig({ mechanism: "volume-snapshot", dump: undefined, volume: volume({ snapshot: snapshotName }) });
});

describe("a volume-snapshot restore through the engine", () => {
  it("refuses a missing snapshot before any service stops, naming what the folder holds", async () => {
    setConfig({ volume: volume({ snapshot: "nightly-19990101T000000Z" }) });
    const before = changing().length;
    const r = await up();
    expect(r.code, r.text).not.toBe(0);
    expect(r.text).toMatch(/volume snapshot nightly-19990101T000000Z is not in .*snapshots \(it holds: .*manual-/);
    expect(changing().length).toBe(before);
    expect(await present(late)).toBe(conversations(late));
  });

  it("refuses an incomplete (writable) snapshot and one newer than the incident time, before any service stops", async () => {
    await execa("btrfs", ["subvolume", "create", join(mount, "snapshots", "half-written")]);
    const before = changing().length;
    setConfig({ volume: volume({ snapshot: "half-written" }) });
    const rw = await up();
    expect(rw.code, rw.text).not.toBe(0);
    expect(rw.text).toMatch(/is not read-only: it may be incomplete/);
    setConfig({ volume: volume({ snapshot: snapshotName, before: early.writtenAt }) });
    const newer = await up();
    expect(newer.code, newer.text).not.toBe(0);
    expect(newer.text).toMatch(new RegExp(`${snapshotName} was created at .*not before the incident time`));
    expect(changing().length).toBe(before);
  });

  it("preview names the snapshot, its creation time as the restore point, and the kept data subvolume; nothing changes", async () => {
    setConfig({ volume: volume({ snapshot: snapshotName }) });
    const before = changing().length;
    const r = await cliIn(dir, ["preview", "--stack", "sandbox", "--json"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const doc = JSON.parse(String(r.stdout)) as { summary: { dump: string; source: string; restorePoint: string; keptOldDatabase: string; steps: { step: string }[] } };
    expect(doc.summary.source).toBe("volume snapshot");
    expect(doc.summary.dump).toContain(snapshotName);
    expect(doc.summary.restorePoint).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(the snapshot's creation time\)$/);
    expect(doc.summary.keptOldDatabase).toContain("data.pre-restore-<UTC>");
    expect(doc.summary.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(changing().length).toBe(before);
  });

  let restored: Awaited<ReturnType<typeof up>>;
  let started: string;
  it("up brings the database back to the snapshot's moment: earlier rows present, later rows absent", async () => {
    started = new Date().toISOString();
    restored = await up();
    expect(restored.code, restored.text).toBe(0);
    expect(await present(early)).toBe(conversations(early));
    expect(await present(late)).toBe(0);
  });

  it("kept the replaced data subvolume; the notice opened it read-only and counts the later rows, the update and the delete; the snapshot is dumped from it after the services are back", async () => {
    const o = restored.doc.outputs;
    const kept = String(o.keptDataSubvolume);
    expect(kept).toMatch(/^data\.pre-restore-\d{8}T\d{6}Z$/);
    expect(existsSync(join(mount, kept, "PG_VERSION"))).toBe(true);
    const stamp = kept.replace("data.pre-restore-", "");
    expect(String(o.volumeSnapshot)).toBe(join(mount, "snapshots", snapshotName));
    expect(o.lostRows).toBe(late.rows.length + 2);
    const report = readFileSync(String(o.reportPath), "utf8");
    expect(report).toContain(`${late.rows.length + 2} rows across 3 tenants were written after the restore point`);
    expect(report).toContain("| ten_acme | tools | 2 | 1 | 0 |");
    expect(report).toContain("| ten_globex | billing records | 2 | 0 | 1 |");
    // snapshot: after: from the kept subvolume, in the background; the temporary server is gone after.
    const snap = join(info.backupDir, `pre-restore-${stamp}.dump`);
    expect(String(o.preRestoreSnapshot)).toBe(snap);
    await until(() => existsSync(snap), `the background snapshot ${snap}`);
    const dumped = (await execa(join(info.database.pgBin, "pg_restore"), ["-f", "-", "--data-only", "-t", "conversations", snap])).stdout;
    for (const row of late.rows.filter((x) => x.table === "conversations")) expect(dumped).toContain(row.id);
    // The temporary server on the kept data stops once the dump is written (the file appears first).
    await until(() => !existsSync(join(mount, kept, "postmaster.pid")), "the temporary Postgres on the kept subvolume to stop");
  });

  it("stopped the database only after every service, and started it before TelWeb; every service runs and verify passed", () => {
    const ops = opsSince(dir, started);
    const dbStop = ops.findIndex((op) => op.host === "db" && op.verb === "stop");
    const dbUp = ops.findIndex((op) => op.host === "db" && op.verb === "start");
    const stops = ops.map((op, i) => (op.verb === "stop" && op.host !== "db" ? i : -1)).filter((i) => i >= 0);
    const telweb = ops.findIndex((op) => op.verb === "start" && op.service === "voiceai-telweb");
    const snapshot = ops.findIndex((op) => op.verb === "exec" && op.detail.startsWith("pg_dump"));
    expect(stops.length).toBe(CONSUMERS.length);
    // The pre-restore snapshot comes after every service is back (from the kept data).
    expect(snapshot).toBeGreaterThan(Math.max(...ops.map((op, i) => (op.verb === "start" && op.host !== "db" ? i : -1))));
    expect(dbStop).toBeGreaterThan(Math.max(...stops));
    expect(dbUp).toBeGreaterThan(dbStop);
    expect(telweb).toBeGreaterThan(dbUp);
    expect(lastVerbs(dir, started)).toEqual(CONSUMERS.map(() => "start"));
    expect(Object.keys(restored.doc.outputs.verifyResults as object)).toEqual(expect.arrayContaining(["sql-known-conversation", "telweb-health", "telemetry"]));
  });

  it("rollback puts the kept data subvolume back: the later rows return, and what the restore put there is kept too", async () => {
    const r = await up("rollback");
    expect(r.code, r.text).toBe(0);
    expect(await present(late)).toBe(conversations(late));
    expect(await present(early)).toBe(conversations(early));
    const names = readdirSync(mount);
    expect(names.some((n) => /^data\.undone-\d{8}T\d{6}Z$/.test(n))).toBe(true);
    expect(names.some((n) => /^data\.pre-restore-/.test(n))).toBe(false);
    expect(lastVerbs(dir, started)).toEqual(CONSUMERS.map(() => "start"));
  });

  it("sign-off archives what the rollback put aside and deletes that subvolume (btrfs subvolume delete); no service stops", async () => {
    const undone = readdirSync(mount).find((n) => /^data\.undone-\d{8}T\d{6}Z$/.test(n)) ?? "";
    const since = new Date().toISOString();
    const r = await up("signoff");
    expect(r.code, r.text).toBe(0);
    expect(readdirSync(mount)).not.toContain(undone);
    expect(existsSync(String(r.doc.outputs.archive))).toBe(true);
    expect(lastVerbs(dir, since).filter((v) => v === "stop")).toEqual([]);
    expect(await present(late)).toBe(conversations(late));
  });
});
