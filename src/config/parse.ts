// Parse and validate the stack config before any resource is declared. Every problem is
// reported at once, each naming the key, the bad value (secrets redacted) and the fix.
import { closest } from "fastest-levenshtein";
import type { z } from "zod";
import { MECHANISM_CONFIGS } from "../mechanisms/configs";
import type { MechanismConfig } from "./mechanism-config";
import { type ConfigProblem, ConfigError, type PathPart, keyOf } from "./problems";
import {
  CONSUMER_ROLES,
  NAMESPACE,
  SECRET_KEYS,
  configSchema,
  type HostConfig,
  type ParsedConfig,
} from "./schema";

export * from "./schema";
export * from "./problems";
export type { MechanismConfig, Rule } from "./mechanism-config";

export type RestoreConfig = ParsedConfig;

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

/** The config half of the configured mechanism. */
export function mechanismConfigOf(c: Pick<ParsedConfig, "mechanism">): MechanismConfig {
  const m = MECHANISM_CONFIGS.find((x) => x.names.includes(c.mechanism));
  if (!m) throw new Error(`mechanism ${c.mechanism} is not registered (src/mechanisms/configs.ts)`);
  return m;
}

/** The names of the mechanisms that restore into a new AWS database, for messages. */
const NEW_DATABASE_NAMES = MECHANISM_CONFIGS.filter((m) => m.replaces === "database").flatMap((m) => m.names).join("/");

/** Cross-field rules zod's per-field schema cannot express: the shared ones here, each mechanism's at its place. */
function crossChecks(c: ParsedConfig): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: PathPart[], message: string, fix: string, value?: unknown) =>
    out.push({ key: keyOf(path), value: show(path, value), message, fix });
  const hosts = Object.entries(c.hosts);
  const m = mechanismConfigOf(c);
  const selfManaged = m.selfManaged;
  // Self-managed phases act on the kept data: rollback puts it back, signoff archives and removes it.
  if (selfManaged && c.phase !== "restore") {
    const rollbackKey = m.rollbackKey ?? "kept";
    if ((c.phase === "signoff" || rollbackKey === "kept") && !c.kept)
      add(["kept"], `is required for phase ${c.phase}: the kept data the last restore left (its outputs name it)`, `run \`delphi-restore ${c.phase}\` (it sets it from the last restore's outputs), or: pulumi config set ${NAMESPACE}:kept <name>`);
    if (c.phase === "rollback" && rollbackKey !== "kept" && c.kept)
      add(["kept"], `is read in phase signoff; a ${c.mechanism} rollback reads ${rollbackKey}`, `pulumi config rm ${NAMESPACE}:kept`, c.kept);
  }
  m.rules.phase?.(c, add);
  if (selfManaged && c.phase === "restore" && c.kept)
    add(["kept"], "is only read in phases rollback and signoff; a restore with it set would not say which data it acts on", `remove it: pulumi config rm ${NAMESPACE}:kept`, c.kept);
  if (c.order === "beforeSwitch" && c.snapshot === "before")
    add(["snapshot"], "cannot be before with order beforeSwitch: beforeSwitch keeps the replaced database beside the restored one, so the snapshot is taken from it after the services are back", `pulumi config set ${NAMESPACE}:snapshot after (or order beforeRestore with snapshot before, for a disk that cannot hold two databases)`, c.snapshot);
  if (c.reconcile.beforeStop && (c.order !== "beforeSwitch" || c.snapshot === "before" || !m.restoresBeside))
    add(["reconcile", "beforeStop"], `needs a restore beside the live database with order beforeSwitch (mechanism pg-restore, snapshot after or none): the migrations run against the restored database while the services still use the live one; here the mechanism is ${c.mechanism}, order ${c.order}, snapshot ${c.snapshot}`, `pulumi config set ${NAMESPACE}:order beforeSwitch (mechanism pg-restore), or: pulumi config set --path '${NAMESPACE}:reconcile.beforeStop' false`, c.reconcile.beforeStop);
  m.rules.database?.(c, add);

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

  if (selfManaged) {
    if (!c.database) add(["database"], `is required for mechanism ${c.mechanism}: the Postgres container, user, database and backup folder`, `pulumi config set --path '${NAMESPACE}:database.host' db (and user, name, backupDir)`);
    if (c.aws) add(["aws"], `is only read by the AWS mechanisms, not by ${c.mechanism}`, `remove it: pulumi config rm '${NAMESPACE}:aws', or set mechanism to ${NEW_DATABASE_NAMES}`, "{...}");
  }
  for (const x of MECHANISM_CONFIGS) x.rules.blocks?.(c, add, x === m);
  if (c.database) {
    const dbHost: HostConfig | undefined = c.hosts[c.database.host];
    if (!dbHost) add(["database", "host"], `names no host in hosts (known: ${Object.keys(c.hosts).join(", ")})`, `pulumi config set --path '${NAMESPACE}:database.host' <one of ${Object.keys(c.hosts).join("|")}>`, c.database.host);
    else if (dbHost.role !== "db") add(["database", "host"], `names host '${c.database.host}' whose role is '${dbHost.role}', not 'db'`, `point it at the database host, or set hosts.${c.database.host}.role to db`, c.database.host);
    else if (!dbHost.services.includes(c.database.composeProject))
      add(["database", "composeProject"], `is not among host '${c.database.host}' services (${dbHost.services.join(", ")})`, `add it to hosts.${c.database.host}.services or fix the name`, c.database.composeProject);
  }
  if (!selfManaged) {
    if (!c.aws) add(["aws"], `is required for mechanism ${c.mechanism}: region, source and repoint settings`, `pulumi config set --path '${NAMESPACE}:aws.region' <region> (see Pulumi.restore.yaml)`);
    m.rules.cloud?.(c, add);
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
