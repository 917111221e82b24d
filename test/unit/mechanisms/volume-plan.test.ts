// The volume-snapshot plan: the runbook's order around the data-subvolume swap, the snapshot
// checked before anything stops, the kept subvolume named by the restore's stamp, rollback
// putting exactly that subvolume back, and sign-off archiving it before deleting it.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { stampOf } from "../../../src/runbook/kept";
import { planVolumeSnapshot, snapshotChoice } from "../../../src/mechanisms/volume-snapshot/plan";
import { planSelfManaged } from "../../../src/mechanisms";
import { PREVIEW_VALUES, restoreKey, restorePointFrom } from "../../../src/runbook";
import { volumeConfig } from "../fixtures/pg-config";

const config = (volume: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => parseConfig(volumeConfig(volume, top));
const rendered = (c: ReturnType<typeof config>, step: string, rt = PREVIEW_VALUES) =>
  planVolumeSnapshot(c).steps.find((s) => s.step === step)?.commands.map((x) => x.render(rt)).join("\n") ?? "";
const STAMP = "20261125T031500Z";
const RT = { ...PREVIEW_VALUES, stamp: STAMP };

describe("volume-snapshot plan", () => {
  it("runs the runbook's order: precheck, quiesce, confirm, swap, reconcile, resume, verify, report, then the snapshot", () => {
    const plan = planSelfManaged(config());
    expect(plan.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(plan.source).toBe("volume snapshot");
    expect(plan.restorePoint).toBeUndefined(); // the snapshot's creation time, read on the host
    expect(planSelfManaged(config({}, { snapshot: "before" })).steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "snapshot", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
    expect(planSelfManaged(config({}, { snapshot: "none" })).steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
  });

  it("checks the snapshot in the precheck, before anything stops: exists, read-only, older than the incident, room; writes nothing", () => {
    const c = config({ before: "2026-11-23T03:00:00Z" });
    expect(planVolumeSnapshot(c).steps[0]?.commands.map((x) => x.name)).toEqual(["stamp", "volume-snapshot-ok", "voice-voice-active-calls"]);
    const cmd = rendered(c, "precheck");
    expect(cmd).toContain("nightly-20261123T020000Z");
    expect(cmd).toContain("ro=true");
    expect(cmd).toContain("2026-11-23T03:00:00Z");
    expect(cmd).toContain("-ge 256");
    expect(cmd).toMatch(/the restore is refused; nothing was stopped or changed/);
    expect(cmd).not.toMatch(/btrfs subvolume snapshot -r "\$data"|btrfs subvolume snapshot "\$src"|pg_dump/);
  });

  it("snapshot before: after quiesce, the read-only snapshot of the current data and the pg_dump, named by the restore's stamp", () => {
    const cmd = rendered(config({}, { snapshot: "before" }), "snapshot", RT);
    expect(cmd).toContain(`stamp=${STAMP}`);
    expect(cmd).toMatch(/btrfs subvolume snapshot -r "\$data" "\$snaps\/pre-restore-\$stamp"/);
    expect(cmd).toMatch(/pre-restore-"\$stamp"\.dump/);
    expect(planVolumeSnapshot(config({}, { snapshot: "before" })).steps.find((s) => s.step === "snapshot")?.commands[0]?.needs).toEqual(["stamp"]);
  });

  it("snapshot after (default): the pg_dump is taken from the kept subvolume, opened read-only by a temporary Postgres", () => {
    const [dump] = planVolumeSnapshot(config()).steps.at(-1)?.commands ?? [];
    expect(dump?.name).toBe("pg-dump-kept");
    const cmd = dump?.render(RT) ?? "";
    expect(cmd).toContain(`pg_ctl -D /srv/pg-volume/data.pre-restore-${STAMP}`);
    expect(cmd).toContain("default_transaction_read_only=on");
    expect(cmd).toContain(`/var/backups/delphi/pre-restore-${STAMP}.dump`);
  });

  it("the notice compares the kept subvolume (opened read-only) with the restored rows captured right after the swap", () => {
    const [notice] = planVolumeSnapshot(config()).steps.find((s) => s.step === "report")?.commands ?? [];
    expect([notice?.name, notice?.needs]).toEqual(["count-lost-writes", ["stamp"]]);
    const cmd = notice?.render(RT) ?? "";
    expect(cmd).toContain(`pg_ctl -D /srv/pg-volume/data.pre-restore-${STAMP}`);
    expect(cmd).toContain("delphi_restore_diff");
    expect(rendered(config(), "restore", RT)).toMatch(/restore-point=.*captured=conversations,tools,billing_records/s);
  });

  it("without a name, takes the newest read-only snapshot created before the incident time", () => {
    const c = config({ snapshot: undefined, before: "2026-11-23T02:30:00Z" });
    expect(snapshotChoice(c.volume!)).toMatch(/newest read-only btrfs snapshot in \/srv\/pg-volume\/snapshots created before 2026-11-23T02:30:00Z/);
    expect(rendered(c, "precheck")).toContain('-lt "$limit"');
  });

  it("keeps the current data subvolume under the restore's stamp, and never deletes a subvolume", () => {
    const cmd = rendered(config(), "restore", RT);
    expect(cmd).toContain(`/srv/pg-volume/data.pre-restore-${STAMP}`);
    expect(cmd).toMatch(/docker compose stop voiceai-postgres/);
    expect(cmd).toMatch(/btrfs subvolume snapshot "\$src" "\$data"/);
    expect(cmd).toMatch(/docker compose up -d voiceai-postgres/);
    expect(cmd).toContain("pg_is_in_recovery");
    expect(cmd).not.toMatch(/subvolume delete/);
    // The only removal is of the capture's scratch folder in the container.
    for (const rm of cmd.match(/rm -rf [^\s;']+/g) ?? []) expect(rm).toBe("rm -rf /tmp/delphi-restore-diff");
    const needs = planVolumeSnapshot(config()).steps.find((s) => s.step === "restore")?.commands[0].needs;
    expect(needs).toEqual(["stamp"]);
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

  it("sign-off: no service stops; the kept subvolume is archived, the archive read in full, and only then deleted", () => {
    const c = config({ snapshot: undefined }, { phase: "signoff", kept: `data.pre-restore-${STAMP}` });
    const plan = planSelfManaged(c);
    expect(plan.steps.map((s) => s.step)).toEqual(["signoff"]);
    expect(plan.stops).toEqual([]);
    expect(plan.downtime).toMatch(/^none/);
    const [cmd] = plan.steps[0].commands;
    expect([cmd.name, cmd.host]).toEqual(["archive-and-remove", "db"]);
    const text = cmd.render(PREVIEW_VALUES);
    expect(text).toContain(`/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(text.indexOf(`btrfs subvolume delete /srv/pg-volume/data.pre-restore-${STAMP}`)).toBeGreaterThan(text.lastIndexOf("pg_restore -f /dev/null"));
    expect(cmd.description).toContain(`only then btrfs subvolume delete /srv/pg-volume/data.pre-restore-${STAMP}`);
    expect(plan.keptOldDatabase).toBe(`/srv/pg-volume/data.pre-restore-${STAMP}`);
  });

  it("a new target or a rollback is a new restore (every command runs again); a re-run is not", () => {
    const a = restoreKey(config());
    expect(restoreKey(config())).toBe(a);
    expect(restoreKey(config({ snapshot: "nightly-20261124T020000Z" }))).not.toBe(a);
    expect(restoreKey(config({ snapshot: undefined, rollbackTo: "data.pre-restore-20261125T031500Z" }, { phase: "rollback" }))).not.toBe(a);
    expect(restoreKey(config({}, { snapshot: "before" }))).not.toBe(a);
  });
});
