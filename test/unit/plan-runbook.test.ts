// The runbook every self-managed restore shares (src/runbook/order.ts): its order for each order x
// snapshot combination, the stamp taken first, the notice's comparison and the snapshot from the
// kept data after the services are back.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { type HostCommand, PREVIEW_VALUES, STEP_TITLES, stampFrom } from "../../src/runbook";
import { planPgRestore } from "../../src/mechanisms/pg-restore/plan";
import { afterSnapshotCommand, diffScratch, noticeCommand, runbookSteps, stampCommand, withCapture } from "../../src/runbook/order";
import { dbTarget } from "../../src/runbook/commands";
import { keptDatabaseSide } from "../../src/shell/kept";
import { expectRejected } from "./fixtures/config-problems";
import { pgConfig } from "./fixtures/pg-config";

const STAMP = "20261207T021500Z";
const config = (top: Record<string, unknown> = {}) => parseConfig(pgConfig(top));
const cmd = (name: string): HostCommand => ({ name, host: "db", description: name, render: () => `echo ${name}`, needs: [] });
const parts = { checks: [cmd("check")], restore: cmd("restore"), repoint: cmd("switch"), beforeSnapshot: cmd("dump-before"), afterSnapshot: cmd("dump-after"), notice: cmd("notice") };
const order = (top: Record<string, unknown>) => planPgRestore(config(top)).steps.map((s) => s.step);

