// Preflight: read-only checks that the restore can run, before anything is declared. Each
// check names its host and what to fix; the driver prints them as a pass/fail table.
import Table from "cli-table3";
import { COMPACT } from "./table-style";
import type { RestoreConfig } from "../config";
import { keptDataOf, mechanismOf } from "../mechanisms";
import { serviceStops } from "../runbook";
import type { Check, CheckResult, CheckRun, VerifiedDumps } from "../runbook/checks";
import type { KeptData } from "../runbook/kept";
import { hostConnections } from "../program";
import * as sh from "../shell";
import type { SshRunner } from "./ssh";
import { execa } from "execa";
import type { HostConnection } from "../resources/declare-command";
import { hostKeyFingerprint } from "../resources/ssh-exec";

export type { CheckResult, VerifiedDumps } from "../runbook/checks";

const GIB = 1024 ** 3;

/** Pure: every host answers over SSH (preflight's first round; the other checks need it). */
function sshChecks(c: RestoreConfig): Check[] {
  return Object.keys(c.hosts).map((host) => ({ check: "ssh", host, command: "echo ok", failHint: "host does not answer over SSH: is it up, is the key authorised?" }));
}

/** Pure: the checks preflight runs for a self-managed restore. */
export function preflightChecks(c: RestoreConfig, verified?: VerifiedDumps, opts: { stoppedSinceQuiesce?: boolean } = {}): Check[] {
  return [...sshChecks(c), ...hostChecks(c, verified, opts)];
}

/** Pure: the checks after the SSH round, each on a host that answered. */
function hostChecks(c: RestoreConfig, verified?: VerifiedDumps, opts: { stoppedSinceQuiesce?: boolean } = {}): Check[] {
  const checks: Check[] = [];
  for (const s of serviceStops(c)) {
    const project = `compose project ${s.service}`;
    if (opts.stoppedSinceQuiesce)
      // An earlier update of this restore stopped it: it must still be stopped (a reboot brings it back).
      checks.push({
        check: project,
        host: s.host,
        command: sh.inDir(s.dir, sh.RUNNING_SERVICES),
        judge: (out) =>
          out.trim()
            ? { ok: false, detail: `running again since this restore's quiesce: ${out.trim().split("\n").join(", ")} (the host rebooted, or someone started it). Stop it (docker compose stop in ${s.dir}) or find out why, then run up again` }
            : { ok: true, detail: "stopped since this restore's quiesce" },
        failHint: `no compose project in ${s.dir}`,
      });
    else checks.push({ check: project, host: s.host, command: sh.inDir(s.dir, "docker compose ps >/dev/null && echo present"), failHint: `no compose project in ${s.dir}` });
    // The same guard quiesce runs, asked now, so live calls are known before anything stops.
    if (s.role === "voice" && c.voice.activeCallsCommand && !c.voice.forceStop)
      checks.push({ check: "voice active calls", host: s.host, command: sh.activeCallsGuard(s.dir, c.voice.activeCallsCommand, false), failHint: "quiesce would refuse to stop Voice" });
  }
  const d = c.database;
  if (d) {
    const db: sh.DbTarget = { dir: sh.projectDir(c.hosts[d.host].servicesRoot, d.composeProject), container: d.container, user: d.user, name: d.name };
    checks.push({ check: `database ${d.name} answers`, host: d.host, command: sh.inDir(db.dir, sh.psql(db, "select 1")), failHint: `the ${d.container} container or database ${d.name} does not answer` });
    const m = mechanismOf(c);
    // A database on the db host that is not self-managed (ebs-snapshot's volume) has its own checks only.
    if (!m.config.selfManaged) return [...checks, ...(m.preflight?.(c, db, verified) ?? [])];
    const kept = keptDataOf(c);
    if (kept && c.phase !== "restore") checks.push(keptDataCheck(d.host, kept, db, c.phase === "signoff" ? c.kept ?? "" : kept.rollbackTo ?? ""));
    else checks.push(...(m.preflight?.(c, db, verified) ?? []));
    if (c.phase === "restore") checks.push(backupRoomCheck(c, db, kept));
  }
  return checks;
}

