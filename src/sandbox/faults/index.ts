// src/sandbox/faults/: fault injection for the e2e tests: this file and the compose hooks the
// hosts run (./hooks.sh). Imports the sandbox's root files and ../hosts (to stop and restart an sshd).
//
// Fault injection for e2e tests of the restore: a compose verb that fails or waits (the hooks in
// each host's `docker`, host-docker/hooks.sh, before the real CLI runs), a host whose
// SSH server is down, refuses the key, drops connections or reboots, a migration that breaks.
// Each has its undo.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinaries } from "../binaries";
import { layout, sandboxHostNames } from "../layout";
import { compose } from "../postgres/db-container";
import { cmdline, descendants, readPid } from "../processes";
import { restartSshHost, stopSshHost } from "../hosts/ssh-hosts";
import { readState } from "../state";

/**
 * Make a `docker compose` operation on `host` fail with `message` until cleared.
 * `name` is a verb (stop, up, start, restart, ps, logs, exec), `<verb>.<service>`
 * (e.g. `up.voiceai-telweb`) or, for exec, `exec.<program>` (e.g. `exec.pg_restore`).
 */
export function injectFault(projectDir: string, host: string, name: string, message = `injected fault: ${name}`): string {
  if (!/^[a-z]+(\.[A-Za-z0-9_.-]+)?$/.test(name)) throw new Error(`bad fault name '${name}': use <verb>, <verb>.<service> or exec.<program>`);
  const dir = layout(projectDir).host(host).faults;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, message);
  return file;
}

/** Remove one fault, every fault of a host, or every fault of every host. */
export function clearFaults(projectDir: string, host?: string, name?: string): void {
  const L = layout(projectDir);
  for (const h of host ? [host] : sandboxHostNames(L)) {
    const dir = L.host(h).faults;
    let names: string[] = [];
    try {
      names = name ? [name] : readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) rmSync(join(dir, n), { force: true });
  }
}

/** "Host down": stop the host's sshd (connections are refused) until hostUp. */
export async function hostDown(projectDir: string, host: string): Promise<void> {
  await stopSshHost(layout(projectDir), host);
}

export async function hostUp(projectDir: string, host: string): Promise<void> {
  const L = layout(projectDir);
  const port = readState(L)?.hosts.find((h) => h.name === host)?.port;
  if (!port) throw new Error(`the sandbox is not up or has no host '${host}'`);
  await restartSshHost(L, findBinaries(), host, port);
}

/**
 * Add a migration to TelWeb's image (its migrations folder on the web host). With SQL that
 * fails, the next start of voiceai-telweb logs `migrate deploy failed: ...` and exits.
 */
export function addMigration(projectDir: string, name: string, sql: string): string {
  if (!/^[0-9]{14}_[a-z0-9_]+$/.test(name)) throw new Error(`bad migration name '${name}': use <yyyymmddhhmmss>_<words>`);
  const file = join(layout(projectDir).migrationsDir, `${name}.sql`);
  writeFileSync(file, sql);
  return file;
}

export function removeMigration(projectDir: string, name: string): void {
  rmSync(join(layout(projectDir).migrationsDir, `${name}.sql`), { force: true });
}

/**
 * Hold a `docker compose` operation on `host` (same names as injectFault): when it is
 * called, it waits before running until released. With waitUntilHeld, a test acts at a known
 * moment of a restore (a command in flight), with no sleeps.
 */
export function holdAt(projectDir: string, host: string, name: string): void {
  if (!/^[a-z]+(\.[A-Za-z0-9_.-]+)?$/.test(name)) throw new Error(`bad hold name '${name}': use <verb>, <verb>.<service> or exec.<program>`);
  const dir = layout(projectDir).host(host).holds;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), "");
}

/** Resolves once an operation waits at the hold (with the waiting docker CLI's pid). */
export async function waitUntilHeld(projectDir: string, host: string, name: string, timeoutMs = 120_000): Promise<number> {
  const file = join(layout(projectDir).host(host).holds, `${name}.waiting`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid > 0) return pid;
    }
    if (Date.now() > end) throw new Error(`nothing reached the hold ${host}/${name} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Let a held operation go on (and later ones pass). */
export function release(projectDir: string, host: string, name: string): void {
  rmSync(join(layout(projectDir).host(host).holds, name), { force: true });
}

/**
 * Benchmarks: make a `docker compose` operation on `host` a stand-in that takes `seconds` of wall
 * time and no CPU (it sleeps, never reaches the engine, and succeeds), until clearStandIns.
 */
export function standIn(projectDir: string, host: string, name: string, seconds: number): void {
  if (!/^[a-z]+(\.[A-Za-z0-9_.-]+)?$/.test(name)) throw new Error(`bad stand-in name '${name}': use <verb>, <verb>.<service> or exec.<program>`);
  if (!(seconds >= 0 && seconds <= 600)) throw new Error(`a stand-in takes 0 to 600 seconds, not ${seconds}`);
  const dir = layout(projectDir).host(host).standins;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), String(seconds));
}

/** Remove every stand-in of `hosts` (every host when none is named). */
export function clearStandIns(projectDir: string, hosts?: string[]): void {
  const L = layout(projectDir);
  for (const h of hosts ?? sandboxHostNames(L)) rmSync(L.host(h).standins, { recursive: true, force: true });
}

/**
 * Drop every SSH connection to `host` at once, as a network failure would: its sshd's session
 * processes are killed (the listener stays, so the host answers again right away). The commands
 * those sessions ran are not signalled: on a real host they run on after a drop, too.
 */
export function dropConnections(projectDir: string, host: string): number {
  const listener = readPid(layout(projectDir).host(host).sshdPid);
  if (listener === undefined) throw new Error(`host ${host} has no running sshd`);
  const sessions = descendants(listener).filter((pid) => cmdline(pid).startsWith("sshd"));
  for (const pid of sessions) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return sessions.length;
}

/**
 * The host stops accepting the sandbox's client key (as with a key rotated on one side only). The
 * connections open now are dropped too, so the next command logs in again, as it would after a
 * shared connection expired or the host's sshd restarted.
 */
export function revokeClientKey(projectDir: string, host: string): void {
  const file = layout(projectDir).host(host).authorizedKeys;
  renameSync(file, `${file}.revoked`);
  writeFileSync(file, "", { mode: 0o600 });
  dropConnections(projectDir, host);
}

export function restoreClientKey(projectDir: string, host: string): void {
  const file = layout(projectDir).host(host).authorizedKeys;
  renameSync(`${file}.revoked`, file);
}

/**
 * A reboot of `host`: sshd goes away and comes back, and every service of the host's compose
 * project is running again (what `restart: always` does at boot), whatever a restore had stopped.
 */
export async function rebootHost(projectDir: string, host: string): Promise<void> {
  const L = layout(projectDir);
  await hostDown(projectDir, host);
  await compose(L, host, ["up", "-d"]);
  await hostUp(projectDir, host);
}
