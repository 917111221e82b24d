// Parse and validate the stack config before any resource is declared. Every problem is
// reported at once, each naming the key, the bad value (secrets redacted) and the fix.
import { closest } from "fastest-levenshtein";
import type { z } from "zod";
import { ebsChecks, notForEbs } from "../mechanisms/ebs-snapshot/config-rules";
import { volumeChecks } from "../mechanisms/volume-snapshot/config-rules";
import { walChecks } from "../mechanisms/wal-pitr/config-rules";
import {
  AWS_MECHANISMS,
  CONSUMER_ROLES,
  NAMESPACE,
  SECRET_KEYS,
  configSchema,
  type HostConfig,
  type ParsedConfig,
} from "./schema";

export * from "./schema";

export interface ConfigProblem {
  /** Full config key in `pulumi config --path` form, e.g. `delphi-restore:hosts.web.port`. */
  key: string;
  /** The offending value as the user wrote it (secrets shown as [secret]); undefined if missing. */
  value?: string;
  message: string;
  fix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export type RestoreConfig = ParsedConfig;

export function formatProblems(problems: ConfigProblem[]): string {
  const lines = [
    `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was declared or changed:`,
  ];
  for (const p of problems) {
    lines.push(`  x ${p.key}${p.value === undefined ? " (missing)" : ` = ${p.value}`}`);
    lines.push(`    ${p.message}`);
    lines.push(`    fix: ${p.fix}`);
  }
  return lines.join("\n");
}

export type PathPart = string | number;
/** Records one problem: the key's path, what is wrong, the fix, and the value as written. */
export type AddProblem = (path: PathPart[], message: string, fix: string, value?: unknown) => void;

export function keyOf(path: readonly PathPart[]): string {
  let out = `${NAMESPACE}:`;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? p : `.${p}`;
  });
  return out;
}

