// The field builders every config block is made of: names, Postgres identifiers, absolute
// paths, argv lists, seconds and times, each with the message an operator reads when it is wrong.
import { z } from "zod";

// A DNS name: labels of letters, digits and '-', joined by '.'.
export const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// A name that is safe as a compose project/service, container, host, role or database name.
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// Postgres role and database names: stricter, lower case, so they never need SQL quoting.
const PG_IDENT_RE = /^[a-z_][a-z0-9_]{0,62}$/;
// An absolute path made of plain segments: no spaces, quotes, `$`, or `..` traversal. Each segment
// starts with its slash, so matching is linear (the property test found `(?:x+\/?)*` backtracking
// for minutes on a long value).
const ABS_PATH_RE = /^(?:\/[A-Za-z0-9_.@+-]+)*\/?$/;
// One argument of an operator-supplied command (argv form, each quoted separately).
const ARG_RE = /^[^\x00-\x1f\x7f]{1,500}$/;

export const name = (what: string) =>
  z.string({ error: `must be a ${what} (text)` }).regex(NAME_RE, {
    error: `must be a plain ${what}: letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters`,
  });
export const pgIdent = (what: string) =>
  z.string({ error: `must be a ${what} (text)` }).regex(PG_IDENT_RE, {
    error: `must be a lower-case Postgres ${what}: a-z, 0-9 and '_', starting with a letter or '_'`,
  });
export const absPath = (what: string) =>
  z
    .string({ error: `must be an absolute path to the ${what}` })
    .regex(ABS_PATH_RE, {
      error: `must be an absolute path to the ${what} made of letters, digits, '.', '_', '-', '@', '+' (no spaces or quotes)`,
    })
    .refine((p) => !p.split("/").some((seg) => seg === ".." || seg === "."), {
      error: `must not contain '.' or '..' segments (path traversal)`,
    });
export const argv = (what: string) =>
  z
    .array(z.string().regex(ARG_RE, { error: "each argument must be 1-500 printable characters (no newlines or control characters)" }), {
      error: `must be the ${what} as a list of arguments, e.g. [docker, compose, exec, -T, voiceai-voice, voiceai-calls, active]`,
    })
    .min(1, { error: `must have at least one argument (the ${what})` })
    .max(50, { error: "must have at most 50 arguments" });
export const seconds = (what: string, max: number) =>
  z
    .number({ error: `must be a number of seconds for ${what}` })
    .int({ error: "must be a whole number of seconds" })
    .min(1, { error: "must be at least 1 second" })
    .max(max, { error: `must be at most ${max} seconds` });
/**
 * An unquoted time in a stack file (`before: 2026-11-23T02:30:00Z` inside a map) is a YAML
 * timestamp to Pulumi, which hands it over in Go's format (`2026-11-23 02:30:00 +0000 UTC`).
 * That is the time the operator wrote, so it is read back as ISO 8601 rather than refused.
 */
export const GO_TIME_RE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d) [A-Z]{1,5}$/;
export function fromGoTime(v: unknown): unknown {
  const m = typeof v === "string" ? GO_TIME_RE.exec(v) : null;
  if (!m) return v;
  return `${m[1]}T${m[2]}${m[3] === "+00" && m[4] === "00" ? "Z" : `${m[3]}:${m[4]}`}`;
}
export const isoTime = (what: string) =>
  z.preprocess(fromGoTime, z.iso.datetime({ offset: true, error: `must be an ISO 8601 time with a zone for the ${what}, e.g. 2026-11-23T02:00:00Z` }));

