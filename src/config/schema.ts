// The stack config schema. Every value that can reach a shell is constrained here to a
// character set that cannot break out of the quoting in src/shell.ts, so validation and
// quoting are two independent defences rather than one.
import { z } from "zod";
import { absPath, argv, isoTime, name, pgIdent, seconds } from "./fields";
import { targetSchema, walSchema } from "../mechanisms/wal-pitr/schema";

export { targetSchema, walSchema, type TargetConfig, type WalConfig } from "../mechanisms/wal-pitr/schema";

export { fromGoTime } from "./fields";

export const NAMESPACE = "delphi-restore";
export const MECHANISMS = ["pg-restore", "volume-snapshot", "wal-pitr", "aurora-pitr", "rds-pitr", "rds-snapshot", "ebs-snapshot"] as const;
/** Self-managed mechanisms: the database runs in a container on the db host, reached over SSH. */
export const SELF_MANAGED_MECHANISMS = ["pg-restore", "volume-snapshot", "wal-pitr"] as const;
export const AWS_MECHANISMS = ["aurora-pitr", "rds-pitr", "rds-snapshot", "ebs-snapshot"] as const;
/** The AWS mechanisms that restore into a new RDS database (ebs-snapshot keeps its host and address). */
export const RDS_MECHANISMS = ["aurora-pitr", "rds-pitr", "rds-snapshot"] as const;
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

const DUMP_FILE_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}\.dump$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_RE = /^[0-9A-Fa-f:]{2,39}$/;
const UNIX_USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
// A public host key as `<type> <base64>` (a known_hosts entry without its host, or a `.pub` file).
const HOST_KEY_RE = /^(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,}={0,3}(?: [^\x00-\x1f\x7f]{0,200})?$/;
const URL_RE = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?$/;
const AWS_ID_RE = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;
const AWS_REGION_RE = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;
const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;
const ZONE_ID_RE = /^Z[A-Z0-9]{1,32}$/;
const INSTANCE_CLASS_RE = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
// Device names AWS recommends for data volumes on Linux instances (sd[f-p], or xvd[f-p] on Xen).
const EBS_DEVICE_RE = /^\/dev\/(?:sd[f-p]|xvd[f-p])$/;
export const EBS_VOLUME_TYPES = ["gp3", "gp2", "io2", "io1", "st1", "sc1", "standard"] as const;

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
  jobs: z.number({ error: "must be a number" }).int({ error: "must be a whole number" }).min(1, { error: "must be between 1 and 16" }).max(16, { error: "must be between 1 and 16" }).default(2),
  /** Free space the backup folder must have, as a multiple of the database's size. */
  freeSpaceFactor: z.number({ error: "must be a number" }).min(1, { error: "must be at least 1" }).max(10, { error: "must be at most 10" }).default(1.5),
});

export const voiceSchema = z.strictObject({
  activeCallsCommand: argv("command that prints the number of active calls").optional(),
  forceStop: z.boolean({ error: "must be true or false" }).default(false),
});

