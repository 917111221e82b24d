// Nothing accepted is lost (docs/safety.md): every write committed before the services stopped
// survives a pg-restore, in the live or the kept database, and the notice counts it exactly (by
// primary key: inserted, updated, deleted per tenant). Tenants write while the restore's first
// step runs (held on the db host with the sandbox's hold hooks) and while quiesce is under way
// (held at the web host's stop), in both orders; then sign-off and rollback, in both sequences,
// and a failed archive that leaves the kept database in place. All through the real engine.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { addMigration, holdAt, readEngineOps, release, removeMigration, waitUntilHeld, writePostBackupRows, type PostBackupRows, type StartResult } from "../../src/sandbox";
import { layout } from "../../src/sandbox/layout";
import { cliIn, pulumiIn } from "./support/cli";
import { faultKit, type Run } from "./support/faults";
import { sql, useTempSandbox } from "./support/sandbox";
import { until } from "./support/wait";

const sandbox = useTempSandbox("nothing-lost");
const kit = faultKit(sandbox);
let dir: string;
let info: StartResult;

/** A query on another database of the sandbox's server (the kept one). */
const sqlIn = async (db: string, query: string) =>
  (await execa(join(info.database.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", info.databaseUrl.replace(/\/delphi$/, `/${db}`), "-c", query])).stdout.trim();
const databases = async () => (await sql(info, "select datname from pg_database order by 1")).split("\n");
const idList = (rows: PostBackupRows[]) => rows.flatMap((r) => r.rows.map((x) => `'${x.id}'`)).join(",");
/** Rows of `written` found in a database, over the three tables. */
async function found(db: string, written: PostBackupRows[]): Promise<number> {
  const ids = idList(written);
  const q = ["conversations", "tools", "billing_records"].map((t) => `(select count(*) from ${t} where id in (${ids}))`).join(" + ");
  return Number(await sqlIn(db, `select ${q}`));
}
const total = (rows: PostBackupRows[]) => rows.reduce((n, r) => n + r.rows.length, 0);
/** After a sign-off: a new restore again (phase restore, no kept name), in `order`. */
async function backToRestore(order: "beforeRestore" | "beforeSwitch"): Promise<void> {
  await kit.configSet("delphi-restore:phase", "restore");
  await pulumiIn(dir, ["config", "rm", "--stack", "sandbox", "delphi-restore:kept"]);
  await kit.configSet("delphi-restore:order", order);
}

type Outputs = { keptDatabase?: string; lostRows?: number; reportPath?: string; preRestoreSnapshot?: string; archive?: string; signedOff?: boolean };
const outputsOf = (r: Run) => (r.doc as unknown as { outputs: Outputs }).outputs;

/**
 * A new restore during which tenants write: while its first step reads the dump (held on the db
 * host at `firstHold`), and while quiesce is under way (held at the web host's stop).
 */
async function restoreWithWritesDuring(firstHold: string): Promise<{ run: Run; during: PostBackupRows; beforeStop: PostBackupRows }> {
  holdAt(dir, "db", firstHold);
  holdAt(dir, "web", "stop");
  const bg = await kit.startNewRestore();
  let during: PostBackupRows;
  let beforeStop: PostBackupRows;
  try {
    await waitUntilHeld(dir, "db", firstHold);
    during = await writePostBackupRows(dir, 1);
    release(dir, "db", firstHold);
    await waitUntilHeld(dir, "web", "stop");
    beforeStop = await writePostBackupRows(dir, 1);
  } finally {
    release(dir, "db", firstHold);
    release(dir, "web", "stop");
  }
  return { run: await bg.done(), during, beforeStop };
}

beforeAll(async () => {
  ({ dir, info } = sandbox);
  expect((await cliIn(dir, ["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
  // An operator previews first: preflight reads the dump in full once, so up's own read of it in its
  // first step is the one the hold catches.
  expect((await cliIn(dir, ["preview", "--stack", "sandbox", "--json"])).exitCode).toBe(0);
});

describe("order beforeRestore, snapshot after (the default)", () => {
  let earlier: PostBackupRows;
  let r: Awaited<ReturnType<typeof restoreWithWritesDuring>>;

  it("writes during the first step and during quiesce all survive in the kept database; the restored one has none of them", async () => {
    earlier = await writePostBackupRows(dir, 1);
    await sql(info, "update tools set name = 'crm-lookup-v2' where id = 'tool_acme_crm'");
    await sql(info, "delete from billing_records where id = 'bill_globex_001'");
    r = await restoreWithWritesDuring("exec.pg_restore.f");
    expect(r.run.code, JSON.stringify(r.run.doc)).toBe(0);
    const kept = String(outputsOf(r.run).keptDatabase);
    expect(kept).toMatch(/^delphi_pre_restore_\d{8}T\d{6}Z$/);
    expect(await databases()).toContain(kept);
    const all = [earlier, r.during, r.beforeStop];
    // Not one accepted write is lost: each is in the live or the kept database (here: the kept one).
    expect(await found(kept, all)).toBe(total(all));
    expect(await found("delphi", all)).toBe(0);
    expect(await sqlIn(kept, "select name from tools where id = 'tool_acme_crm'")).toBe("crm-lookup-v2");
    expect(await sql(info, "select name from tools where id = 'tool_acme_crm'")).toBe("crm-lookup");
    expect(await sql(info, "select count(*) from billing_records where id = 'bill_globex_001'")).toBe("1");
    console.log(`nothing lost: ${total(all)} rows written after the dump (${total([r.during])} while the first step ran, ${total([r.beforeStop])} during quiesce), ${total(all) - (await found(kept, all)) - (await found("delphi", all))} lost`);
  });

  it("the notice counts every one of them per tenant, and the update and the delete as such, with their keys", async () => {
    const o = outputsOf(r.run);
    const all = [earlier, r.during, r.beforeStop];
    expect(o.lostRows).toBe(total(all) + 2);
    const report = readFileSync(String(o.reportPath), "utf8");
    expect(report).toContain(`${total(all) + 2} rows across 3 tenants were written after the restore point`);
    // 3 inserts per tenant and table (one per write round), the update and the delete.
    expect(report).toContain("| ten_acme | conversations | 3 | 0 | 0 |");
    expect(report).toContain("| ten_acme | tools | 3 | 1 | 0 |");
    expect(report).toContain("| ten_globex | billing records | 3 | 0 | 1 |");
    expect(report).toContain("| ten_initech | billing records | 3 | 0 | 0 |");
    for (const row of r.during.rows) expect(report).toContain(`\`${row.id}\``);
    expect(report).toContain("tools changed (1): `tool_acme_crm`");
    expect(report).toContain("billing records deleted (1): `bill_globex_001`");
    const keys = readFileSync(String(o.reportPath).replace(/\.md$/, ".keys.tsv"), "utf8");
    expect(keys.split("\n").filter(Boolean).length).toBe(1 + total(all) + 2);
    expect(keys).toContain("ten_globex\tbilling_records\tdeleted\tbill_globex_001");
  });

  it("the pre-restore snapshot file is written from the kept database after the services are back, and reads in full", async () => {
    const snap = String(outputsOf(r.run).preRestoreSnapshot);
    expect(snap).toMatch(new RegExp(`^${info.backupDir}/pre-restore-\\d{8}T\\d{6}Z\\.dump$`));
    await until(() => existsSync(snap), `the background snapshot ${snap}`);
    await execa(join(info.database.pgBin, "pg_restore"), ["-f", "/dev/null", snap]);
    const dumped = (await execa(join(info.database.pgBin, "pg_restore"), ["-f", "-", "--data-only", "-t", "conversations", snap])).stdout;
    for (const row of r.beforeStop.rows.filter((x) => x.table === "conversations")) expect(dumped).toContain(row.id);
  });

  it("sign-off archives the kept database (the snapshot, verified in full) and removes it; then rollback is refused, naming the archive", async () => {
    const kept = String(outputsOf(r.run).keptDatabase);
    const s = await cliIn(dir, ["signoff", "--stack", "sandbox", "--yes", "--json"]);
    expect(s.exitCode, `${s.stdout}\n${s.stderr}`).toBe(0);
    expect(await databases()).not.toContain(kept);
    const archive = String(outputsOf({ doc: JSON.parse(String(s.stdout)) } as Run).archive);
    expect(basename(archive)).toBe(`pre-restore-${kept.slice(-16)}.dump`);
    expect(existsSync(archive)).toBe(true);
    const before = await databases();
    const rb = await cliIn(dir, ["rollback", "--stack", "sandbox", "--yes", "--json"]);
    expect(rb.exitCode).toBe(1);
    expect(String(rb.stdout)).toContain("was signed off");
    expect(String(rb.stdout)).toContain(archive);
    expect(String(rb.stdout)).toContain("--from-archive");
    expect(await databases()).toEqual(before);
  });

  it("rollback --from-archive restores the archive as a new restore: the kept writes are live again", async () => {
    const rb = await cliIn(dir, ["rollback", "--stack", "sandbox", "--yes", "--json", "--from-archive"]);
    expect(rb.exitCode, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    const all = [earlier, r.during, r.beforeStop];
    expect(await found("delphi", all)).toBe(total(all));
    expect(await sql(info, "select name from tools where id = 'tool_acme_crm'")).toBe("crm-lookup-v2");
  });
});

describe("order beforeSwitch", () => {
  let r: Awaited<ReturnType<typeof restoreWithWritesDuring>>;
  let writtenWhileRestoring: PostBackupRows;

  it("writes while the restore runs beside the live database, and during quiesce, survive in the kept database and are counted", async () => {
    await kit.configSet("delphi-restore:order", "beforeSwitch");
    await kit.configSet("delphi-restore:dump", basename(info.nightlyDump));
    // The restore into the fresh database is held; tenants write to the live one meanwhile.
    holdAt(dir, "db", "exec.pg_restore.no-owner");
    holdAt(dir, "web", "stop");
    const bg = await kit.startNewRestore();
    try {
      await waitUntilHeld(dir, "db", "exec.pg_restore.no-owner");
      writtenWhileRestoring = await writePostBackupRows(dir, 1);
      release(dir, "db", "exec.pg_restore.no-owner");
      await waitUntilHeld(dir, "web", "stop");
      r = { run: undefined as unknown as Run, during: writtenWhileRestoring, beforeStop: await writePostBackupRows(dir, 1) };
    } finally {
      release(dir, "db", "exec.pg_restore.no-owner");
      release(dir, "web", "stop");
    }
    r.run = await bg.done();
    expect(r.run.code, JSON.stringify(r.run.doc)).toBe(0);
    const kept = String(outputsOf(r.run).keptDatabase);
    const all = [r.during, r.beforeStop];
    expect(await found(kept, all)).toBe(total(all));
    expect(await found("delphi", all)).toBe(0);
    const report = readFileSync(String(outputsOf(r.run).reportPath), "utf8");
    for (const row of [...r.during.rows, ...r.beforeStop.rows]) expect(report).toContain(`\`${row.id}\``);
  });

  it("rollback renames the kept database back (O(1)): the writes are live again, what the restore put there is kept; then sign-off archives and removes that", async () => {
    const kept = String(outputsOf(r.run).keptDatabase);
    const rb = await cliIn(dir, ["rollback", "--stack", "sandbox", "--yes", "--json"]);
    expect(rb.exitCode, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    const all = [r.during, r.beforeStop];
    expect(await found("delphi", all)).toBe(total(all));
    const undone = `delphi_undone_${kept.slice(-16)}`;
    expect(await databases()).toEqual(expect.arrayContaining([undone]));
    expect(await databases()).not.toContain(kept);
    const s = await cliIn(dir, ["signoff", "--stack", "sandbox", "--yes", "--json"]);
    expect(s.exitCode, `${s.stdout}\n${s.stderr}`).toBe(0);
    expect(await databases()).not.toContain(undone);
    expect(existsSync(join(info.backupDir, `pre-restore-${kept.slice(-16)}.undone.dump`))).toBe(true);
    expect(await found("delphi", all)).toBe(total(all));
  });
});

describe("a sign-off whose archive fails", () => {
  it("keeps the kept database, says so, and succeeds once the cause is gone", async () => {
    await backToRestore("beforeRestore");
    await kit.configSet("delphi-restore:snapshot", "none");
    const run = await kit.newRestore();
    expect(run.code, JSON.stringify(run.doc)).toBe(0);
    const kept = String(outputsOf(run).keptDatabase);
    const faults = layout(dir).host("db").faults;
    mkdirSync(faults, { recursive: true });
    writeFileSync(join(faults, "exec.pg_dump"), "pg_dump: error: injected: disk full");
    try {
      const s = await cliIn(dir, ["signoff", "--stack", "sandbox", "--yes", "--json"]);
      expect(s.exitCode).toBe(1);
      expect(String(s.stdout)).toContain(`the kept data ${kept} stays`);
      expect(await databases()).toContain(kept);
    } finally {
      rmSync(join(faults, "exec.pg_dump"), { force: true });
    }
    const again = await cliIn(dir, ["signoff", "--stack", "sandbox", "--yes", "--json"]);
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(await databases()).not.toContain(kept);
    await kit.configSet("delphi-restore:snapshot", "after");
  });
});

describe("order beforeSwitch with reconcile.beforeStop: TelWeb's migrations before anything stops", () => {
  const EARLY = "Reconcile schema (TelWeb migrate deploy) against delphi_restored, before anything stops";
  /** Any consumer container stopped on the engine since `since`. */
  const stoppedSince = (since: string) => readEngineOps(dir).filter((op) => op.ts > since && op.verb === "stop");

  it("a migration that fails against the restored database fails the update at reconcile on web with nothing stopped and the live database untouched; without it, up finishes", async () => {
    await backToRestore("beforeSwitch");
    await kit.configSet("delphi-restore:reconcile.beforeStop", "true");
    const before = await kit.counts();
    const r = await kit.newRestoreWith(
      () => addMigration(dir, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n"),
      () => removeMigration(dir, "20991231000000_broken"),
    );
    expect(r.code, JSON.stringify(r.doc)).toBe(1);
    expect(r.doc.failed?.map((f) => [f.step, f.host])).toEqual([[EARLY, "web"]]);
    expect(r.doc.error).toContain("migrate deploy failed: migration `20991231000000_broken`");
    expect(r.doc.error).toContain("before anything stopped; every service still runs on the live database");
    expect(stoppedSince(r.since)).toEqual([]);
    expect(await kit.counts()).toEqual(before);
    const again = await kit.resume();
    expect(again.code, JSON.stringify(again.doc)).toBe(0);
    expect(again.doc.resumed?.keptSteps).toContain("Restore database");
    expect(again.doc.resumed?.from).toBe(EARLY);
  });

  it("a pending migration is applied to the restored database before the first stop; after the switch TelWeb starts with the rest, and every write is kept and counted", async () => {
    const written = await writePostBackupRows(dir, 1);
    addMigration(dir, "20991231000001_tool_note", "ALTER TABLE tools ADD COLUMN IF NOT EXISTS note text;\n");
    let r: Run;
    try {
      r = await kit.newRestore();
    } finally {
      removeMigration(dir, "20991231000001_tool_note");
    }
    expect(r.code, JSON.stringify(r.doc)).toBe(0);
    const ops = readEngineOps(dir).filter((op) => op.ts > r.since);
    const firstStop = ops.findIndex((op) => op.verb === "stop");
    // The one-off TelWeb container (compose run) started and ended cleanly on web before any service stopped.
    const oneOff = ops.findIndex((op) => op.host === "web" && op.service === "voiceai-telweb" && op.verb === "die" && op.event === "ok");
    expect(oneOff).toBeGreaterThanOrEqual(0);
    expect(oneOff).toBeLessThan(firstStop);
    // Its migration is in the database now serving (the restored one), recorded as applied.
    expect(await sql(info, "select count(*) from _prisma_migrations where migration_name = '20991231000001_tool_note' and finished_at is not null")).toBe("1");
    expect(await sql(info, "select count(*) from information_schema.columns where table_name = 'tools' and column_name = 'note'")).toBe("1");
    // After the switch, no step waited for TelWeb alone: every consumer started in the one resume step.
    const steps = (r.doc as unknown as { progress?: { step?: string }[] }).progress?.map((p) => p.step) ?? [];
    expect(steps).not.toContain("Reconcile schema (TelWeb migrate deploy)");
    const kept = String(outputsOf(r).keptDatabase);
    expect(await found(kept, [written])).toBe(total([written]));
    const report = readFileSync(String(outputsOf(r).reportPath), "utf8");
    for (const row of written.rows) expect(report).toContain(`\`${row.id}\``);
    await kit.configSet("delphi-restore:reconcile.beforeStop", "false");
  });
});
