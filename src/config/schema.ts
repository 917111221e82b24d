// The stack config schema. Every value that can reach a shell is constrained here to a
// character set that cannot break out of the quoting in src/shell/, so validation and
// quoting are two independent defences rather than one.
import { z } from "zod";
import { AWS_PITR_NAMES, awsPitrFields } from "../mechanisms/aws-pitr/schema";
import { EBS_SNAPSHOT_NAMES, ebsSchema } from "../mechanisms/ebs-snapshot/schema";
import { PG_RESTORE_NAMES } from "../mechanisms/pg-restore/schema";
import { VOLUME_SNAPSHOT_NAMES, volumeSchema } from "../mechanisms/volume-snapshot/schema";
import { WAL_PITR_NAMES, targetSchema, walSchema } from "../mechanisms/wal-pitr/schema";
import { HOSTNAME_RE, absPath, argv, isoTime, name, pgIdent, seconds } from "./fields";

export { targetSchema, walSchema, type TargetConfig, type WalConfig } from "../mechanisms/wal-pitr/schema";
export { EBS_VOLUME_TYPES, ebsSchema, type EbsConfig } from "../mechanisms/ebs-snapshot/schema";
export { volumeSchema, type VolumeConfig } from "../mechanisms/volume-snapshot/schema";

export { fromGoTime } from "./fields";

export const NAMESPACE = "delphi-restore";
/** Every value of `mechanism`, each mechanism's names in the order of src/mechanisms/configs.ts. */
export const MECHANISMS = [...PG_RESTORE_NAMES, ...VOLUME_SNAPSHOT_NAMES, ...WAL_PITR_NAMES, ...AWS_PITR_NAMES, ...EBS_SNAPSHOT_NAMES] as const;
export const ROLES = ["web", "api", "voice", "ops", "media", "db"] as const;
export const CONSUMER_ROLES = ["web", "api", "voice", "ops", "media"] as const;
export const ORDERS = ["beforeRestore", "beforeSwitch"] as const;
export const PHASES = ["restore", "rollback", "signoff"] as const;
/**
 * When the pre-restore snapshot file (runbook step 1) is written: `after` the services are back,
 * from the kept data (complete, no downtime); `before` the restore, after quiesce (the live
 * database is then overwritten: for disks that cannot hold two databases); `none` (the kept data
 * is the copy).
 */
export const SNAPSHOTS = ["after", "before", "none"] as const;
/** The data a restore keeps: `<db>_pre_restore_<UTC>`, `<subvolume>.pre-restore-<UTC>`, `<dir>.pre-restore-<UTC>`. */
export const KEPT_RE = /^[A-Za-z0-9_.-]{1,200}[._](?:pre[-_]restore|undone)[-_]\d{8}T\d{6}Z$/;
/** How host commands run: this project's SSH resource (default), or @pulumi/command's resources. */
export const TRANSPORTS = ["ssh", "pulumi-command"] as const;
/** Config keys whose values are secrets: read with requireSecret, never printed. */
export const SECRET_KEYS = ["sshPrivateKey", "adminPassword"] as const;

export const DUMP_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}\.dump$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_RE = /^[0-9A-Fa-f:]{2,39}$/;
const UNIX_USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
// A public host key as `<type> <base64>` (a known_hosts entry without its host, or a `.pub` file).
const HOST_KEY_RE = /^(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,}={0,3}(?: [^\x00-\x1f\x7f]{0,200})?$/;
const URL_RE = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$/;

