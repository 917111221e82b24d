// Pulumi.sandbox.yaml: the same keys and shape as Pulumi.restore.yaml, filled in for the
// sandbox. The secrets (SSH key, admin password) are NOT written here; they are in the sandbox's
// 0600 secrets file and go into the stack with `pulumi config set --secret`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { parse, stringify } from "yaml";
import { ADMIN_EMAIL, DB_NAME, DB_USER, type Layout } from "./layout";
import type { SandboxInfo } from "./state";
import { fromPulumiConfig, parseConfig, type RestoreConfig } from "../config";

const NS = "delphi-restore";

/** Top-level keys Pulumi itself writes into a stack file (secrets provider state): kept across rewrites. */
const PULUMI_OWNED = ["secretsprovider", "encryptedkey", "encryptionsalt"] as const;

/** The host's public host key as config pins it: `<type> <base64>` from its sshd's key file. */
export function publicHostKey(L: Layout, host: string): string {
  return readFileSync(`${L.host(host).hostKey}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
}

export function stackConfig(L: Layout, info: SandboxInfo): Record<string, unknown> {
  const hosts = Object.fromEntries(
    info.hosts.map((h) => [h.name, { address: h.address, port: h.port, user: h.user, role: h.role, servicesRoot: h.servicesRoot, services: h.services, hostKey: publicHostKey(L, h.name) }]),
  );
  const voiceDir = L.host("voice").projectDir;
  // A WAL sandbox (`sandbox up --wal-archive`) is ready for `find-target` and a point-in-time
  // restore as written: the mechanism, the archive and the newest reachable point; `target` is
  // the one key an operator edits (or `find-target` prints).
  const walKeys = info.wal
    ? {
        [`${NS}:mechanism`]: "wal-pitr",
        [`${NS}:wal`]: { archiveDir: info.wal.archiveDir, baseBackupsDir: info.wal.baseBackupsDir, dataDir: info.wal.dataDir, recoveryTimeoutSeconds: 120 },
        [`${NS}:target`]: { latest: true },
      }
    : {};
  return {
    [`${NS}:mechanism`]: "pg-restore",
    ...walKeys,
    [`${NS}:deployment`]: "sandbox",
    [`${NS}:order`]: "beforeRestore",
    [`${NS}:snapshot`]: "after",
    [`${NS}:transport`]: "ssh",
    [`${NS}:hosts`]: hosts,
    [`${NS}:database`]: {
      host: "db",
      composeProject: "postgres",
      container: "voiceai-postgres",
      user: DB_USER,
      name: DB_NAME,
      // Mounted into voiceai-postgres at the same path (and at /backup): the path is the same inside and out.
      backupDir: info.backupDir,
    },
    [`${NS}:voice`]: { activeCallsCommand: ["docker", "compose", "exec", "-T", "voiceai-voice", "voiceai-calls", "active"], forceStop: false },
    // The stand-in TelWeb names its database in libpq's PGDATABASE, and migrates alone with `delphi-service migrate`.
    [`${NS}:reconcile`]: { service: "voiceai-telweb", timeoutSeconds: 60, migrateCommand: ["python3", "-u", "/usr/local/bin/delphi-service", "migrate"], databaseEnv: "PGDATABASE" },
    [`${NS}:verify`]: {
      telwebUrl: info.telwebUrl,
      loginUrl: info.loginUrl,
      adminUser: ADMIN_EMAIL,
      telemetryUrl: info.telemetryUrl,
      telemetryServices: [...new Set(info.hosts.filter((h) => h.role !== "db").flatMap((h) => h.containers))],
      timeoutSeconds: 60,
      spotChecks: [
        { name: "known-conversation", sql: "select count(*) from conversations where id = 'conv_known_0001'", expect: "1" },
        { name: "known-tool", sql: "select count(*) from tools where name = 'calendar-booking'", expect: "1" },
        { name: "known-billing-record", sql: "select count(*) from billing_records where id = 'bill_known_0001'", expect: "1" },
      ],
      // Runs on the voice host from the login folder, so it changes into the voice project first.
      testCallCommand: ["sh", "-c", `cd ${voiceDir} && docker compose exec -T voiceai-voice voiceai-calls test +15550100`],
    },
    [`${NS}:report`]: { dir: relative(L.projectDir, L.reportsDir), contact: "sandbox-operator@delphi.example", tables: ["conversations", "tools", "billing_records"], tenantColumn: "tenant_id" },
  };
}

const HEADER = `# The \`sandbox\` stack: a local Delphi deployment made by \`delphi-restore sandbox up\`, which
# rewrites this file on every start (ports change) and \`sandbox down\` removes it.
# Same keys as Pulumi.restore.yaml. The secrets are not in this file; set them from the
# sandbox's secrets file (JSON, mode 0600):
#   pulumi config set --secret delphi-restore:sshPrivateKey "$(jq -r .sshPrivateKey .sandbox/secrets.json)"
#   pulumi config set --secret delphi-restore:adminPassword "$(jq -r .adminPassword .sandbox/secrets.json)"
# \`dump\` is left out on purpose: the restore takes the newest non-pre-restore *.dump.
# A sandbox started with --wal-archive is written with mechanism wal-pitr, its archive and
# target latest: \`delphi-restore find-target --stack sandbox\` works on it as written.
`;

export function writeStackConfig(L: Layout, info: SandboxInfo): string {
  const doc: Record<string, unknown> = {};
  // Keep the passphrase salt Pulumi stored when the stack was created, or secrets set earlier
  // could no longer be decrypted.
  if (existsSync(L.configFile)) {
    try {
      const old = (parse(readFileSync(L.configFile, "utf8")) ?? {}) as Record<string, unknown>;
      for (const k of PULUMI_OWNED) if (old[k] !== undefined) doc[k] = old[k];
    } catch {
      // An unreadable old file is replaced as a whole.
    }
  }
  doc.config = stackConfig(L, info);
  writeFileSync(L.configFile, HEADER + stringify(doc, { lineWidth: 0 }));
  return L.configFile;
}

/**
 * The sandbox's restore config with its secrets filled in from the secrets file, for code that
 * runs the plan without the engine (the by-hand baseline, the benchmark, the demo's fallback).
 */
export function sandboxRestoreConfig(info: Pick<SandboxInfo, "configFile" | "secretsFile">): { config: RestoreConfig; secrets: { sshPrivateKey: string; adminPassword: string } } {
  const secrets = JSON.parse(readFileSync(info.secretsFile, "utf8")) as { sshPrivateKey: string; adminPassword: string };
  const doc = parse(readFileSync(info.configFile, "utf8")) as { config: Record<string, unknown> };
  const flat = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  flat[`${NS}:sshPrivateKey`] = secrets.sshPrivateKey;
  flat[`${NS}:adminPassword`] = secrets.adminPassword;
  return { config: parseConfig(fromPulumiConfig(flat)), secrets };
}
