// The pure plan of ebs-snapshot: steps in order per phase, and `does` lines that name both
// volumes, both device names, the mount point and every host command.
import { describe, expect, test } from "vitest";
import { parseConfig } from "../../../src/config";
import { NEW_VOLUME_PLACEHOLDER, nextDeviceName, planEbs } from "../../../src/mechanisms/ebs-snapshot/plan";
import { INSTANCE, MOUNT, NEW_VOLUME, NIGHTLY, OLD_VOLUME, rawEbsConfig } from "./ebs-fixtures";

const plan = (...a: Parameters<typeof rawEbsConfig>) => planEbs(parseConfig(rawEbsConfig(...a)));
const names = (...a: Parameters<typeof rawEbsConfig>) => plan(...a).steps.map((s) => s.name);

describe("planEbs: step order", () => {
  test("restore: snapshot, new volume, quiesce, confirm, swap, reconcile, resume, verify, report", () => {
    expect(names()).toEqual(["snapshot", "restore", "quiesce", "confirm", "swap", "reconcile", "resume", "verify", "report"]);
  });

  test("the order setting does not move the new volume: it is always made before anything stops", () => {
    expect(names({}, { order: "beforeRestore" })).toEqual(names({}, { order: "beforeSwitch" }));
    expect(plan().downtime).toMatch(/^switch time/);
  });

  test("rollback: snapshot and volume kept, then quiesce, confirm, remount the old volume, resume, verify under new names", () => {
    expect(names({}, { phase: "rollback" })).toEqual(["snapshot", "restore", "rollback-quiesce", "rollback-confirm", "rollback", "rollback-resume", "rollback-verify"]);
  });

  test("sign-off: the restore's steps unchanged, then sign-off (adopt, then release)", () => {
    const adopt = plan({}, { phase: "signoff" });
    expect(adopt.steps.map((s) => s.name)).toEqual([...names(), "signoff"]);
    expect([adopt.signoffStage, adopt.stops, adopt.downtime]).toEqual(["adopt", [], expect.stringMatching(/^none/)]);
    const release = planEbs(parseConfig({ ...rawEbsConfig({}, { phase: "signoff" }), aws: { ...rawEbsConfig().aws, releaseOld: true } }));
    expect(release.signoffStage).toBe("release");
    expect(release.steps.at(-1)?.does.join("\n")).toContain(`old volume ${OLD_VOLUME}: a final snapshot is taken when it is deleted`);
  });
});

describe("what each step does", () => {
  const does = (name: string, p = plan()) => p.steps.find((s) => s.name === name)?.does.join("\n") ?? "";

  test("the snapshot and the new volume name both volumes, the snapshot and both device names", () => {
    expect(does("snapshot")).toBe(`aws: manual EBS snapshot of the data volume ${OLD_VOLUME} (tagged delphi-restore:purpose=pre-restore; protected, kept on destroy)`);
    expect(does("restore")).toContain(`new EBS volume from snapshot ${NIGHTLY}, in ${OLD_VOLUME}'s availability zone`);
    expect(does("restore")).toContain(`attachment of the new volume to ${INSTANCE} at /dev/sdg, beside ${OLD_VOLUME} at /dev/sdf`);
    expect(plan({ snapshotId: undefined, snapshotBefore: "2026-11-22T12:00:00Z" }).steps[1].does[0]).toContain(`the newest completed snapshot of ${OLD_VOLUME} started before 2026-11-22T12:00:00Z`);
  });

  test("the swap: the old volume's tags, then the db host's commands in order", () => {
    const swap = plan().steps.find((s) => s.step === "swap");
    expect(swap?.aws).toEqual([
      `tags on the old volume ${OLD_VOLUME}: delphi-restore:state=replaced, delphi-restore:replaced-by=${NEW_VOLUME_PLACEHOLDER}, delphi-restore:keep-until=signoff (it stays attached at /dev/sdf, unmounted)`,
    ]);
    expect(swap?.volumeCommands.map((c) => `${c.host} ${c.name}: ${c.description}`)).toEqual([
      `db stop-db-unmount: docker compose stop voiceai-postgres in /opt/services/postgres, sync, umount ${MOUNT} (the old volume ${OLD_VOLUME}; it stays attached)`,
      `db mount-new-start-db: mount the restored volume (/dev/sdg, or its NVMe name) at ${MOUNT}, docker compose up -d voiceai-postgres, wait up to 300s for pg_isready`,
    ]);
    expect(swap?.does.slice(1)).toEqual(swap?.volumeCommands.map((c) => `db: ${c.description}`));
  });

  test("the new volume's command is rendered with its id; the rollback mounts the old one (fsDevice first)", () => {
    const swap = plan().steps.find((s) => s.step === "swap");
    expect(swap?.volumeCommands[1].render({ newVolumeId: NEW_VOLUME })).toContain(`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${NEW_VOLUME.replace("-", "")}`);
    const rollback = plan({ fsDevice: "/dev/nvme1n1" }, { phase: "rollback" }).steps.find((s) => s.step === "rollback");
    expect(rollback?.volumeCommands.map((c) => c.name)).toEqual(["stop-db-unmount", "mount-old-start-db"]);
    expect(rollback?.volumeCommands[1].description).toBe(`mount the old volume ${OLD_VOLUME} (/dev/nvme1n1 or /dev/sdf, or its NVMe name) at ${MOUNT}, docker compose up -d voiceai-postgres, wait up to 300s for pg_isready`);
    const rendered = rollback?.volumeCommands[1].render({ newVolumeId: NEW_VOLUME }) ?? "";
    expect(rendered).toContain(OLD_VOLUME.replace("-", ""));
    expect(rendered).not.toContain(NEW_VOLUME.replace("-", ""));
    expect(rollback?.aws[0]).toContain("delphi-restore:state=in-use");
  });

  test("remote steps reuse the other mechanisms' commands; the consumer hosts stop, the db host is remounted, not stopped by quiesce", () => {
    const p = plan();
    expect(p.stops).toEqual([{ host: "web", service: "web" }, { host: "api", service: "api" }]);
    expect(does("verify")).toContain("db: SQL spot check tenants: select count(*) > 0 from tenants = t");
    expect(does("confirm")).toContain("web: docker compose ps in /opt/services/web");
  });
});

describe("device names", () => {
  test("the restored volume takes the next letter, wrapping from p to f", () => {
    expect([nextDeviceName("/dev/sdf"), nextDeviceName("/dev/xvdh"), nextDeviceName("/dev/sdp")]).toEqual(["/dev/sdg", "/dev/xvdi", "/dev/sdf"]);
    expect(plan({ restoreDeviceName: "/dev/sdk" }).restoreDeviceName).toBe("/dev/sdk");
  });
});
