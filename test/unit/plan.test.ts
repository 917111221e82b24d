// The pure plan: step order per mode, one command per host and service, the restore point and
// window, and the markers later steps read from earlier steps' output.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import {
  dataLossWindow,
  markers,
  parseLostRows,
  planPgRestore,
  PREVIEW_VALUES,
  restorePointFrom,
  restorePointFromName,
  resumedAtFrom,
  snapshotPathFrom,
  writesStoppedFrom,
} from "../../src/plan";
import { pgConfig } from "./fixtures/pg-config";

const plan = (top: Record<string, unknown> = {}) => planPgRestore(parseConfig(pgConfig(top)));
const CONSUMERS = ["web", "api", "voice", "ops", "media"];

describe("step order", () => {
  it("beforeRestore (the runbook's order): snapshot, quiesce, confirm still stopped, restore, reconcile, resume, verify, report", () => {
    expect(plan().steps.map((s) => s.step)).toEqual(["snapshot", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
  });

  it("right before the destructive step, every consumer project is checked still stopped, on its own host", () => {
    for (const order of ["beforeRestore", "beforeSwitch"]) {
      const steps = plan({ order }).steps.map((s) => s.step);
      expect(steps.indexOf("confirm"), order).toBe(steps.indexOf(order === "beforeRestore" ? "restore" : "repoint") - 1);
      const confirm = plan({ order }).steps.find((s) => s.step === "confirm");
      expect(confirm?.commands.map((c) => c.host)).toEqual(CONSUMERS);
      expect(confirm?.commands[0]?.render(PREVIEW_VALUES)).toContain("docker compose ps --status running --services");
    }
  });

  it("beforeSwitch: restore into a new database while services run, then quiesce and switch", () => {
    const p = plan({ order: "beforeSwitch" });
    expect(p.steps.map((s) => s.step)).toEqual(["snapshot", "restore", "quiesce", "confirm", "repoint", "reconcile", "resume", "verify", "report"]);
    expect(p.restoreTarget).toBe("delphi_restored");
    expect(p.keptOldDatabase).toBe("delphi_pre_restore");
    expect(p.steps.find((s) => s.step === "restore")?.commands[0]?.render(PREVIEW_VALUES)).toContain("-d delphi_restored");
    expect(p.steps.find((s) => s.step === "repoint")?.commands[0]?.render(PREVIEW_VALUES)).toContain("rename to delphi_pre_restore");
  });

  it("the snapshot comes first in every mode", () => {
    for (const order of ["beforeRestore", "beforeSwitch"]) expect(plan({ order }).steps[0]?.step).toBe("snapshot");
  });
});

describe("commands per host", () => {
  it("stops and starts every consumer host's compose project, never the database host's", () => {
    const p = plan();
    const quiesce = p.steps.find((s) => s.step === "quiesce")?.commands ?? [];
    const resume = p.steps.find((s) => s.step === "resume")?.commands ?? [];
    expect(quiesce.map((c) => c.host)).toEqual(CONSUMERS);
    expect(resume.map((c) => c.host)).toEqual(CONSUMERS);
    for (const c of quiesce) expect(c.render(PREVIEW_VALUES)).toContain(`cd /opt/services/${c.host} && docker compose stop`);
    for (const c of resume) expect(c.render(PREVIEW_VALUES)).toContain(`cd /opt/services/${c.host} && docker compose up -d`);
    expect(p.stops.map((s) => s.host)).not.toContain("db");
  });

  it("Voice is guarded by the active-calls command unless forceStop", () => {
    const voice = (top = {}) => plan(top).steps.find((s) => s.step === "quiesce")?.commands.find((c) => c.host === "voice");
    expect(voice()?.render(PREVIEW_VALUES)).toContain("refusing to stop Voice");
    expect(voice()?.description).toContain("refused while Voice has active calls");
    const forced = voice({ voice: { activeCallsCommand: ["voiceai-calls", "active"], forceStop: true } });
    expect(forced?.render(PREVIEW_VALUES)).not.toContain("refusing to stop Voice");
    expect(forced?.description).toContain("forced");
  });

  it("Voice's active calls are asked before anything stops, with the snapshot, unless forceStop", () => {
    const snap = plan().steps[0]?.commands ?? [];
    expect(snap.map((c) => [c.name, c.host])).toEqual([["pg-dump", "db"], ["voice-voice-active-calls", "voice"]]);
    expect(snap[1]?.render(PREVIEW_VALUES)).toContain("refusing to stop Voice");
    expect(plan({ voice: { activeCallsCommand: ["voiceai-calls", "active"], forceStop: true } }).steps[0]?.commands.map((c) => c.name)).toEqual(["pg-dump"]);
  });

  it("reconcile starts only TelWeb on the web host and waits for both log lines", () => {
    const [c] = plan().steps.find((s) => s.step === "reconcile")?.commands ?? [];
    expect(c?.host).toBe("web");
    const cmd = c?.render(PREVIEW_VALUES) ?? "";
    expect(cmd).toContain("docker compose up -d voiceai-telweb");
    expect(cmd).toContain("migrate deploy");
    expect(cmd).toContain("baseline-seed");
  });

  it("the restore step restores the named dump with the runbook's flags", () => {
    const [c] = plan().steps.find((s) => s.step === "restore")?.commands ?? [];
    expect(c?.host).toBe("db");
    expect(c?.render(PREVIEW_VALUES)).toContain("pg_restore --clean --if-exists --no-owner --exit-on-error --jobs=4 -U delphi -d delphi");
    expect(c?.render(PREVIEW_VALUES)).toContain("/var/backups/delphi/delphi-20261123T020000Z.dump");
  });

  it("without a named dump the restore takes the newest non-snapshot dump on the host", () => {
    const [c] = plan({ dump: undefined }).steps.find((s) => s.step === "restore")?.commands ?? [];
    expect(c?.render(PREVIEW_VALUES)).toMatch(/ls -1t .*grep -v .*\/pre-restore-/s);
    expect(plan({ dump: undefined }).restorePoint).toBeUndefined();
  });

  it("verify: health, login (password on stdin), spot checks, telemetry since the resume", () => {
    const v = plan().steps.find((s) => s.step === "verify")?.commands ?? [];
    expect(v.map((c) => c.name)).toEqual(["telweb-health", "admin-login", "sql-known-conversation", "telemetry"]);
    expect(v.find((c) => c.name === "admin-login")?.stdinSecret).toBe("adminPassword");
    expect(v.find((c) => c.name === "telemetry")?.needs).toEqual(["resumedAt"]);
    expect(v.find((c) => c.name === "telemetry")?.render({ ...PREVIEW_VALUES, resumedAt: "2026-11-23T03:10:00Z" })).toContain("2026-11-23T03:10:00Z");
  });

  it("the report counts lost rows from the pre-restore snapshot, after it exists", () => {
    const [c] = plan().steps.find((s) => s.step === "report")?.commands ?? [];
    expect(c?.needs).toEqual(["snapshotPath", "restorePoint"]);
    const cmd = c?.render({ ...PREVIEW_VALUES, snapshotPath: "/var/backups/delphi/pre-restore-20261123T031000Z.dump", restorePoint: "2026-11-23T02:00:00Z" }) ?? "";
    expect(cmd).toContain("pre-restore-20261123T031000Z.dump");
    expect(cmd).toContain("2026-11-23T02:00:00Z");
    expect(cmd).toContain("from billing_records");
  });
});

describe("restore point, window and markers", () => {
  it("takes the restore point from the dump's name, or the config", () => {
    expect(plan().restorePoint).toBe("2026-11-23T02:00:00Z");
    expect(plan({ restorePoint: "2026-11-22T23:00:00Z" }).restorePoint).toBe("2026-11-22T23:00:00Z");
    expect(restorePointFromName("delphi-20261123T020000Z.dump")).toBe("2026-11-23T02:00:00Z");
    expect(restorePointFromName("delphi-20261399T020000Z.dump")).toBeUndefined();
    expect(restorePointFromName("nightly.dump")).toBeUndefined();
  });

  it("reads the restore point from the restore step's dump= line when the dump was not named", () => {
    const p = plan({ dump: undefined });
    expect(restorePointFrom(p, "dump=/var/backups/delphi/delphi-20261124T020000Z.dump\nrestored")).toBe("2026-11-24T02:00:00Z");
    expect(restorePointFrom(p, "")).toContain("unknown");
  });

  it("the window runs from the restore point to the last service stop", () => {
    expect(dataLossWindow("2026-11-23T02:00:00Z", ["2026-11-23T03:01:00Z", "2026-11-23T03:02:00Z", ""])).toEqual({ from: "2026-11-23T02:00:00Z", to: "2026-11-23T03:02:00Z" });
    expect(dataLossWindow("2026-11-23T02:00:00Z", []).to).toBe("the switch");
  });

  it("parses the markers commands print", () => {
    expect(markers("a\nsnapshot=/x.dump\nsnapshot=/y.dump", "snapshot")).toEqual(["/x.dump", "/y.dump"]);
    expect(snapshotPathFrom("0\nsnapshot=/b/pre-restore-1.dump\n")).toBe("/b/pre-restore-1.dump");
    expect(writesStoppedFrom(["stopped-at=2026-11-23T03:01:00Z", "x\nstopped-at=2026-11-23T03:02:00Z"])).toEqual(["2026-11-23T03:01:00Z", "2026-11-23T03:02:00Z"]);
    expect(resumedAtFrom(["resumed-at=2026-11-23T03:20:00Z", "resumed-at=2026-11-23T03:19:00Z"])).toBe("2026-11-23T03:19:00Z");
  });

  it("parses lost-row counts and ignores anything else", () => {
    expect(parseLostRows("conversations\tten_acme\t3\nnoise\ntools\tten_globex\t1\nx\ty\tz")).toEqual([
      { table: "conversations", tenant: "ten_acme", count: 3 },
      { table: "tools", tenant: "ten_globex", count: 1 },
    ]);
  });
});