/**
 * Room for what the restore writes: the pre-restore snapshot in the backup folder (unless
 * `snapshot: none`) and, for pg-restore keeping the replaced database, the restored database
 * beside the kept one in the data directory's filesystem (one more database: the cost of keeping).
 * When both are on one filesystem, it must hold both. Refused before anything stops.
 */
function backupRoomCheck(c: RestoreConfig, db: sh.DbTarget, kept: KeptData | undefined): Check {
  const d = c.database;
  if (!d) throw new Error("a self-managed restore needs database (config validation should have said so)");
  // Keeping a replaced database (pg-restore) needs room for a second one on the live server.
  const keeps = kept?.kind === "database";
  const df = (pathExpr: string) => `df -Pk ${pathExpr} | awk 'NR==2 {print $4 * 1024, $6}'`;
  return {
    check: "backup room",
    host: d.host,
    // One exec into the database container (four before: ~0.2 s each, on preflight's longest path).
    command: sh.script([
      `cd ${sh.quote(db.dir)}`,
      sh.inDbScript(db, [
        `size=$(${sh.psqlLocal(db, [`select pg_database_size('${d.name}')`])})`,
        // Reading data_directory needs pg_read_all_settings; without it, one filesystem is assumed (both needs counted there).
        `data=$(${sh.psqlLocal(db, ["show data_directory"])} 2>/dev/null) || data=${sh.quote(d.backupDir)}`,
        `echo "$size $(${df(sh.quote(d.backupDir))}) $(${df('"$data"')})"`,
      ]),
    ]),
    judge: (out) => {
      const [sizeText, backupFree, backupMount, dataFree, dataMount] = out.trim().split(/\s+/);
      const size = Number(sizeText);
      const fmt = (b: number) => (b >= GIB ? `${(b / GIB).toFixed(1)} GiB` : `${Math.ceil(b / 1024 ** 2)} MiB`);
      if (![size, Number(backupFree), Number(dataFree)].every(Number.isFinite)) return { ok: false, detail: `could not read sizes: ${out.trim()}` };
      const snap = c.snapshot === "none" ? 0 : Math.ceil(size * d.freeSpaceFactor);
      const keep = keeps ? size : 0;
      const same = backupMount === dataMount;
      const ok = same ? Number(backupFree) >= snap + keep : Number(backupFree) >= snap && Number(dataFree) >= keep;
      const needs = [
        ...(keep ? [`${fmt(keep)} for the restored database beside the kept one (keeping the replaced database costs one more database of ${fmt(size)})`] : []),
        ...(snap ? [`${fmt(snap)} for the pre-restore snapshot (${d.freeSpaceFactor} x database)`] : []),
      ];
      const free = same || !keep ? `${fmt(Number(backupFree))} free${keep ? " (backup folder and data directory share a filesystem)" : ` in ${d.backupDir}`}` : `${fmt(Number(backupFree))} free in ${d.backupDir}, ${fmt(Number(dataFree))} for the data directory`;
      const options = keeps
        ? "; options: free space, set snapshot: none (the kept database is the copy), or snapshot: before (no second database: the live one is overwritten after a complete dump, with a longer downtime)"
        : "; options: free space, or set snapshot: none (the kept data is the copy)";
      return { ok, detail: `${free}; need ${needs.join(" + ") || "nothing"}${ok ? "" : options}` };
    },
    failHint: `free space for what the restore writes (${d.backupDir}, and the data directory)`,
  };
}

/** The fingerprint of the key a host presents now (ssh-keyscan), to show beside the pinned one. */
async function presentedKey(h: HostConnection, pinned: string): Promise<string> {
  const type = pinned.trim().split(/\s+/)[0] ?? "ssh-ed25519";
  const r = await execa("ssh-keyscan", ["-T", "5", "-p", String(h.port), "-t", type, h.address], { reject: false, stdin: "ignore" });
  const line = String(r.stdout).split("\n").find((l) => l.trim() && !l.startsWith("#"));
  return line ? hostKeyFingerprint(line.trim().split(/\s+/).slice(1).join(" ")) : "a key ssh-keyscan could not read";
}

