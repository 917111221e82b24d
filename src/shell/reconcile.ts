// Pure: TelWeb's reconcile on the web host. Either its container started and its logs watched for
// the migrate deploy and baseline-seed lines (the runbook's step 4), or, with
// reconcile.beforeStop, a one-off container of its image run against the restored database while
// the services still use the live one.
import { argv, quote, script } from "./words";

/**
 * Start a service and wait until its logs (since this start only, so lines from an earlier
 * start cannot satisfy it) show every pattern; fail fast on the failure pattern or timeout.
 */
export function startAndWaitForLogLines(dir: string, service: string, patterns: string[], failPattern: string, timeoutSeconds: number): string {
  const logs = `${argv(["docker", "compose", "logs", "--no-color", "--since"])} "$since" ${quote(service)}`;
  const checks = patterns.map((p) => `grep -q -- ${quote(p)} "$tmp"`).join(" && ");
  return script([
    `cd ${quote(dir)}`,
    `since=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)`,
    `tmp=$(mktemp)`,
    `trap 'rm -f "$tmp"' EXIT`,
    `${argv(["docker", "compose", "up", "-d", service])} || { echo ${quote(`${service} failed to start`)} >&2; exit 1; }`,
    `end=$(( $(date +%s) + ${Math.trunc(timeoutSeconds)} ))`,
    `while :; do`,
    `  ${logs} > "$tmp" 2>&1 || true`,
    `  if grep -q -- ${quote(failPattern)} "$tmp"; then grep -- ${quote(failPattern)} "$tmp" >&2; echo ${quote(`${service}: migration failed; the database is restored but the schema is not reconciled`)} >&2; exit 1; fi`,
    `  if ${checks}; then grep ${patterns.map((p) => `-e ${quote(p)}`).join(" ")} "$tmp"; exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo ${quote(`${service}: timed out after ${timeoutSeconds}s waiting for ${patterns.join(" and ")} in its logs`)} >&2; tail -n 20 "$tmp" >&2; exit 1; fi`,
    // A short poll: this wait is inside the downtime, and TelWeb's migrations often take under a second.
    `  sleep 0.25`,
    `done`,
  ]);
}

/**
 * A one-off container of `service` (its image, environment and mounts; no ports, no dependencies,
 * removed when done) running `command` with its `databaseEnv` pointed at `database`: a URL keeps
 * its scheme, credentials, host and query and gets `database` as its path; a bare name is
 * replaced. The rewrite happens in the container's own shell, so the URL (a secret) never appears
 * in an argument, a log or the state.
 */
export function runAgainstDatabase(dir: string, service: string, databaseEnv: string, database: string, command: readonly string[], failure: string): string {
  // $1 the variable's name, $2 the database, then the command. The name is validated by the config
  // schema and quoted here; the values are only ever expanded inside double quotes.
  const inner = [
    'v=$(printenv "$1") && [ -n "$v" ] || { echo "$1 is not set in the service\'s environment" >&2; exit 1; }',
    "case $v in",
    '  *://*) base=${v%%\\?*}; rest=${v#"$base"}',
    '    case ${base#*://} in */*) ;; *) echo "$1 names no database (a URL without a path)" >&2; exit 1;; esac',
    '    v="${base%/*}/$2$rest" ;;',
    "  *) v=$2 ;;",
    "esac",
    'export "$1=$v"',
    "shift 2",
    'exec "$@"',
  ].join("\n");
  const run = argv(["docker", "compose", "run", "--rm", "--no-deps", "-T", "--entrypoint", "sh", service, "-c", inner, "sh", databaseEnv, database, ...command]);
  // Its output is kept, so a failure's reason (the migration's error) reaches the update's error.
  return script([`cd ${quote(dir)}`, `if out=$(${run} 2>&1); then printf '%s\n' "$out"; else printf '%s\n' "$out" | tail -n 20 >&2; echo ${quote(failure)} >&2; exit 1; fi`]);
}
