// A single-tenant recovery through the engine on the sandbox: after the nightly dump, one tenant's
// conversations are mass-deleted (their turns go with them, by cascade), and every tenant writes
// new rows before and after. `tenant up --mode missing` brings the deleted rows back, keeps every
// later row of every tenant, stops no container (the engine's record of the sandbox's Docker
// events), leaves every other tenant's rows byte for byte as they were, and a second up runs
// nothing; `undo` puts the tenant's rows back as they were before. Conflicts, an unknown tenant
// and bad flags are refused with nothing changed.
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { readEngineOps, writePostBackupRows, type PostBackupRows, type StartResult } from "../../src/sandbox";
import { cliIn } from "./support/cli";
import { sql, useTempSandbox } from "./support/sandbox";

let dir: string;
let info: StartResult;
const sandbox = useTempSandbox("tenant");

type Doc = { ok: boolean; error?: string; problems?: { key: string }[]; tables?: { table: string; insert: number; conflicts: number }[]; commandsRun?: number; outputs?: { applied?: { table: string; inserted: number }[]; noticePath?: string } };
async function tenant(args: string[]): Promise<{ code: number | undefined; doc: Doc; text: string }> {
  const r = await cliIn(dir, ["tenant", ...args, "--stack", "sandbox", "--json"]);
  let doc: Doc = { ok: false };
  try {
    doc = JSON.parse(String(r.stdout)) as Doc;
  } catch {
    // the text below says what happened
  }
  return { code: r.exitCode, doc, text: `${r.stdout}\n${r.stderr}` };
}

/** Every row of every tenant but `tenant`, per table, as one checksum: what must never change. */
async function othersChecksum(tenant: string): Promise<string> {
  const owner: Record<string, string> = {
    conversations: "x.tenant_id",
    conversation_turns: "(select c.tenant_id from conversations c where c.id = x.conversation_id)",
    tools: "x.tenant_id",
    billing_records: "x.tenant_id",
    users: "x.tenant_id",
    tenants: "x.id",
  };
  const parts = Object.entries(owner).map(([t, o]) => `select '${t}' || ':' || md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${t} x where ${o} is distinct from '${tenant}'`);
  return sql(info, `select string_agg(h, ' ' order by h) from (${parts.join(" union all ")}) s`);
}
const count = (q: string) => sql(info, q).then(Number);
/** Containers the engine stopped, killed or started (a tenant recovery does none of it). */
const containerChanges = () => readEngineOps(dir).filter((op) => ["stop", "start", "kill", "die", "restart"].includes(op.verb)).length;

let early: PostBackupRows;
let late: PostBackupRows;
let acmeConversations: number;
let acmeTurns: number;

