// Pure builders of pg-restore's own commands: restore a dump into a fresh database beside the
// live one, switch it in under the live name while the replaced one is kept (`<db>_pre_restore_<UTC>`,
// a rename: O(1)), and rollback's rename back. Names are validated by the config schema
// (lower-case identifiers, a UTC stamp) and quoted here as well.
import { type DbTarget, dumpVariable, inDb, psql, psqlEach } from "../../shell";
import { ident, lit, exists, commentOf, setComment, COMMENTS } from "../../shell/kept";
import { quote, script } from "../../shell/words";

/** The names one pg-restore works with; `stamp` is the restore's (taken by its first step). */
export interface KeptNames {
  live: string;
  restored: string;
  kept: string;
  stamp: string;
}

/** The database a restore keeps the replaced one under; at most 63 bytes with names of at most 34. */
export function keptDatabaseName(live: string, stamp: string): string {
  return `${live}_pre_restore_${stamp}`;
}

export function keptNames(live: string, stamp: string): KeptNames {
  return { live, restored: `${live}_restored`, kept: keptDatabaseName(live, stamp), stamp };
}

/**
 * Rename the live database `from` to `to`, ending its client sessions first (autovacuum workers end
 * by themselves), both in one psql (one `docker compose exec`: the switch and the rollback run
 * inside the downtime). A session that connects between the two statements makes the rename fail,
 * so it is tried again, ten times at most; then the script fails with `giveUp`. Lines for an if-branch.
 */
function renameLive(db: DbTarget, from: string, to: string, giveUp: string): string[] {
  const terminate = `select pg_terminate_backend(pid) from pg_stat_activity where datname = ${lit(from)} and pid <> pg_backend_pid() and backend_type = 'client backend'`;
  return [
    `    i=0`,
    `    until ${psqlEach(db, [terminate, `alter database ${ident(from)} rename to ${ident(to)}`], "postgres")} >/dev/null; do`,
    `      i=$((i + 1)); [ "$i" -lt 10 ] || { echo ${quote(giveUp)} >&2; exit 1; }; sleep 0.5`,
    `    done`,
  ];
}

/**
 * Restore the dump into a fresh database `restored` beside the live one: same owner, encoding and
 * locale as the live database (or the kept one, on a re-run after the switch began), created from
 * template0; the dump brings its own extensions. No `--clean`: the database is new, and nothing
 * here drops or overwrites the live data. A `restored` left by a failed run of this restore (its
 * comment says so) is made again; one this tool did not make is refused, never dropped. A restore
 * of this run already complete is not repeated.
 */
export function restoreIntoFresh(db: DbTarget, dumpExpr: string, n: KeptNames, jobs: number): string {
  const flags = ["--no-owner", "--exit-on-error", ...(jobs > 1 ? [`--jobs=${jobs}`] : [])];
  const props = (from: string) =>
    psql(db, `select pg_get_userbyid(datdba) || '|' || pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype from pg_database where datname = ${lit(from)}`, "postgres");
  return script([
    `cd ${quote(db.dir)}`,
    ...dumpVariable(dumpExpr),
    `echo "dump=$d"`,
    `${inDb(db, ["pg_restore", "--list"])} "$d" > /dev/null || { echo "dump $d is not a readable pg_dump archive (missing or corrupt); nothing was restored" >&2; exit 1; }`,
    // A re-run after the switch of this very restore completed: nothing to restore again.
    `if ${exists(db, n.live)} && [ "${commentOf(db, n.live)}" = ${quote(COMMENTS.restored(n.stamp))} ]; then echo ${quote(`${n.live} already is this restore (${n.stamp}), switched in; not restored again`)}; exit 0; fi`,
    `if ${exists(db, n.restored)}; then`,
    `  c="${commentOf(db, n.restored)}"`,
    `  if [ "$c" = ${quote(COMMENTS.restored(n.stamp))} ]; then echo ${quote(`${n.restored} already holds this restore (${n.stamp}), complete; not restored again`)}; exit 0; fi`,
    `  case "$c" in ${quote("delphi-restore: restoring ")}*) ${inDb(db, ["dropdb", "-U", db.user, n.restored])};;`,
    `    *) echo ${quote(`database ${n.restored} exists and is not an unfinished restore of this tool (its comment: `)}"$c"${quote(`); rename or drop it, then run up again. Nothing was changed.`)} >&2; exit 1;;`,
    `  esac`,
    `fi`,
    `if ${exists(db, n.live)}; then p=$(${props(n.live)}); else p=$(${props(n.kept)}); fi`,
    `[ -n "$p" ] || { echo ${quote(`neither ${n.live} nor ${n.kept} exists: there is no database to restore beside. Nothing was changed.`)} >&2; exit 1; }`,
    `owner=$(printf '%s' "$p" | cut -d'|' -f1) enc=$(printf '%s' "$p" | cut -d'|' -f2) coll=$(printf '%s' "$p" | cut -d'|' -f3) ctype=$(printf '%s' "$p" | cut -d'|' -f4)`,
    `${inDb(db, ["createdb", "-U", db.user, "-T", "template0"])} -O "$owner" -E "$enc" --lc-collate="$coll" --lc-ctype="$ctype" ${quote(n.restored)}`,
    setComment(db, n.restored, COMMENTS.restoring(n.stamp)),
    `${inDb(db, ["pg_restore", ...flags, "-U", db.user, "-d", n.restored])} "$d" || { echo "pg_restore of $d into "${quote(`${n.restored} failed (above); ${n.live} is untouched: nothing was dropped or overwritten`)} >&2; exit 1; }`,
    setComment(db, n.restored, COMMENTS.restored(n.stamp)),
    `echo "restored $d into "${quote(n.restored)}`,
  ]);
}

