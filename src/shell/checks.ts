// Pure builders for the verify step's HTTP checks (TelWeb's health, the admin login, telemetry),
// quoted like every other command (./words.ts). Each retries every half second: verify runs right
// after the services start, and a check that first finds one still starting should not cost the
// operator two seconds of waiting per retry.
import { argv, quote, script } from "./words";

/** An HTTP check from a host: retries until the deadline, fails with the check's name. */
export function httpCheck(name: string, url: string, timeoutSeconds: number, extra: string[] = []): string {
  return script([
    `end=$(( $(date +%s) + ${Math.trunc(timeoutSeconds)} ))`,
    `until out=$(${argv(["curl", "-fsS", "--max-time", "10", ...extra, url])} 2>&1); do`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo ${quote(`verify ${name} failed:`)} "$out" >&2; exit 1; fi`,
    `  sleep 0.5`,
    `done`,
    `echo ${quote(`verify ${name}: ok`)}`,
  ]);
}

/** Login check: the password comes on stdin (never on a command line or in a log). */
export function loginCheck(url: string, user: string, timeoutSeconds: number): string {
  return script([
    `pw=$(cat)`,
    `body=$(printf '{"email":"%s","password":"%s"}' ${quote(user)} "$(printf '%s' "$pw" | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')")`,
    `end=$(( $(date +%s) + ${Math.trunc(timeoutSeconds)} ))`,
    `until code=$(printf '%s' "$body" | ${argv(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-H", "content-type: application/json", "--data-binary", "@-", url])}) && [ "$code" = 200 ]; do`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "verify admin-login failed: HTTP $code" >&2; exit 1; fi`,
    `  sleep 0.5`,
    `done`,
    `echo 'verify admin-login: ok'`,
  ]);
}

/** Every listed service must appear in the telemetry endpoint's answer since `sinceExpr`. */
export function telemetryCheck(url: string, services: string[], sinceShellExpr: string, timeoutSeconds: number): string {
  const sep = url.includes("?") ? "&" : "?";
  return script([
    `since=${sinceShellExpr}`,
    `end=$(( $(date +%s) + ${Math.trunc(timeoutSeconds)} ))`,
    `while :; do`,
    `  out=$(curl -fsS --max-time 10 ${quote(url + sep + "since=")}"$since" 2>&1) || out=''`,
    `  missing=''`,
    `  for s in ${services.map(quote).join(" ")}; do printf '%s' "$out" | grep -q "\\"$s\\"" || missing="$missing $s"; done`,
    `  [ -z "$missing" ] && { echo 'verify telemetry: every service reported since '"$since"; exit 0; }`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "verify telemetry failed: no telemetry since $since from:$missing" >&2; exit 1; fi`,
    `  sleep 0.5`,
    `done`,
  ]);
}
