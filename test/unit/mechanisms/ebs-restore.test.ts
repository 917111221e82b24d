// ebs-snapshot under mocks: the graph (snapshot before the new volume, volume before the swap,
// swap before resume), the inputs copied from the old volume and the snapshot, and the options
// that keep every volume: protect + retainOnDelete, skipDestroy on the new attachment.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { fakeAccount, runAws, valueOf, type Run } from "./aws-harness";
import { INSTANCE, KMS, MOUNT, NEW_VOLUME, NIGHTLY, OLD_VOLUME, PRE_RESTORE_SNAPSHOT, rawEbsConfig } from "./ebs-fixtures";

const graph = (run: Run) => run.resources.filter((r) => !r.type.startsWith("command:")).map((r) => `${r.type} ${r.name}`);
const commands = (run: Run) => run.all("command:remote:Command").map((r) => `${r.name} <- ${run.dependsOn(r).join(",")}`);

describe("ebs-snapshot restore: the graph", () => {
  test("provider, snapshot, new volume + attachment, quiesce, confirm, swap (tags, then commands), reconcile, resume, verify, report", async () => {
    const run = await runAws(rawEbsConfig());
    expect(graph(run)).toEqual([
      "pulumi:providers:aws aws-eu-west-1",
      "delphi:restore:EbsSnapshot snapshot",
      "aws:ebs/snapshot:Snapshot snapshot-ebs-snapshot",
      "delphi:restore:EbsVolume restore",
      "aws:ebs/volume:Volume restore-volume",
      "aws:ec2/volumeAttachment:VolumeAttachment restore-attachment",
      "delphi:restore:Quiesce quiesce",
      "delphi:restore:ConfirmStopped confirm",
      "delphi:restore:EbsSwap swap",
      "aws:ec2/tag:Tag swap-tag-state",
      "aws:ec2/tag:Tag swap-tag-replaced-by",
      "aws:ec2/tag:Tag swap-tag-keep-until",
      "delphi:restore:Reconcile reconcile",
      "delphi:restore:Resume resume",
      "delphi:restore:Verify verify",
      "delphi:restore:Report report",
    ]);
  });

  test("each step waits for the previous: snapshot before the volume, the attachment before the swap, the swap before resume", async () => {
    const run = await runAws(rawEbsConfig());
    const dep = (type: string, name: string) => run.dependsOn(run.one(type, name));
    expect(dep("aws:ebs/snapshot:Snapshot", "snapshot-ebs-snapshot")).toEqual([]);
    expect(dep("aws:ebs/volume:Volume", "restore-volume")).toEqual(["snapshot"]);
    expect(dep("aws:ec2/volumeAttachment:VolumeAttachment", "restore-attachment")).toEqual(["restore-volume"]);
    expect(dep("aws:ec2/tag:Tag", "swap-tag-state")).toEqual(["confirm"]);
    expect(commands(run)).toEqual([
      "quiesce-web-web <- restore",
      "quiesce-api-api <- restore",
      "confirm-web-web <- quiesce",
      "confirm-api-api <- quiesce",
      "swap-stop-db-unmount <- swap-tag-state,swap-tag-replaced-by,swap-tag-keep-until",
      "swap-mount-new-start-db <- swap-stop-db-unmount",
      "reconcile-web-voiceai-telweb <- swap",
      "resume-web-web <- reconcile",
      "resume-api-api <- reconcile",
      "verify-telweb-health <- resume",
      "verify-sql-tenants <- resume",
    ]);
    expect(run.dependsOn(run.one("command:local:Command", "report-write-notice"))).toEqual(["verify"]);
  });
});

