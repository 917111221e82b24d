// Admin password hashing for the sandbox's users table: scrypt from node:crypto, stored as
// `scrypt$N$r$p$<salt b64>$<hash b64>` so the parameters travel with the hash, as in real apps.
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || expected.length === 0) return false;
  const got = scryptSync(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
  return timingSafeEqual(got, expected);
}

/** A random password that needs no quoting anywhere (URL, YAML, shell): base64url. */
export function randomPassword(bytes = 18): string {
  return randomBytes(bytes).toString("base64url");
}
