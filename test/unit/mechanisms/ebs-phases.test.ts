// ebs-snapshot's phases under mocks: rollback remounts the old volume and detaches or deletes
// nothing; sign-off adopts the old volume and its attachment unchanged, then releases exactly
// them (final snapshot). And the checks that refuse before any resource but the provider exists.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { VOLUME_IGNORED_AT_RELEASE } from "../../../src/mechanisms/ebs-snapshot/signoff";
import { attemptAws, fakeAccount, runAws, valueOf, type FakeAccount, type Run } from "./aws-harness";
import { INSTANCE, KMS, NEW_VOLUME, NIGHTLY, OLD_VOLUME, rawEbsConfig } from "./ebs-fixtures";

/** The account after a finished swap: the old volume tagged replaced, the new one attached at sdg. */
function afterSwap(): FakeAccount {
  const account = fakeAccount();
  account.ebs.volume.tags = { ...account.ebs.volume.tags, "delphi-restore:state": "replaced" };
  account.ebs.instance.ebsBlockDevices.push({ deviceName: "/dev/sdg", volumeId: NEW_VOLUME, tags: { "delphi-restore:restored-from": OLD_VOLUME } });
  return account;
}

const signoff = (releaseOld: boolean) => {
  const raw = rawEbsConfig({}, { phase: "signoff" });
  return { ...raw, aws: { ...raw.aws, releaseOld } } as typeof raw;
};
/** AWS resources a destroy could delete: neither protected nor retained. */
const deletable = (run: Run) => run.resources.filter((r) => r.type.startsWith("aws:") && !(r.opts.protect === true || r.opts.retainOnDelete === true)).map((r) => r.name);
const imported = (run: Run) => run.resources.filter((r) => r.importId).map((r) => `${r.name}=${r.importId}`);

describe("rollback", () => {
  test("keeps the snapshot and the new volume, stops, remounts the OLD volume, starts, resumes and verifies", async () => {
    const run = await runAws(rawEbsConfig({}, { phase: "rollback" }), afterSwap());
    expect(run.resources.filter((r) => r.type.startsWith("delphi:")).map((r) => `${r.type} ${r.name}`)).toEqual([
      "delphi:restore:EbsSnapshot snapshot",
      "delphi:restore:EbsVolume restore",
      "delphi:restore:Quiesce rollback-quiesce",
      "delphi:restore:ConfirmStopped rollback-confirm",
      "delphi:restore:EbsRollback rollback",
      "delphi:restore:Resume rollback-resume",
      "delphi:restore:Verify rollback-verify",
    ]);
    const mount = String(run.one("command:remote:Command", "rollback-mount-old-start-db").inputs?.create);
    expect(mount).toContain(`nvme-Amazon_Elastic_Block_Store_${OLD_VOLUME.replace("-", "")} /dev/sdf /dev/xvdf`);
    expect(run.dependsOn(run.one("command:remote:Command", "rollback-mount-old-start-db"))).toEqual(["rollback-stop-db-unmount"]);
    expect(run.one("aws:ec2/tag:Tag").inputs).toEqual({ resourceId: OLD_VOLUME, key: "delphi-restore:state", value: "in-use" });
  });

  test("declares no detach and no delete: no attachment of the old volume, nothing imported, nothing deletable", async () => {
    const run = await runAws(rawEbsConfig({}, { phase: "rollback" }), afterSwap());
    expect(imported(run)).toEqual([]);
    expect(deletable(run)).toEqual([]);
    expect(run.all("aws:ec2/volumeAttachment:VolumeAttachment").map((r) => [r.name, r.inputs?.volumeId, r.inputs?.skipDestroy])).toEqual([["restore-attachment", NEW_VOLUME, true]]);
    expect(run.all("aws:ebs/volume:Volume").map((r) => r.name)).toEqual(["restore-volume"]);
  });
});

describe("sign-off", () => {
  test("adopt: the old volume and its attachment are imported unchanged, still protected and retained", async () => {
    const run = await runAws(signoff(false), afterSwap());
    expect(imported(run)).toEqual([`signoff-old-volume=${OLD_VOLUME}`, `signoff-old-attachment=/dev/sdf:${OLD_VOLUME}:${INSTANCE}`]);
    const old = run.one("aws:ebs/volume:Volume", "signoff-old-volume");
    expect(old.inputs).toEqual({
      availabilityZone: "eu-west-1a",
      size: 400,
      type: "gp3",
      encrypted: true,
      kmsKeyId: KMS,
      tags: { Name: "delphi-db-data", team: "platform", "aws:cloudformation:stack-name": "legacy", "delphi-restore:state": "replaced" },
    });
    expect(old.opts).toMatchObject({ protect: true, retainOnDelete: true, ignoreChanges: ["*"] });
    const att = run.one("aws:ec2/volumeAttachment:VolumeAttachment", "signoff-old-attachment");
    expect([att.inputs, att.opts.protect, att.opts.retainOnDelete, run.dependsOn(att)]).toEqual([{ instanceId: INSTANCE, deviceName: "/dev/sdf", volumeId: OLD_VOLUME }, true, true, ["signoff-old-volume"]]);
    expect(deletable(run)).toEqual([]);
  });

  test("release: exactly the old volume and its attachment become deletable, the volume with a final snapshot", async () => {
    const run = await runAws(signoff(true), afterSwap());
    expect(deletable(run)).toEqual(["signoff-old-volume", "signoff-old-attachment"]);
    const old = run.one("aws:ebs/volume:Volume", "signoff-old-volume");
    expect(old.inputs?.finalSnapshot).toBe(true);
    expect(old.opts.ignoreChanges).toEqual(VOLUME_IGNORED_AT_RELEASE);
    expect(old.opts.ignoreChanges).toEqual(expect.arrayContaining(["size", "tags", "snapshotId", "availabilityZone"]));
    expect(old.opts.ignoreChanges).not.toContain("finalSnapshot");
    // The restored volume, its attachment, the pre-restore snapshot and the tags stay protected.
    const kept = run.resources.filter((r) => r.type.startsWith("aws:") && !r.name.startsWith("signoff-"));
    expect(kept.map((r) => r.name)).toEqual(["snapshot-ebs-snapshot", "restore-volume", "restore-attachment", "swap-tag-state", "swap-tag-replaced-by", "swap-tag-keep-until"]);
    for (const r of kept) expect([r.name, r.opts.protect, r.opts.retainOnDelete]).toEqual([r.name, true, true]);
    const out = (await valueOf(pulumi.output(run.outputs))) as unknown as { signoff: { stage: string; destroyTargets: string[] } };
    expect(out.signoff.stage).toBe("release");
    expect(out.signoff.destroyTargets).toEqual([expect.stringMatching(/aws:ebs\/volume:Volume::signoff-old-volume$/), expect.stringMatching(/aws:ec2\/volumeAttachment:VolumeAttachment::signoff-old-attachment$/)]);
  });

  test("refused after a rollback (the database runs on the old volume again) or before the swap", async () => {
    const rolledBack = afterSwap();
    rolledBack.ebs.volume.tags["delphi-restore:state"] = "in-use";
    const { message, declared } = await attemptAws(signoff(true), rolledBack);
    expect(message).toContain(`delphi-restore:phase = signoff: the old volume ${OLD_VOLUME} is tagged delphi-restore:state=in-use, not replaced: after a rollback the database runs on it again`);
    expect(declared).toEqual(["pulumi:providers:aws aws-eu-west-1"]);
    expect((await attemptAws(signoff(false))).message).toContain("is tagged delphi-restore:state=(none), not replaced: the swap has not finished");
  });
});