export const hostSchema = z.strictObject({
  address: z
    .string({ error: "must be the host's address (IP or DNS name)" })
    .refine((a) => IPV4_RE.test(a) || (IPV6_RE.test(a) && a.includes(":")) || HOSTNAME_RE.test(a), {
      error: "must be an IPv4/IPv6 address or a DNS name (letters, digits, '-' and '.')",
    }),
  port: z
    .number({ error: "must be the SSH port (a number)" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be between 1 and 65535" })
    .max(65535, { error: "must be between 1 and 65535" })
    .default(22),
  user: z.string({ error: "must be the SSH user name" }).regex(UNIX_USER_RE, { error: "must be a Unix user name (a-z, 0-9, '_', '-')" }),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(", ")}` }),
  servicesRoot: absPath("folder holding the compose projects").default("/opt/services"),
  services: z
    .array(name("compose project name"), { error: "must be a list of compose project names under servicesRoot, e.g. [web]" })
    .min(1, { error: "must list at least one compose project" })
    .max(20, { error: "must list at most 20 compose projects" })
    .refine((s) => new Set(s).size === s.length, { error: "must not list a project twice" }),
  /**
   * The host's public SSH host key (`ssh-ed25519 AAAA...`); connections trust exactly this key.
   * Required for every host reached over SSH.
   */
  hostKey: z
    .string({ error: "must be the host's public key as text, e.g. \"ssh-ed25519 AAAAC3Nza...\"" })
    .regex(HOST_KEY_RE, { error: "must be a public SSH host key: '<type> <base64>' with type ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa, on one line" })
    .optional(),
  /** Run this host's commands locally (/bin/sh) instead of over SSH. */
  local: z.boolean({ error: "must be true or false" }).default(false),
});

export const databaseSchema = z.strictObject({
  host: name("host name (a key of `hosts`)"),
  composeProject: name("compose project name").default("postgres"),
  container: name("compose service name").default("voiceai-postgres"),
  user: pgIdent("role name"),
  name: pgIdent("database name"),
  backupDir: absPath("backup folder").default("/backup"),
  /** pg_restore --jobs; unset, the db host's cores as the program reads them before declaring (1-16), or 2 when it cannot. */
  jobs: z.number({ error: "must be a number" }).int({ error: "must be a whole number" }).min(1, { error: "must be between 1 and 16" }).max(16, { error: "must be between 1 and 16" }).optional(),
  /** Free space the backup folder must have, as a multiple of the database's size. */
  freeSpaceFactor: z.number({ error: "must be a number" }).min(1, { error: "must be at least 1" }).max(10, { error: "must be at most 10" }).default(1.5),
});

export const voiceSchema = z.strictObject({
  activeCallsCommand: argv("command that prints the number of active calls").optional(),
  forceStop: z.boolean({ error: "must be true or false" }).default(false),
});

// An environment variable's name, as it reaches the one-off container's shell unquoted.
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const reconcileSchema = z.strictObject({
  service: name("compose service name").default("voiceai-telweb"),
  timeoutSeconds: seconds("the migrate deploy wait", 3600).default(300),
  /**
   * order beforeSwitch: run the service's migrations against the restored database before
   * anything stops (a one-off container of its image), then start every service at once after the
   * switch. Takes the migrations out of the downtime, and a failing migration fails the update
   * while every service still runs on the live database.
   */
  beforeStop: z.boolean({ error: "must be true or false" }).default(false),
  /** What applies the migrations and the baseline seed in a one-off container of the service (then exits). */
  migrateCommand: argv("migrate command of the service's image").default(["npx", "prisma", "migrate", "deploy"]),
  /** The service's variable that names its database: a URL (its path is replaced) or a bare name. */
  databaseEnv: z
    .string({ error: "must be an environment variable's name (text)" })
    .regex(ENV_NAME_RE, { error: "must be an environment variable's name: letters, digits and '_', not starting with a digit" })
    .default("DATABASE_URL"),
});

export const spotCheckSchema = z.strictObject({
  name: name("check name"),
  sql: z
    .string({ error: "must be one SQL query (text)" })
    .regex(/^[^\x00-\x1f\x7f]{1,2000}$/, { error: "must be one line of SQL, 1-2000 characters, without newlines or control characters" })
    .refine((s) => /^\s*(select|with)\b/i.test(s), { error: "must be a read-only query starting with SELECT or WITH" }),
  expect: z.string({ error: "must be the expected output as text, e.g. \"1\"" }).regex(/^[^\x00-\x1f\x7f]{0,500}$/, { error: "must be one line of text" }),
});

export const verifySchema = z.strictObject({
  telwebUrl: z.string().regex(URL_RE, { error: "must be an http(s) URL without spaces or quotes" }).optional(),
  loginUrl: z.string().regex(URL_RE, { error: "must be an http(s) URL without spaces or quotes" }).optional(),
  adminUser: z.string().regex(/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/, { error: "must be the admin's e-mail address" }).optional(),
  telemetryUrl: z.string().regex(URL_RE, { error: "must be an http(s) URL without spaces or quotes" }).optional(),
  telemetryServices: z.array(name("service name")).max(100).default([]),
  spotChecks: z.array(spotCheckSchema, { error: "must be a list of {name, sql, expect}" }).max(50).default([]),
  testCallCommand: argv("test-call command").optional(),
  timeoutSeconds: seconds("each verify check", 3600).default(120),
});

export const reportSchema = z.strictObject({
  dir: z
    .string({ error: "must be a folder for the tenant notice" })
    .regex(/^[A-Za-z0-9_.@+/-]{1,300}$/, { error: "must be a folder path of letters, digits, '.', '_', '-', '/'" })
    .refine((p) => !p.split("/").includes(".."), { error: "must not contain '..' segments (path traversal)" })
    .default("reports"),
  contact: z.string().regex(/^[^\x00-\x1f\x7f]{1,200}$/, { error: "must be one line of text" }).default("your Delphi operator"),
  tables: z.array(pgIdent("table name")).min(1, { error: "must list at least one table" }).max(50).default(["conversations", "tools", "billing_records"]),
  /** The column of report.tables that names a row's tenant. */
  tenantColumn: pgIdent("column name").default("tenant_id"),
});

/** The aws block: the AWS mechanisms' keys (aws-pitr's, with ebs-snapshot's aws.ebs) and the sign-off release they share. */
export const awsSchema = z.strictObject({
  ...awsPitrFields,
  ebs: ebsSchema.optional(),
  /**
   * Sign-off, second step: arm the deletion of the old database (deletion protection off, final
   * snapshot set, unprotected) so that a targeted `pulumi destroy` can delete it. See docs/aws.md.
   */
  releaseOld: z.boolean({ error: "must be true or false" }).default(false),
});

export const configSchema = z
  .strictObject({
    mechanism: z.enum(MECHANISMS, { error: `must be one of ${MECHANISMS.join(", ")}` }),
    deployment: name("deployment name"),
    order: z.enum(ORDERS, { error: `must be one of ${ORDERS.join(", ")}` }).default("beforeRestore"),
    phase: z.enum(PHASES, { error: `must be one of ${PHASES.join(", ")}` }).default("restore"),
    snapshot: z.enum(SNAPSHOTS, { error: `must be one of ${SNAPSHOTS.join(", ")}` }).default("after"),
    /** rollback and signoff of a self-managed restore: the kept data (set from the last restore's outputs by `delphi-restore rollback|signoff`). */
    kept: z.string({ error: "must be the name of the kept data" }).regex(KEPT_RE, { error: "must be the name a restore kept the replaced data under, e.g. delphi_pre_restore_20261207T021500Z" }).optional(),
    transport: z.enum(TRANSPORTS, { error: `must be one of ${TRANSPORTS.join(", ")}` }).default("ssh"),
    dump: z.string().regex(DUMP_FILE_RE, { error: "must be a file name (no folders) ending in .dump, e.g. delphi-20261123T020000Z.dump" }).optional(),
    restorePoint: isoTime("restore point").optional(),
    hosts: z
      .record(name("host name"), hostSchema, { error: "must be a map of host name to {address, user, role, services}" })
      .refine((h) => Object.keys(h).length >= 1, { error: "must list at least one host" })
      .refine((h) => Object.keys(h).length <= 50, { error: "must list at most 50 hosts" }),
    sshPrivateKey: z
      .string()
      .refine((k) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k), { error: "must be a private key in OpenSSH or PEM format (set it with --secret)" })
      .optional(),
    database: databaseSchema.optional(),
    voice: voiceSchema.default({ forceStop: false }),
    // Parsed from nothing (prefault): every field's own default applies, written once above.
    reconcile: reconcileSchema.prefault({}),
    verify: verifySchema.default({ telemetryServices: [], spotChecks: [], timeoutSeconds: 120 }),
    adminPassword: z.string().min(1, { error: "must not be empty" }).max(1000).optional(),
    report: reportSchema.default({ dir: "reports", contact: "your Delphi operator", tables: ["conversations", "tools", "billing_records"], tenantColumn: "tenant_id" }),
    aws: awsSchema.optional(),
    volume: volumeSchema.optional(),
    wal: walSchema.optional(),
    target: targetSchema.optional(),
  });

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type HostConfig = z.output<typeof hostSchema>;
export type Role = (typeof ROLES)[number];
/** A value of `mechanism` (the registry's `Mechanism` is the interface behind each). */
export type MechanismName = (typeof MECHANISMS)[number];
export type Transport = (typeof TRANSPORTS)[number];