/**
 * Every check, SSH first (all hosts in parallel), the others only on hosts that answered.
 * `stoppedSinceQuiesce` may still be being read from the engine's state: it is needed only after
 * the SSH round, so the two overlap.
 */
export async function runPreflight(c: RestoreConfig, ssh: SshRunner, verified?: VerifiedDumps, opts: { stoppedSinceQuiesce?: boolean | Promise<boolean> } = {}): Promise<CheckResult[]> {
  const hosts = hostConnections(c);
  const reachable = new Map<string, boolean>();
  const results: CheckResult[] = [];
  for (const [k, r] of await Promise.all(sshChecks(c).map(async (k) => [k, await ssh.run(hosts[k.host], k.command)] as const))) {
    const h = hosts[k.host];
    reachable.set(k.host, r.ok);
    const where = h.local ? "local (/bin/sh)" : `${h.user}@${h.address}:${h.port}`;
    // The pinned key's fingerprint on every line, so the operator can compare it with the host's console.
    const pinned = h.hostKey ? `, host key ${hostKeyFingerprint(h.hostKey)}` : "";
    let detail = r.ok ? `${where}${pinned}` : (r.sshProblem ?? `${k.failHint} (${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? ""})`);
    if (!r.ok && h.hostKey && /differs from hosts\./.test(r.sshProblem ?? "")) detail += `; it presents ${await presentedKey(h, h.hostKey)}`;
    results.push({ check: k.check, host: k.host, ok: r.ok, detail });
  }
  const rest = hostChecks(c, verified, { stoppedSinceQuiesce: await opts.stoppedSinceQuiesce });
  const outcomes = await Promise.all(
    rest.map(async (k): Promise<CheckResult> => {
      if (!reachable.get(k.host)) return { check: k.check, host: k.host, ok: false, detail: "skipped: host unreachable" };
      const r = await ssh.run(hosts[k.host], k.command, 60);
      if (!r.ok) return { check: k.check, host: k.host, ok: false, detail: `${k.failHint}: ${(r.stderr || r.stdout).trim().split("\n").at(-1) ?? ""}` };
      const v = k.judge ? k.judge(r.stdout) : { ok: true, detail: r.stdout.trim().split("\n").at(-1) ?? "ok" };
      const identity = k.verifiesDump ? /^dump-identity=(.+)$/m.exec(r.stdout)?.[1] : undefined;
      if (identity && v.ok) verified?.set(k.host, identity);
      return { check: k.check, host: k.host, ...v };
    }),
  );
  const run: CheckRun = async (h, command, timeoutSeconds) => {
    const r = await ssh.run(hosts[h], command, timeoutSeconds);
    return { ok: r.ok, stdout: r.stdout, stderr: r.sshProblem ?? r.stderr };
  };
  const final = (await mechanismOf(c).finalChecks?.(c, run, (h) => reachable.get(h) ?? false)) ?? [];
  return [...results, ...outcomes, ...final];
}

/** Rollback and sign-off: the data the restore kept is there (sign-off re-run: or its archive). */
function keptDataCheck(host: string, k: KeptData, db: sh.DbTarget, name: string): Check {
  const kept = k.keptPath(name);
  const there =
    k.kind === "database"
      ? `[ -n "$(${sh.psql(db, `select 1 from pg_database where datname = '${name.replace(/'/g, "''")}'`, "postgres")})" ]`
      : `test -d ${sh.quote(kept)}`;
  return { check: `kept ${k.what}`, host, command: sh.inDir(db.dir, `${there} && echo ${sh.quote(`${kept} is there`)}`), failHint: `the kept ${k.what} ${kept} is not there` };
}

export function renderPreflight(results: CheckResult[]): string {
  const t = new Table({ head: ["", "check", "host", "detail"], ...COMPACT, wordWrap: true, colWidths: [6, 26, 10, 70] });
  for (const r of results) t.push([r.ok ? "PASS" : "FAIL", r.check, r.host, r.note ? `${r.detail} (${r.note})` : r.detail]);
  const failed = results.filter((r) => !r.ok).length;
  return `${t.toString()}\n${failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed: fix them before preview or up.`}`;
}