/**
 * The switch: the live database is renamed to `kept` (kept, complete to the moment the services
 * stopped) and the complete restore to the live name; both renames, no copy. Client sessions of
 * the live database are ended first (the services are stopped; autovacuum workers end by
 * themselves). A re-run after a switch cut in half finishes it; one after a complete switch says
 * so. Prints `kept-database=<name>` and `switched-at=<UTC>`.
 */
export function switchKeeping(db: DbTarget, n: KeptNames): string {
  // The switch is inside the downtime: one query for what it needs to know (the three databases
  // and their comments, newlines flattened so one line is one database), and two psql calls for
  // the renames, instead of a `docker compose exec` per question and per statement.
  const listed = psql(
    db,
    `select datname || '|' || replace(coalesce(shobj_description(oid, 'pg_database'), ''), chr(10), ' ') from pg_database where datname in (${[n.restored, n.live, n.kept].map(lit).join(", ")})`,
    "postgres",
  );
  return script([
    `cd ${quote(db.dir)}`,
    `dbs=$(${listed})`,
    `there() { printf '%s\\n' "$dbs" | cut -d'|' -f1 | grep -qxF -- "$1"; }`,
    `if there ${quote(n.restored)}; then`,
    `  printf '%s\\n' "$dbs" | grep -qxF -- ${quote(`${n.restored}|${COMMENTS.restored(n.stamp)}`)} || { echo ${quote(`${n.restored} is not the complete restore of this run (${n.stamp}); refusing to switch it in. Nothing was changed.`)} >&2; exit 1; }`,
    `  if there ${quote(n.live)}; then`,
    `    if there ${quote(n.kept)}; then echo ${quote(`both ${n.live} and ${n.kept} exist; refusing to rename over a kept database. Nothing was changed.`)} >&2; exit 1; fi`,
    ...renameLive(db, n.live, n.kept, `could not rename ${n.live}: sessions keep connecting to it (are all services stopped?); nothing was switched`),
    `    ${psqlEach(db, [`comment on database ${ident(n.kept)} is ${lit(COMMENTS.kept(n.stamp))}`, `alter database ${ident(n.restored)} rename to ${ident(n.live)}`], "postgres")}`,
    `  else`,
    `    ${psql(db, `alter database ${ident(n.restored)} rename to ${ident(n.live)}`, "postgres")}`,
    `  fi`,
    `elif there ${quote(n.live)} && there ${quote(n.kept)}; then`,
    `  echo ${quote(`already switched: ${n.live} is the restored database and ${n.kept} the kept one`)}`,
    `else`,
    `  echo ${quote(`neither ${n.restored} (the restore) nor ${n.kept} (the kept database) exists; nothing to switch. Nothing was changed.`)} >&2; exit 1`,
    `fi`,
    `echo ${quote(`switched: ${n.live} is the restored database; the replaced one is kept as ${n.kept}`)}`,
    `echo "switched-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
    `echo ${quote(`kept-database=${n.kept}`)}`,
  ]);
}

/**
 * Rollback before sign-off, O(1): what the restore put under the live name is renamed to
 * `<db>_undone_<stamp>` (kept too), and the kept database back to the live name.
 */
export function renameBack(db: DbTarget, n: KeptNames): string {
  const undone = `${n.live}_undone_${n.stamp}`;
  return script([
    `cd ${quote(db.dir)}`,
    `if ${exists(db, n.kept)}; then`,
    `  if ${exists(db, n.live)}; then`,
    `    if ${exists(db, undone)}; then echo ${quote(`both ${n.live} and ${undone} exist; refusing to rename over them. Nothing was changed.`)} >&2; exit 1; fi`,
    ...renameLive(db, n.live, undone, `could not rename ${n.live}: sessions keep connecting to it; nothing was rolled back`),
    `    ${setComment(db, undone, COMMENTS.undone(n.stamp))}`,
    `  fi`,
    `  ${psql(db, `alter database ${ident(n.kept)} rename to ${ident(n.live)}`, "postgres")}`,
    `elif ! ${exists(db, undone)}; then`,
    `  echo ${quote(`the kept database ${n.kept} does not exist (signed off and removed?); nothing to roll back to by renaming. Nothing was changed.`)} >&2; exit 1`,
    `fi`,
    `echo ${quote(`undone=${undone}`)}`,
    `echo ${quote(`rolled-back-to=${n.kept}`)}`,
  ]);
}
