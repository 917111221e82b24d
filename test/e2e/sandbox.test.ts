// The sandbox end to end: real Postgres in its container, real sshd per host, each host's real
// `docker compose` on the sandbox's own Docker engine reached over real SSH, the HTTP endpoints.
// What happened to the containers is read from the engine's own events (readEngineOps), or from
// `docker compose` itself. Each sandbox lives in its own temp project folder, so this test never
// touches a sandbox someone started in the checkout.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../src/config";
import {
  addMigration,
  clearFaults,
  injectFault,
  layout,
  readEngineOps,
  removeMigration,
  setActiveCalls,
  startSandbox,
  stopSandbox,
  writePostBackupRows,
  type EngineOp,
  type SandboxHost,
  type StartResult,
} from "../../src/sandbox";
import { LABEL_HOST, LABEL_SANDBOX, projectName, sandboxId } from "../../src/sandbox/hosts/compose-files";
import { compose } from "../../src/sandbox/postgres/db-container";
import { cacheDir, engineLayout, engineUsers, mountsUnder, ping } from "../../src/sandbox/engine";
import { cmdline, running } from "../../src/sandbox/processes";
import { tempProject } from "./support/sandbox";
import { recorded, until } from "./support/wait";
import { sshHost } from "./support/ssh";

const ROOT = resolve(__dirname, "..", "..");

const ssh = sshHost;

function projectDirOf(info: StartResult, hostName: string): string {
  const h = info.hosts.find((x) => x.name === hostName) as SandboxHost;
  return `${h.servicesRoot}/${h.services[0]}`;
}