describe("runbookSteps: the order for each order and snapshot", () => {
  it("beforeRestore, snapshot after (the default): check, quiesce, confirm, restore, reconcile, resume, verify, report, then the snapshot", () => {
    expect(order({})).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(order({ snapshot: "after" })).toEqual(order({}));
  });

  it("beforeRestore, snapshot before: the snapshot after quiesce (complete), before confirm and the restore; none at the end", () => {
    expect(order({ snapshot: "before" })).toEqual(["precheck", "quiesce", "snapshot", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
  });

  it("beforeRestore, snapshot none: no snapshot step at all", () => {
    expect(order({ snapshot: "none" })).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
  });

  it("beforeSwitch, snapshot after: restore while the services run, then quiesce, confirm, the switch; the snapshot last", () => {
    expect(order({ order: "beforeSwitch" })).toEqual(["precheck", "restore", "quiesce", "confirm", "repoint", "reconcile", "resume", "verify", "report", "snapshot"]);
  });

  it("beforeSwitch, snapshot none", () => {
    expect(order({ order: "beforeSwitch", snapshot: "none" })).toEqual(["precheck", "restore", "quiesce", "confirm", "repoint", "reconcile", "resume", "verify", "report"]);
  });

  it("beforeSwitch with snapshot before is refused by config", () => {
    expectRejected(pgConfig({ order: "beforeSwitch", snapshot: "before" }), "delphi-restore:snapshot", /cannot be before with order beforeSwitch/);
  });

  it("places the parts it is given: checks after the stamp and before Voice's calls; the snapshot it is not given is left out", () => {
    const steps = runbookSteps(config(), { ...parts, beforeSnapshot: undefined });
    expect(steps.map((s) => [s.step, s.commands.map((c) => c.name)])).toEqual([
      ["precheck", ["stamp", "check", "voice-voice-active-calls"]],
      ["quiesce", ["web-web", "api-api", "voice-voice", "ops-ops", "media-media"]],
      ["confirm", ["web-web", "api-api", "voice-voice", "ops-ops", "media-media"]],
      ["restore", ["restore"]],
      ["reconcile", ["web-voiceai-telweb"]],
      ["resume", ["web-web", "api-api", "voice-voice", "ops-ops", "media-media"]],
      ["verify", ["telweb-health", "admin-login", "sql-known-conversation", "telemetry"]],
      ["report", ["notice"]],
      ["snapshot", ["dump-after"]],
    ]);
    expect(steps.at(-1)?.title).toBe(`${STEP_TITLES.snapshot} (from the kept data, in the background)`);
    expect(steps[0]?.title).toBe(STEP_TITLES.precheck);
  });

  it("beforeSwitch: the repoint step runs the switch it is given; without one there is none", () => {
    const c = config({ order: "beforeSwitch" });
    expect(runbookSteps(c, parts).find((s) => s.step === "repoint")?.commands.map((x) => x.name)).toEqual(["switch"]);
    expect(runbookSteps(c, { ...parts, repoint: undefined }).map((s) => s.step)).not.toContain("repoint");
  });

  it("a restore title replaces the default one", () => {
    expect(runbookSteps(config(), { ...parts, restoreTitle: "Swap the data" }).find((s) => s.step === "restore")?.title).toBe("Swap the data");
  });

  it("nothing stops before the precheck, and the services are stopped before whatever replaces the data", () => {
    for (const top of [{}, { snapshot: "before" }, { snapshot: "none" }, { order: "beforeSwitch" }]) {
      const steps = order(top);
      expect(steps[0], JSON.stringify(top)).toBe("precheck");
      const replaces = steps.indexOf(top.order === "beforeSwitch" ? "repoint" : "restore");
      expect(steps.indexOf("confirm"), JSON.stringify(top)).toBe(replaces - 1);
      expect(steps.indexOf("resume")).toBeGreaterThan(replaces);
    }
  });
});

describe("the stamp", () => {
  it("is taken on the db host in the database container, first, and printed as stamp=<UTC> for the program to read", () => {
    // The db host's project folder and a `docker` that runs what `compose exec -T <service>` names.
    const root = mkdtempSync(join(tmpdir(), "delphi-stamp-"));
    mkdirSync(join(root, "postgres"));
    mkdirSync(join(root, "bin"));
    writeFileSync(join(root, "bin", "docker"), '#!/bin/sh\n[ "$1 $2 $3 $4" = "compose exec -T voiceai-postgres" ] || exit 9\nshift 4\nexec "$@"\n', { mode: 0o755 });
    const cfg = config();
    cfg.hosts.db.servicesRoot = root;
    const c = stampCommand(cfg);
    expect([c.name, c.host, c.needs]).toEqual(["stamp", "db", []]);
    const r = spawnSync("/bin/sh", ["-c", c.render(PREVIEW_VALUES)], { encoding: "utf8", env: { ...process.env, PATH: `${join(root, "bin")}:${process.env.PATH}` } });
    rmSync(root, { recursive: true, force: true });
    expect(r.stdout).toMatch(/^stamp=\d{8}T\d{6}Z\n$/);
    expect(stampFrom(r.stdout)).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe("the notice's comparison and the after-snapshot", () => {
  const c = config();
  const kept = (rt: { stamp: string }) => keptDatabaseSide(`delphi_pre_restore_${rt.stamp}`);

  it("the scratch database is <db>_restore_diff", () => {
    expect(diffScratch(c)).toBe("delphi_restore_diff");
  });

  it("withCapture runs the capture only after the command succeeded", () => {
    const s = withCapture(c, dbTarget(c), "sh -c 'restore'", "delphi_restored", STAMP);
    expect(s.startsWith("sh -c 'restore' && sh -c ")).toBe(true);
    expect(s).toContain("delphi_restore_diff");
    expect(s).toContain("-d delphi_restored");
  });

  it("count-lost-writes on the db host compares every report table by primary key, per tenant column, with the kept side", () => {
    const n = noticeCommand(config({ report: { dir: "reports", contact: "x@y.z", tables: ["conversations", "tools"], tenantColumn: "org_id" } }), kept, ["stamp"], "the kept database");
    expect([n.name, n.host, n.needs]).toEqual(["count-lost-writes", "db", ["stamp"]]);
    expect(n.description).toContain("compare conversations, tools by primary key, per tenant (org_id)");
    const s = n.render({ ...PREVIEW_VALUES, stamp: STAMP });
    expect(s).toContain(`-d delphi_pre_restore_${STAMP}`);
    expect(s).toContain("org_id");
    expect(s).toContain("compared=conversations,tools");
  });

  it("pg-dump-kept writes <backupDir>/pre-restore-<stamp>.dump from the kept side, in the background", () => {
    const a = afterSnapshotCommand(c, kept, "the kept database");
    expect([a.name, a.host, a.needs]).toEqual(["pg-dump-kept", "db", ["stamp"]]);
    const s = a.render({ ...PREVIEW_VALUES, stamp: STAMP });
    expect(s).toContain(`/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(s).toContain(`pg_dump -Fc -U delphi -d delphi_pre_restore_${STAMP}`);
    expect(s).toContain("nohup flock");
    expect(a.description).toContain("in the background on the db host");
  });
});
