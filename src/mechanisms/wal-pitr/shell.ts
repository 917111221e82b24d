// Pure builders for mechanism wal-pitr's host commands: reading the WAL archive and the base
// backups (read-only), and the point-in-time recovery itself. Every value is validated by the
// config schema and quoted here too. File work runs on the db host; pg_waldump runs in the
// database container, which sees the archive at the same path.
import type { WalConfig } from "./schema";
import type { DbTarget } from "../../shell";
import { startDatabaseAndWait, stopDatabase } from "../../shell/data-dir";
import { argv, quote, script, trimSlash as trim } from "../../shell/words";
import type { PitrChoice } from "./window";


/**
 * The archive's files and the base backups, read-only: `file=<name>` per archive file, each
 * backup history file's fields indented after `history=<name>`, and `base=<folder>` with its
 * backup_label's start location indented after it (a history file names its backup by that).
 */
export function walListing(w: WalConfig): string {
  return script([
    `archive=${quote(trim(w.archiveDir))}`,
    `base=${quote(trim(w.baseBackupsDir))}`,
    `[ -d "$archive" ] || { echo "the WAL archive $archive does not exist on this host" >&2; exit 1; }`,
    `[ -d "$base" ] || { echo "the base backups folder $base does not exist on this host" >&2; exit 1; }`,
    `for f in "$archive"/*; do [ -f "$f" ] || continue; n=\${f##*/}; case "$n" in *.backup) echo "history=$n"; sed 's/^/  /' "$f";; *) echo "file=$n";; esac; done`,
    `for d in "$base"/*; do [ -f "$d/backup_label" ] || continue; echo "base=\${d##*/}"; sed -n 's/^START WAL LOCATION: /  START WAL LOCATION: /p' "$d/backup_label"; done`,
  ]);
}

export interface ProbePlan {
  /** For each run end: the segments to read (the run's last few), the last COMMIT among them is the run's reach. */
  ends: { end: string; from: string }[];
  /** The segment range to search for an xid's commit or a restore point (the longest contiguous run). */
  search?: { from: string; to: string };
  xid?: string;
  name?: string;
}

/**
 * pg_waldump over the archive (read-only), inside the database container: the last commit of
 * each run (`last-commit=<end>|<lsn>|<time>`), and the target's record when it is an xid or a
 * restore point (`xid-record=<lsn>|<time>|COMMIT or ABORT`, `restore-point=<lsn>|<time of the
 * commit before it>`).
 */
export function walProbe(db: DbTarget, w: WalConfig, p: ProbePlan): string {
  const dump = (from: string, to: string, extra: string[] = []) => `${argv(["docker", "compose", "exec", "-T", db.container, "pg_waldump", "-p", trim(w.archiveDir), ...extra, from, to])} 2>/dev/null`;
  const commitAwk = `awk 'match($0, /lsn: [0-9A-F]+\\/[0-9A-F]+/) && /desc: COMMIT / { l = substr($0, RSTART + 5, RLENGTH - 5); t = $0; sub(/.*desc: COMMIT /, "", t); sub(/;.*/, "", t); last = l "|" t } END { if (last != "") print last }'`;
  const lines = [`cd ${quote(db.dir)}`];
  for (const e of p.ends) lines.push(`r=$(${dump(e.from, e.end)} | ${commitAwk} || true)`, `echo "last-commit=${e.end}|$r"`);
  if (p.search && p.xid)
    lines.push(
      `r=$(${dump(p.search.from, p.search.to, ["-x", p.xid])} | awk 'match($0, /lsn: [0-9A-F]+\\/[0-9A-F]+/) && /desc: (COMMIT|ABORT) / { l = substr($0, RSTART + 5, RLENGTH - 5); k = ($0 ~ /desc: COMMIT /) ? "COMMIT" : "ABORT"; t = $0; sub(/.*desc: (COMMIT|ABORT) /, "", t); sub(/;.*/, "", t); print l "|" t "|" k; exit }' || true)`,
      `echo "xid-record=$r"`,
    );
  if (p.search && p.name)
    lines.push(
      `r=$(${dump(p.search.from, p.search.to)} | awk -v n=${quote(p.name)} 'match($0, /lsn: [0-9A-F]+\\/[0-9A-F]+/) { l = substr($0, RSTART + 5, RLENGTH - 5) } /desc: COMMIT / { t = $0; sub(/.*desc: COMMIT /, "", t); sub(/;.*/, "", t) } /desc: RESTORE_POINT / { r = $0; sub(/.*desc: RESTORE_POINT /, "", r); if (r == n) { print l "|" t; exit } }' || true)`,
      `echo "restore-point=$r"`,
    );
  return script(lines);
}

