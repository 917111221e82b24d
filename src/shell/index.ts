// src/shell/: pure builders for the shell commands every mechanism shares (compose, pg_dump and
// pg_restore, psql, the kept data in ./kept.ts, the data directory in ./data-dir.ts). Values are
// validated by the config schema AND quoted here, so a value that slipped past validation still
// cannot become code. The quoting primitives live in ./words.ts and the HTTP verify checks in
// ./checks.ts; both are re-exported, so `import * as sh from "../shell"` has them all. Imports
// nothing of the project but these files; a mechanism's own builders are in its folder.
import { argv, inDir, quote, script } from "./words";

export { andThen, argv, inDir, projectDir, quote, script, trimSlash } from "./words";
export * from "./checks";
export * from "./reconcile";

/** The project's services that run now, one per line (nothing when every one is stopped). */
export const RUNNING_SERVICES = argv(["docker", "compose", "ps", "--status", "running", "--services"]);

export function composeStop(dir: string, services: string[] = []): string {
  return inDir(dir, argv(["docker", "compose", "stop", ...services]));
}

/**
 * Nothing of the project runs again since quiesce (a host that rebooted brings `restart: always`
 * services back): if anything does, stop it again and fail, naming it, before the restore starts.
 */
export function confirmStopped(dir: string, host: string): string {
  return script([
    `cd ${quote(dir)}`,
    // Real compose prints one empty line when nothing runs: blank lines are not services.
    `running=$(${RUNNING_SERVICES} | sed '/^$/d' | tr '\\n' ' ')`,
    `if [ -n "$running" ]; then docker compose stop >/dev/null 2>&1 || true; echo ${quote(`on host ${host} in ${dir}, running again since quiesce: `)}"$running"${quote("(the host rebooted, or someone started it). Stopped it again; the restore did not start. Find out why, then run up again.")} >&2; exit 1; fi`,
    `echo still-stopped`,
  ]);
}

export function composeUp(dir: string, services: string[] = []): string {
  return inDir(dir, argv(["docker", "compose", "up", "-d", ...services]));
}

/** `docker compose exec -T <service> ...` in a project folder. */
export function composeExec(dir: string, service: string, command: readonly string[]): string {
  return inDir(dir, argv(["docker", "compose", "exec", "-T", service, ...command]));
}

export interface DbTarget {
  dir: string; // compose project folder of the Postgres container
  container: string;
  user: string;
  name: string;
}

/** The shell expression for the pre-restore snapshot's UTC timestamp (yyyymmddThhmmssZ). */
export const UTC_STAMP = `$(date -u +%Y%m%dT%H%M%SZ)`;

/** `docker compose exec -T <database container> ...`, run in the database's project folder. */
export function inDb(db: DbTarget, command: readonly string[]): string {
  return argv(["docker", "compose", "exec", "-T", db.container, ...command]);
}

/**
 * A script run inside the database container by one `docker compose exec` (its commands call
 * psql, createdb... directly there): for work of many small statements, where one exec each
 * (~0.15-0.3 s: the compose CLI, the engine's exec) would cost seconds. Not for commands the
 * operator should see as their own exec (pg_restore, pg_dump, the switch's renames).
 */
export function inDbScript(db: DbTarget, lines: string[]): string {
  return inDb(db, ["sh", "-c", ["set -eu", ...lines].join("\n")]);
}

/**
 * psql as a command inside the database container (for inDbScript's lines). `conn`: its connection
 * arguments (`-d <db>`, or a temporary server's `-h <socket> -p <port> -d <db>`).
 */