describe("checks stop the program before any resource (so before any service stops)", () => {
  const ONLY_PROVIDER = ["pulumi:providers:aws aws-eu-west-1"];
  const refused = async (account: FakeAccount, ebs: Record<string, unknown> = {}) => {
    const { message, declared } = await attemptAws(rawEbsConfig(ebs), account);
    expect(declared).toEqual(ONLY_PROVIDER);
    expect(message).toMatch(/Fix: |cannot read/);
    return message;
  };

  test("a snapshot that does not exist names the key", async () => {
    expect(await refused(fakeAccount(), { snapshotId: "snap-0000000000000dead" })).toBe(
      "delphi-restore:aws.ebs.snapshotId = snap-0000000000000dead: cannot read the EBS snapshot: InvalidSnapshot.NotFound: The snapshot 'snap-0000000000000dead' does not exist.",
    );
  });

  test.each(["pending", "error"])("a snapshot in state %s", async (state) => {
    const account = fakeAccount();
    account.ebs.snapshots[1].state = state;
    expect(await refused(account)).toContain(`delphi-restore:aws.ebs.snapshotId = ${NIGHTLY}: snapshot ${NIGHTLY} is '${state}', not 'completed'`);
  });

  test("no completed snapshot before snapshotBefore", async () => {
    const message = await refused(fakeAccount(), { snapshotId: undefined, snapshotBefore: "2026-11-01T00:00:00Z" });
    expect(message).toContain(`delphi-restore:aws.ebs.snapshotBefore = 2026-11-01T00:00:00Z: none of the newest 25 completed snapshots of ${OLD_VOLUME} started before it`);
  });

  test("a snapshot too large for the volume type", async () => {
    const account = fakeAccount();
    account.ebs.snapshots[1].volumeSize = 20000;
    expect(await refused(account)).toContain("the new volume needs 20000 GiB (snapshot 20000 GiB, old volume 400 GiB), more than a gp3 volume can hold (16384 GiB). Fix: pulumi config set --path 'delphi-restore:aws.ebs.volumeType' io2");
  });

  test("the instance in another zone than the volume", async () => {
    const account = fakeAccount();
    account.ebs.instance.availabilityZone = "eu-west-1b";
    expect(await refused(account)).toContain(`delphi-restore:aws.ebs.instanceId = ${INSTANCE}: the instance is in eu-west-1b, the data volume ${OLD_VOLUME} in eu-west-1a`);
  });

  test("the volume attached elsewhere, or the second device name taken", async () => {
    const moved = fakeAccount();
    moved.ebs.instance.ebsBlockDevices[0].deviceName = "/dev/sdh";
    expect(await refused(moved)).toContain(`delphi-restore:aws.ebs.deviceName = /dev/sdf: ${OLD_VOLUME} is attached to ${INSTANCE} at /dev/sdh. Fix: pulumi config set --path 'delphi-restore:aws.ebs.deviceName' /dev/sdh`);
    const busy = fakeAccount();
    busy.ebs.instance.ebsBlockDevices.push({ deviceName: "/dev/sdg", volumeId: "vol-0999", tags: {} });
    expect(await refused(busy)).toContain(`delphi-restore:aws.ebs.restoreDeviceName = /dev/sdg: ${INSTANCE} already has vol-0999 attached there`);
  });

  test("every problem is listed at once", async () => {
    const account = fakeAccount();
    account.ebs.instance.availabilityZone = "eu-west-1b";
    account.ebs.snapshots[1].state = "pending";
    const message = await refused(account);
    expect(message).toMatch(/^AWS checks failed \(2\); nothing was changed and no service was stopped:/);
    expect(message.split("\n").filter((l) => l.startsWith("  x ")).map((l) => l.split(" ")[3])).toEqual(["delphi-restore:aws.ebs.instanceId", "delphi-restore:aws.ebs.snapshotId"]);
  });
});