describe("ebs-snapshot restore: inputs", () => {
  test("the pre-restore snapshot is of the current data volume, tagged", async () => {
    const run = await runAws(rawEbsConfig());
    const snap = run.one("aws:ebs/snapshot:Snapshot");
    expect(snap.inputs).toEqual({
      volumeId: OLD_VOLUME,
      description: `delphi-prod-eu1: pre-restore snapshot of the data volume ${OLD_VOLUME} (delphi-restore)`,
      tags: { "cost-center": "incident", "delphi-restore:deployment": "delphi-prod-eu1", "delphi-restore:purpose": "pre-restore", "delphi-restore:snapshot-of": OLD_VOLUME },
    });
  });

  test("the new volume: from the snapshot, the old volume's zone, type, IOPS, throughput, encryption and key; size max(old, snapshot)", async () => {
    const run = await runAws(rawEbsConfig());
    expect(run.one("aws:ebs/volume:Volume").inputs).toEqual({
      availabilityZone: "eu-west-1a",
      snapshotId: NIGHTLY,
      size: 500,
      type: "gp3",
      iops: 6000,
      throughput: 250,
      encrypted: true,
      kmsKeyId: KMS,
      tags: {
        Name: "delphi-db-data-restored",
        team: "platform",
        "cost-center": "incident",
        "delphi-restore:deployment": "delphi-prod-eu1",
        "delphi-restore:restored-from": OLD_VOLUME,
        "delphi-restore:source-snapshot": NIGHTLY,
        "delphi-restore:restore-point": "2026-11-22T02:00:05Z",
      },
    });
  });

  test("config overrides the type and performance; gp2 takes neither IOPS nor throughput", async () => {
    const io2 = await runAws(rawEbsConfig({ volumeType: "io2", iops: 16000 }));
    expect(io2.one("aws:ebs/volume:Volume").inputs).toMatchObject({ type: "io2", iops: 16000 });
    expect(io2.one("aws:ebs/volume:Volume").inputs).not.toHaveProperty("throughput");
    const account = fakeAccount();
    account.ebs.volume.size = 800;
    account.ebs.volume.volumeType = "gp2";
    account.ebs.volume.iops = 2400;
    const gp2 = (await runAws(rawEbsConfig(), account)).one("aws:ebs/volume:Volume").inputs;
    expect([gp2?.type, gp2?.size, gp2?.iops, gp2?.throughput]).toEqual(["gp2", 800, undefined, undefined]);
  });

  test("the attachment: the new volume at the second device name, beside the old one", async () => {
    const run = await runAws(rawEbsConfig({ restoreDeviceName: "/dev/sdk" }));
    expect(run.one("aws:ec2/volumeAttachment:VolumeAttachment").inputs).toEqual({ instanceId: INSTANCE, deviceName: "/dev/sdk", volumeId: NEW_VOLUME, skipDestroy: true });
  });

  test("the swap tags the old volume with the new one's id, and mounts the new one by its NVMe name or the device name", async () => {
    const run = await runAws(rawEbsConfig());
    expect(run.all("aws:ec2/tag:Tag").map((t) => t.inputs)).toEqual([
      { resourceId: OLD_VOLUME, key: "delphi-restore:state", value: "replaced" },
      { resourceId: OLD_VOLUME, key: "delphi-restore:replaced-by", value: NEW_VOLUME },
      { resourceId: OLD_VOLUME, key: "delphi-restore:keep-until", value: "signoff" },
    ]);
    const mount = String(run.one("command:remote:Command", "swap-mount-new-start-db").inputs?.create);
    expect(mount).toContain(`nvme-Amazon_Elastic_Block_Store_${NEW_VOLUME.replace("-", "")} /dev/sdg /dev/xvdg`);
    expect(mount).toContain(MOUNT);
    expect(await valueOf(run.one("command:remote:Command", "swap-stop-db-unmount").props.connection as pulumi.Output<{ host: string }>)).toMatchObject({ host: "10.0.1.20" });
  });

  test("snapshotBefore takes the newest completed snapshot of the volume started before it", async () => {
    const account = fakeAccount();
    account.ebs.snapshots[1].state = "pending";
    const run = await runAws(rawEbsConfig({ snapshotId: undefined, snapshotBefore: "2026-11-23T00:00:00Z" }), account);
    expect(run.one("aws:ebs/volume:Volume").inputs?.snapshotId).toBe("snap-0ab12cd34ef567892");
    expect(run.calls.filter((c) => c.token === "aws:ebs/getSnapshotIds:getSnapshotIds").map((c) => c.inputs)).toEqual([
      { owners: ["self"], filters: [{ name: "volume-id", values: [OLD_VOLUME] }, { name: "status", values: ["completed"] }] },
    ]);
  });

  test("outputs: both volumes, the device names, the restore point, the pre-restore snapshot", async () => {
    const run = await runAws(rawEbsConfig());
    const out = (await valueOf(pulumi.output(run.outputs))) as Record<string, unknown>;
    expect(out).toMatchObject({
      mechanism: "ebs-snapshot",
      oldVolume: { id: OLD_VOLUME, instanceId: INSTANCE, deviceName: "/dev/sdf", mount: MOUNT },
      restored: { volumeId: NEW_VOLUME, deviceName: "/dev/sdg", fromSnapshot: NIGHTLY },
      restorePoint: "2026-11-22T02:00:05Z",
      preRestoreSnapshot: PRE_RESTORE_SNAPSHOT,
      dataLossWindow: { from: "2026-11-22T02:00:05Z", to: "2026-11-23T09:15:00Z" },
    });
  });
});

describe("ebs-snapshot restore: nothing can delete or detach a volume", () => {
  test("snapshot, volume, attachment and tags are protected and retained; the attachment skips destroy", async () => {
    const run = await runAws(rawEbsConfig());
    for (const r of run.resources.filter((x) => x.type.startsWith("aws:")))
      expect([r.name, r.opts.protect, r.opts.retainOnDelete]).toEqual([r.name, true, true]);
    expect(run.one("aws:ebs/volume:Volume").opts.ignoreChanges).toEqual(["size", "type", "iops", "throughput"]);
    // The old volume is not in the program at all before sign-off.
    expect(run.resources.filter((r) => r.importId)).toEqual([]);
  });

  test("every AWS resource uses the stack's provider in aws.region", async () => {
    const run = await runAws(rawEbsConfig());
    const aws = run.resources.filter((r) => r.type.startsWith("aws:"));
    expect(new Set(aws.map((r) => r.provider?.split("::")[3]))).toEqual(new Set(["aws-eu-west-1"]));
  });
});
