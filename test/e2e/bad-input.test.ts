// The bad-input corpus: stack configs and command lines an operator could get wrong at 3 a.m.,
// run against a live sandbox. Each must be refused with exit code 2 and a message that names the
// key (or argument), and must leave everything as it was: no container stopped, started or
// otherwise changed on the Docker engine, the database and backup folder unchanged, and no stack
// created in the Pulumi engine's state.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { StartResult } from "../../src/sandbox";
import { footprint, useTempSandbox } from "./support/sandbox";

const ROOT = resolve(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "delphi-restore");
const NS = "delphi-restore";
let dir: string;
let info: StartResult;
let commands: typeof import("../../src/cli/commands");
let base: Record<string, unknown>;

type Cfg = Record<string, unknown>;
/** A bad config: a mutation of the sandbox's valid one, and the key its error must name. */
interface Case {
  name: string;
  mutate: (c: Cfg) => void;
  key: string;
}

const at = (c: Cfg, path: string[]): Cfg => path.reduce((o, k) => o[k] as Cfg, c);
const set = (path: string, value: unknown) => (c: Cfg) => {
  const parts = path.split(".");
  const last = parts.pop() as string;
  at(c, [`${NS}:${parts[0]}`, ...parts.slice(1)])[last] = value;
};
const setTop = (key: string, value: unknown) => (c: Cfg) => {
  c[`${NS}:${key}`] = value;
};
const delTop = (key: string) => (c: Cfg) => {
  delete c[`${NS}:${key}`];
};

const HOSTILE = ["a;reboot", "$(id)", "`id`", "x\nreboot", "a && b", "a|b", "'quoted'", "a b"];

const CASES: Case[] = [
  { name: "unknown mechanism", mutate: setTop("mechanism", "pg_restore"), key: `${NS}:mechanism` },
  { name: "unknown order mode", mutate: setTop("order", "sideways"), key: `${NS}:order` },
  { name: "unknown phase", mutate: setTop("phase", "destroy"), key: `${NS}:phase` },
  { name: "misspelt top-level key", mutate: setTop("ordr", "beforeRestore"), key: `${NS}:ordr` },
  { name: "malformed restore point", mutate: setTop("restorePoint", "yesterday 3am"), key: `${NS}:restorePoint` },
  { name: "restore point in the future", mutate: setTop("restorePoint", "2999-01-01T00:00:00Z"), key: `${NS}:restorePoint` },
  { name: "path traversal in the dump", mutate: setTop("dump", "../../etc/passwd"), key: `${NS}:dump` },
  { name: "a command in the dump name", mutate: setTop("dump", "x.dump; rm -rf /"), key: `${NS}:dump` },
  { name: "no hosts", mutate: setTop("hosts", {}), key: `${NS}:hosts` },
  { name: "port out of range", mutate: set("hosts.web.port", 70000), key: `${NS}:hosts.web.port` },
  { name: "port as text", mutate: set("hosts.web.port", "22x"), key: `${NS}:hosts.web.port` },
  { name: "unknown role", mutate: set("hosts.ops.role", "database2"), key: `${NS}:hosts.ops.role` },
  { name: "unknown host key", mutate: set("hosts.web.extra", 1), key: `${NS}:hosts.web.extra` },
  { name: "relative services root", mutate: set("hosts.web.servicesRoot", "opt/services"), key: `${NS}:hosts.web.servicesRoot` },
  { name: "path traversal in the services root", mutate: set("hosts.web.servicesRoot", "/opt/../etc"), key: `${NS}:hosts.web.servicesRoot` },
  { name: "database on an unknown host", mutate: set("database.host", "nosuchhost"), key: `${NS}:database.host` },
  { name: "relative backup dir", mutate: set("database.backupDir", "backups"), key: `${NS}:database.backupDir` },
  { name: "path traversal in the backup dir", mutate: set("database.backupDir", "/var/backups/../../etc"), key: `${NS}:database.backupDir` },
  { name: "zero restore jobs", mutate: set("database.jobs", 0), key: `${NS}:database.jobs` },
  { name: "absurd restore jobs", mutate: set("database.jobs", 100000), key: `${NS}:database.jobs` },
  { name: "negative free-space factor", mutate: set("database.freeSpaceFactor", -1), key: `${NS}:database.freeSpaceFactor` },
  { name: "active-calls command as one string", mutate: set("voice.activeCallsCommand", "voiceai-calls active"), key: `${NS}:voice.activeCallsCommand` },
  { name: "forceStop as text", mutate: set("voice.forceStop", "yes"), key: `${NS}:voice.forceStop` },
  { name: "zero reconcile timeout", mutate: set("reconcile.timeoutSeconds", 0), key: `${NS}:reconcile.timeoutSeconds` },
  { name: "TelWeb URL not a URL", mutate: set("verify.telwebUrl", "not a url"), key: `${NS}:verify.telwebUrl` },
  { name: "TelWeb URL on file://", mutate: set("verify.telwebUrl", "file:///etc/passwd"), key: `${NS}:verify.telwebUrl` },
  { name: "spot check without its expectation", mutate: (c) => { delete (at(c, [`${NS}:verify`]).spotChecks as Cfg[])[0]?.expect; }, key: `${NS}:verify.spotChecks[0].expect` },
  { name: "report dir escaping the project", mutate: set("report.dir", "../../tmp"), key: `${NS}:report.dir` },
  { name: "AWS mechanism without its aws section", mutate: setTop("mechanism", "aurora-pitr"), key: `${NS}:aws` },
  { name: "missing database section", mutate: delTop("database"), key: `${NS}:database` },
  // Shell metacharacters and newlines in every string that reaches a command.
  ...HOSTILE.flatMap((v, i): Case[] => [
    { name: `hostile service name #${i}`, mutate: set("hosts.api.services", [v]), key: `${NS}:hosts.api.services[0]` },
    { name: `hostile container #${i}`, mutate: set("database.container", `voiceai-postgres${v}`), key: `${NS}:database.container` },
    { name: `hostile database name #${i}`, mutate: set("database.name", `delphi${v}`), key: `${NS}:database.name` },
    { name: `hostile db user #${i}`, mutate: set("database.user", `delphi${v}`), key: `${NS}:database.user` },
    { name: `hostile ssh user #${i}`, mutate: set("hosts.web.user", `root${v}`), key: `${NS}:hosts.web.user` },
    { name: `hostile address #${i}`, mutate: set("hosts.web.address", `127.0.0.1${v}`), key: `${NS}:hosts.web.address` },
    { name: `hostile backup dir #${i}`, mutate: set("database.backupDir", `/var/backups/${v}`), key: `${NS}:database.backupDir` },
    { name: `hostile report table #${i}`, mutate: set("report.tables", [`conversations${v}`]), key: `${NS}:report.tables[0]` },
  ]),
];

