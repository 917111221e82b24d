// The pg-restore config: defaults, and bad configs each rejected with the key (in
// `pulumi config --path` form), what is wrong, and a fix, before anything is declared.
import { describe, expect, it, test } from "vitest";
import { fromPulumiConfig, parseConfig, type RawConfig } from "../../src/config";
import { expectRejected, problems } from "./fixtures/config-problems";
import { ADMIN_PASSWORD, pgConfig, SSH_KEY } from "./fixtures/pg-config";

type Raw = Record<string, unknown>;


/** The valid config with one nested value replaced (path like "hosts.web.port"). */
function withValue(path: string, value: unknown): RawConfig {
  const raw = structuredClone(pgConfig()) as Raw;
  const parts = path.split(".");
  const last = parts.pop() as string;
  let o = raw;
  for (const p of parts) o = o[p] as Raw;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return raw as RawConfig;
}

const NS = "delphi-restore";
const FUTURE = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");

// [what, config, key, message fragment]
const BAD: [string, RawConfig, string, string | RegExp][] = [
  ["unknown mechanism", withValue("mechanism", "pg_restore"), `${NS}:mechanism`, /must be one of .*pg-restore/],
  ["unknown order", withValue("order", "sideways"), `${NS}:order`, "must be one of beforeRestore, beforeSwitch"],
  ["misspelt top-level key", withValue("ordr", "beforeSwitch"), `${NS}:ordr`, "did you mean 'order'?"],
  ["misspelt nested key", withValue("database.contianer", "x"), `${NS}:database.contianer`, "did you mean 'container'?"],
  ["deployment with a space", withValue("deployment", "prod eu"), `${NS}:deployment`, /must/],
  ["dump with a directory", withValue("dump", "../etc/passwd"), `${NS}:dump`, /must/],
  ["dump with a command", withValue("dump", "x.dump;reboot"), `${NS}:dump`, /must/],
  ["restore point without a zone", withValue("restorePoint", "2026-11-23 02:00"), `${NS}:restorePoint`, /zone|ISO/],
  ["restore point in the future", withValue("restorePoint", FUTURE), `${NS}:restorePoint`, /future/],
  ["no hosts", withValue("hosts", {}), `${NS}:hosts`, /./],
  ["host without address", withValue("hosts.web.address", undefined), `${NS}:hosts.web.address`, "is required"],
  ["address with a command", withValue("hosts.web.address", "10.0.0.1;reboot"), `${NS}:hosts.web.address`, /must/],
  ["port zero", withValue("hosts.web.port", 0), `${NS}:hosts.web.port`, /./],
  ["port too large", withValue("hosts.web.port", 65536), `${NS}:hosts.web.port`, /./],
  ["port as text", withValue("hosts.web.port", "ssh"), `${NS}:hosts.web.port`, /./],
  ["user with a space", withValue("hosts.web.user", "de ploy"), `${NS}:hosts.web.user`, /must/],
  ["unknown role", withValue("hosts.ops.role", "worker"), `${NS}:hosts.ops.role`, /must be one of/],
  ["host without a pinned host key", withValue("hosts.web.hostKey", undefined), `${NS}:hosts.web.hostKey`, "is required: every command on this host runs over SSH"],
  ["host key that is a fingerprint", withValue("hosts.web.hostKey", "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"), `${NS}:hosts.web.hostKey`, "must be a public SSH host key"],
  ["host key with a newline", withValue("hosts.web.hostKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\nreboot"), `${NS}:hosts.web.hostKey`, "must be a public SSH host key"],
  ["host key of an unknown type", withValue("hosts.web.hostKey", "ssh-dss AAAAB3NzaC1kc3MAAACBAPrivate0000"), `${NS}:hosts.web.hostKey`, "must be a public SSH host key"],
  ["unknown transport", withValue("transport", "telnet"), `${NS}:transport`, "must be one of ssh, pulumi-command"],
  ["relative services root", withValue("hosts.web.servicesRoot", "opt/services"), `${NS}:hosts.web.servicesRoot`, /absolute/],
  // Found by the property test: the old path pattern backtracked for minutes on such a value.
  ["very long services root with a bad character", withValue("hosts.web.servicesRoot", `/${"a".repeat(20_000)}$`), `${NS}:hosts.web.servicesRoot`, /absolute/],
  ["services root with ..", withValue("hosts.web.servicesRoot", "/opt/../etc"), `${NS}:hosts.web.servicesRoot`, /\.\./],
  ["service with a command", withValue("hosts.api.services", ["api;reboot"]), `${NS}:hosts.api.services[0]`, "must be a plain compose project name"],
  ["service with a newline", withValue("hosts.api.services", ["api\nreboot"]), `${NS}:hosts.api.services[0]`, "must be a plain compose project name"],
  ["database on an unknown host", withValue("database.host", "db2"), `${NS}:database.host`, /db2|host/],
  ["container with $()", withValue("database.container", "pg$(id)"), `${NS}:database.container`, /must/],
  ["database name with a quote", withValue("database.name", "delphi'"), `${NS}:database.name`, /must/],
  ["database user with backticks", withValue("database.user", "`id`"), `${NS}:database.user`, /must/],
  ["relative backup dir", withValue("database.backupDir", "backups"), `${NS}:database.backupDir`, /absolute/],
  ["backup dir with ..", withValue("database.backupDir", "/var/backups/../../etc"), `${NS}:database.backupDir`, /\.\./],
  ["zero jobs", withValue("database.jobs", 0), `${NS}:database.jobs`, /./],
  ["absurd jobs", withValue("database.jobs", 10_000), `${NS}:database.jobs`, /./],
  ["negative free-space factor", withValue("database.freeSpaceFactor", -2), `${NS}:database.freeSpaceFactor`, /./],
  ["active-calls command as a string", withValue("voice.activeCallsCommand", "voiceai-calls active"), `${NS}:voice.activeCallsCommand`, "as a list of arguments"],
  ["forceStop as text", withValue("voice.forceStop", "yes"), `${NS}:voice.forceStop`, /./],
  ["reconcile timeout zero", withValue("reconcile.timeoutSeconds", 0), `${NS}:reconcile.timeoutSeconds`, /./],
  ["TelWeb URL not a URL", withValue("verify.telwebUrl", "telweb/health"), `${NS}:verify.telwebUrl`, /URL|http/],
  ["TelWeb URL on file://", withValue("verify.telwebUrl", "file:///etc/passwd"), `${NS}:verify.telwebUrl`, /http/],
  ["admin user not an e-mail", withValue("verify.adminUser", "admin; reboot"), `${NS}:verify.adminUser`, /./],
  ["spot check without expect", withValue("verify.spotChecks", [{ name: "x", sql: "select 1" }]), `${NS}:verify.spotChecks[0].expect`, "is required"],
  ["report table with a command", withValue("report.tables", ["conversations;drop"]), `${NS}:report.tables[0]`, "must be a lower-case Postgres table name"],
  ["report dir escaping", withValue("report.dir", "../../tmp"), `${NS}:report.dir`, /\.\./],
  ["no SSH key", withValue("sshPrivateKey", undefined), `${NS}:sshPrivateKey`, "is required"],
  ["SSH key that is not a key", withValue("sshPrivateKey", "hunter2"), `${NS}:sshPrivateKey`, /private key/],
  ["missing database", withValue("database", undefined), `${NS}:database`, /./],
];