export function psqlLocal(db: DbTarget, sqls: string[], conn: string[] = ["-d", db.name], extra: string[] = []): string {
  return argv(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", ...extra, "-U", db.user, ...conn, ...sqls.flatMap((q) => ["-c", q])]);
}

/** `$d` set to the dump (a quoted path, or newestDumpExpr(...) resolved on the host); none is an error. */
export function dumpVariable(dumpExpr: string): string[] {
  return [`d=${dumpExpr}`, `[ -n "$d" ] || { echo 'no dump to restore: the backup folder has no *.dump besides pre-restore snapshots' >&2; exit 1; }`];
}

/**
 * The lines that read a dump through completely (every table's data, not only its table of
 * contents: `pg_restore -f /dev/null`) and refuse it with its path and pg_restore's reason.
 * `dumpExpr` is a shell word (a quoted path, or newestDumpExpr(...) resolved on the host).
 */
export function dumpReadsInFull(db: DbTarget, dumpExpr: string, refusal: string, opts: { skipIfUnchanged?: string } = {}): string[] {
  // With skipIfUnchanged ("<path> <size> <mtime>" of a dump read in full before): the same file,
  // neither grown nor rewritten since, is not read again (preflight only; see docs/safety.md).
  const identity =
    opts.skipIfUnchanged === undefined
      ? []
      : [
          `id=${dumpSizeAndMtime(db)}`,
          `if [ "$d $id" = ${quote(opts.skipIfUnchanged)} ]; then echo "dump-unchanged=$d"; exit 0; fi`,
          `echo "dump-identity=$d $id"`,
        ];
  return [
    ...dumpVariable(dumpExpr),
    ...identity,
    `if ! why=$(${inDb(db, ["pg_restore", "-f", "/dev/null"])} "$d" 2>&1 >/dev/null); then echo "dump $d cannot be read in full: $(printf '%s' "$why" | tail -n 3 | tr '\\n' ' ')- ${refusal}" >&2; exit 1; fi`,
    `echo "dump-verified=$d"`,
  ];
}

/**
 * pg_dump the live database to `<backupDir>/pre-restore-<UTC>.dump`, then prove the archive is
 * readable with `pg_restore --list`, and print the path as the last line. The timestamp is
 * taken on the host when the command runs, so the command text (and Pulumi's diff) is stable
 * across re-runs and an `up` after a failure never takes a second "pre-restore" snapshot.
 * With `dumpToRestore`, the dump the restore will use is first read through completely: a dump
 * that cannot be restored in full is refused before anything is written or stopped.
 */
export function preRestoreSnapshot(db: DbTarget, backupDir: string, dumpToRestore?: string): string {
  return script([
    `cd ${quote(db.dir)}`,
    ...(dumpToRestore ? dumpReadsInFull(db, dumpToRestore, "the restore is refused; nothing was stopped or changed") : []),
    ...preRestoreDumpLines(db, backupDir, UTC_STAMP),
  ]);
}

/** The pg_dump half of a pre-restore snapshot, named `pre-restore-<stampExpr>.dump`; prints `snapshot=<path>`. */
export function preRestoreDumpLines(db: DbTarget, backupDir: string, stampExpr: string): string[] {
  return [
    `cd ${quote(db.dir)}`,
    `f=${quote(`${backupDir.replace(/\/+$/, "")}/pre-restore-`)}${stampExpr}.dump`,
    // Written under a temporary name and renamed once read back: a snapshot cut short (a full
    // disk, a killed pg_dump) never carries the name a rollback or an operator would trust.
    `p="$f.partial"`,
    `drop_partial() { ${inDb(db, ["rm", "-f"])} "$p" >/dev/null 2>&1 || true; }`,
    "trap drop_partial EXIT",
    // Paths are the container's: the file is written and read back inside it.
    `${inDb(db, ["pg_dump", "-Fc", "-U", db.user, "-d", db.name, "-f"])} "$p" || { echo "pre-restore snapshot $f could not be written (pg_dump failed above); the database was not changed" >&2; exit 1; }`,
    `${inDb(db, ["pg_restore", "--list"])} "$p" > /dev/null || { echo "pre-restore snapshot $f is not readable; the database was not changed" >&2; exit 1; }`,
    `${inDb(db, ["mv"])} "$p" "$f"`,
    "trap - EXIT",
    `echo "snapshot=$f"`,
  ];
}

export interface RestoreOptions {
  jobs: number;
  /** Restore into this database instead of db.name (beforeSwitch mode). */
  intoDatabase?: string;
  /** beforeSwitch: the name the live database will be kept under; it must be free before anything stops. */
  keepOldAs?: string;
}

/**
 * `dumpPath` is a shell word: a quoted path, or newestDumpExpr(...) resolved on the host.
 * pg_restore with the runbook's flags plus --exit-on-error, so a broken archive fails the step
 * instead of leaving a half-restored database that looks fine. --jobs needs a custom- or
 * directory-format archive, which pg_dump -Fc produces.
 */
export function pgRestore(db: DbTarget, dumpPath: string, opts: RestoreOptions): string {
  const target = opts.intoDatabase ?? db.name;
  const flags = ["--clean", "--if-exists", "--no-owner", "--exit-on-error"];
  if (opts.jobs > 1) flags.push(`--jobs=${opts.jobs}`);
  const lines = [`cd ${quote(db.dir)}`];
  if (opts.keepOldAs) {
    // Checked now, while services still run: the switch after quiesce would fail on a taken name.
    lines.push(
      `if [ -n "$(${psql(db, `select 1 from pg_database where datname = '${opts.keepOldAs}'`, "postgres")})" ]; then echo ${quote(`database ${opts.keepOldAs} (kept by an earlier restore) still exists; rename or drop it before this restore can keep the live database under that name. Nothing was stopped or changed.`)} >&2; exit 1; fi`,
    );
  }
  if (opts.intoDatabase) {
    // A fresh database beside the live one: the old one keeps serving until the switch.
    lines.push(
      `${inDb(db, ["dropdb", "--if-exists", "-U", db.user, opts.intoDatabase])}`,
      `${inDb(db, ["createdb", "-U", db.user, "-O", db.user, opts.intoDatabase])}`,
    );
  }
  lines.push(
    ...dumpVariable(dumpPath),
    `echo "dump=$d"`,
    `${inDb(db, ["pg_restore", "--list"])} "$d" > /dev/null || { echo "dump $d is not a readable pg_dump archive (missing or corrupt); nothing was restored" >&2; exit 1; }`,
    `${inDb(db, ["pg_restore", ...flags, "-U", db.user, "-d", target])} "$d"`,
    `echo "restored $d into "${quote(target)}`,
  );
  return script(lines);
}

/** psql -At -c <sql> inside the container: one unaligned value per row. */
export function psql(db: DbTarget, sql: string, database = db.name): string {
  return psqlEach(db, [sql], database);
}

/**
 * Several statements in one psql, each its own transaction, the first error stopping the rest.
 * One `docker compose exec` instead of one per statement (~0.15 s each): for steps inside the
 * downtime.
 */
export function psqlEach(db: DbTarget, sqls: string[], database = db.name): string {
  return inDb(db, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-U", db.user, "-d", database, ...sqls.flatMap((q) => ["-c", q])]);
}

/**
 * beforeSwitch: swap the restored database in under the live name, keeping the old one as
 * `<name>_pre_restore` so nothing is lost and rollback is a rename back.
 */
export function switchDatabases(db: DbTarget, restored: string, keepOldAs: string): string {
  // Client sessions only: an autovacuum worker (the bootstrap superuser's, which the application
  // role may not signal) would fail the switch; the rename ends those itself and waits for them.
  const terminate = (name: string) =>
    `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid() and backend_type = 'client backend'`;
  return script([
    `cd ${quote(db.dir)}`,
    `${psql(db, terminate(db.name), "postgres")} > /dev/null`,
    psql(db, `alter database ${db.name} rename to ${keepOldAs}`, "postgres"),
    psql(db, `alter database ${restored} rename to ${db.name}`, "postgres"),
    `echo ${quote(`switched: ${db.name} is the restored database; the previous one is kept as ${keepOldAs}`)}`,
  ]);
}

/** Refuse to stop Voice while it reports active calls (unless forced). */
export function activeCallsGuard(dir: string, command: readonly string[], force: boolean): string {
  if (force) return `echo 'voice: forceStop is set; active calls are not checked'`;
  return script([
    `cd ${quote(dir)}`,
    // Already stopped (a re-run after a failure): no calls to protect, and the command would fail.
    `if [ -z "$(${argv(["docker", "compose", "ps", "--services", "--status", "running"])})" ]; then echo 'voice: not running; no active calls'; exit 0; fi`,
    `n=$(${argv(command)})`,
    `case "$n" in ''|*[!0-9]*) echo "voice: the active-calls command printed '$n', not a number" >&2; exit 1;; esac`,
    `if [ "$n" -gt 0 ]; then echo "voice: $n active calls; refusing to stop Voice (set voice.forceStop: true to stop anyway)" >&2; exit 1; fi`,
    `echo "voice: 0 active calls"`,
  ]);
}

/** A SQL spot check: the query's trimmed output must equal `expect`. */
export function spotCheck(db: DbTarget, name: string, sql: string, expect: string): string {
  return script([
    `cd ${quote(db.dir)}`,
    `got=$(${psql(db, sql)})`,
    `if [ "$got" != ${quote(expect)} ]; then echo ${quote(`verify ${name} failed: expected ${expect}, got`)} "'$got'" >&2; exit 1; fi`,
    `echo ${quote(`verify ${name}: ok`)}`,
  ]);
}

/**
 * Count, per tenant and table, the rows newer than the restore point in the pre-restore
 * snapshot: the snapshot is loaded into a scratch database (which also proves it restores),
 * counted, and dropped. Output lines: `<table>\t<tenant>\t<count>`.
 */
export function countLostRows(db: DbTarget, snapshotPathExpr: string, restorePointIso: string, tables: string[], scratch: string): string {
  const union = tables
    .map((t) => `select '${t}', tenant_id::text, count(*) from ${t} where created_at > '${restorePointIso}'::timestamptz group by tenant_id`)
    .join(" union all ");
  return script([
    `cd ${quote(db.dir)}`,
    `snap=${snapshotPathExpr}`,
    `${inDb(db, ["dropdb", "--if-exists", "-U", db.user, scratch])}`,
    `${inDb(db, ["createdb", "-U", db.user, "-O", db.user, scratch])}`,
    `trap ${quote(`${inDb(db, ["dropdb", "--if-exists", "-U", db.user, scratch])} >/dev/null 2>&1 || true`)} EXIT`,
    // Only the tables the notice counts, without their indexes or constraints: on a large
    // database this is a fraction of a full restore of the snapshot (bench/ P1, P2).
    `${inDb(db, ["pg_restore", "--no-owner", "--exit-on-error", ...tables.flatMap((t) => ["-t", t]), "-U", db.user, "-d", scratch])} "$snap"`,
    `${inDb(db, ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-U", db.user, "-d", scratch, "-c", `${union} order by 1, 2`])}`,
  ]);
}

/** Newest `*.dump` in the backup folder that is not a pre-restore snapshot, listed inside the container. */
export function newestDumpExpr(db: DbTarget, backupDir: string): string {
  const list = inDb(db, ["sh", "-c", `ls -1t ${quote(backupDir.replace(/\/+$/, ""))}/*.dump`]);
  return `$(${list} 2>/dev/null | grep -v '/pre-restore-' | head -n 1)`;
}

/** The dump to restore as a shell word: `file` in the backup folder (quoted), or the newest there. */
export function dumpExprOf(db: DbTarget, backupDir: string, file?: string): string {
  return file ? quote(`${backupDir.replace(/\/+$/, "")}/${file}`) : newestDumpExpr(db, backupDir);
}

/**
 * A shell word: the size and mtime of the file in `$d` as the container sees them. With `$d`, a
 * dump's identity (preflight's record of dumps it read in full, and the restore key).
 */
export const dumpSizeAndMtime = (db: DbTarget) => `$(${inDb(db, ["stat", "-c", "%s %Y"])} "$d")`;