export const reconcileSchema = z.strictObject({
  service: name("compose service name").default("voiceai-telweb"),
  timeoutSeconds: seconds("the migrate deploy wait", 3600).default(300),
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

const ebsDevice = (what: string) =>
  z.string({ error: `must be the device name ${what}, e.g. /dev/sdf` }).regex(EBS_DEVICE_RE, { error: "must be an EBS device name /dev/sdf../dev/sdp or /dev/xvdf../dev/xvdp" });

/** ebs-snapshot: the db host's data volume and the snapshot to put under the database. */
export const ebsSchema = z.strictObject({
  volumeId: z.string({ error: "must be the EBS volume id of the database's data volume" }).regex(/^vol-[0-9a-f]{8,17}$/, { error: "must be an EBS volume id such as vol-0123456789abcdef0" }),
  instanceId: z.string({ error: "must be the EC2 instance id of the db host" }).regex(/^i-[0-9a-f]{8,17}$/, { error: "must be an EC2 instance id such as i-0123456789abcdef0" }),
  snapshotId: z.string({ error: "must be the EBS snapshot id to restore" }).regex(/^snap-[0-9a-f]{8,17}$/, { error: "must be an EBS snapshot id such as snap-0123456789abcdef0" }).optional(),
  /** Instead of snapshotId: the newest completed snapshot of volumeId started before this time. */
  snapshotBefore: isoTime("newest snapshot to take").optional(),
  deviceName: ebsDevice("the data volume is attached at"),
  /** Where the restored volume is attached (both stay attached until sign-off); default: the next letter. */
  restoreDeviceName: ebsDevice("to attach the restored volume at").optional(),
  mount: absPath("data volume's mount point on the db host"),
  /** The block device the host sees for the data volume (NVMe hosts: /dev/nvme1n1); default deviceName. */
  fsDevice: absPath("data volume's block device on the db host").refine((p) => p.startsWith("/dev/"), { error: "must be a device path under /dev, e.g. /dev/nvme1n1" }).optional(),
  volumeType: z.enum(EBS_VOLUME_TYPES, { error: `must be one of ${EBS_VOLUME_TYPES.join(", ")}` }).optional(),
  iops: z.number({ error: "must be a number of IOPS" }).int({ error: "must be a whole number" }).min(100, { error: "must be between 100 and 256000" }).max(256000, { error: "must be between 100 and 256000" }).optional(),
  throughput: z.number({ error: "must be a throughput in MiB/s" }).int({ error: "must be a whole number" }).min(125, { error: "must be between 125 and 2000 MiB/s" }).max(2000, { error: "must be between 125 and 2000 MiB/s" }).optional(),
  /** How long the database may take to accept connections after the remount. */
  readyTimeoutSeconds: seconds("the database to accept connections after the remount", 3600).default(300),
});

/**
 * volume-snapshot: the database's data directory is a subvolume of a snapshotting filesystem
 * (btrfs) mounted on the db host; read-only snapshots of it sit in one folder on that filesystem.
 */
export const volumeSchema = z.strictObject({
  filesystem: z.enum(["btrfs"], { error: "must be btrfs (the one snapshotting filesystem supported; LVM needs device-mapper)" }).default("btrfs"),
  /** Where the filesystem is mounted on the db host. */
  mount: absPath("mount point of the snapshotting filesystem on the db host"),
  /** The subvolume (under mount) that is the database's data directory. */
  dataSubvolume: name("subvolume name under volume.mount").default("data"),
  /** The folder (under mount) holding the read-only snapshots. */
  snapshotsDir: name("folder name under volume.mount").default("snapshots"),
  /** The snapshot to restore, by name (a read-only subvolume in snapshotsDir). */
  snapshot: name("snapshot name").optional(),
  /** The incident time: take the newest snapshot created before it (or check a named one is older). */
  before: isoTime("incident time (the newest snapshot before it is restored)").optional(),
  /** Free space the filesystem must have for the writable copy (written to by recovery and the services). */
  minFreeMiB: z.number({ error: "must be a number of MiB" }).int({ error: "must be a whole number" }).min(16, { error: "must be at least 16" }).max(10_000_000, { error: "must be at most 10000000" }).default(256),
  /** How long the database may take to start on the restored data (crash recovery replays its WAL). */
  recoveryTimeoutSeconds: seconds("crash recovery", 86400).default(600),
  /**
   * rollback only: the data subvolume the restore kept (`<dataSubvolume>.pre-restore-<UTC>`);
   * `delphi-restore rollback` sets it from the last restore's outputs.
   */
  rollbackTo: z.string({ error: "must be a subvolume name" }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\.pre-restore-\d{8}T\d{6}Z$/, { error: "must be the kept data subvolume's name, <dataSubvolume>.pre-restore-<yyyymmddThhmmssZ>" }).optional(),
});

export const awsSchema = z.strictObject({
  region: z.string().regex(AWS_REGION_RE, { error: "must be an AWS region such as eu-west-1" }),
  sourceClusterIdentifier: z.string().regex(AWS_ID_RE, { error: "must be an RDS cluster identifier: a letter, then letters, digits or '-', at most 63" }).optional(),
  sourceInstanceIdentifier: z.string().regex(AWS_ID_RE, { error: "must be an RDS instance identifier: a letter, then letters, digits or '-', at most 63" }).optional(),
  snapshotIdentifier: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-:]{0,254}$/, { error: "must be an RDS snapshot identifier or ARN" }).optional(),
  targetTime: isoTime("point-in-time target").optional(),
  useLatestRestorableTime: z.boolean({ error: "must be true or false" }).default(false),
  instanceClass: z.string().regex(INSTANCE_CLASS_RE, { error: "must be an RDS instance class such as db.r6g.large" }).optional(),
  readers: z.number().int({ error: "must be a whole number" }).min(0, { error: "must be between 0 and 15" }).max(15, { error: "must be between 0 and 15" }).default(0),
  databaseUrlSecretArn: z.string().regex(ARN_RE, { error: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)" }).optional(),
  route53: z
    .strictObject({
      zoneId: z.string().regex(ZONE_ID_RE, { error: "must be a Route53 hosted zone id such as Z0123456789ABC" }),
      name: z.string().refine((n) => HOSTNAME_RE.test(n.replace(/\.$/, "")), { error: "must be a DNS name" }),
      ttl: z.number().int().min(5, { error: "must be between 5 and 86400 seconds" }).max(86400, { error: "must be between 5 and 86400 seconds" }).default(60),
    })
    .optional(),
  tags: z.record(z.string().regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/), z.string().max(256)).default({}),
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
    reconcile: reconcileSchema.default({ service: "voiceai-telweb", timeoutSeconds: 300 }),
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
export type EbsConfig = z.output<typeof ebsSchema>;
export type VolumeConfig = z.output<typeof volumeSchema>;
export type Role = (typeof ROLES)[number];
export type Mechanism = (typeof MECHANISMS)[number];
export type Transport = (typeof TRANSPORTS)[number];
