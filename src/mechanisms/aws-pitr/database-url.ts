// Pure: point a DATABASE_URL at another host and port, keeping its user, password, database and
// options. The password therefore never passes through config. Errors never echo the value:
// it is a secret, and error messages end up in logs.

const SCHEME_RE = /^(postgres(?:ql)?:\/\/)/i;

interface UrlParts {
  scheme: string;
  userinfo: string; // "user:password@" or ""
  host: string;
  port?: string;
  rest: string; // "/db?options" or ""
}

function split(url: string): UrlParts | undefined {
  const scheme = SCHEME_RE.exec(url)?.[1];
  if (!scheme) return undefined;
  const afterScheme = url.slice(scheme.length);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const rest = authorityEnd === -1 ? "" : afterScheme.slice(authorityEnd);
  const at = authority.lastIndexOf("@");
  const userinfo = at === -1 ? "" : authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m) return undefined;
  return { scheme, userinfo, host: m[1], port: m[2], rest };
}

const NOT_A_URL = "the DATABASE_URL secret does not hold a postgres:// or postgresql:// URL with one host (value not shown); a restore cannot rewrite it";

/** The host and port a DATABASE_URL points at (5432 when it names none). */
export function databaseUrlTarget(url: string): { host: string; port: number } {
  const p = split(url.trim());
  if (!p) throw new Error(NOT_A_URL);
  return { host: p.host.toLowerCase(), port: p.port ? Number(p.port) : 5432 };
}

/** The same URL with only the host and port replaced. */
export function withHostPort(url: string, host: string, port: number): string {
  const p = split(url.trim());
  if (!p) throw new Error(NOT_A_URL);
  if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new Error(`cannot point DATABASE_URL at '${host}': not a DNS name`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`cannot point DATABASE_URL at port ${port}`);
  return `${p.scheme}${p.userinfo}${host}:${port}${p.rest}`;
}