function valueAt(input: unknown, path: readonly PathPart[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function show(path: readonly PathPart[], v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof path[0] === "string" && (SECRET_KEYS as readonly string[]).includes(path[0])) return "[secret]";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function setFix(path: readonly PathPart[]): string {
  const secret = typeof path[0] === "string" && (SECRET_KEYS as readonly string[]).includes(path[0]);
  return `pulumi config set ${secret ? "--secret " : ""}--path '${keyOf(path)}' <value>`;
}

/** Known keys at a path, for "did you mean" suggestions on unknown keys. */
function knownKeysAt(path: readonly PathPart[]): string[] {
  // Walk the zod schema along the path (through record values and array elements).
  let schema: SchemaLike = configSchema as unknown as SchemaLike;
  for (const p of path) {
    const cur = unwrap(schema);
    const next = (typeof p === "string" && cur.shape?.[p]) || cur.valueType || cur.element;
    if (!next) return [];
    schema = next;
  }
  return Object.keys(unwrap(schema).shape ?? {});
}

/** The parts of zod's runtime schema objects this file reads (zod does not export them as one type). */
interface SchemaLike {
  shape?: Record<string, SchemaLike>;
  valueType?: SchemaLike;
  element?: SchemaLike;
  def?: { innerType?: SchemaLike; in?: SchemaLike };
}

function unwrap(s: SchemaLike): SchemaLike {
  let cur = s;
  // Optional/default/pipe wrappers hide the object's shape; peel them off.
  for (let i = 0; i < 10 && (cur.def?.innerType ?? cur.def?.in); i++) cur = (cur.def?.innerType ?? cur.def?.in) as SchemaLike;
  return cur;
}

function zodProblems(err: z.ZodError, input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of err.issues) {
    const path = issue.path.filter((p): p is PathPart => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(path);
      for (const k of issue.keys) {
        const full = [...path, k];
        const guess = known.length ? closest(k, known) : undefined;
        out.push({
          key: keyOf(full),
          value: show(full, valueAt(input, full)),
          message: `unknown key${guess ? `; did you mean '${guess}'?` : ""}${known.length ? ` Known keys here: ${known.join(", ")}` : ""}`,
          fix: guess
            ? `rename it to '${keyOf([...path, guess])}' or remove it: pulumi config rm --path '${keyOf(full)}'`
            : `remove it: pulumi config rm --path '${keyOf(full)}'`,
        });
      }
      continue;
    }
    // One problem per key: after a type mismatch, zod's further checks on it only add noise.
    if (out.some((p) => p.key === keyOf(path))) continue;
    const value = valueAt(input, path);
    // For a choice (mechanism, order...), the fix lists the choices, so nobody has to open the docs.
    const allowed = issue.code === "invalid_value" ? issue.values.map(String) : [];
    out.push({
      key: keyOf(path),
      value: show(path, value),
      message: value === undefined ? `is required: ${issue.message}` : issue.message,
      fix: allowed.length ? `set it to one of ${allowed.join(", ")}: ${setFix(path).replace("<value>", allowed[0])}` : setFix(path),
    });
  }
  return out;
}

/** Cross-field rules zod's per-field schema cannot express. */
function crossChecks(c: ParsedConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: PathPart[], message: string, fix: string, value?: unknown) =>
    out.push({ key: keyOf(path), value: show(path, value), message, fix });
  const hosts = Object.entries(c.hosts);
  const isAws = (AWS_MECHANISMS as readonly string[]).includes(c.mechanism);
  // Self-managed phases act on the kept data: rollback puts it back, signoff archives and removes it.
  if (!isAws && c.phase !== "restore") {
    const rollbackKey = c.mechanism === "volume-snapshot" ? "volume.rollbackTo" : c.mechanism === "wal-pitr" ? "wal.rollbackTo" : "kept";
    if ((c.phase === "signoff" || c.mechanism === "pg-restore") && !c.kept)
      add(["kept"], `is required for phase ${c.phase}: the kept data the last restore left (its outputs name it)`, `run \`delphi-restore ${c.phase}\` (it sets it from the last restore's outputs), or: pulumi config set ${NAMESPACE}:kept <name>`);
    if (c.phase === "rollback" && c.mechanism !== "pg-restore" && c.kept)
      add(["kept"], `is read in phase signoff; a ${c.mechanism} rollback reads ${rollbackKey}`, `pulumi config rm ${NAMESPACE}:kept`, c.kept);
  }
  if (c.mechanism === "pg-restore" && c.phase !== "restore" && c.snapshot === "before")
    add(["snapshot"], `is before, so the restore overwrote the live database and kept none: there is nothing to ${c.phase === "signoff" ? "sign off" : "rename back"} (the pre-restore snapshot file is the copy)`, `restore the pre-restore snapshot as a new restore: pulumi config set ${NAMESPACE}:dump pre-restore-<UTC>.dump && pulumi config set ${NAMESPACE}:phase restore`, c.snapshot);
  if (c.mechanism === "pg-restore" && c.phase === "rollback" && c.kept && c.database && !c.kept.startsWith(`${c.database.name}_pre_restore_`))
    add(["kept"], `must be a database a restore of ${c.database.name} kept (${c.database.name}_pre_restore_<UTC>) to rename back`, `run \`delphi-restore rollback\` (it sets it from the last restore's outputs)`, c.kept);
  if (!isAws && c.phase === "restore" && c.kept)
    add(["kept"], "is only read in phases rollback and signoff; a restore with it set would not say which data it acts on", `remove it: pulumi config rm ${NAMESPACE}:kept`, c.kept);
  if (c.order === "beforeSwitch" && c.snapshot === "before")
    add(["snapshot"], "cannot be before with order beforeSwitch: beforeSwitch keeps the replaced database beside the restored one, so the snapshot is taken from it after the services are back", `pulumi config set ${NAMESPACE}:snapshot after (or order beforeRestore with snapshot before, for a disk that cannot hold two databases)`, c.snapshot);
  if (c.mechanism === "pg-restore" && c.database && c.database.name.length > 34)
    add(["database", "name"], `is ${c.database.name.length} characters; the restore keeps the replaced database as <name>_pre_restore_<UTC> (29 more), and Postgres names stop at 63`, "use a database name of at most 34 characters", c.database.name);

  for (const [name, h] of hosts) {
    if (!h.local && !h.hostKey)
      add(["hosts", name, "hostKey"], "is required: every command on this host runs over SSH, which trusts exactly this key (no trust on first use)", `read it with \`ssh-keyscan -t ed25519 -p ${h.port} ${h.address}\`, check its fingerprint out of band, then: pulumi config set --path '${NAMESPACE}:hosts.${name}.hostKey' 'ssh-ed25519 AAAA...'`);
  }
  const endpoints = new Map<string, string>();
  for (const [name, h] of hosts) {
    if (h.local) continue;
    const ep = `${h.address}:${h.port}`;
    const other = endpoints.get(ep);
    if (other)
      add(["hosts", name, "port"], `points at the same SSH endpoint ${ep} as host '${other}'; two host entries for one machine would run every command twice`, `give each host its own address/port, or merge their services into one host entry`, h.port);
    endpoints.set(ep, name);
  }
  for (const role of ["web"] as const) {
    const n = hosts.filter(([, h]) => h.role === role).length;
    if (n !== 1)
      add(["hosts"], `must have exactly one host with role '${role}' (TelWeb runs the migrations there); found ${n}`, `set role: ${role} on exactly one host: pulumi config set --path '${NAMESPACE}:hosts.<name>.role' ${role}`);
  }
  if (!hosts.some(([, h]) => (CONSUMER_ROLES as readonly string[]).includes(h.role)))
    add(["hosts"], "lists no consumer host (web, api, voice, ops, media) to quiesce", "add the Delphi hosts under hosts");
  if (hosts.some(([, h]) => !h.local) && c.sshPrivateKey === undefined)
    add(["sshPrivateKey"], "is required: remote hosts are reached over SSH with this key", `pulumi config set --secret '${NAMESPACE}:sshPrivateKey' < ~/.ssh/<key>`);

  if (!isAws) {
    if (!c.database) add(["database"], `is required for mechanism ${c.mechanism}: the Postgres container, user, database and backup folder`, `pulumi config set --path '${NAMESPACE}:database.host' db (and user, name, backupDir)`);
    if (c.aws) add(["aws"], `is only read by the AWS mechanisms, not by ${c.mechanism}`, `remove it: pulumi config rm '${NAMESPACE}:aws', or set mechanism to aurora-pitr/rds-pitr/rds-snapshot`, "{...}");
  }
  volumeChecks(c, add);
  walChecks(c, add);
  if (c.database) {
    const dbHost: HostConfig | undefined = c.hosts[c.database.host];
    if (!dbHost) add(["database", "host"], `names no host in hosts (known: ${Object.keys(c.hosts).join(", ")})`, `pulumi config set --path '${NAMESPACE}:database.host' <one of ${Object.keys(c.hosts).join("|")}>`, c.database.host);
    else if (dbHost.role !== "db") add(["database", "host"], `names host '${c.database.host}' whose role is '${dbHost.role}', not 'db'`, `point it at the database host, or set hosts.${c.database.host}.role to db`, c.database.host);
    else if (!dbHost.services.includes(c.database.composeProject))
      add(["database", "composeProject"], `is not among host '${c.database.host}' services (${dbHost.services.join(", ")})`, `add it to hosts.${c.database.host}.services or fix the name`, c.database.composeProject);
  }
  if (isAws) {
    if (!c.aws) add(["aws"], `is required for mechanism ${c.mechanism}: region, source and repoint settings`, `pulumi config set --path '${NAMESPACE}:aws.region' <region> (see Pulumi.restore.yaml)`);
    else if (c.mechanism === "ebs-snapshot") {
      ebsChecks(c, c.aws, add);
      awsTagAndReleaseChecks(c, c.aws, add);
    }
    else {
      const a = c.aws;
      if (c.mechanism === "aurora-pitr" && !a.sourceClusterIdentifier)
        add(["aws", "sourceClusterIdentifier"], "is required for aurora-pitr: the cluster to restore from", `pulumi config set --path '${NAMESPACE}:aws.sourceClusterIdentifier' <cluster-id>`);
      if (c.mechanism === "rds-pitr" && !a.sourceInstanceIdentifier)
        add(["aws", "sourceInstanceIdentifier"], "is required for rds-pitr: the instance to restore from", `pulumi config set --path '${NAMESPACE}:aws.sourceInstanceIdentifier' <instance-id>`);
      if (c.mechanism === "rds-snapshot") {
        if (!a.snapshotIdentifier) add(["aws", "snapshotIdentifier"], "is required for rds-snapshot: the snapshot to restore", `pulumi config set --path '${NAMESPACE}:aws.snapshotIdentifier' <snapshot-id>`);
        if (!a.sourceInstanceIdentifier) add(["aws", "sourceInstanceIdentifier"], "is required for rds-snapshot: the instance the services use now (snapshotted first, and the rollback target)", `pulumi config set --path '${NAMESPACE}:aws.sourceInstanceIdentifier' <instance-id>`);
        if (a.targetTime || a.useLatestRestorableTime) add(["aws", a.targetTime ? "targetTime" : "useLatestRestorableTime"], "has no meaning for rds-snapshot (the snapshot fixes the restore point)", `remove it: pulumi config rm --path '${NAMESPACE}:aws.${a.targetTime ? "targetTime" : "useLatestRestorableTime"}'`, a.targetTime ?? a.useLatestRestorableTime);
      }
      if (c.mechanism !== "rds-snapshot") {
        if (a.targetTime && a.useLatestRestorableTime)
          add(["aws", "useLatestRestorableTime"], "conflicts with aws.targetTime: choose one recovery target", `remove one: pulumi config rm --path '${NAMESPACE}:aws.useLatestRestorableTime'`, true);
        if (!a.targetTime && !a.useLatestRestorableTime)
          add(["aws", "targetTime"], "is required: a point-in-time restore needs an explicit target (the latest restorable time is used only when asked for with aws.useLatestRestorableTime: true)", `pulumi config set --path '${NAMESPACE}:aws.targetTime' 2026-11-23T02:00:00Z`);
      }
      if (c.mechanism === "aurora-pitr" && a.sourceInstanceIdentifier)
        add(["aws", "sourceInstanceIdentifier"], "is for rds-pitr/rds-snapshot; aurora-pitr reads aws.sourceClusterIdentifier", `remove it: pulumi config rm --path '${NAMESPACE}:aws.sourceInstanceIdentifier'`, a.sourceInstanceIdentifier);
      if (c.mechanism !== "aurora-pitr" && a.readers > 0)
        add(["aws", "readers"], "applies to Aurora clusters only", `remove it: pulumi config rm --path '${NAMESPACE}:aws.readers'`, a.readers);
      if (!a.databaseUrlSecretArn && !a.route53)
        add(["aws"], "needs a repoint: aws.databaseUrlSecretArn (new DATABASE_URL version) and/or aws.route53 (DNS swap); without one the services would keep using the old database", `pulumi config set --path '${NAMESPACE}:aws.databaseUrlSecretArn' <arn>`);
      awsOnlyChecks(c, a, add);
    }
    if (c.dump) add(["dump"], "is only read by pg-restore", `remove it: pulumi config rm '${NAMESPACE}:dump'`, c.dump);
  }
  if (c.restorePoint && Date.parse(c.restorePoint) > Date.now())
    add(["restorePoint"], "is in the future: a restore point is the moment the backup was taken", `set the dump's real time, or remove it to read it from the dump`, c.restorePoint);
  if (c.aws?.targetTime && Date.parse(c.aws.targetTime) > Date.now())
    add(["aws", "targetTime"], "is in the future; a point-in-time restore can only go back", `pulumi config set --path '${NAMESPACE}:aws.targetTime' <a past time, UTC>`, c.aws.targetTime);
  const v = c.verify;
  if (v.loginUrl && (!v.adminUser || c.adminPassword === undefined))
    add([v.adminUser ? "adminPassword" : "verify", ...(v.adminUser ? [] : ["adminUser"])], "is required by the login check (verify.loginUrl)", v.adminUser ? `pulumi config set --secret '${NAMESPACE}:adminPassword'` : `pulumi config set --path '${NAMESPACE}:verify.adminUser' <email>`);
  if (v.telemetryUrl && v.telemetryServices.length === 0)
    add(["verify", "telemetryServices"], "must list the services whose telemetry proves they are back (verify.telemetryUrl is set)", `pulumi config set --path '${NAMESPACE}:verify.telemetryServices[0]' voiceai-telweb (one per service)`);
  const names = v.spotChecks.map((s) => s.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) add(["verify", "spotChecks", i, "name"], "repeats an earlier check's name; names identify failed checks", "give every check its own name", n);
  });
  return out;
}