beforeAll(async () => {
  ({ dir, info } = sandbox);
  expect((await cliIn(dir, ["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
  early = await writePostBackupRows(dir, 1);
  acmeConversations = await count("select count(*) from conversations where tenant_id = 'ten_acme'");
  acmeTurns = await count("select count(*) from conversation_turns t join conversations c on c.id = t.conversation_id where c.tenant_id = 'ten_acme'");
  expect(acmeTurns).toBeGreaterThan(0);
  await sql(info, "delete from conversations where tenant_id = 'ten_acme'"); // the mass delete (turns by cascade)
  late = await writePostBackupRows(dir, 2);
});

describe("refused before anything changes", () => {
  it("an unknown tenant: exit 2, naming the tenants the dump has", async () => {
    const before = await othersChecksum("nobody");
    const r = await tenant(["up", "--tenant", "ten_nobody", "--yes"]);
    expect(r.code, r.text).toBe(2);
    expect(r.doc.error).toMatch(/tenant ten_nobody has no rows in \S+\.dump; the tenants there: ten_acme, ten_globex, ten_initech/);
    expect(await othersChecksum("nobody")).toBe(before);
  });

  it("bad flags: keyed errors, exit 2", async () => {
    const r = await tenant(["preview", "--tenant", "ten acme; rm -rf /", "--mode", "sometimes", "--from", "elsewhere"]);
    expect(r.code, r.text).toBe(2);
    expect(r.doc.problems?.map((p) => p.key).sort()).toEqual(["delphi-restore:tenant.mode", "delphi-restore:tenant.tenant"]);
    const t = await tenant(["preview", "--tenant", "ten_acme", "--tables", "conversation_turns"]);
    expect(t.code, t.text).toBe(2);
    expect(t.text).toContain("add conversations to --tables");
  });

  it("a conflict (a key of the tenant's backup rows belongs to another tenant now): listed and refused", async () => {
    await sql(info, "insert into conversations (id, tenant_id, title) values ('conv_acme_0001', 'ten_globex', 'taken by another tenant')");
    try {
      const before = await othersChecksum("ten_acme");
      const r = await tenant(["up", "--tenant", "ten_acme", "--yes"]);
      expect(r.code, r.text).toBe(1);
      expect(r.doc.error).toMatch(/refused: 1 row\(s\) of tenant ten_acme .*conversations conv_acme_0001: ten_globex/);
      expect(await othersChecksum("ten_acme")).toBe(before);
      expect(await count("select count(*) from conversations where tenant_id = 'ten_acme'")).toBe(late.counts.conversations.ten_acme); // only the rows written after the delete
    } finally {
      await sql(info, "delete from conversations where id = 'conv_acme_0001'");
    }
  });
});

describe("tenant up --mode missing, through the engine", () => {
  let others: string;
  let changes: number;
  let first: Awaited<ReturnType<typeof tenant>>;

  beforeAll(async () => {
    others = await othersChecksum("ten_acme");
    changes = containerChanges();
    const preview = await tenant(["preview", "--tenant", "ten_acme"]);
    expect(preview.code, preview.text).toBe(0);
    expect(preview.doc.tables?.find((t) => t.table === "conversations")?.insert).toBe(acmeConversations - early.counts.conversations.ten_acme);
    first = await tenant(["up", "--tenant", "ten_acme", "--yes"]);
  });

  it("brings the deleted conversations and their turns back", async () => {
    expect(first.code, first.text).toBe(0);
    const lostBefore = acmeConversations - early.counts.conversations.ten_acme; // the dump predates the early rows
    expect(first.doc.outputs?.applied?.find((a) => a.table === "conversations")?.inserted).toBe(lostBefore);
    expect(await count("select count(*) from conversations where tenant_id = 'ten_acme' and id not like 'conv_post_%'")).toBe(lostBefore);
    expect(await count("select count(*) from conversation_turns t join conversations c on c.id = t.conversation_id where c.tenant_id = 'ten_acme'")).toBe(acmeTurns);
    // A column added after the dump (TelWeb's migration) is at its default on the rows brought back.
    expect(await sql(info, "select string_agg(distinct channel, ',') from conversations where tenant_id = 'ten_acme'")).toBe("voice");
  });

  it("keeps every later row of every tenant, and leaves every other tenant's rows as they were", async () => {
    const ids = late.rows.map((r) => `'${r.id}'`).join(",");
    expect(await count(`select (select count(*) from conversations where id in (${ids})) + (select count(*) from tools where id in (${ids})) + (select count(*) from billing_records where id in (${ids}))`)).toBe(late.rows.length);
    expect(await othersChecksum("ten_acme")).toBe(others);
  });

  it("stops no container, writes the notice, and a second up runs nothing", async () => {
    expect(containerChanges()).toBe(changes);
    const notice = first.doc.outputs?.noticePath ?? "";
    expect(existsSync(notice)).toBe(true);
    expect(readFileSync(notice, "utf8")).toMatch(/# Data recovered for ten_acme on sandbox[\s\S]*\| conversations \| \d+ \| 0 \|[\s\S]*conversations: channel/);
    const again = await tenant(["up", "--tenant", "ten_acme", "--yes"]);
    expect(again.code, again.text).toBe(0);
    expect(again.doc.commandsRun).toBe(0);
    expect(again.doc.tables?.every((t) => t.insert === 0)).toBe(true);
  });

  it("undo puts the tenant's rows back as they were before the recovery; other tenants untouched", async () => {
    const r = await tenant(["undo", "--tenant", "ten_acme", "--yes"]);
    expect(r.code, r.text).toBe(0);
    expect(await count("select count(*) from conversations where tenant_id = 'ten_acme'")).toBe(late.counts.conversations.ten_acme); // the early rows went with the mass delete: in no backup
    expect(await count("select count(*) from conversation_turns t join conversations c on c.id = t.conversation_id where c.tenant_id = 'ten_acme'")).toBe(0);
    expect(await othersChecksum("ten_acme")).toBe(others);
    expect(containerChanges()).toBe(changes);
  });
});

describe("after a whole restore, --from kept", () => {
  it("brings one tenant's writes the restore lost back from the kept database, and no other tenant's", async () => {
    const lost = await writePostBackupRows(dir, 1);
    const restore = await cliIn(dir, ["up", "--stack", "sandbox", "--yes", "--json"]);
    expect(restore.exitCode, String(restore.stderr)).toBe(0);
    const present = (t: string) => {
      const ids = lost.rows.filter((r) => r.tenant === t).map((r) => `'${r.id}'`).join(",");
      return count(`select (select count(*) from conversations where id in (${ids})) + (select count(*) from tools where id in (${ids})) + (select count(*) from billing_records where id in (${ids}))`);
    };
    expect(await present("ten_globex")).toBe(0); // the restore lost them; the kept database has them
    const r = await tenant(["up", "--tenant", "ten_globex", "--from", "kept", "--yes"]);
    expect(r.code, r.text).toBe(0);
    expect(await present("ten_globex")).toBe(3);
    expect(await present("ten_acme")).toBe(0);
    expect(await present("ten_initech")).toBe(0);
  });
});
