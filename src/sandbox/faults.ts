// Fault injection for e2e tests of the restore: a compose verb that fails, a host whose SSH
// server is down, a migration that breaks. Each has its undo.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinaries } from "./binaries";
import { layout, SANDBOX_HOSTS } from "./layout";
import { restartSshHost, stopSshHost } from "./ssh-hosts";
import { readState } from "./state";

/**
 * Make an operation of the compose stand-in on `host` fail with `message` until cleared.
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
  for (const h of host ? [host] : SANDBOX_HOSTS.map((x) => x.name)) {
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
