// What `up` prints at the end: the ten-second outcome, "nothing to do", and where it stopped.
import { describe, expect, it } from "vitest";
import { renderFailure, renderInterrupt, renderSuccess, resumedFrom } from "../../../src/cli/outcome";
import { commandsRun, type StepProgress } from "../../../src/cli/progress";

const item = (resource: string, op: string, state: StepProgress["state"] = "done", type = "pulumi-nodejs:dynamic/delphi-restore:HostCommand"): StepProgress => ({ resource, op, state, type, startedAt: "t" });

describe("commandsRun", () => {
  it("counts host commands created or created again for a new restore, not unchanged or failed ones", () => {
    expect(commandsRun([item("a", "create"), item("b", "create-replacement"), item("c", "same"), item("d", "create", "failed"), item("e", "update"), item("f", "create", "done", "aws:rds/cluster:Cluster")])).toBe(2);
  });
});

describe("renderSuccess", () => {
  const outputs = { preRestoreSnapshot: "/backup/pre-restore-20261125T103038Z.dump", restorePoint: "2026-11-25T10:30:17Z", dataLossWindow: { from: "2026-11-25T10:30:17Z", to: "2026-11-25T10:30:39Z" }, lostRows: 18, verifyResults: { "telweb-health": "ok", "admin-login": "ok" }, reportPath: "/r/notice.md" };

  it("says what ran, the snapshot, what was lost, the checks and the notice", () => {
    const text = renderSuccess({ stack: "sandbox", seconds: 8.04, changes: { create: 31 }, ran: 23, outputs });
    expect(text.split("\n")[0]).toBe("Restore on stack 'sandbox' complete in 8.0s; 23 commands ran.");
    expect(text).toContain("pre-restore snapshot  /backup/pre-restore-20261125T103038Z.dump");
    expect(text).toContain("writes from 2026-11-25T10:30:17Z to 2026-11-25T10:30:39Z (18 rows counted)");
    expect(text).toContain("2 checks passed: telweb-health, admin-login");
    expect(text).toContain("/r/notice.md  (again: delphi-restore report --stack sandbox)");
  });

  it("says plainly when nothing ran, and what would make a new restore", () => {
    const text = renderSuccess({ stack: "sandbox", seconds: 2.5, changes: { same: 32 }, ran: 0, outputs });
    expect(text).toContain("Nothing to do on stack 'sandbox': this restore already completed (32 resources unchanged); no command ran.");
    expect(text).toContain("new dump, order or restore point");
  });
});

describe("renderFailure", () => {
  it("names the step, the host, the resource and the command's error, and how to go on", () => {
    const failed = [{ ...item("restore-pg-restore", "create-replacement", "failed"), step: "Restore database", host: "db", error: "error: restore-pg-restore failed on host db (127.0.0.1:2222) with exit code 1:\npg_restore: error: could not read from input file: end of file" }];
    const text = renderFailure("sandbox", failed, "Duration: 6s");
    expect(text).toContain('The restore stopped at step "Restore database" on host db (restore-pg-restore):');
    expect(text).toContain("  restore-pg-restore failed on host db (127.0.0.1:2222) with exit code 1:");
    expect(text).toContain("  pg_restore: error: could not read from input file: end of file");
    expect(text).toContain("delphi-restore up --stack sandbox (finished steps are not repeated");
    expect(text).not.toContain("Duration");
  });
});

describe("resumedFrom", () => {
  const at = (resource: string, op: string, step: string, state: StepProgress["state"] = "done") => ({ ...item(resource, op, state), step, host: "db" });

  it("an update that kept finished commands of this restore says so and names the step it went on from", () => {
    const items = [at("snapshot-pg-dump", "same", "Pre-restore snapshot"), at("quiesce-api-voiceai-api", "same", "Quiesce services"), at("restore-pg-restore", "create", "Restore database"), at("resume-api-voiceai-api", "create", "Resume services")];
    const resumed = resumedFrom(items);
    expect(resumed).toEqual({ kept: 2, keptSteps: ["Pre-restore snapshot", "Quiesce services"], from: "Restore database" });
    const text = renderSuccess({ stack: "sandbox", seconds: 3, changes: {}, ran: 2, outputs: {}, resumed });
    expect(text).toMatch(/resumed +from "Restore database"/);
    expect(text).toContain(`from "Restore database": 2 commands an earlier update finished were kept (Pre-restore snapshot, Quiesce services)`);
  });

  it("a new restore (everything ran) and an update with nothing to do are not resumptions", () => {
    expect(resumedFrom([at("a", "create-replacement", "A"), at("b", "create-replacement", "B")])).toBeUndefined();
    expect(resumedFrom([at("a", "same", "A")])).toBeUndefined();
  });
});

describe("renderInterrupt", () => {
  it("names the step and hosts in flight at Ctrl-C, how each ended, and how to go on", () => {
    const text = renderInterrupt("sandbox", [
      { ...item("quiesce-api-voiceai-api", "create", "done"), step: "Quiesce services", host: "api" },
      { ...item("quiesce-ops-voiceai-ops", "create", "failed"), step: "Quiesce services", host: "ops", error: "error: boom\nexit 1" },
    ]);
    expect(text).toContain('Interrupted during "Quiesce services". The commands in flight were let finish; nothing after them was started:');
    expect(text).toContain("  quiesce-api-voiceai-api on host api: finished");
    expect(text).toContain("  quiesce-ops-voiceai-ops on host ops: failed: exit 1");
    expect(text).toContain("Resume with: delphi-restore up --stack sandbox");
    expect(renderInterrupt("s", [])).toContain("Interrupted before any host command started");
  });
});
