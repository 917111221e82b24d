// The Delphi-like database: schema from TelWeb's prisma migrations (recorded in
// `_prisma_migrations` with real checksums), three tenants of data, the admin user, the setup
// registry, and the "nightly backup" the restore restores.
import { createHash } from "node:crypto";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hashPassword } from "./password";
import { delphiSql, dumpDatabase } from ".";
import type { Layout } from "../layout";
import { utcStamp } from "./volume-parse";

const SQL_DIR = join(__dirname, "sql");
const MIGRATIONS_DIR = join(SQL_DIR, "migrations");

/** TelWeb's migrations, oldest first (prisma orders them by name). */
export function migrationNames(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith(".sql"))
    .map((f) => f.slice(0, -4))
    .sort();
}

/**
 * The newest migration ships with the TelWeb image deployed after the nightly backup: it is
 * applied when the sandbox's services start, so the backup predates it and a restore makes it
 * pending again (reconcile's `migrate deploy` has real work to do).
 */
export function pendingMigration(): string {
  return migrationNames().at(-1) as string;
}

/** Put TelWeb's migration files in the web project (what the image would contain). */
export function installMigrations(L: Layout): void {
  for (const m of migrationNames()) copyFileSync(join(MIGRATIONS_DIR, `${m}.sql`), join(L.migrationsDir, `${m}.sql`));
}

/** sha256 of the file, as prisma stores it and as TelWeb's container computes it. */
function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

function historySql(names: string[]): string {
  const parts = [readFileSync(join(SQL_DIR, "prisma-migrations-table.sql"), "utf8")];
  names.forEach((name, i) => {
    const sql = readFileSync(join(MIGRATIONS_DIR, `${name}.sql`), "utf8");
    // Applied one after the other, weeks apart, as a real deployment's history would show.
    const ago = `interval '${(names.length - i) * 21} days'`;
    parts.push(
      sql,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (gen_random_uuid()::text, '${checksum(sql)}', now() - ${ago} + interval '2 seconds', '${name}', NULL, NULL, now() - ${ago}, 1);`,
    );
  });
  return parts.join("\n");
}

/** Schema (all migrations but the pending one), tenant data, admin user, setup registry. */
export async function seedDatabase(L: Layout, pgBin: string, port: number, adminPassword: string): Promise<void> {
  const applied = migrationNames().filter((m) => m !== pendingMigration());
  // The hash is set as a psql variable on stdin, so not even it shows up in a process list.
  const sql = [
    `\\set admin_hash '${hashPassword(adminPassword)}'`,
    "BEGIN;",
    historySql(applied),
    readFileSync(join(SQL_DIR, "tenant-data.sql"), "utf8"),
    readFileSync(join(SQL_DIR, "baseline-seed.sql"), "utf8"),
    "COMMIT;",
    "ANALYZE;",
  ].join("\n");
  await delphiSql(L, pgBin, port, sql);
}

/** The nightly backup: `pg_dump -Fc` into the db host's backup folder as delphi-<UTC>.dump. */
export async function takeNightlyBackup(L: Layout, pgBin: string, port: number): Promise<string> {
  const file = join(L.backupDir, `delphi-${utcStamp()}.dump`);
  await dumpDatabase(L, pgBin, port, file);
  return file;
}