async function sql(info: StartResult, query: string): Promise<string> {
  const r = await execa(join(info.database.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", info.databaseUrl, "-c", query]);
  return r.stdout.trim();
}

/** The HTTP status, or "refused" when nothing listens (TelWeb's container stopped). */
async function status(url: string, init?: RequestInit): Promise<number | "refused"> {
  return fetch(url, init).then(
    (r) => r.status,
    () => "refused" as const,
  );
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

/** The docker CLI as a user points it at the sandbox's engine: the DOCKER_HOST and DOCKER_CONFIG `sandbox up` reports. */
function dockerAt(info: StartResult, args: string[]) {
  return execa(engineLayout().cli, args, { reject: false, stdin: "ignore", env: { DOCKER_HOST: info.engine.dockerHost, DOCKER_CONFIG: info.engine.dockerConfig } });
}

/** dockerd, containerd and containerd-shim processes whose command line names the engine's data or exec root. */
function engineProcesses(): string[] {
  const E = engineLayout();
  const found: string[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const c = cmdline(Number(e));
    const prog = c.split(" ")[0].split("/").at(-1) ?? "";
    if (/^(dockerd|containerd|containerd-shim.*)$/.test(prog) && (c.includes(E.dataRoot) || c.includes(E.execRoot))) found.push(`${e}: ${c}`);
  }
  return found;
}

/** Names of the containers on the engine labelled as this sandbox's: asked of the engine when it answers, and read from its data root either way. */
async function containersOf(projectDir: string): Promise<string[]> {
  const id = sandboxId(layout(projectDir));
  const E = engineLayout();
  const found = new Set<string>();
  const dir = join(E.dataRoot, "containers");
  for (const c of existsSync(dir) ? readdirSync(dir) : []) {
    const file = join(dir, c, "config.v2.json");
    if (!existsSync(file)) continue;
    let cfg: { Name?: string; Config?: { Labels?: Record<string, string> } } = {};
    try {
      cfg = JSON.parse(readFileSync(file, "utf8")) as typeof cfg;
    } catch {
      continue; // Another sandbox's container, its config being rewritten at this moment.
    }
    if (cfg.Config?.Labels?.[LABEL_SANDBOX] === id) found.add((cfg.Name ?? c).replace(/^\//, ""));
  }
  if (await ping(E)) {
    const r = await execa(E.cli, ["ps", "-a", "--filter", `label=${LABEL_SANDBOX}=${id}`, "--format", "{{.Names}}"], { reject: false, stdin: "ignore", env: { DOCKER_HOST: E.host, DOCKER_CONFIG: E.config } });
    // The engine may stop between the ping and the call when the last other sandbox goes down.
    if (r.exitCode === 0) for (const n of String(r.stdout).split("\n")) if (n.trim() !== "") found.add(n.trim());
  }
  return [...found].sort();
}

/** This sandbox's running containers on the engine: their ids (each has a containerd-shim naming it) and their root filesystems (overlay mounts under the data root). */
async function engineFootprint(projectDir: string): Promise<{ ids: string[]; rootfs: string[] }> {
  const E = engineLayout();
  const env = { DOCKER_HOST: E.host, DOCKER_CONFIG: E.config };
  const ps = await execa(E.cli, ["ps", "-q", "--no-trunc", "--filter", `label=${LABEL_SANDBOX}=${sandboxId(layout(projectDir))}`], { stdin: "ignore", env });
  const ids = String(ps.stdout).split("\n").filter((x) => x.trim() !== "");
  const inspected = await execa(E.cli, ["inspect", ...ids], { stdin: "ignore", env });
  const rootfs = (JSON.parse(String(inspected.stdout)) as { GraphDriver: { Data: { MergedDir: string } } }[]).map((c) => c.GraphDriver.Data.MergedDir);
  return { ids, rootfs };
}

/** Engine processes and mounts under its roots that belong to these containers. */
function leftOf(fp: { ids: string[]; rootfs: string[] }): { procs: string[]; mounts: string[] } {
  const E = engineLayout();
  return {
    procs: engineProcesses().filter((p) => fp.ids.some((id) => p.includes(id))),
    mounts: mountsUnder([E.dataRoot, E.execRoot]).filter((m) => fp.rootfs.includes(m) || fp.ids.some((id) => m.includes(id))),
  };
}

/**
 * What `sandbox down` must leave: this sandbox's containers gone, with their shims and mounts
 * (always), and when no other sandbox uses the shared engine, no engine process and no mount under
 * its roots at all. Other people's sandboxes run on the same engine, so that part is asserted only
 * when none is registered, before and after the look (a sandbox that starts meanwhile registers
 * before it starts the engine).
 */
async function expectDownLeftNothing(projectDir: string, fp: { ids: string[]; rootfs: string[] }): Promise<void> {
  expect(await containersOf(projectDir)).toEqual([]);
  expect(leftOf(fp)).toEqual({ procs: [], mounts: [] });
  const E = engineLayout();
  const othersBefore = engineUsers();
  const procs = engineProcesses();
  const mounts = mountsUnder([E.dataRoot, E.execRoot]);
  const othersAfter = engineUsers();
  expect(othersBefore).not.toContain(sandboxId(layout(projectDir)));
  expect(await networkChanges(), "no bridge, veth or DOCKER chain").toEqual([]);
  if (othersBefore.length === 0 && othersAfter.length === 0) {
    expect(procs, "no engine process once the last sandbox is down").toEqual([]);
    expect(mounts, "nothing mounted under the engine's roots once the last sandbox is down").toEqual([]);
  } else {
    console.log(`engine left running for ${new Set([...othersBefore, ...othersAfter]).size} other sandbox(es); its stop is not asserted`);
  }
}

/**
 * What an engine with a bridge would add to the machine's network: a docker0 or br-* bridge, veth
 * pairs, DOCKER chains in iptables. The sandbox's engine runs with --bridge=none and
 * --iptables=false (every container on the host's network), so none may exist while it runs or after.
 */
async function networkChanges(): Promise<string[]> {
  const links = await execa("ip", ["-o", "link"], { reject: false });
  const names = String(links.stdout).split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0] ?? "");
  const rules = await execa("iptables", ["-S"], { reject: false });
  const chains = rules.exitCode === 0 ? String(rules.stdout).split("\n").filter((l) => /DOCKER/.test(l)) : [];
  return [...names.filter((n) => /^(docker\d|br-|veth)/.test(n)), ...chains];
}

/** The operation as `<host> <verb>` (an exec with its program), for order checks. */
const opName = (op: EngineOp) => `${op.host} ${op.verb}${op.verb === "exec" ? ` ${op.detail.split(" ")[0]}` : ""}`;


/** What began on the engine for this sandbox after a moment: stop signals, container starts, execs. */
const beganSince = (project: string, since: string, host?: string) =>
  readEngineOps(project, host).filter((op) => op.ts > since && (op.verb === "start" || (op.event === "start" && (op.verb === "stop" || op.verb === "exec"))));

describe("sandbox", () => {
  const project = tempProject("sandbox");
  const L = layout(project);
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

  it("runs its containers on a Docker engine of its own: its socket under the cache, each host's container in its own project with the sandbox's labels", async () => {
    const E = engineLayout();
    expect(info.engine).toEqual({ dockerHost: E.host, dockerConfig: E.config, dataRoot: E.dataRoot });
    expect(E.socket.startsWith(`${cacheDir()}/`)).toBe(true);
    expect(E.socket).not.toBe("/var/run/docker.sock");
    expect(info.engine.dockerHost).toBe(`unix://${E.socket}`);
    expect(statSync(E.socket).isSocket()).toBe(true);
    expect(engineUsers()).toContain(sandboxId(L));
    // The engine behind that socket is the one whose data root is under the cache.
    const root = await dockerAt(info, ["info", "--format", "{{.DockerRootDir}}"]);
    expect(root.exitCode, root.stderr).toBe(0);
    expect(root.stdout.trim()).toBe(E.dataRoot);
    expect(engineProcesses().some((p) => /dockerd/.test(p.split(" ")[1] ?? ""))).toBe(true);
    expect(await networkChanges(), "the engine adds no bridge, veth or DOCKER chain").toEqual([]);

    const ps = await dockerAt(info, ["ps", "--filter", `label=${LABEL_SANDBOX}=${sandboxId(L)}`, "--format", "{{.ID}}"]);
    expect(ps.exitCode, ps.stderr).toBe(0);
    const ids = ps.stdout.split("\n").filter((x) => x.trim() !== "");
    const inspected = await dockerAt(info, ["inspect", ...ids]);
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    const containers = (JSON.parse(inspected.stdout) as { Name: string; State: { Running: boolean }; Config: { Labels: Record<string, string> } }[]).map((c) => ({
      name: c.Name.replace(/^\//, ""),
      running: c.State.Running,
      project: c.Config.Labels["com.docker.compose.project"],
      service: c.Config.Labels["com.docker.compose.service"],
      sandbox: c.Config.Labels[LABEL_SANDBOX],
      host: c.Config.Labels[LABEL_HOST],
    }));
    const expected = info.hosts.flatMap((h) =>
      h.containers.map((c) => ({ name: `${projectName(L, h.name)}-${c}-1`, running: true, project: projectName(L, h.name), service: c, sandbox: sandboxId(L), host: h.name })),
    );
    expect(containers.sort((a, b) => a.name.localeCompare(b.name))).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)));
    // The database container's pid is the one the sandbox reports.
    expect(running(info.pids.postgres)).toBe(true);
    // Each container has its containerd-shim and its root filesystem mounted under the engine's
    // roots (what `sandbox down` must leave none of).
    const fp = await engineFootprint(project);
    expect(fp.ids).toHaveLength(expected.length);
    const left = leftOf(fp);
    for (const id of fp.ids) expect(left.procs.some((p) => /containerd-shim/.test(p) && p.includes(id)), `the shim of ${id}`).toBe(true);
    for (const r of fp.rootfs) expect(left.mounts).toContain(r);
  });

  it("every host answers over real SSH; its `docker compose ps` reaches the sandbox's engine and that host's own project", async () => {
    const results = await Promise.all(
      info.hosts.map(async (h) => ({
        h,
        r: await ssh(info, h.name, `cd ${projectDirOf(info, h.name)} && echo "path=$PATH host=$DELPHI_SANDBOX_HOST" && docker compose ps --format json`),
      })),
    );
    for (const { h, r } of results) {
      expect(r.exitCode, `${h.name}: ${r.stderr}`).toBe(0);
      const [env, ...lines] = r.stdout.trim().split("\n");
      expect(env).toContain(`path=${join(project, ".sandbox", "hosts", h.name, "bin")}:`);
      expect(env).toContain(`host=${h.name}`);
      const rows = lines.map((l) => JSON.parse(l) as { Project: string; Service: string; State: string });
      expect(rows.map((x) => [x.Project, x.Service, x.State])).toEqual(h.containers.map((c) => [projectName(L, h.name), c, "running"]));
    }
    // A host's `docker` talks to the sandbox's engine (its data root under the cache), not the machine's.
    const root = await ssh(info, "web", "docker info --format '{{.DockerRootDir}}'");
    expect(root.exitCode, root.stderr).toBe(0);
    expect(root.stdout.trim()).toBe(info.engine.dataRoot);
    const noProject = await ssh(info, "web", "docker compose ps");
    expect(noProject.exitCode).not.toBe(0);
    expect(noProject.stderr).toContain("no configuration file provided");
  });

  it("`exec -T voiceai-postgres` runs the real pg_dump / pg_restore / psql against the sandbox server", async () => {
    const file = join(info.backupDir, "e2e-check.dump");
    const db = projectDirOf(info, "db");
    const since = new Date().toISOString();
    const r = await ssh(
      info,
      "db",
      `cd ${db} && docker compose exec -T voiceai-postgres pg_dump -Fc -U delphi -d delphi -f ${file} && docker compose exec -T voiceai-postgres pg_restore --list ${file} | grep -c 'TABLE DATA' && docker compose exec -T voiceai-postgres psql -X -At -U delphi -d delphi -c "select count(*) from conversations where id = 'conv_known_0001'"`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");
    expect(r.stdout.trim().split("\n")).toEqual(["8", "1"]); // 8 tables with data (conversation_turns among them); the known conversation
    // The engine ran each one in the database container, in order, and each exited 0.
    const ops = await recorded(() => readEngineOps(project, "db").filter((op) => op.verb === "exec" && op.ts >= since), 6, "three execs");
    expect(ops.every((op) => op.service === "voiceai-postgres" && op.project === projectName(L, "db"))).toBe(true);
    expect(ops.map((op) => `${op.event} ${op.detail.split(" ")[0]}`)).toEqual(["start pg_dump", "ok pg_dump", "start pg_restore", "ok pg_restore", "start psql", "ok psql"]);
    expect(ops[0].detail).toBe(`pg_dump -Fc -U delphi -d delphi -f ${file}`);
    // The password travels in the pgpass file only: not in the engine's record, nor in any argument.
    expect(readFileSync(L.engineEvents.file, "utf8")).not.toContain(new URL(info.databaseUrl).password);
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
    expect(await status(info.telwebUrl)).toBe("refused");

    const restore = await ssh(info, "db", `cd ${projectDirOf(info, "db")} && docker compose exec -T voiceai-postgres pg_restore --clean --if-exists --no-owner --exit-on-error -U delphi -d delphi ${info.nightlyDump}`);
    expect(restore.exitCode, restore.stderr).toBe(0);
    expect(await sql(info, "select count(*) from conversations where id like 'conv_post_%'")).toBe("0");
    expect(await sql(info, `select count(*) from _prisma_migrations where migration_name = '${info.pendingMigration}'`)).toBe("0");
    await sql(info, "delete from setup_registry where key = 'telweb.setup_complete'");

    const since = new Date().toISOString();
    const up = await ssh(info, "web", `cd ${web} && docker compose up -d voiceai-telweb`);
    expect(up.exitCode, up.stderr).toBe(0);
    // `up -d` returns once the container started; TelWeb migrates and seeds, then listens.
    await until(async () => (await status(info.telwebUrl)) === 200, "TelWeb to answer after its start");
    const logs = await ssh(info, "web", `cd ${web} && docker compose logs --no-color --since ${since} voiceai-telweb`);
    expect(logs.exitCode, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("prisma migrate deploy");
    expect(logs.stdout).toContain("migrate deploy: 1 migrations applied");
    expect(logs.stdout).toContain("baseline-seed: ok (1 setup registry entries added)");
    const migrationSql = readFileSync(join(web, "migrations", `${info.pendingMigration}.sql`));
    expect(await sql(info, `select checksum, applied_steps_count, finished_at is not null from _prisma_migrations where migration_name = '${info.pendingMigration}'`)).toBe(
      `${createHash("sha256").update(migrationSql).digest("hex")}|1|t`,
    );
    expect(await sql(info, "select count(*) from information_schema.columns where table_name = 'conversations' and column_name = 'channel'")).toBe("1");

    // The engine's record tells the order: web's container stopped, then the db restored, then web's started.
    expect((await recorded(() => beganSince(project, lost.writtenAt), 3, "stop, restore, start")).map(opName)).toEqual(["web stop", "db exec pg_restore", "web start"]);
    for (const op of readEngineOps(project)) expect(op.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("a failing migration leaves TelWeb exited with `migrate deploy failed` in its logs", async () => {
    const web = projectDirOf(info, "web");
    addMigration(project, "20991231000000_broken", "ALTER TABLE no_such_table ADD COLUMN x int;\n");
    try {
      const since = new Date().toISOString();
      // `up -d` succeeds: the container starts; its migration then fails and it exits 1.
      const r = await ssh(info, "web", `cd ${web} && docker compose stop && docker compose up -d voiceai-telweb`);
      expect(r.exitCode, r.stderr).toBe(0);
      const died = () => readEngineOps(project, "web").find((op) => op.ts > since && op.verb === "die" && op.service === "voiceai-telweb" && op.event === "failed");
      await until(() => died() !== undefined, "voiceai-telweb to exit");
      expect(died()?.detail).toBe("exit 1");
      const logs = await ssh(info, "web", `cd ${web} && docker compose logs --no-color --tail 5 && docker compose ps -a --format '{{.Service}} {{.State}} {{.ExitCode}}'`);
      expect(logs.exitCode, logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/migrate deploy failed: migration `20991231000000_broken`: ERROR: +relation "no_such_table" does not exist/);
      expect(logs.stdout).toMatch(/^voiceai-telweb exited 1$/m);
      expect(await status(info.telwebUrl)).toBe("refused");
      expect(await sql(info, "select count(*) from _prisma_migrations where migration_name = '20991231000000_broken'")).toBe("0");
    } finally {
      removeMigration(project, "20991231000000_broken");
    }
    const again = await ssh(info, "web", `cd ${web} && docker compose up -d`);
    expect(again.exitCode, again.stderr).toBe(0);
    await until(async () => (await status(info.telwebUrl)) === 200, "TelWeb to answer after the broken migration is gone");
  });

  it("login checks the admin's scrypt hash in the real database", async () => {
    const { adminPassword } = secrets();
    expect(await sql(info, `select password_hash like 'scrypt$%' from users where email = '${info.adminUser}'`)).toBe("t");
    expect(await login(info, info.adminUser, adminPassword)).toBe(200);
    expect(await login(info, info.adminUser, `${adminPassword}x`)).toBe(401);
    expect(await login(info, "nobody@delphi.example", adminPassword)).toBe(401);
    expect(await status(info.loginUrl, { method: "POST", body: "not json" })).toBe(400);
  });

  it("telemetry lists the services that reported since a time: a stopped one does not, a started one does again", async () => {
    type Listed = { services: { serviceName: string; host: string }[] };
    const listed = async (since: string) => ((await (await fetch(`${info.telemetryUrl}?since=${since}`)).json()) as Listed).services;
    const consumers = ["voiceai-api", "voiceai-media", "voiceai-ops", "voiceai-telweb", "voiceai-voice"];
    expect((await listed(info.startedAt)).map((s) => s.serviceName).sort()).toEqual(consumers);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await listed(future)).toEqual([]);

    const api = projectDirOf(info, "api");
    const stop = await ssh(info, "api", `cd ${api} && docker compose stop`);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const stopped = new Date().toISOString();
    // The others keep reporting (a heartbeat every 2 s); the stopped API does not.
    const others = consumers.filter((s) => s !== "voiceai-api");
    await until(async () => (await listed(stopped)).length >= others.length, "the running services' next heartbeats");
    expect((await listed(stopped)).map((s) => s.serviceName)).toEqual(others);

    const up = await ssh(info, "api", `cd ${api} && docker compose up -d`);
    expect(up.exitCode, up.stderr).toBe(0);
    await until(async () => (await listed(stopped)).some((s) => s.serviceName === "voiceai-api"), "the API's heartbeat after its start");
    expect((await listed(stopped)).find((s) => s.serviceName === "voiceai-api")?.host).toBe("api");
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

  it("fault hooks make one compose verb fail with the given message, before it reaches the engine, until cleared", async () => {
    const web = projectDirOf(info, "web");
    const since = new Date().toISOString();
    injectFault(project, "web", "stop", "simulated: docker daemon not responding");
    const failed = await ssh(info, "web", `cd ${web} && docker compose stop`);
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toContain("simulated: docker daemon not responding");
    // The engine never saw it: no event, and the container still runs.
    expect(readEngineOps(project, "web").filter((op) => op.ts >= since)).toEqual([]);
    expect((await compose(L, "web", ["ps", "--format", "{{.Service}} {{.State}}"])).trim()).toBe("voiceai-telweb running");
    injectFault(project, "db", "exec.pg_restore", "simulated: archive is corrupt");
    const db = projectDirOf(info, "db");
    const restore = await ssh(info, "db", `cd ${db} && docker compose exec -T voiceai-postgres pg_restore --list ${info.nightlyDump}`);
    expect(restore.exitCode).not.toBe(0);
    expect(restore.stderr).toContain("simulated: archive is corrupt");
    expect((await ssh(info, "db", `cd ${db} && docker compose exec -T voiceai-postgres pg_dump --version`)).exitCode).toBe(0);
    // Only the pg_dump reached the database container.
    const execs = await recorded(() => readEngineOps(project, "db").filter((op) => op.ts >= since && op.verb === "exec"), 2, "pg_dump --version");
    expect(execs.map((op) => `${op.event} ${op.detail}`)).toEqual(["start pg_dump --version", "ok pg_dump --version"]);
    clearFaults(project);
    expect((await ssh(info, "web", `cd ${web} && docker compose stop && docker compose up -d`)).exitCode).toBe(0);
    expect((await recorded(() => beganSince(project, since, "web"), 2, "web's stop and start")).map(opName)).toEqual(["web stop", "web start"]);
    await until(async () => (await status(info.telwebUrl)) === 200, "TelWeb to answer again");
  });

  it("voiceai-postgres is the real server: stop stops it (unless a fault says no), up -d starts it with its data", async () => {
    const db = projectDirOf(info, "db");
    const canConnect = () => sql(info, "select count(*) from conversations").then((n) => n, () => "refused");
    const rows = await canConnect();
    expect(rows).toMatch(/^\d+$/);
    injectFault(project, "db", "stop.voiceai-postgres", "simulated: container is paused");
    const refused = await ssh(info, "db", `cd ${db} && docker compose stop voiceai-postgres`);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain("simulated: container is paused");
    expect(await canConnect()).toBe(rows);
    clearFaults(project, "db");
    const since = new Date().toISOString();
    const stop = await ssh(info, "db", `cd ${db} && docker compose stop voiceai-postgres && docker compose ps -a --format '{{.Service}} {{.State}}'`);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout.trim()).toBe("voiceai-postgres exited");
    expect(await canConnect()).toBe("refused");
    // SIGINT (the image's stop signal: Postgres' fast shutdown), the server exited 0, the container stopped.
    const stopOps = await recorded(() => readEngineOps(project, "db").filter((op) => op.ts >= since), 3, "the database's stop");
    expect(stopOps.map((op) => `${op.verb} ${op.event} ${op.detail}`)).toEqual(["stop start signal 2", "die ok exit 0", "stop ok "]);
    const restart = await ssh(info, "db", `cd ${db} && docker compose up -d && docker compose restart voiceai-postgres && docker compose ps --format '{{.Service}} {{.State}}'`);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(restart.stdout.trim()).toBe("voiceai-postgres running");
    await until(async () => (await canConnect()) !== "refused", "the database to accept connections after its restart");
    expect(await canConnect()).toBe(rows);
    expect(await compose(L, "db", ["logs", "--no-color", "voiceai-postgres"])).toContain("database system is shut down");
  });

  it("up --recreate makes a new sandbox on the same engine and reuses its images: nothing is built", async () => {
    const E = engineLayout();
    const imageIds = async (r: StartResult) => {
      const x = await dockerAt(r, ["image", "inspect", "--format", "{{.Id}} {{.Created}}", r.images.postgres, r.images.service]);
      expect(x.exitCode, x.stderr).toBe(0);
      return x.stdout.trim().split("\n");
    };
    const before = await imageIds(info);
    const t0 = Date.now();
    const r = await execa(join(ROOT, "bin", "delphi-restore"), ["sandbox", "up", "--recreate", "--json"], { env: { DELPHI_RESTORE_PROJECT_DIR: project }, reject: false, stdin: "ignore" });
    console.log(`sandbox up --recreate took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(r.exitCode, r.stderr).toBe(0);
    const again = JSON.parse(r.stdout) as StartResult;
    expect(again.alreadyUp).toBe(false);
    expect(again.startedAt > info.startedAt).toBe(true);
    expect(again.images).toEqual(info.images);
    expect(r.stderr).not.toMatch(/building|debootstrap|built /);
    expect(await imageIds(again)).toEqual(before);
    expect(again.engine.dataRoot).toBe(E.dataRoot);
    // The recreated sandbox's containers are new ones, started from those images.
    // The recreated sandbox's record starts afresh with it.
    const created = readEngineOps(project).filter((op) => op.verb === "create");
    expect(created.map((op) => op.host).sort()).toEqual(info.hosts.map((h) => h.name).sort());
    expect(await status(again.telwebUrl)).toBe(200);
    info = again;
  });

  it("down stops every process, removes its containers and the folder (and the engine when it was the last user); up and down work a second time", async () => {
    const pids = allPids(info);
    const fp = await engineFootprint(project);
    expect(sandboxProcesses(project, [])).not.toEqual([]);
    expect(await containersOf(project)).toEqual(info.hosts.flatMap((h) => h.containers.map((c) => `${projectName(L, h.name)}-${c}-1`)).sort());
    await stopSandbox(project);
    expect(sandboxProcesses(project, pids)).toEqual([]);
    await expectDownLeftNothing(project, fp);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
    expect(existsSync(info.configFile)).toBe(false);
    expect(await status(info.telwebUrl)).toBe("refused");

    const t0 = Date.now();
    const second = await startSandbox({ projectDir: project });
    console.log(`second sandbox up took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(second.alreadyUp).toBe(false);
    expect(await status(second.telwebUrl)).toBe(200);
    const r = await ssh(second, "db", `cd ${projectDirOf(second, "db")} && docker compose ps --format '{{.Service}} {{.State}}'`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("voiceai-postgres running");
    const fp2 = await engineFootprint(project);
    await stopSandbox(project);
    expect(sandboxProcesses(project, allPids(second))).toEqual([]);
    await expectDownLeftNothing(project, fp2);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
    expect((await stopSandbox(project)).wasUp).toBe(false);
  });
});

describe("delphi-restore sandbox up --json / down (the CLI)", () => {
  const project = tempProject("sandbox-cli");
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
    expect(Object.keys(info)).toEqual(expect.arrayContaining(["databaseUrl", "backupDir", "stack", "configFile", "secretsFile", "hosts", "sshKeyFile", "telwebUrl", "loginUrl", "telemetryUrl", "adminUser", "stateDir", "engine", "images", "pids"]));
    expect(info.configFile).toBe(join(project, "Pulumi.sandbox.yaml"));
    expect(up.stderr).toContain("sandbox: up in");
    const again = await execa(bin, ["sandbox", "up"], { env, reject: false });
    expect(again.stdout).toContain("already up");
    const fp = await engineFootprint(project);
    expect(fp.ids).toHaveLength(info.hosts.length);
    const down = await execa(bin, ["sandbox", "down"], { env, reject: false });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(sandboxProcesses(project, allPids(info))).toEqual([]);
    await expectDownLeftNothing(project, fp);
    expect(existsSync(join(project, ".sandbox"))).toBe(false);
  });
});
