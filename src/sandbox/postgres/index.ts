// src/sandbox/postgres/: the db host's PostgreSQL: the cluster (this file), its container
// (./db-container.ts), the Delphi-like data (./seed.ts, ./sql/, ./post-backup.ts, ./password.ts),
// WAL archiving and base backups (./wal.ts) and the btrfs data volume (./volume.ts). Imports the
// sandbox's root files, ../engine, the compose project names of ../hosts and the restore's WAL
// segment names.
//
// The sandbox's PostgreSQL cluster: made on the db host by initdb, run by the voiceai-postgres
// container (db-container.ts), listening on 127.0.0.1 only, password (scram) auth for the
// `delphi` role. Postgres refuses to run as root, so when we are root the cluster belongs to the
// `postgres` OS user, and the container runs as that user's uid.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Binaries } from "../binaries";
import { DB_NAME, DB_USER, type Layout } from "../layout";
import { LOOPBACK } from "../ports";

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
 * initdb on the host, as the cluster's owner, into the db host's volume folder: the database
 * container then runs the server on it (db-container.ts). `durable` (volume and WAL modes) keeps
 * Postgres' crash-safety settings on: a volume snapshot is a crash image of the data directory,
 * and a start from it must recover every commit the snapshot saw. `conf` adds postgresql.conf
 * lines (WAL mode's archiving settings).
 */
export async function initCluster(L: Layout, bins: Binaries, port: number, opts: { durable?: boolean; conf?: string[] } = {}): Promise<void> {
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
  // and root reach it: that is how we create the role, and how the runbook's `docker compose
  // exec voiceai-postgres pg_dump -U delphi` connects); TCP needs a scram password.
  await asServerUser(bins, "initdb", ["-D", L.pg.data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"]);
  // Throwaway data: durability settings off make initdb-to-ready and pg_restore several times faster.
  const durability = opts.durable ? ["fsync = on", "synchronous_commit = on", "full_page_writes = on"] : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"];
  const conf = [
    `listen_addresses = '${LOOPBACK}'`,
    `port = ${port}`,
    // The socket folder is mounted into the container at the same path: host and container share it.
    `unix_socket_directories = '${L.pg.socketDir}'`,
    "unix_socket_permissions = 0700",
    ...durability,
    "max_connections = 40",
    "shared_buffers = 32MB",
    "password_encryption = 'scram-sha-256'",
    // The server logs to stderr, which is the container's log (`docker compose logs voiceai-postgres`).
    "log_line_prefix = '%m [%p] %q%u@%d '",
    "log_timezone = 'UTC'",
    ...(opts.conf ?? []),
    "",
  ].join("\n");
  writeFileSync(join(L.pg.data, "postgresql.auto.conf"), `# written by the delphi-restore sandbox\n${conf}`);
  if (asRoot()) {
    const { uid, gid } = await serverUserIds();
    chownSync(join(L.pg.data, "postgresql.auto.conf"), uid, gid);
  }
}

/** The application role and database, once the server runs; the password goes to the 0600 pgpass file. */
export async function createRole(L: Layout, bins: Binaries, port: number, password: string): Promise<void> {
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

export function currentUser(): string {
  return userInfo().username;
}