/** AWS rules that name one key each: settings other mechanisms read, and region/phase mismatches. */
function awsOnlyChecks(c: ParsedConfig, a: NonNullable<ParsedConfig["aws"]>, add: AddProblem): void {
  const rm = (key: string) => `remove it: pulumi config rm --path '${NAMESPACE}:${key}'`;
  notForEbs(c, a, add);
  awsTagAndReleaseChecks(c, a, add);
  if (c.mechanism !== "rds-snapshot" && a.snapshotIdentifier)
    add(["aws", "snapshotIdentifier"], `is only read by rds-snapshot; ${c.mechanism} restores to a point in time`, rm("aws.snapshotIdentifier"), a.snapshotIdentifier);
  if (c.mechanism !== "aurora-pitr" && a.sourceClusterIdentifier)
    add(["aws", "sourceClusterIdentifier"], `is for aurora-pitr; ${c.mechanism} reads aws.sourceInstanceIdentifier`, rm("aws.sourceClusterIdentifier"), a.sourceClusterIdentifier);
  const arnRegion = a.databaseUrlSecretArn?.split(":")[3];
  if (arnRegion && arnRegion !== a.region)
    add(["aws", "databaseUrlSecretArn"], `is in region ${arnRegion} but aws.region is ${a.region}; the secret is read and written in aws.region`, `use the secret of region ${a.region}, or set aws.region to ${arnRegion}`, a.databaseUrlSecretArn);
  // The restored database is reached through aws.*; a `database` block would point the SQL spot
  // checks at a self-managed container that AWS deployments do not have, so they would silently not run.
  if (c.database) add(["database"], "is only read by pg-restore; the AWS mechanisms reach the restored database through its new endpoint", `remove it: pulumi config rm '${NAMESPACE}:database'`, "{...}");
  if (c.verify.spotChecks.length > 0)
    add(["verify", "spotChecks"], "run SQL inside the self-managed Postgres container, which AWS mechanisms do not have; check tenant data by hand (docs/aws.md)", rm("verify.spotChecks"), `[${c.verify.spotChecks.length} checks]`);
}

