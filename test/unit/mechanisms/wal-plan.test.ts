// The wal-pitr plan: the runbook around the recovery, the recovery's settings from the target,
// the data directory kept under the pre-restore dump's stamp, and rollback putting it back.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { planWalPitr } from "../../../src/mechanisms/wal-pitr/plan";
import type { PitrChoice } from "../../../src/mechanisms/wal-pitr/window";
import { PREVIEW_VALUES } from "../../../src/runbook";
import { recoverySettings } from "../../../src/mechanisms/wal-pitr/shell";
import { walPitrConfig } from "../fixtures/pg-config";

const CHOICE: PitrChoice = {
  backup: { name: "base-b", label: "base-b", timeline: 1, startSegment: "000000010000000000000005", startLsn: "0/5000028", stopLsn: "0/5000138", startTime: "2026-11-25T12:00:00Z", stopTime: "2026-11-25T12:00:02Z" },
  walFrom: "000000010000000000000005",
  walTo: "000000010000000000000006",
  target: { kind: "xid", xid: "745" },
  inclusive: false,
  restorePoint: "2026-11-25T12:30:00.25Z",
  window: { from: "2026-11-25T12:00:02Z", to: "2026-11-25T13:00:00Z" },
};

describe("wal-pitr plan", () => {
  const c = parseConfig(walPitrConfig());
  it("runs the runbook around the recovery, with the base backup, WAL range and target in its description", () => {
    const plan = planWalPitr(c, CHOICE);
    expect(plan.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(plan.steps[0]?.commands.map((x) => x.name)).toEqual(["stamp", "voice-voice-active-calls"]);
    expect(plan.restorePoint).toBe("2026-11-25T12:30:00.25Z");
    const restore = plan.steps.find((s) => s.step === "restore")?.commands[0];
    expect(restore?.description).toMatch(/base backup base-b, recover from \/var\/backups\/delphi\/wal \(WAL 000000010000000000000005 to at most 000000010000000000000006\) to transaction 745 \(exclusive/);
    expect(restore?.needs).toEqual(["stamp"]);
    const cmd = restore?.render({ ...PREVIEW_VALUES, stamp: "20261125T131500Z" }) ?? "";
    expect(cmd).toContain("/srv/postgres/data.pre-restore-20261125T131500Z");
    expect(cmd).toContain("/var/backups/delphi/base/base-b");
    expect(cmd).toContain("recovery.signal");
    expect(cmd).toContain("restore-point=2026-11-25T12:30:00.25Z");
    // Then the restored rows are captured for the notice, which compares them with the kept directory.
    expect(cmd).toContain("captured=conversations,tools,billing_records");
    const notice = plan.steps.find((s) => s.step === "report")?.commands[0]?.render({ ...PREVIEW_VALUES, stamp: "20261125T131500Z" }) ?? "";
    expect(notice).toContain("pg_ctl -D /srv/postgres/data.pre-restore-20261125T131500Z");
  });

  it("snapshot before: the pg_dump after quiesce, named by the restore's stamp; snapshot none: no dump", () => {
    const before = planWalPitr(parseConfig(walPitrConfig(undefined, { snapshot: "before" })), CHOICE);
    expect(before.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "snapshot", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
    const [dump] = before.steps.find((s) => s.step === "snapshot")?.commands ?? [];
    expect([dump?.name, dump?.needs]).toEqual(["pg-dump", ["stamp"]]);
    expect(dump?.render({ ...PREVIEW_VALUES, stamp: "20261125T131500Z" })).toContain("f=/var/backups/delphi/pre-restore-20261125T131500Z.dump");
    expect(planWalPitr(parseConfig(walPitrConfig(undefined, { snapshot: "none" })), CHOICE).steps.map((s) => s.step)).not.toContain("snapshot");
  });

  it("sign-off (the plan; see config-wal.test.ts for the config rule): the kept data directory archived, then rm -rf only after the archive reads in full", () => {
    const so = { ...parseConfig(walPitrConfig(undefined, { target: undefined, phase: "rollback", wal: { archiveDir: "/w", baseBackupsDir: "/b", dataDir: "/srv/postgres/data", rollbackTo: "data.pre-restore-20261125T131500Z" } })), phase: "signoff" as const, kept: "data.pre-restore-20261125T131500Z" };
    const plan = planWalPitr(so);
    expect(plan.steps.map((s) => s.step)).toEqual(["signoff"]);
    expect(plan.stops).toEqual([]);
    const text = plan.steps[0].commands[0].render(PREVIEW_VALUES);
    expect(text).toContain("/var/backups/delphi/pre-restore-20261125T131500Z.dump");
    expect(text.indexOf("rm -rf /srv/postgres/data.pre-restore-20261125T131500Z")).toBeGreaterThan(text.lastIndexOf("pg_restore -f /dev/null"));
    expect(text).not.toMatch(/rm -rf \/srv\/postgres\/data(?!\.pre-restore-)/);
  });

  it("writes Postgres' recovery settings for each kind of target", () => {
    const w = c.wal!;
    expect(recoverySettings(w, CHOICE)).toEqual([
      "restore_command = 'cp /var/backups/delphi/wal/%f \"%p\"'",
      "recovery_target_timeline = 'current'",
      "recovery_target_action = 'promote'",
      "recovery_target_xid = '745'",
      "recovery_target_inclusive = off",
    ]);
    expect(recoverySettings(w, { target: { kind: "time", time: "2026-11-25T12:30:00Z" }, inclusive: true })).toContain("recovery_target_time = '2026-11-25 12:30:00+00'");
    expect(recoverySettings(w, { target: { kind: "time", time: "2026-11-25T13:30:00.123456+01:00" }, inclusive: false })).toContain("recovery_target_time = '2026-11-25 13:30:00.123456+01:00'");
    expect(recoverySettings(w, { target: { kind: "latest" }, inclusive: true }).some((l) => l.startsWith("recovery_target_") && !/timeline|action/.test(l))).toBe(false);
  });

  it("without the archive read, the recovery command refuses to run", () => {
    const cmd = planWalPitr(c).steps.find((s) => s.step === "restore")?.commands[0].render(PREVIEW_VALUES) ?? "";
    expect(cmd).toMatch(/not read; nothing to run/);
  });

  it("rollback puts the kept data directory back and keeps what the restore made", () => {
    const rb = parseConfig(walPitrConfig(undefined, { target: undefined, phase: "rollback", wal: { archiveDir: "/w", baseBackupsDir: "/b", dataDir: "/srv/postgres/data", rollbackTo: "data.pre-restore-20261125T131500Z" } }));
    const plan = planWalPitr(rb);
    expect(plan.steps.map((s) => s.step)).toEqual(["quiesce", "confirm", "restore", "reconcile", "resume", "verify"]);
    const cmd = plan.steps.find((s) => s.step === "restore")?.commands[0].render(PREVIEW_VALUES) ?? "";
    expect(cmd).toContain("/srv/postgres/data.pre-restore-20261125T131500Z");
    expect(cmd).toContain("/srv/postgres/data.undone-20261125T131500Z");
    expect(cmd).not.toMatch(/rm -rf/);
  });
});
