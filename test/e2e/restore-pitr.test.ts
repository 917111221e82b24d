// A point-in-time restore (mechanism wal-pitr) through the real Pulumi engine on the sandbox's
// WAL archive: real base backups, real archived WAL, Postgres' own recovery. Like an incident:
// tenants write, a mass DELETE, tenants write again; find-target names the DELETE; the restore
// undoes it and keeps everything before; a time target; targets out of reach refused before any
// service stops; rollback puts the kept data directory back.
import { existsSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readEngineOps, switchWal, takeBaseBackup, writePostBackupRows, type PostBackupRows, type StartResult } from "../../src/sandbox";
import { cliIn } from "./support/cli";
import { CONSUMERS, lastVerbs } from "./support/runbook-order";
import { sql, useTempSandbox } from "./support/sandbox";
import { setStackConfig } from "./support/stack-file";

let dir: string;
let info: StartResult;
const sandbox = useTempSandbox("pitr", { walArchive: true });

type UpDoc = { ok: boolean; outputs: Record<string, unknown>; error?: string };
async function up(command = "up"): Promise<{ code: number | undefined; doc: UpDoc; text: string }> {
  const r = await cliIn(dir, [command, "--stack", "sandbox", "--yes", "--json"]);
  return { code: r.exitCode, doc: JSON.parse(String(r.stdout)) as UpDoc, text: `${r.stdout}\n${r.stderr}` };
}
const ids = (rows: PostBackupRows) => rows.rows.filter((r) => r.table === "conversations").map((r) => `'${r.id}'`).join(",");
const present = async (rows: PostBackupRows) => Number(await sql(info, `select count(*) from conversations where id in (${ids(rows)})`));
const conversations = (rows: PostBackupRows) => rows.rows.filter((r) => r.table === "conversations").length;
/** Containers the engine began to stop or started, on any host (a refusal before anything stops leaves none). */
const changing = () => readEngineOps(dir).filter((op) => (op.verb === "stop" && op.event === "start") || op.verb === "start").length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** find-target on the stack file exactly as `sandbox up --wal-archive` wrote it. */
let asWritten: Awaited<ReturnType<typeof cliIn>>;

