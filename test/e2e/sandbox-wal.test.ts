// The sandbox's WAL mode (`sandbox up --wal-archive`), for real: Postgres archives its WAL into
// the db host's backup/wal, a base backup is taken at start, and the material works. A test does
// by hand what the restore's `wal-pitr` mechanism does (stop the database container, set the data
// aside, copy a base backup in, recovery settings, start, wait for the promotion): the rows
// written before the target time are back, those after it are not. Then a recovery whose target
// lies beyond the archive (its last segments deleted) fails: the container starts, its server
// exits 1 (the engine records the death) and says why in the container's logs (`docker compose
// logs voiceai-postgres`: the server logs to stderr, there is no log file).
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { layout, listArchive, readEngineOps, sandboxStatus, stopSandbox, switchWal, takeBaseBackup, type StartResult } from "../../src/sandbox";
import { compose } from "../../src/sandbox/postgres/db-container";
import { cmdline } from "../../src/sandbox/processes";
import { confString, manifestWalEnd, restoreCommand, segmentEndingAt, shellWord } from "../../src/sandbox/postgres/wal-parse";
import { sql, useTempSandbox } from "./support/sandbox";
import { sshHost } from "./support/ssh";
import { until } from "./support/wait";

const ROOT = resolve(__dirname, "..", "..");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ssh = sshHost;

/** What wal-pitr runs on the db host: stop, set the data aside, the base backup in its place, recovery settings, start. */
function pitrCommand(info: StartResult, base: string, target: string, aside: string): string {
  const wal = info.wal as NonNullable<StartResult["wal"]>;
  const dbDir = `${info.hosts.find((h) => h.name === "db")?.servicesRoot}/postgres`;
  const data = wal.dataDir;
  // Postgres refuses an ISO 8601 time with its T and Z here ("invalid value for parameter"): a space and +00.
  const time = target.replace("T", " ").replace(/Z$/, "+00");
  const settings = [`restore_command = ${confString(restoreCommand(wal.archiveDir))}`, `recovery_target_time = ${confString(time)}`, "recovery_target_action = 'promote'"];
  return [
    `cd ${shellWord(dbDir)}`,
    "docker compose stop voiceai-postgres",
    `mv ${shellWord(data)} ${shellWord(`${data}.${aside}`)}`,
    `cp -a ${shellWord(join(wal.baseBackupsDir, base))} ${shellWord(data)}`,
    `touch ${shellWord(join(data, "recovery.signal"))}`,
    `printf '%s\\n' ${settings.map(shellWord).join(" ")} >> ${shellWord(join(data, "postgresql.auto.conf"))}`,
    "docker compose up -d voiceai-postgres",
  ].join(" && ");
}


async function waitPromoted(info: StartResult, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await execa(join(info.database.pgBin, "psql"), ["-X", "-At", info.databaseUrl, "-c", "select pg_is_in_recovery()"], { reject: false, env: { PGCONNECT_TIMEOUT: "3" } });
    if (r.exitCode === 0 && r.stdout.trim() === "f") return;
    if (Date.now() > end) throw new Error(`the database was not promoted within ${timeoutMs / 1000}s: ${r.stdout}${r.stderr}`);
    await sleep(200);
  }
}

