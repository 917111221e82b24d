// Shell safety as a property: thousands of generated configs put shell metacharacters, quotes,
// newlines, unicode and very long strings into every config field that reaches a command. Each
// config is either refused by validation naming a key that was changed, or every command rendered
// from it (the plan's and preflight's) runs through a real `sh` without running injected code: the
// canary file that every payload tries to create never appears.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig, type RawConfig, type RestoreConfig } from "../../src/config";
import { preflightChecks } from "../../src/cli/preflight";
import { type RuntimeValues } from "../../src/runbook";
import { planPgRestore } from "../../src/mechanisms/pg-restore/plan";
import { pgConfig } from "./fixtures/pg-config";

let work: string;
let canary: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "delphi-shell-property-"));
  canary = join(work, "CANARY");
  mkdirSync(join(work, "bin"));
  // Stand-ins that answer at once, so checks that wait (logs, HTTP) end on their first try.
  writeFileSync(join(work, "bin", "docker"), '#!/bin/sh\nprintf "0\\nmigrate deploy\\nbaseline-seed\\n"\n');
  writeFileSync(join(work, "bin", "curl"), '#!/bin/sh\ncase "$*" in *http_code*) printf 200 ;; *) printf "%s" "$TELEMETRY" ;; esac\n');
  for (const f of ["docker", "curl"]) chmodSync(join(work, "bin", f), 0o755);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every payload tries to create the canary if the shell ever runs it as code. */
const PAYLOADS = ["$(touch $CANARY)", "`touch $CANARY`", ";touch $CANARY;", "\ntouch $CANARY\n", "|touch $CANARY", "&&touch $CANARY", "'$(touch $CANARY)'", '"$(touch $CANARY)"', "'; touch $CANARY; '", "${IFS}touch${IFS}$CANARY"];
const FRAGMENTS = ["a", "web", "x1", "-", "_", ".", "/", " ", "'", '"', "\\", "$", "*", "?", "~", "#", "%", ":", "@", "+", "=", ",", "\t", "\n", "ü", "✓", "数据", "😀", "\u0000"];

/** Mostly-plain strings (so some pass validation and reach a shell) with hostile parts mixed in. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom("a", "b", "web", "x1", "-", "_", "."), { minLength: 1, maxLength: 8 }).map((p) => p.join("")) },
  { weight: 4, arbitrary: fc.tuple(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }), fc.constantFrom(...PAYLOADS), fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 })).map(([a, p, b]) => `${a.join("")}${p}${b.join("")}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PAYLOADS), fc.integer({ min: 200, max: 5000 })).map(([p, n]) => `${"a".repeat(n)}${p}`) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
);

type Raw = Record<string, unknown>;
/** The fields whose values reach a command; `set` writes a generated value into a config. */
const FIELDS: { key: string; set: (c: Raw, v: string) => void }[] = [
  { key: "hosts.web.servicesRoot", set: (c, v) => (((c.hosts as Raw).web as Raw).servicesRoot = `${work}/${v}`) },
  { key: "hosts.api.services[0]", set: (c, v) => (((c.hosts as Raw).api as Raw).services = [v]) },
  { key: "hosts.voice.services[0]", set: (c, v) => (((c.hosts as Raw).voice as Raw).services = [v]) },
  { key: "database.composeProject", set: (c, v) => ((c.database as Raw).composeProject = v) },
  { key: "database.container", set: (c, v) => ((c.database as Raw).container = v) },
  { key: "database.user", set: (c, v) => ((c.database as Raw).user = v) },
  { key: "database.name", set: (c, v) => ((c.database as Raw).name = v) },
  { key: "database.backupDir", set: (c, v) => ((c.database as Raw).backupDir = `/${v}`) },
  { key: "dump", set: (c, v) => (c.dump = v) },
  { key: "restorePoint", set: (c, v) => (c.restorePoint = v) },
  { key: "voice.activeCallsCommand", set: (c, v) => ((c.voice as Raw).activeCallsCommand = ["echo", v]) },
  { key: "reconcile.service", set: (c, v) => ((c.reconcile as Raw).service = v) },
  { key: "verify.telwebUrl", set: (c, v) => ((c.verify as Raw).telwebUrl = `https://telweb.example/${v}`) },
  { key: "verify.loginUrl", set: (c, v) => ((c.verify as Raw).loginUrl = `https://telweb.example/${v}`) },
  { key: "verify.telemetryUrl", set: (c, v) => ((c.verify as Raw).telemetryUrl = `https://signoz.example/${v}`) },
  { key: "verify.adminUser", set: (c, v) => ((c.verify as Raw).adminUser = `${v}@delphi.example`) },
  { key: "verify.telemetryServices", set: (c, v) => ((c.verify as Raw).telemetryServices = [v]) },
  { key: "verify.spotChecks", set: (c, v) => ((c.verify as Raw).spotChecks = [{ name: "check", sql: `select '${v}'`, expect: v }]) },
  { key: "verify.testCallCommand", set: (c, v) => ((c.verify as Raw).testCallCommand = ["echo", v]) },
  { key: "report.tables", set: (c, v) => ((c.report as Raw).tables = [v]) },
  { key: "report.tenantColumn", set: (c, v) => ((c.report as Raw).tenantColumn = v) },
];