/**
 * An ISO 8601 time as Postgres' recovery_target_time takes it: Postgres refuses the `T`/`Z` form
 * there ("invalid value for parameter") and then does not start at all.
 */
export function pgTimestamp(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return iso;
  return `${m[1]} ${m[2]}${m[3] === "Z" ? "+00" : m[3]}`;
}

/** Recovery settings for the target, as postgresql.auto.conf lines. */
export function recoverySettings(w: WalConfig, c: Pick<PitrChoice, "target" | "inclusive">): string[] {
  const t = c.target;
  const lines = [`restore_command = 'cp ${trim(w.archiveDir)}/%f "%p"'`, "recovery_target_timeline = 'current'", "recovery_target_action = 'promote'"];
  if (t.kind === "time") lines.push(`recovery_target_time = '${pgTimestamp(t.time)}'`);
  if (t.kind === "xid") lines.push(`recovery_target_xid = '${t.xid}'`);
  if (t.kind === "lsn") lines.push(`recovery_target_lsn = '${t.lsn}'`);
  if (t.kind === "name") lines.push(`recovery_target_name = '${t.name}'`);
  if (t.kind === "time" || t.kind === "xid" || t.kind === "lsn") lines.push(`recovery_target_inclusive = ${c.inclusive ? "on" : "off"}`);
  return lines;
}

/** Removes recovery settings (and this tool's comment before them) from a postgresql.auto.conf. */
const STRIP_RECOVERY = `sed -i -e '/^# delphi-restore: point-in-time recovery$/d' -e '/^restore_command[[:space:]]*=/d' -e '/^recovery_target/d'`;

/** Marks a data directory as the restore's own copy of a base backup: only such a copy is ever removed. */
export const PITR_MARKER = "delphi-restore.pitr-copy";

/**
 * The recovery: stop the database; keep the data directory aside under `kept` (renamed, never
 * deleted); lay the base backup down in its place; recovery.signal and the target's settings;
 * start, and wait until Postgres reaches the target and promotes. A server that stops instead
 * (recovery ended before the target) fails the step with Postgres' own message. A re-run after a
 * failure finds the data kept, replaces only its own marked copy, and recovers again.
 */
export function pitrRecover(db: DbTarget, w: WalConfig, c: PitrChoice, kept: string, timeoutSeconds: number): string {
  const settings = ["# delphi-restore: point-in-time recovery", ...recoverySettings(w, c)];
  return script([
    `data=${quote(trim(w.dataDir))}`,
    `kept=${quote(kept)}`,
    `src=${quote(`${trim(w.baseBackupsDir)}/${c.backup.name}`)}`,
    `[ -f "$src/backup_label" ] || { echo "base backup $src is not on this host (no backup_label); nothing was changed by this step" >&2; exit 1; }`,
    ...stopDatabase(db),
    `if [ ! -e "$kept" ]; then`,
    `  mv "$data" "$kept" || { echo "could not move $data aside to $kept; the database is stopped, its data unchanged" >&2; exit 1; }`,
    `  echo "kept=$kept"`,
    `elif [ -e "$data" ] && [ ! -f "$data/${PITR_MARKER}" ]; then`,
    `  echo "$data is neither the data this restore kept ($kept exists) nor a copy it made; refusing to touch it. The database is stopped." >&2; exit 1`,
    `fi`,
    // Only the restore's own, marked copy of a base backup is removed (an earlier attempt's).
    `if [ -e "$data" ]; then rm -rf "$data"; fi`,
    `mkdir -m 700 "$data"`,
    `echo ${quote(c.backup.name)} > "$data/${PITR_MARKER}"`,
    `cp -a "$src/." "$data/"`,
    `rm -f "$data/postmaster.pid"`,
    `touch "$data/recovery.signal"`,
    // A base backup taken after an earlier recovery carries that recovery's settings: Postgres
    // refuses two targets, so the copy's own recovery lines go before this recovery's are added.
    `${STRIP_RECOVERY} "$data/postgresql.auto.conf"`,
    `printf '%s\\n' ${settings.map(quote).join(" ")} >> "$data/postgresql.auto.conf"`,
    `chown -R --reference="$kept" "$data"`,
    `echo "base-backup=$src"`,
    ...startDatabaseAndWait(db, timeoutSeconds, `recovery to ${c.target.kind === "latest" ? "the end of the archive" : "the target"}`),
    `rm -f "$data/${PITR_MARKER}"`,
    // Promoted: the settings have done their work; later base backups must not carry them.
    `${STRIP_RECOVERY} "$data/postgresql.auto.conf"`,
    `echo ${quote(`restore-point=${c.restorePoint}`)}`,
  ]);
}
