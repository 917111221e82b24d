// The config of mechanism wal-pitr: where the WAL archive, the base backups and the database's
// data directory are on the db host, and the recovery target (exactly one of time, xid, lsn,
// name or latest). Cross-field rules are in ./config-rules.ts.
import { z } from "zod";
import { absPath, isoTime, seconds } from "../../config/fields";

export const WAL_PITR_NAMES = ["wal-pitr"] as const;

export const walSchema = z.strictObject({
  /** The folder archive_command copies every WAL segment to (the db host's path; the container sees it at the same path). */
  archiveDir: absPath("WAL archive folder on the db host"),
  /** The folder of base backups, one folder each, made by `pg_basebackup -Fp` (backup_label and backup_manifest inside). */
  baseBackupsDir: absPath("folder of base backups on the db host"),
  /** The database's data directory as the db host sees it (bind-mounted into the database container). */
  dataDir: absPath("database's data directory on the db host"),
  /** How long recovery (replaying the archive up to the target) may take before the restore fails. */
  recoveryTimeoutSeconds: seconds("recovery to the target", 86400).default(1800),
  /**
   * rollback only: the data directory the restore kept (`<dataDir>.pre-restore-<UTC>`, its last
   * segment); `delphi-restore rollback` sets it from the last restore's outputs.
   */
  rollbackTo: z
    .string({ error: "must be a folder name" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\.pre-restore-\d{8}T\d{6}Z$/, { error: "must be the kept data directory's name, <data dir name>.pre-restore-<yyyymmddThhmmssZ>" })
    .optional(),
});

/**
 * true/false, also as the text `pulumi config set --path` may store ("false"): a target written by
 * that command (or by find-target --apply) must read back as the operator meant it.
 */
const flag = () => z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ error: "must be true or false" }));

/** A transaction id as Postgres prints it (32-bit, or 64-bit with epoch): a whole number. */
const xid = z
  .union([z.number().int().min(3).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9]\d{0,19}$/, { error: "must be a transaction id (a whole number, e.g. 73412)" })], { error: "must be a transaction id (a whole number, e.g. 73412)" })
  .transform((v) => String(v));

export const targetSchema = z.strictObject({
  /** Recover to this moment (commits at or before it, or before it with inclusive: false). */
  time: isoTime("recovery target time").optional(),
  /** Recover to this transaction (through it, or up to just before it with inclusive: false). */
  xid: xid.optional(),
  /** Recover to this WAL location, e.g. 0/3000060. */
  lsn: z.string({ error: "must be a WAL location such as 0/3000060" }).regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, { error: "must be a WAL location: two hex numbers joined by '/', e.g. 0/3000060" }).optional(),
  /** Recover to a restore point made with pg_create_restore_point(name). */
  name: z.string({ error: "must be a restore point name" }).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, { error: "must be a restore point name of letters, digits, '_', '.', ':' or '-'" }).optional(),
  /** Stop just after the target (true, Postgres' default) or just before it (false: undoes the target transaction). */
  inclusive: flag().default(true),
  /** Recover to the end of the archive: everything archived, nothing else. */
  latest: flag().default(false),
});

export type WalConfig = z.output<typeof walSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