/** A base config whose hosts' project folders live in the temp folder (so every `cd` succeeds). */
function base(): Raw {
  const c = structuredClone(pgConfig()) as Raw;
  for (const h of Object.values(c.hosts as Record<string, Raw>)) h.servicesRoot = work;
  (c.reconcile as Raw).timeoutSeconds = 1;
  (c.verify as Raw).timeoutSeconds = 1;
  return c;
}

const RUNTIME: RuntimeValues = { stamp: "20261123T031000Z", snapshotPath: "/var/backups/delphi/pre-restore-20261123T031000Z.dump", restorePoint: "2026-11-23T02:00:00Z", resumedAt: "2026-11-23T03:20:00Z" };

/** Every command the config renders, each in its own subshell of one real `sh`; true if the canary fired. */
function runAll(c: RestoreConfig): boolean {
  for (const h of Object.values(c.hosts)) for (const s of h.services) mkdirSync(join(h.servicesRoot, s), { recursive: true });
  // snapshot: before renders its own snapshot, restore (over the live database) and notice (from the dump).
  const overwrite = planPgRestore({ ...c, snapshot: "before" }).steps.filter((s) => ["snapshot", "restore", "report"].includes(s.step));
  const commands = [...[...planPgRestore(c).steps, ...overwrite].flatMap((s) => s.commands.map((x) => x.render(RUNTIME))), ...preflightChecks(c).map((k) => k.command)];
  const script = commands.map((cmd) => `( ${cmd}\n) >/dev/null 2>&1 </dev/null`).join("\n");
  rmSync(canary, { force: true });
  const telemetry = c.verify.telemetryServices.map((s) => JSON.stringify(s)).join(" ");
  const r = spawnSync("/bin/sh", ["-c", script], { cwd: work, encoding: "utf8", timeout: 60_000, env: { ...process.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, CANARY: canary, TELEMETRY: telemetry } });
  if (r.error) throw r.error;
  return existsSync(canary);
}

describe("shell safety as a property", () => {
  it("every generated config is refused naming a changed key, or runs every command without running injected code", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom(...FIELDS), value), { minLength: 1, maxLength: 3, selector: ([f]) => f.key }), (changes) => {
        const raw = base();
        for (const [f, v] of changes) f.set(raw, v);
        let config: RestoreConfig;
        try {
          config = parseConfig(raw as RawConfig);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          refused++;
          const changed = changes.map(([f]) => `delphi-restore:${f.key.replace(/\[0\]$/, "")}`);
          for (const p of e.problems) expect(changed.some((k) => p.key.startsWith(k)), `${p.key} is not among ${changed.join(", ")}`).toBe(true);
          return;
        }
        accepted++;
        expect(runAll(config), JSON.stringify(changes.map(([f, v]) => [f.key, v]))).toBe(false);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 2000), seed: 20261125 },
    );
    process.stdout.write(`shell property: ${refused} configs refused, ${accepted} run through sh\n`);
    // Both outcomes must be exercised, or the property proves little.
    expect(refused).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(100);
  }, 300_000);

  it("the canary does fire when a payload is run as code (the detector works)", () => {
    rmSync(canary, { force: true });
    spawnSync("/bin/sh", ["-c", "echo $(touch $CANARY)"], { env: { ...process.env, CANARY: canary } });
    expect(existsSync(canary)).toBe(true);
  });
});