/** Rules every AWS mechanism shares: no reserved tag keys, and the old database/volume is released only at sign-off. */
export function awsTagAndReleaseChecks(c: ParsedConfig, a: NonNullable<ParsedConfig["aws"]>, add: AddProblem): void {
  for (const k of Object.keys(a.tags))
    if (k.toLowerCase().startsWith("aws:")) add(["aws", "tags", k], "uses the prefix 'aws:', which AWS reserves for its own tags", `remove it: pulumi config rm --path '${NAMESPACE}:aws.tags.${k}'`, a.tags[k]);
  if (a.releaseOld && c.phase !== "signoff")
    add(["aws", "releaseOld"], `arms the deletion of the old ${c.mechanism === "ebs-snapshot" ? "data volume" : "database"} and is only allowed in phase signoff (phase is ${c.phase})`, `first sign off: pulumi config set '${NAMESPACE}:phase' signoff && pulumi up (see docs/aws.md)`, true);
}

/** Turn Pulumi's flat config map (`ns:key` -> string, objects as JSON) into an object. */
export function fromPulumiConfig(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(all)) {
    const [ns, ...rest] = fullKey.split(":");
    if (ns !== NAMESPACE || rest.length === 0) continue; // other namespaces (aws:region, ...) belong to providers
    const key = rest.join(":");
    let value: unknown = raw;
    const t = raw.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        value = JSON.parse(t);
      } catch {
        // Keep the text: the schema will report the key with its real value.
      }
    } else if (t === "true" || t === "false") value = t === "true";
    out[key] = value;
  }
  return out;
}

/** Validate a config object; throws ConfigError listing every problem. */
export function parseConfig(input: unknown): RestoreConfig {
  const res = configSchema.safeParse(input);
  if (!res.success) throw new ConfigError(zodProblems(res.error, input));
  const cross = crossChecks(res.data);
  if (cross.length) throw new ConfigError(cross);
  return res.data;
}

/** The hosts that run Delphi services (not the database host), in config order. */
export function consumerHosts(c: RestoreConfig): [string, HostConfig][] {
  return Object.entries(c.hosts).filter(([, h]) => (CONSUMER_ROLES as readonly string[]).includes(h.role));
}
