// The sandbox's PostgreSQL server: its own cluster under .sandbox/pg, listening on 127.0.0.1
// only, password (scram) auth for the `delphi` role. Postgres refuses to run as root, so when we
// are root the cluster belongs to the `postgres` OS user and every server program runs as it.
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Binaries } from "./binaries";
import { DB_NAME, DB_USER, type Layout } from "./layout";
import { LOOPBACK } from "./ports";
import { cmdline, readPid, running, stopProcessTree } from "./processes";

/** The OS user that owns the cluster when the sandbox runs as root. */
export const SERVER_OS_USER = "postgres";

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Run a server program as the cluster's owner: `postgres` when we are root, else ourselves. */
export async function asServerUser(bins: Binaries, program: string, args: string[]): Promise<void> {
  const argv = asRoot() ? [bins.runuser, "-u", SERVER_OS_USER, "--", join(bins.pgBin, program), ...args] : [join(bins.pgBin, program), ...args];
  const r = await execa(argv[0], argv.slice(1), { reject: false, stdin: "ignore", cwd: "/" });
  if (r.exitCode !== 0) throw new Error(`${program} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim()}`);
}

export async function serverUserIds(): Promise<{ uid: number; gid: number }> {
  const r = await execa("id", ["-u", SERVER_OS_USER], { reject: false });
  const g = await execa("id", ["-g", SERVER_OS_USER], { reject: false });
  if (r.exitCode !== 0 || g.exitCode !== 0)
    throw new Error(`the OS user '${SERVER_OS_USER}' does not exist; it comes with the Debian package 'postgresql' (apt-get install -y postgresql)`);
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export interface PgServer {
  port: number;
  password: string;
}

/** libpq settings for the `delphi` role over TCP; the password comes from the 0600 pgpass file. */
export function delphiEnv(L: Layout, port: number): Record<string, string> {
  return { PGHOST: LOOPBACK, PGPORT: String(port), PGUSER: DB_USER, PGDATABASE: DB_NAME, PGPASSFILE: L.pg.passFile, PGCONNECT_TIMEOUT: "5" };
}

/**
 * initdb + start + role/database. Returns once the server accepts password logins. `durable`
 * (volume mode) keeps Postgres' crash-safety settings on: a volume snapshot is a crash image of
 * the data directory, and a start from it must recover every commit the snapshot saw. `conf`
 * adds postgresql.conf lines (WAL mode's archiving settings).
 */
export async function startPostgres(L: Layout, bins: Binaries, port: number, password: string, opts: { durable?: boolean; conf?: string[] } = {}): Promise<void> {
  mkdirSync(L.pg.data, { recursive: true });
  mkdirSync(L.pg.socketDir, { recursive: true });
  if (asRoot()) {
    const { uid, gid } = await serverUserIds();
    for (const d of [L.pg.dir, L.pg.data, L.pg.socketDir]) chownSync(d, uid, gid);
    // The postgres user must be able to walk from / to the data dir (a 0700 home would stop it).
    const probe = await execa(bins.runuser, ["-u", SERVER_OS_USER, "--", "test", "-w", L.pg.data], { reject: false });
    if (probe.exitCode !== 0)
      throw new Error(`the '${SERVER_OS_USER}' OS user cannot reach ${L.pg.data}: a parent folder of the project is not world-executable (chmod o+x it, or move the checkout)`);
  }
  chmodSync(L.pg.data, 0o700);
  chmodSync(L.pg.socketDir, 0o700);

  // Local socket connections are trusted (the socket folder is 0700, so only the server user
  // and root reach it: that is how we create the role); TCP needs a scram password.
  await asServerUser(bins, "initdb", ["-D", L.pg.data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"]);
  // Throwaway data: durability settings off make initdb-to-ready and pg_restore several times faster.
  const durability = opts.durable ? ["fsync = on", "synchronous_commit = on", "full_page_writes = on"] : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"];
  const conf = [
    `listen_addresses = '${LOOPBACK}'`,
    `port = ${port}`,
    `unix_socket_directories = '${L.pg.socketDir}'`,
    "unix_socket_permissions = 0700",
    ...durability,
    "max_connections = 40",
    "shared_buffers = 32MB",
    "password_encryption = 'scram-sha-256'",
    "log_line_prefix = '%m [%p] %q%u@%d '",
    // UTC, so the stand-in's `docker compose logs` can merge the server's lines by their time.
    "log_timezone = 'UTC'",
    ...(opts.conf ?? []),
    "",
  ].join("\n");
  writeFileSync(join(L.pg.data, "postgresql.auto.conf"), `# written by the delphi-restore sandbox\n${conf}`);
  if (asRoot()) {
    const { uid, gid } = await serverUserIds();
    chownSync(join(L.pg.data, "postgresql.auto.conf"), uid, gid);
    writeFileSync(L.pg.log, "");
    chownSync(L.pg.log, uid, gid);
  }
  await asServerUser(bins, "pg_ctl", ["-D", L.pg.data, "-l", L.pg.log, "-w", "-t", "30", "-s", "start"]);

  // The password reaches the server on psql's stdin only, never on a command line.
  writeFileSync(L.pg.passFile, `${LOOPBACK}:${port}:*:${DB_USER}:${password}\n`, { mode: 0o600 });
  await superuserSql(L, bins, port, [
    `CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${password.replace(/'/g, "''")}';`,
    `CREATE DATABASE ${DB_NAME} OWNER ${DB_USER};`,
  ].join("\n"));
}

export async function superuserSql(L: Layout, bins: Binaries, port: number, sql: string): Promise<string> {
  const r = await execa(join(bins.pgBin, "psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", L.pg.socketDir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-f", "-"], {
    input: sql,
    reject: false,
    env: { PGAPPNAME: "delphi-sandbox" },
  });
  if (r.exitCode !== 0) throw new Error(`psql (superuser) failed: ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

/** Run SQL as `delphi` over TCP with the password auth the services use. */
export async function delphiSql(L: Layout, pgBin: string, port: number, sql: string, vars: Record<string, string> = {}): Promise<string> {
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["-v", `${k}=${v}`]);
  const r = await execa(join(pgBin, "psql"), ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", ...varArgs, "-f", "-"], {
    input: sql,
    reject: false,
    env: delphiEnv(L, port),
  });
  if (r.exitCode !== 0) throw new Error(`psql failed: ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

/** `pg_dump -Fc` of the live database: what the nightly backup job on the db host produces. */
export async function dumpDatabase(L: Layout, pgBin: string, port: number, file: string): Promise<void> {
  const r = await execa(join(pgBin, "pg_dump"), ["-Fc", "-f", file], { reject: false, env: delphiEnv(L, port), stdin: "ignore" });
  if (r.exitCode !== 0) throw new Error(`pg_dump failed: ${String(r.stderr).trim()}`);
}

/** Fast shutdown through pg_ctl; if that fails (or the data dir is half gone), kill the postmaster. */
export async function stopPostgres(L: Layout, bins: Binaries | undefined): Promise<void> {
  const pidFile = join(L.pg.data, "postmaster.pid");
  const pid = readPid(pidFile);
  if (pid === undefined) return;
  if (bins && existsSync(pidFile)) {
    try {
      await asServerUser(bins, "pg_ctl", ["-D", L.pg.data, "-m", "fast", "-w", "-t", "20", "-s", "stop"]);
    } catch {
      // Fall through to signals below.
    }
  }
  await stopProcessTree(pid, L.pg.data);
}

/** The postmaster's pid when one runs on the sandbox's data directory. */
export function postmasterPid(L: Layout): number | undefined {
  const pid = readPid(join(L.pg.data, "postmaster.pid"));
  // The data directory as a whole argument: a postmaster on data.pre-restore-<stamp> is not ours.
  return pid !== undefined && running(pid) && ` ${cmdline(pid)} `.includes(` ${L.pg.data} `) ? pid : undefined;
}

/**
 * Start the server on the existing cluster (what the db host's boot does for voiceai-postgres);
 * a no-op when it runs. -w waits until crash recovery is done and it accepts connections.
 */
export async function startServer(L: Layout, bins: Binaries): Promise<void> {
  if (postmasterPid(L) !== undefined) return;
  await asServerUser(bins, "pg_ctl", ["-D", L.pg.data, "-l", L.pg.log, "-w", "-t", "60", "-s", "start"]);
}

export function currentUser(): string {
  return userInfo().username;
}
