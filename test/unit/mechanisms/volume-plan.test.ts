// The volume-snapshot plan: the runbook's order around the data-subvolume swap, the snapshot
// checked before anything stops, the kept subvolume named by the pre-restore snapshot's stamp,
// and rollback putting exactly that subvolume back.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { stampOf } from "../../../src/mechanisms/kept-data";
import { planVolumeSnapshot, snapshotChoice } from "../../../src/mechanisms/volume-plan";
import { planSelfManaged } from "../../../src/mechanisms/self-managed-plan";
import { PREVIEW_VALUES, restoreKey, restorePointFrom } from "../../../src/plan";
import { volumeConfig } from "../fixtures/pg-config";

const config = (volume: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => parseConfig(volumeConfig(volume, top));
const rendered = (c: ReturnType<typeof config>, step: string, rt = PREVIEW_VALUES) =>
  planVolumeSnapshot(c).steps.find((s) => s.step === step)?.commands.map((x) => x.render(rt)).join("\n") ?? "";

describe("volume-snapshot plan", () => {
  it("runs the runbook's order: snapshot, quiesce, confirm, swap, reconcile, resume, verify, report", () => {
    const plan = planSelfManaged(config());
    expect(plan.steps.map((s) => s.step)).toEqual(["snapshot", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
    expect(plan.source).toBe("volume snapshot");
    expect(plan.restorePoint).toBeUndefined(); // the snapshot's creation time, read on the host
  });

  it("checks the snapshot in the step before quiesce: exists, read-only, older than the incident, room", () => {
    const cmd = rendered(config({ before: "2026-11-23T03:00:00Z" }), "snapshot");
    expect(cmd).toContain("nightly-20261123T020000Z");
    expect(cmd).toContain("ro=true");
    expect(cmd).toContain("2026-11-23T03:00:00Z");
    expect(cmd).toContain("-ge 256");
    expect(cmd).toMatch(/the restore is refused; nothing was stopped or changed/);
    // Then the read-only snapshot of the current data and the pg_dump, named by one stamp.
    expect(cmd).toMatch(/btrfs subvolume snapshot -r "\$data" "\$snaps\/pre-restore-\$stamp"/);
    expect(cmd).toMatch(/pre-restore-"\$stamp"\.dump/);
  });

  it("without a name, takes the newest read-only snapshot created before the incident time", () => {
    const c = config({ snapshot: undefined, before: "2026-11-23T02:30:00Z" });
    expect(snapshotChoice(c.volume!)).toMatch(/newest read-only btrfs snapshot in \/srv\/pg-volume\/snapshots created before 2026-11-23T02:30:00Z/);
    expect(rendered(c, "snapshot")).toContain('-lt "$limit"');
  });

  it("keeps the current data subvolume under the pre-restore snapshot's stamp, and never deletes a subvolume", () => {
    const rt = { ...PREVIEW_VALUES, snapshotPath: "/var/backups/delphi/pre-restore-20261125T031500Z.dump" };
    const cmd = rendered(config(), "restore", rt);
    expect(cmd).toContain("/srv/pg-volume/data.pre-restore-20261125T031500Z");
    expect(cmd).toMatch(/docker compose stop voiceai-postgres/);
    expect(cmd).toMatch(/btrfs subvolume snapshot "\$src" "\$data"/);
    expect(cmd).toMatch(/docker compose up -d voiceai-postgres/);
    expect(cmd).toContain("pg_is_in_recovery");
    expect(cmd).not.toMatch(/subvolume delete|rm -rf/);
    const needs = planVolumeSnapshot(config()).steps.find((s) => s.step === "restore")?.commands[0].needs;
    expect(needs).toEqual(["snapshotPath"]);
  });

  it("reads the restore point the swap prints (the snapshot's creation time)", () => {
    const plan = planVolumeSnapshot(config());
    expect(restorePointFrom(plan, "restored-from=/srv/pg-volume/snapshots/x\nrestore-point=2026-11-23T02:00:04Z\n")).toBe("2026-11-23T02:00:04Z");
  });

  it("names the stamp of a pre-restore dump, and a placeholder before one exists", () => {
    expect(stampOf("/b/pre-restore-20261125T031500Z.dump")).toBe("20261125T031500Z");
    expect(stampOf(PREVIEW_VALUES.snapshotPath)).toBe("<UTC>");
  });

  it("rollback: quiesce, confirm, put the kept subvolume back, reconcile, resume, verify; no new snapshot or report", () => {
    const c = config({ snapshot: undefined, rollbackTo: "data.pre-restore-20261125T031500Z" }, { phase: "rollback" });
    const plan = planVolumeSnapshot(c);
    expect(plan.steps.map((s) => s.step)).toEqual(["quiesce", "confirm", "restore", "reconcile", "resume", "verify"]);
    const cmd = rendered(c, "restore");
    expect(cmd).toContain("/srv/pg-volume/data.pre-restore-20261125T031500Z");
    expect(cmd).toContain("/srv/pg-volume/data.undone-20261125T031500Z");
    expect(cmd).not.toMatch(/subvolume delete|rm -rf/);
  });

  it("a new target or a rollback is a new restore (every command runs again); a re-run is not", () => {
    const a = restoreKey(config());
    expect(restoreKey(config())).toBe(a);
    expect(restoreKey(config({ snapshot: "nightly-20261124T020000Z" }))).not.toBe(a);
    expect(restoreKey(config({ snapshot: undefined, rollbackTo: "data.pre-restore-20261125T031500Z" }, { phase: "rollback" }))).not.toBe(a);
  });
});