describe("bad pg-restore configs are rejected with the key named", () => {
  test(`at least 30 cases (${BAD.length})`, () => {
    expect(BAD.length).toBeGreaterThanOrEqual(30);
  });

  test.each(BAD)("%s", (_what, raw, key, message) => expectRejected(raw, key, message));

  it("never prints a secret's value in an error", () => {
    const raw = withValue("sshPrivateKey", `${SSH_KEY}\nnot a key line`);
    const bad = withValue("adminPassword", 12345);
    for (const r of [raw, bad]) {
      try {
        parseConfig(r);
      } catch (e) {
        expect(String((e as Error).message)).not.toContain("b3BlbnNzaC1rZXktdjEAAAAApgTestKeyOnly");
      }
    }
    const msg = problems(withValue("adminPassword", { nested: ADMIN_PASSWORD })).map((p) => `${p.value}${p.message}`).join();
    expect(msg).not.toContain(ADMIN_PASSWORD);
  });

  it("reports every problem at once", () => {
    const raw = withValue("order", "sideways") as Raw;
    (raw.database as Raw).jobs = 0;
    expect(problems(raw).map((p) => p.key).sort()).toEqual([`${NS}:database.jobs`, `${NS}:order`]);
  });
});

describe("good configs", () => {
  it("the fixture parses, with the runbook's defaults", () => {
    const c = parseConfig(pgConfig({ dump: undefined }));
    expect(c.order).toBe("beforeRestore");
    expect(c.phase).toBe("restore");
    expect(c.dump).toBeUndefined(); // the newest *.dump, resolved on the host when the restore runs
    expect(c.voice?.forceStop).toBe(false);
    expect(c.transport).toBe("ssh"); // this project's SSH resource: no provider plugin needed
  });

  it("a host run locally needs no host key; the fix for a missing one says how to read and check it", () => {
    const local = withValue("hosts.ops.hostKey", undefined);
    ((local.hosts as Raw).ops as Raw).local = true;
    expect(parseConfig(local).hosts.ops?.local).toBe(true);
    const p = problems(withValue("hosts.web.hostKey", undefined))[0];
    expect(p?.fix).toContain("ssh-keyscan -t ed25519 -p 22 10.0.1.10");
    expect(p?.fix).toContain("fingerprint out of band");
  });

  it("reads `pulumi config` output: namespaced keys and JSON objects", () => {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(pgConfig())) flat[`${NS}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    const c = parseConfig(fromPulumiConfig(flat));
    expect(c.hosts.db?.services).toEqual(["postgres"]);
    expect(c.database?.jobs).toBe(4);
  });
});

describe("phases", () => {
  const KEPT = "delphi_pre_restore_20261207T021500Z";

  it("rollback and signoff of pg-restore act on the kept database: they need `kept`, pointing at the command that sets it", () => {
    for (const phase of ["rollback", "signoff"]) {
      const p = problems(withValue("phase", phase)).find((x) => x.key === `${NS}:kept`);
      expect(p?.message, phase).toContain(`is required for phase ${phase}: the kept data the last restore left`);
      expect(p?.fix).toContain(`delphi-restore ${phase}`);
      expect(problems(pgConfig({ phase, kept: KEPT })), phase).toEqual([]);
      expect(parseConfig(pgConfig({ phase, kept: KEPT })).kept).toBe(KEPT);
    }
  });

  it("kept must be a name a restore keeps data under", () => {
    for (const bad of ["delphi", "delphi_pre_restore_<UTC>", "delphi_pre_restore_20261207T021500Z; drop database delphi", "../delphi_pre_restore_20261207T021500Z"])
      expectRejected(pgConfig({ phase: "rollback", kept: bad }), `${NS}:kept`, /must be the name a restore kept the replaced data under/);
    expect(problems(pgConfig({ phase: "signoff", kept: "delphi_undone_20261207T021500Z" }))).toEqual([]);
  });

  it("kept is refused in phase restore (it would not say which data the restore acts on)", () => {
    expectRejected(pgConfig({ kept: KEPT }), `${NS}:kept`, /is only read in phases rollback and signoff/);
  });

  it("with snapshot before the restore kept nothing: rollback and signoff are refused, pointing at the snapshot restore", () => {
    for (const phase of ["rollback", "signoff"]) {
      const p = problems(pgConfig({ phase, kept: KEPT, snapshot: "before" })).find((x) => x.key === `${NS}:snapshot`);
      expect(p?.message, phase).toContain("is before, so the restore overwrote the live database and kept none");
      expect(p?.fix).toContain(`${NS}:dump pre-restore-<UTC>.dump`);
    }
  });

  it("a pre-restore snapshot can be named as the dump to restore", () => {
    expect(parseConfig(withValue("dump", "pre-restore-20261125T025037Z.dump")).dump).toBe("pre-restore-20261125T025037Z.dump");
  });
});

describe("snapshot, database name and report keys of the keeping restore", () => {
  it("snapshot defaults to after; before and none are accepted; anything else is refused with the choices", () => {
    expect(parseConfig(pgConfig()).snapshot).toBe("after");
    expect(parseConfig(pgConfig({ snapshot: "before" })).snapshot).toBe("before");
    expect(parseConfig(pgConfig({ snapshot: "none" })).snapshot).toBe("none");
    expectRejected(pgConfig({ snapshot: "during" }), `${NS}:snapshot`, "must be one of after, before, none");
  });

  it("snapshot before is refused with order beforeSwitch (the replaced database is kept there)", () => {
    expectRejected(pgConfig({ order: "beforeSwitch", snapshot: "before" }), `${NS}:snapshot`, /cannot be before with order beforeSwitch/);
    expect(problems(pgConfig({ order: "beforeSwitch", snapshot: "after" }))).toEqual([]);
    expect(problems(pgConfig({ order: "beforeSwitch", snapshot: "none" }))).toEqual([]);
  });

  it("reconcile.beforeStop needs order beforeSwitch (a restored database beside the live one); its variable's name is checked", () => {
    const early = (top: Record<string, unknown>, reconcile: Record<string, unknown> = {}) => pgConfig({ ...top, reconcile: { service: "voiceai-telweb", timeoutSeconds: 300, beforeStop: true, ...reconcile } });
    expect(problems(early({ order: "beforeSwitch" }))).toEqual([]);
    expect(problems(early({ order: "beforeSwitch", snapshot: "none" }))).toEqual([]);
    expectRejected(early({}), `${NS}:reconcile.beforeStop`, /needs a restore beside the live database with order beforeSwitch .* order beforeRestore/);
    expectRejected(early({ order: "beforeSwitch" }, { databaseEnv: "DATABASE URL; rm -rf /" }), `${NS}:reconcile.databaseEnv`, /environment variable's name/);
    expectRejected(early({ order: "beforeSwitch" }, { migrateCommand: [] }), `${NS}:reconcile.migrateCommand`, /at least one argument/);
    expect(parseConfig(pgConfig()).reconcile).toMatchObject({ beforeStop: false, migrateCommand: ["npx", "prisma", "migrate", "deploy"], databaseEnv: "DATABASE_URL" });
  });

  it("a database name longer than 34 characters is refused for pg-restore (the kept name adds 29, Postgres stops at 63)", () => {
    expect(problems(withValue("database.name", "d".repeat(34)))).toEqual([]);
    expectRejected(withValue("database.name", "d".repeat(35)), `${NS}:database.name`, "is 35 characters; the restore keeps the replaced database as <name>_pre_restore_<UTC> (29 more)");
  });

  it("report.tenantColumn defaults to tenant_id and must be a column name", () => {
    expect(parseConfig(pgConfig()).report.tenantColumn).toBe("tenant_id");
    expect(parseConfig(withValue("report.tenantColumn", "org_id")).report.tenantColumn).toBe("org_id");
    expectRejected(withValue("report.tenantColumn", "org id;drop"), `${NS}:report.tenantColumn`, /must/);
    // Without a report block at all, the defaults include the tenant column.
    expect(parseConfig(withValue("report", undefined)).report).toEqual({ dir: "reports", contact: "your Delphi operator", tables: ["conversations", "tools", "billing_records"], tenantColumn: "tenant_id" });
  });
});
