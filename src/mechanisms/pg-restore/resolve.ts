// What the configured dump is on the db host right now (`dump: newest` resolved, or the named one
// as it is now): read by the program before it declares anything, so the restore key names the
// backup (a newer dump is a new restore, not "nothing to do") and the commands restore exactly the
// dump preflight read, even if a newer one lands while the restore runs.
import * as pulumi from "@pulumi/pulumi";
import { DUMP_FILE_RE, type RestoreConfig } from "../../config";
import { dbTarget } from "../../runbook/commands";
import type { Resolved } from "../../runbook";
import * as sh from "../../shell";
import type { HostRun } from "../../steps/host-run";

/** Pure: a read-only command printing `backup=<path> <size> <mtime>` for the dump to restore (nothing when there is none). */
export function dumpIdentityCommand(c: RestoreConfig): string {
  const d = c.database;
  if (!d) throw new Error("pg-restore needs database (config validation should have said so)");
  const db = dbTarget(c);
  return sh.script([`cd ${sh.quote(db.dir)}`, `d=${sh.dumpExprOf(db, d.backupDir, c.dump)}`, `[ -n "$d" ] || exit 0`, `id=${sh.dumpSizeAndMtime(db)} || exit 0`, `echo "backup=$d $id"`, `echo "cores=$(nproc 2>/dev/null || echo 0)"`]);
}

/** Pure: the resolved backup from the command's output; a file name only when it is one config would accept. */
export function parseDumpIdentity(stdout: string): Resolved["resolved"] {
  const line = stdout.split("\n").find((l) => l.startsWith("backup="));
  const m = line && /^backup=(.+) (\d+) (\d+)$/.exec(line.trim());
  if (!m) return undefined;
  const file = m[1].split("/").at(-1) ?? "";
  const cores = Number(/^cores=(\d+)$/m.exec(stdout)?.[1] ?? 0);
  return { identity: `${m[1]} ${m[2]} ${m[3]}`, ...(DUMP_FILE_RE.test(file) ? { dumpFile: file } : {}), ...(cores > 0 ? { cores } : {}) };
}

/** pg_restore's --jobs: database.jobs, else the db host's cores (1-16), else 2 (a host not read). */
export function restoreJobs(c: Resolved): number {
  return jobsFor(c.database?.jobs, c.resolved?.cores);
}

/** The same rule from its two inputs (the benchmarks know the cores of their db host, this machine). */
export function jobsFor(configured: number | undefined, cores: number | undefined): number {
  return configured ?? Math.min(16, Math.max(1, cores ?? 2));
}

/**
 * The config with its dump resolved (phase restore only). A host that cannot be read leaves it
 * unresolved, keyed as before: preflight (and the restore's own first step) then refuses the
 * restore with the reason, and a preview away from the hosts still shows the plan.
 */
export async function resolveDump(c: RestoreConfig, run: HostRun): Promise<Resolved> {
  if (c.phase !== "restore" || !c.database) return c;
  const r = await run(c.database.host, dumpIdentityCommand(c)).catch((e: unknown) => ({ ok: false, stdout: "", stderr: String(e) }));
  const resolved = r.ok ? parseDumpIdentity(r.stdout) : undefined;
  if (!resolved) {
    pulumi.log.warn(`pg-restore: could not read which dump to restore on ${c.database.host} (${r.ok ? "no *.dump found" : r.stderr.trim().split("\n").at(-1) ?? "no answer"}); the restore is keyed by its config alone`);
    return c;
  }
  return { ...c, resolved };
}
