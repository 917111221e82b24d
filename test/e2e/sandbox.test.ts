// The sandbox end to end: real Postgres, real sshd per host, the compose stand-in reached over
// real SSH, the HTTP endpoints. Each sandbox lives in its own temp project folder, so this test
// never touches a sandbox someone started in the checkout.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../src/config";
import {
  addMigration,
  clearFaults,
  injectFault,
  readComposeLog,
  removeMigration,
  setActiveCalls,
  startSandbox,
  stopSandbox,
  writePostBackupRows,
  type SandboxHost,
  type StartResult,
} from "../../src/sandbox";
import { cmdline, running } from "../../src/sandbox/processes";
import { sshHost } from "./support/ssh";

const ROOT = resolve(__dirname, "..", "..");

function tempProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "delphi-sandbox-e2e-"));
  chmodSync(dir, 0o755); // the postgres OS user must reach the data dir inside it
  return dir;
}

const ssh = sshHost;

function projectDirOf(info: StartResult, hostName: string): string {
  const h = info.hosts.find((x) => x.name === hostName) as SandboxHost;
  return `${h.servicesRoot}/${h.services[0]}`;
}

async function sql(info: StartResult, query: string): Promise<string> {
  const r = await execa(join(info.database.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", info.databaseUrl, "-c", query]);
  return r.stdout.trim();
}

async function status(url: string, init?: RequestInit): Promise<number> {
  return (await fetch(url, init)).status;
}

const login = (info: StartResult, email: string, password: string) =>
  status(info.loginUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });

/** Processes whose command line mentions the sandbox folder, plus recorded pids still running. */
function sandboxProcesses(projectDir: string, pids: number[]): string[] {
  const dir = join(projectDir, ".sandbox");
  const found: string[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const c = cmdline(Number(e));
    if (c.includes(dir)) found.push(`${e}: ${c}`);
  }
  for (const p of pids) if (running(p)) found.push(`${p}: ${cmdline(p)} (recorded pid)`);
  return found;
}

function allPids(info: StartResult): number[] {
  return [info.pids.postgres, info.pids.http, ...Object.values(info.pids.sshd)];
}

describe("sandbox", () => {
  const project = tempProject();
  let info: StartResult;
  const secrets = () => JSON.parse(readFileSync(info.secretsFile, "utf8")) as { sshPrivateKey: string; adminPassword: string };

  beforeAll(async () => {
    const t0 = Date.now();
    info = await startSandbox({ projectDir: project });
    console.log(`sandbox up took ${((Date.now() - t0) / 1000).toFixed(1)}s (reported ${info.upSeconds}s)`);
  });

  afterAll(async () => {
    await stopSandbox(project).catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
  });

  it("reports how to reach it, with secrets only in the 0600 secrets file", () => {
    expect(info.alreadyUp).toBe(false);
    expect(info.stack).toBe("sandbox");
    expect(info.databaseUrl).toMatch(/^postgres:\/\/delphi:[^@]+@127\.0\.0\.1:\d+\/delphi$/);
    expect(info.hosts.map((h) => h.name)).toEqual(["web", "api", "voice", "ops", "media", "db"]);
    expect(new Set(info.hosts.map((h) => h.port)).size).toBe(6);
    for (const h of info.hosts) expect(h.address).toBe("127.0.0.1");
    expect(info.backupDir).toBe(join(project, ".sandbox", "hosts", "db", "backup"));
    expect(info.nightlyDump).toMatch(/\/delphi-\d{8}T\d{6}Z\.dump$/);
    expect(readFileSync(info.nightlyDump).subarray(0, 5).toString()).toBe("PGDMP");
    expect(statSync(info.secretsFile).mode & 0o777).toBe(0o600);
    const yamlText = readFileSync(info.configFile, "utf8");
    const s = secrets();
    expect(s.sshPrivateKey).toMatch(/BEGIN OPENSSH PRIVATE KEY/);
    expect(yamlText).not.toContain(s.adminPassword);
    expect(yamlText).not.toContain("PRIVATE KEY");
    expect(yamlText).not.toContain(new URL(info.databaseUrl).password);
  });

  it("writes a stack config with Pulumi.restore.yaml's keys that the restore's config schema accepts", () => {
    const stackKeys = (file: string) => Object.keys((parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config);
    const sandboxKeys = stackKeys(info.configFile);
    const restoreKeys = stackKeys(join(ROOT, "Pulumi.restore.yaml"));
    expect(restoreKeys.filter((k) => !sandboxKeys.includes(k)).sort()).toEqual(["delphi-restore:adminPassword", "delphi-restore:dump", "delphi-restore:sshPrivateKey"]);
    expect(sandboxKeys.filter((k) => !restoreKeys.includes(k))).toEqual([]);
    const raw = (parseYaml(readFileSync(info.configFile, "utf8")) as { config: Record<string, unknown> }).config;
    const input = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.replace(/^delphi-restore:/, ""), v]));
    const parsed = parseConfig({ ...input, ...secrets() });
    expect(parsed.mechanism).toBe("pg-restore");
    expect(parsed.database?.backupDir).toBe(info.backupDir);
    expect(parsed.hosts.web.servicesRoot).toBe(info.hosts[0].servicesRoot);
    expect(parsed.report.dir).toBe(".sandbox/reports");
  });

  it("says so when it is already up, and leaves it as it is", async () => {
    const again = await startSandbox({ projectDir: project });
    expect(again.alreadyUp).toBe(true);
    expect(again.databaseUrl).toBe(info.databaseUrl);
    expect(again.pids).toEqual(info.pids);
  });

  it("every host answers over real SSH; `docker compose ps` reaches that host's own stand-in and project", async () => {
    const results = await Promise.all(
      info.hosts.map(async (h) => ({ h, r: await ssh(info, h.name, `cd ${projectDirOf(info, h.name)} && echo "path=$PATH host=$DELPHI_SANDBOX_HOST" && docker compose ps`) })),
    );
    for (const { h, r } of results) {
      expect(r.exitCode, `${h.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`path=${join(project, ".sandbox", "hosts", h.name, "bin")}:`);
      expect(r.stdout).toContain(`host=${h.name}`);
      for (const c of h.containers) expect(r.stdout).toMatch(new RegExp(`${h.services[0]}-${c}-1\\s.*\\srunning\\s`));
      expect(readComposeLog(project, h.name).some((op) => op.verb === "ps" && op.event === "ok")).toBe(true);
    }
    const noProject = await ssh(info, "web", "docker compose ps");
    expect(noProject.exitCode).not.toBe(0);
    expect(noProject.stderr).toContain("no configuration file provided");
  });

  it("`exec -T voiceai-postgres` runs the real pg_dump / pg_restore / psql against the sandbox server", async () => {
    const file = join(info.backupDir, "e2e-check.dump");
    const db = projectDirOf(info, "db");
    const r = await ssh(
      info,
      "db",
      `cd ${db} && docker compose exec -T voiceai-postgres pg_dump -Fc -U delphi -d delphi -f ${file} && docker compose exec -T voiceai-postgres pg_restore --list ${file} | grep -c 'TABLE DATA' && docker compose exec -T voiceai-postgres psql -X -At -U delphi -d delphi -c "select count(*) from conversations where id = 'conv_known_0001'"`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");
    expect(r.stdout.trim().split("\n")).toEqual(["7", "1"]); // 7 tables with data; the known conversation
    const ops = readComposeLog(project, "db").filter((op) => op.verb === "exec");
    expect(ops.map((op) => `${op.event} ${op.detail.split(" ")[0]}`)).toEqual(["start pg_dump", "ok pg_dump", "start pg_restore", "ok pg_restore", "start psql", "ok psql"]);
    // The password travels in the pgpass file only: not in the log, nor in any argument.
    expect(readFileSync(info.hosts[5].composeLog, "utf8")).not.toContain(new URL(info.databaseUrl).password);
    rmSync(file);
  });

  it("a restore loses the post-backup rows; TelWeb's start re-applies the pending migration and the baseline seed", async () => {
    const lost = await writePostBackupRows(project, 2);
    expect(lost.rows).toHaveLength(18);
    expect(lost.counts.conversations).toEqual({ ten_acme: 2, ten_globex: 2, ten_initech: 2 });
    expect(await sql(info, "select count(*) from conversations where id like 'conv_post_%'")).toBe("6");
    expect(await status(info.telwebUrl)).toBe(200);

    const web = projectDirOf(info, "web");
    const stop = await ssh(info, "web", `cd ${web} && docker compose stop`);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(await status(info.telwebUrl)).toBe(503);

    const restore = await ssh(info, "db", `cd ${projectDirOf(info, "db")} && docker compose exec -T voiceai-postgres pg_restore --clean --if-exists --no-owner --exit-on-error -U delphi -d delphi ${info.nightlyDump}`);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(await sql(info, "select count(*) from conversations where id like 'conv_post_%'")).toBe("0");
    expect(await sql(info, `select count(*) from _prisma_migrations where migration_name = '${info.pendingMigration}'`)).toBe("0");
    await sql(info, "delete from setup_registry where key = 'telweb.setup_complete'");

    const up = await ssh(info, "web", `cd ${web} && since=$(date -u +%Y-%m-%dT%H:%M:%S.000Z) && docker compose up -d voiceai-telweb && docker compose logs --no-color --since "$since" voiceai-telweb`);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toContain("migrate deploy");
    expect(up.stdout).toContain("migrate deploy: 1 migrations applied");
    expect(up.stdout).toContain("baseline-seed: ok (1 setup registry entries added)");
    const migrationSql = readFileSync(join(web, "migrations", `${info.pendingMigration}.sql`));
    expect(await sql(info, `select checksum, applied_steps_count, finished_at is not null from _prisma_migrations where migration_name = '${info.pendingMigration}'`)).toBe(
      `${createHash("sha256").update(migrationSql).digest("hex")}|1|t`,
    );
    expect(await sql(info, "select count(*) from information_schema.columns where table_name = 'conversations' and column_name = 'channel'")).toBe("1");
    expect(await status(info.telwebUrl)).toBe(200);

    // The hosts' own logs tell the order: web stopped, then the db restored, then web started.
    const ops = readComposeLog(project).filter((op) => op.event === "start" && op.ts > lost.writtenAt && op.verb !== "logs");
    expect(ops.map((op) => `${op.host} ${op.verb}${op.verb === "exec" ? ` ${op.detail.split(" ")[0]}` : ""}`)).toEqual(["web stop", "db exec pg_restore", "web up"]);
    for (const op of readComposeLog(project)) expect(op.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("a failing migration leaves TelWeb exited with `migrate deploy failed` in its logs", async () => {
    const web = projectDirOf(info, "web");
    addMigration(project, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n");
    try {
      const r = await ssh(info, "web", `cd ${web} && docker compose stop && docker compose up -d voiceai-telweb`);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('relation "no_such_table" does not exist');
      const logs = await ssh(info, "web", `cd ${web} && docker compose logs --no-color --tail 5 && docker compose ps -a`);
      expect(logs.stdout).toMatch(/migrate deploy failed: migration `20991231000000_broken`: ERROR: +relation "no_such_table" does not exist/);
      expect(logs.stdout).toMatch(/voiceai-telweb\s+exited\s+Exited \(1\)/);
      expect(await status(info.telwebUrl)).toBe(503);
      expect(await sql(info, "select count(*) from _prisma_migrations where migration_name = '20991231000000_broken'")).toBe("0");
    } finally {
      removeMigration(project, "20991231000000_broken");
    }
    const again = await ssh(info, "web", `cd ${web} && docker compose up -d`);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await status(info.telwebUrl)).toBe(200);
  });

  it("login checks the admin's scrypt hash in the real database", async () => {
    const { adminPassword } = secrets();
    expect(await sql(info, `select password_hash like 'scrypt$%' from users where email = '${info.adminUser}'`)).toBe("t");
    expect(await login(info, info.adminUser, adminPassword)).toBe(200);
    expect(await login(info, info.adminUser, `${adminPassword}x`)).toBe(401);
    expect(await login(info, "nobody@delphi.example", adminPassword)).toBe(401);
    expect(await status(info.loginUrl, { method: "POST", body: "not json" })).toBe(400);
  });

  it("telemetry lists the services that started since a time", async () => {
    const all = (await (await fetch(`${info.telemetryUrl}?since=${info.startedAt}`)).json()) as { services: { serviceName: string; host: string }[] };
    expect(all.services.map((s) => s.serviceName).sort()).toEqual(["voiceai-api", "voiceai-media", "voiceai-ops", "voiceai-postgres", "voiceai-telweb", "voiceai-voice"]);
    const since = new Date().toISOString();
    expect(((await (await fetch(`${info.telemetryUrl}?since=${since}`)).json()) as { services: unknown[] }).services).toEqual([]);
    const r = await ssh(info, "api", `cd ${projectDirOf(info, "api")} && docker compose stop && docker compose up -d`);
    expect(r.exitCode, r.stderr).toBe(0);
    const fresh = (await (await fetch(`${info.telemetryUrl}?since=${since}`)).json()) as { services: { serviceName: string; host: string }[] };
    expect(fresh.services.map((s) => [s.serviceName, s.host])).toEqual([["voiceai-api", "api"]]);
    expect(await status(`${info.telemetryUrl}?since=yesterday-ish`)).toBe(400);
  });

  it("voice reports its active calls from a state the tests set", async () => {
    const voice = projectDirOf(info, "voice");
    const cmd = `cd ${voice} && docker compose exec -T voiceai-voice voiceai-calls active`;
    expect((await ssh(info, "voice", cmd)).stdout.trim()).toBe("0");
    setActiveCalls(project, 3);
    expect((await ssh(info, "voice", cmd)).stdout.trim()).toBe("3");
    setActiveCalls(project, 0);
  });

  it("fault hooks make one compose verb fail with the given message until cleared", async () => {
    const web = projectDirOf(info, "web");
    injectFault(project, "web", "stop", "simulated: docker daemon not responding");
    const failed = await ssh(info, "web", `cd ${web} && docker compose stop`);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain("simulated: docker daemon not responding");
    expect(readComposeLog(project, "web").at(-1)).toMatchObject({ verb: "stop", event: "failed" });
    injectFault(project, "db", "exec.pg_restore", "simulated: archive is corrupt");
    const db = projectDirOf(info, "db");
    const restore = await ssh(info, "db", `cd ${db} && docker compose exec -T voiceai-postgres pg_restore --list ${info.nightlyDump}`);
    expect(restore.stderr).toContain("simulated: archive is corrupt");
    expect((await ssh(info, "db", `cd ${db} && docker compose exec -T voiceai-postgres pg_dump --version`)).exitCode).toBe(0);
    clearFaults(project);
    expect((await ssh(info, "web", `cd ${web} && docker compose stop && docker compose up -d`)).exitCode).toBe(0);
  });

  it("voiceai-postgres is the real server: stop stops it (unless a fault says no), up -d starts it with its data", async () => {
    const db = projectDirOf(info, "db");
    const canConnect = () => sql(info, "select count(*) from conversations").then((n) => n, () => "refused");
    const rows = await canConnect();
    expect(rows).toMatch(/^\d+$/);
    injectFault(project, "db", "stop.voiceai-postgres", "simulated: container is paused");
    const refused = await ssh(info, "db", `cd ${db} && docker compose stop voiceai-postgres`);
    expect(refused.stderr).toContain("simulated: container is paused");
    expect(await canConnect()).toBe(rows);
    clearFaults(project, "db");
    const stop = await ssh(info, "db", `cd ${db} && docker compose stop voiceai-postgres && docker compose ps -a`);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/voiceai-postgres\s+exited\s/);
    expect(await canConnect()).toBe("refused");
    const restart = await ssh(info, "db", `cd ${db} && docker compose up -d && docker compose restart voiceai-postgres && docker compose ps`);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(restart.stdout).toMatch(/voiceai-postgres\s+running\s/);
    expect(await canConnect()).toBe(rows);
    expect(readFileSync(join(db, ".compose", "logs", "voiceai-postgres.log"), "utf8")).toContain("database system is shut down");
  });

  it("down stops every process and removes the folder; up and down work a second time", async () => {
    const pids = allPids(info);
    expect(sandboxProcesses(project, [])).not.toEqual([]);
    await stopSandbox(project);
    expect(sandboxProcesses(project, pids)).toEqual([]);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
    expect(existsSync(info.configFile)).toBe(false);
    expect(await fetch(info.telwebUrl).then(() => "answered", () => "refused")).toBe("refused");

    const t0 = Date.now();
    const second = await startSandbox({ projectDir: project });
    console.log(`second sandbox up took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(second.alreadyUp).toBe(false);
    expect(await status(second.telwebUrl)).toBe(200);
    const r = await ssh(second, "db", `cd ${projectDirOf(second, "db")} && docker compose ps`);
    expect(r.exitCode, r.stderr).toBe(0);
    await stopSandbox(project);
    expect(sandboxProcesses(project, allPids(second))).toEqual([]);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
    expect((await stopSandbox(project)).wasUp).toBe(false);
  });
});

describe("delphi-restore sandbox up --json / down (the CLI)", () => {
  const project = tempProject();
  afterAll(async () => {
    await stopSandbox(project).catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
  });

  it("prints exactly one JSON object on stdout, progress on stderr, and down removes it all", async () => {
    const bin = join(ROOT, "bin", "delphi-restore");
    const env = { DELPHI_RESTORE_PROJECT_DIR: project };
    const up = await execa(bin, ["sandbox", "up", "--json"], { env, reject: false });
    expect(up.exitCode, up.stderr).toBe(0);
    const info = JSON.parse(up.stdout) as StartResult;
    expect(Object.keys(info)).toEqual(expect.arrayContaining(["databaseUrl", "backupDir", "stack", "configFile", "secretsFile", "hosts", "sshKeyFile", "telwebUrl", "loginUrl", "telemetryUrl", "adminUser", "stateDir", "pids"]));
    expect(info.configFile).toBe(join(project, "Pulumi.sandbox.yaml"));
    expect(up.stderr).toContain("sandbox: up in");
    const again = await execa(bin, ["sandbox", "up"], { env, reject: false });
    expect(again.stdout).toContain("already up");
    const down = await execa(bin, ["sandbox", "down"], { env, reject: false });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(sandboxProcesses(project, allPids(info))).toEqual([]);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
  });
});