beforeAll(async () => {
  ({ dir, info } = sandbox);
  const wal = info.wal;
  if (!wal) throw new Error("the sandbox started without WAL archiving");
  expect((await cliIn(dir, ["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
  asWritten = await cliIn(dir, ["find-target", "--stack", "sandbox", "--json"]);
  setStackConfig(dir, {
    mechanism: "wal-pitr",
    dump: undefined,
    wal: { archiveDir: wal.archiveDir, baseBackupsDir: wal.baseBackupsDir, dataDir: wal.dataDir, recoveryTimeoutSeconds: 120 },
    target: { latest: true },
  });
});

it("the WAL sandbox's stack is ready for find-target as written (mechanism wal-pitr, its archive, target latest)", () => {
  expect(asWritten.exitCode, String(asWritten.stderr)).toBe(0);
  expect(JSON.parse(String(asWritten.stdout))).toHaveProperty("candidates");
});

describe("targets out of reach are refused before any service stops, naming the reachable window", () => {
  it("before the oldest base backup", async () => {
    const before = changing();
    setStackConfig(dir, { target: { time: new Date(Date.now() - 3_600_000).toISOString() } });
    const r = await up();
    expect(r.code, r.text).not.toBe(0);
    expect(r.text).toMatch(/before the end of the oldest base backup, base-\d{8}T\d{6}Z .*reachable: base-/);
    expect(changing()).toBe(before);
  });

  it("after the last archived WAL", async () => {
    await writePostBackupRows(dir, 1); // written, not archived yet (no segment switch since)
    const before = changing();
    setStackConfig(dir, { target: { time: new Date().toISOString() } });
    const r = await up();
    expect(r.code, r.text).not.toBe(0);
    expect(r.text).toMatch(/after the last archived commit reachable from base-.*reachable: base-\S+: \S+ to \S+/);
    expect(changing()).toBe(before);
  });

  it("across a missing segment", async () => {
    const first = await switchWal(dir);
    await writePostBackupRows(dir, 1);
    const second = await switchWal(dir);
    await writePostBackupRows(dir, 1);
    await switchWal(dir);
    const archive = info.wal?.archiveDir ?? "";
    const aside = join(dirname(archive), `${second.segment}.aside`);
    renameSync(join(archive, second.segment), aside);
    try {
      const before = changing();
      setStackConfig(dir, { target: { time: new Date().toISOString() } });
      const r = await up();
      expect(r.code, r.text).not.toBe(0);
      expect(r.text).toContain(`segment ${second.segment} is missing`);
      expect(first.segment < second.segment).toBe(true);
      expect(changing()).toBe(before);
    } finally {
      renameSync(aside, join(archive, second.segment));
    }
  });
});

describe("a mass DELETE undone to the transaction", () => {
  let early: PostBackupRows;
  let late: PostBackupRows;
  let xid: string;
  let deleted: number;
  let restored: Awaited<ReturnType<typeof up>>;

  it("find-target lists the DELETE first, with its xid, and proposes undoing it", async () => {
    early = await writePostBackupRows(dir, 1);
    deleted = Number(await sql(info, "select count(*) from conversations where tenant_id = 'ten_acme'"));
    expect(deleted).toBeGreaterThan(1);
    xid = await sql(info, "with d as (delete from conversations where tenant_id = 'ten_acme' returning 1) select txid_current()::text from d limit 1");
    await sleep(50);
    late = await writePostBackupRows(dir, 2);
    await switchWal(dir);
    const r = await cliIn(dir, ["find-target", "--stack", "sandbox", "--json"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const doc = JSON.parse(String(r.stdout)) as { candidates: { xid: string; commitTime: string; lsn: string; tables: { table: string; deleted: number }[] }[]; suggested: { xid: string; inclusive: boolean; timeBefore: string } };
    expect(String(doc.candidates[0]?.xid)).toBe(xid);
    expect(doc.candidates[0]?.tables).toEqual(expect.arrayContaining([expect.objectContaining({ table: "public.conversations", deleted })]));
    expect(doc.suggested).toMatchObject({ xid, inclusive: false });
  });

  it("--apply writes the suggestion; preview shows the base backup, the WAL it replays and the target", async () => {
    const r = await cliIn(dir, ["find-target", "--stack", "sandbox", "--apply"]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const before = changing();
    const p = await cliIn(dir, ["preview", "--stack", "sandbox", "--json"]);
    expect(p.exitCode, String(p.stderr)).toBe(0);
    const doc = JSON.parse(String(p.stdout)) as { summary: { dump: string; source: string; restorePoint: string } };
    expect(doc.summary.source).toBe("base backup + WAL");
    expect(doc.summary.dump).toMatch(new RegExp(`base backup base-\\d{8}T\\d{6}Z .* \\+ WAL [0-9A-F]{24}\\.\\.[0-9A-F]{24} from .*, to transaction ${xid} \\(exclusive`));
    expect(doc.summary.restorePoint).toMatch(/reachable .* to /);
    expect(changing()).toBe(before);
  });

  it("up brings every deleted row back, keeps the writes before the DELETE, and counts the writes after it (and the DELETE) from the kept data", async () => {
    restored = await up();
    expect(restored.code, restored.text).toBe(0);
    expect(Number(await sql(info, "select count(*) from conversations where tenant_id = 'ten_acme'"))).toBe(deleted);
    expect(await present(early)).toBe(conversations(early));
    expect(await present(late)).toBe(0);
    // The kept data directory was opened by a temporary Postgres and compared row by row: the later
    // inserts, and the DELETE the restore undid (deleted after the restore point), per tenant.
    expect(restored.doc.outputs.lostRows).toBe(late.rows.length + deleted);
    const report = readFileSync(String(restored.doc.outputs.reportPath), "utf8");
    expect(report).toContain(`| ten_acme | conversations | 2 | 0 | ${deleted} |`);
    expect(report).toContain("| ten_globex | tools | 2 | 0 | 0 |");
    expect(String(restored.doc.outputs.keptDataDirectory)).toMatch(/^data\.pre-restore-\d{8}T\d{6}Z$/);
    expect(existsSync(join(dirname(info.wal?.dataDir ?? ""), String(restored.doc.outputs.keptDataDirectory), "PG_VERSION"))).toBe(true);
    expect(lastVerbs(dir, new Date(0).toISOString())).toEqual(CONSUMERS.map(() => "start"));
  });
});

describe("a time target, then rollback", () => {
  let before: PostBackupRows;
  let after: PostBackupRows;

  it("restores to that second: rows committed before it present, after it absent", async () => {
    await takeBaseBackup(dir); // on the new timeline, after the first restore
    before = await writePostBackupRows(dir, 1);
    await sleep(1100);
    const t = new Date().toISOString();
    await sleep(1100);
    after = await writePostBackupRows(dir, 1);
    await switchWal(dir);
    setStackConfig(dir, { target: { time: t } });
    const r = await up();
    expect(r.code, r.text).toBe(0);
    expect(await present(before)).toBe(conversations(before));
    expect(await present(after)).toBe(0);
    expect(r.doc.outputs.restorePoint).toBe(t);
  });

  it("rollback puts the kept data directory back: the database holds what it held before the restore", async () => {
    const r = await up("rollback");
    expect(r.code, r.text).toBe(0);
    expect(await present(after)).toBe(conversations(after));
    expect(await present(before)).toBe(conversations(before));
    expect(readdirSync(dirname(info.wal?.dataDir ?? "")).some((n) => /^data\.undone-\d{8}T\d{6}Z$/.test(n))).toBe(true);
  });

  it("sign-off archives what the rollback put aside (opened read-only, dumped, read in full) and removes the directory; no service stops", async () => {
    const parent = dirname(info.wal?.dataDir ?? "");
    const undone = readdirSync(parent).find((n) => /^data\.undone-\d{8}T\d{6}Z$/.test(n)) ?? "";
    const since = new Date().toISOString();
    const r = await up("signoff");
    expect(r.code, r.text).toBe(0);
    expect(existsSync(join(parent, undone))).toBe(false);
    const archive = String(r.doc.outputs.archive);
    expect(archive).toBe(join(info.backupDir, `pre-restore-${undone.slice(-16)}.undone.dump`));
    expect(existsSync(archive)).toBe(true);
    expect(lastVerbs(dir, since).filter((v) => v === "stop")).toEqual([]);
    expect(await present(after)).toBe(conversations(after));
  });
});