describe("sandbox with WAL archiving", () => {
  const sandbox = useTempSandbox("wal", { walArchive: true });

  it("archives WAL into the db host's backup/wal, durable, and reports where everything is", async () => {
    const { info, dir } = sandbox;
    const L = layout(dir);
    expect(info.wal).toEqual({ archiveDir: L.wal.archive, baseBackupsDir: L.wal.baseBackups, dataDir: L.pg.data, firstBaseBackup: expect.stringMatching(/^base-\d{8}T\d{6}Z$/) });
    expect(info.wal?.archiveDir).toBe(join(info.backupDir, "wal"));
    const settings = await sql(info, "select string_agg(name || '=' || setting, ',' order by name) from pg_settings where name in ('archive_mode', 'archive_timeout', 'fsync', 'full_page_writes', 'wal_level')");
    expect(settings).toBe("archive_mode=on,archive_timeout=0,fsync=on,full_page_writes=on,wal_level=replica");
    const before = await listArchive(dir);
    expect(before.length).toBeGreaterThan(0);
    expect(before).toEqual([...before].sort());
    await sql(info, "create table wal_probe (id int primary key, note text)");
    await sql(info, "insert into wal_probe select g, 'filler' from generate_series(1, 500) g");
    const { segment } = await switchWal(dir);
    const after = await listArchive(dir);
    expect(after).toContain(segment);
    expect(after.length).toBeGreaterThan(before.length);
    // Nothing else sits among the segments but the server's own history and backup files.
    expect(readdirSync(L.wal.archive).filter((f) => !after.includes(f)).every((f) => /\.(backup|history|partial)$/.test(f))).toBe(true);
    expect(sandboxStatus(dir)).toMatchObject({ up: true, problems: [] });
  });

  it("took a usable base backup at start, and takes more on demand (API and CLI)", async () => {
    const { info, dir } = sandbox;
    const wal = info.wal as NonNullable<StartResult["wal"]>;
    const first = join(wal.baseBackupsDir, wal.firstBaseBackup);
    expect(readFileSync(join(first, "backup_label"), "utf8")).toContain(`LABEL: ${wal.firstBaseBackup}`);
    const end = manifestWalEnd(readFileSync(join(first, "backup_manifest"), "utf8"));
    expect(await listArchive(dir)).toContain(segmentEndingAt(end.timeline, end.endLsn));
    // The nightly dump came first; the base backup predates the pending migration as it does.
    const dumpStamp = /delphi-(\d{8}T\d{6}Z)\.dump$/.exec(info.nightlyDump)?.[1] ?? "";
    expect(wal.firstBaseBackup.slice("base-".length) >= dumpStamp).toBe(true);

    const b = await takeBaseBackup(dir);
    expect(b).toMatchObject({ name: expect.stringMatching(/^base-\d{8}T\d{6}Z$/), path: join(wal.baseBackupsDir, b.name) });
    expect(b.startedAt <= b.endedAt).toBe(true);
    const bEnd = manifestWalEnd(readFileSync(join(b.path, "backup_manifest"), "utf8"));
    expect(await listArchive(dir)).toContain(segmentEndingAt(bEnd.timeline, bEnd.endLsn));
    const cli = await execa(join(ROOT, "bin", "delphi-restore"), ["sandbox", "basebackup", "--json"], { env: { DELPHI_RESTORE_PROJECT_DIR: dir }, reject: false });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const c = JSON.parse(cli.stdout) as { name: string; path: string };
    expect(c.name).not.toBe(b.name);
    expect(existsSync(join(c.path, "backup_manifest"))).toBe(true);
  });

  it("a base backup, the archive and recovery to a time bring back the rows before it and not those after", async () => {
    const { info, dir } = sandbox;
    const wal = info.wal as NonNullable<StartResult["wal"]>;
    await sql(info, "create table pitr_probe (id int primary key, note text)");
    await sql(info, "insert into pitr_probe values (1, 'A'), (2, 'A')");
    // Commit times clearly on either side of the target.
    await sleep(1200);
    const target = new Date().toISOString();
    await sleep(1200);
    await sql(info, "insert into pitr_probe values (3, 'B'), (4, 'B')");
    await sql(info, "delete from conversations where id = 'conv_known_0001'");
    await switchWal(dir);

    const r = await ssh(info, "db", pitrCommand(info, wal.firstBaseBackup, target, "pre-restore-test"));
    expect(r.exitCode, r.stderr).toBe(0);
    await waitPromoted(info);
    expect(await sql(info, "select string_agg(id || ':' || note, ',' order by id) from pitr_probe")).toBe("1:A,2:A");
    expect(await sql(info, "select count(*) from conversations where id = 'conv_known_0001'")).toBe("1");
    expect(existsSync(join(wal.dataDir, "recovery.signal"))).toBe(false);
    expect(existsSync(`${wal.dataDir}.pre-restore-test`)).toBe(true);
    const log = await compose(layout(dir), "db", ["logs", "--no-color", "voiceai-postgres"]);
    expect(log).toMatch(/recovery stopping before commit of transaction \d+, time /);
    expect(log).toMatch(/selected new timeline ID: 2/);
    // The promoted server writes and archives on its new timeline.
    await sql(info, "insert into pitr_probe values (5, 'after the restore')");
    expect((await switchWal(dir)).segment).toMatch(/^00000002/);
    expect(sandboxStatus(dir)).toMatchObject({ up: true, problems: [] });
  });

  it("a target beyond the archive, its last segments deleted, fails the start with Postgres' own message", async () => {
    const { info, dir } = sandbox;
    const base = await takeBaseBackup(dir);
    const kept = new Set(await listArchive(dir));
    await sql(info, "insert into pitr_probe values (6, 'C')");
    await switchWal(dir);
    await sql(info, "insert into pitr_probe values (7, 'C')");
    await switchWal(dir);
    const gone = (await listArchive(dir)).filter((s) => !kept.has(s));
    expect(gone.length).toBeGreaterThan(0);
    for (const s of gone) rmSync(join(info.wal?.archiveDir ?? "", s));

    const future = new Date(Date.now() + 86_400_000).toISOString();
    const since = new Date().toISOString();
    // `up -d` returns once the container started; the server then replays the archive and exits.
    const r = await ssh(info, "db", pitrCommand(info, base.name, future, "pre-restore-test2"));
    expect(r.exitCode, r.stderr).toBe(0);
    const died = () => readEngineOps(dir, "db").find((op) => op.ts >= since && op.verb === "die" && op.event === "failed");
    await until(() => died() !== undefined, "voiceai-postgres to exit");
    expect(died()).toMatchObject({ service: "voiceai-postgres", detail: "exit 1" });
    const dbDir = `${info.hosts.find((h) => h.name === "db")?.servicesRoot}/postgres`;
    const after = await ssh(info, "db", `cd ${shellWord(dbDir)} && docker compose ps -a --format json && docker compose logs --no-color --tail 40 voiceai-postgres`);
    expect(after.exitCode, after.stderr).toBe(0);
    const [psLine, ...logLines] = after.stdout.split("\n");
    expect(JSON.parse(psLine)).toMatchObject({ Service: "voiceai-postgres", State: "exited", ExitCode: 1 });
    expect(logLines.join("\n")).toMatch(/voiceai-postgres-1 +\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] FATAL: +recovery ended before configured recovery target was reached/);
    expect(sandboxStatus(dir).problems).toContain("the voiceai-postgres container is not running");
  });

  it("down stops every process and removes the folder, archive and base backups with it", async () => {
    const { dir } = sandbox;
    const L = layout(dir);
    await stopSandbox(dir);
    expect(existsSync(L.dir)).toBe(false);
    const left = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid && cmdline(Number(p)).includes(`${L.dir}/`));
    expect(left).toEqual([]);
  });
});