const sandbox = useTempSandbox("badinput", { projectEnv: true });

beforeAll(async () => {
  ({ dir, info } = sandbox);
  base = (parseYaml(readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8")) as { config: Cfg }).config;
  // Pretend the secrets are set (the values never matter: validation fails before they are read).
  base[`${NS}:sshPrivateKey`] = { secure: "v1:AAAA" };
  base[`${NS}:adminPassword`] = { secure: "v1:AAAA" };
  commands = await import("../../src/cli/commands");
});

describe("bad stack configs", () => {
  it(`has at least 60 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))("%s: refused with the key, nothing ran, no state", async (_name, i) => {
    const c = CASES[i] as Case;
    const cfg = structuredClone(base);
    c.mutate(cfg);
    const stack = `bad${i}`;
    writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringifyYaml({ config: cfg }));
    const before = await footprint(dir, info);
    const printed: unknown[] = [];
    const code = await commands.preview({ stack, json: true }, { log: () => undefined, json: (o) => printed.push(o) });
    expect(code).toBe(2);
    const doc = printed[0] as { ok: boolean; problems: { key: string; message: string; fix: string }[] };
    expect(doc.ok).toBe(false);
    const keys = doc.problems.map((p) => p.key);
    expect(keys, JSON.stringify(doc.problems)).toContain(c.key);
    for (const p of doc.problems) {
      expect(p.message.length).toBeGreaterThan(5);
      expect(p.fix.length).toBeGreaterThan(5);
    }
    expect(await footprint(dir, info)).toEqual(before);
    expect(existsSync(join(dir, ".state", "backend", ".pulumi", "stacks", "delphi-restore", `${stack}.json`))).toBe(false);
  });
});

describe("bad command lines", () => {
  const cli = (args: string[]) => execa(BIN, args, { reject: false, stdin: "ignore", env: { DELPHI_RESTORE_PROJECT_DIR: dir } });
  const INVOCATIONS: [string, string[], RegExp][] = [
    ["unknown command", ["restore-everything"], /unknown command/],
    ["misspelt option", ["preview", "--stak", "sandbox"], /unknown option/],
    ["stack name with a path", ["preview", "--stack", "../etc/x"], /bad --stack/],
    ["stack name with a command", ["up", "--stack", "a;reboot", "--yes"], /bad --stack/],
    ["stack without config", ["up", "--stack", "nosuch", "--yes"], /does not exist/],
    ["secrets without --file", ["secrets", "--stack", "sandbox"], /--file/],
    ["secrets from a missing file", ["secrets", "--stack", "sandbox", "--file", "/nonexistent/secrets.json"], /ENOENT/],
    ["option without its value", ["preview", "--stack"], /argument missing/],
  ];
  it.each(INVOCATIONS)("%s: exit 2 with a message, nothing ran", async (_name, args, message) => {
    const before = await footprint(dir, info);
    const r = await cli(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr + r.stdout).toMatch(message);
    expect(await footprint(dir, info)).toEqual(before);
  });

  it("a secrets file that is not JSON is refused without quoting its content", async () => {
    const f = join(dir, "bad-secrets.json");
    writeFileSync(f, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n");
    const r = await cli(["secrets", "--stack", "sandbox", "--file", f]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("not valid JSON");
    expect(r.stderr + r.stdout).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
  });
});
