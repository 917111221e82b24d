// Mechanism ebs-snapshot: the plan (./plan.ts) becomes one component per step, chained by
// dependsOn. The data volume, the db host's instance and the snapshot are read and checked first;
// only when every check passes is any resource beyond the provider declared, so a missing or
// incomplete snapshot is refused before any service stops. The remote steps (quiesce, confirm,
// reconcile, resume, verify) and the report are the other mechanisms' own components.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../../config";
import { commonStepArgs, type ProgramContext, type Secrets } from "../../steps/common-args";
import { declareInOrder, sharedOutputs, type OwnStep } from "../../aws/shared-steps";
import { EbsPreRestoreSnapshot, EbsRestoreVolume, EbsRollback, EbsSwap } from "./volume";
import { EbsSignOff } from "./signoff";
import { placementProblems, snapshotProblems, volumeSpec, type VolumeSpec } from "./checks";
import { type EbsPlan, type EbsStepPlan, ebsConfig, planEbs, snapshotChoice } from "./plan";
import { type EbsInstanceInfo, type EbsSnapshotInfo, type EbsVolumeInfo, readChosenSnapshot, readInstance, readVolume } from "./source";

const LOST_ROWS_NOT_COUNTED =
  "Lost rows are not counted per tenant for this restore: counting them needs SQL on the database of the replaced volume, which is no longer mounted. That volume is kept unchanged until sign-off; your operator can count them there on request.";

interface Checked {
  old: EbsVolumeInfo;
  instance: EbsInstanceInfo;
  snapshot: EbsSnapshotInfo;
  spec: VolumeSpec;
}

/** Read the volume, the instance and the snapshot, and check them; throws before any resource. */
async function readAndCheck(c: RestoreConfig, opts: pulumi.InvokeOptions): Promise<Checked> {
  const e = ebsConfig(c);
  const [old, instance] = await Promise.all([readVolume(e.volumeId, opts), readInstance(e.instanceId, opts)]);
  const snapshot = await readChosenSnapshot(snapshotChoice(e), e.volumeId, opts);
  const problems = placementProblems(c, e, old, instance);
  // Only a restore checks the snapshot's state and room: rollback and sign-off, days later, must
  // keep declaring the volume that was restored, unchanged.
  if (c.phase === "restore" || !snapshot) problems.push(...snapshotProblems(e, old, snapshot));
  if (problems.length > 0 || !snapshot)
    throw new pulumi.RunError([`AWS checks failed (${problems.length}); nothing was changed and no service was stopped:`, ...problems.map((p) => `  x ${p}`)].join("\n"));
  return { old, instance, snapshot, spec: volumeSpec(e, old, snapshot) };
}

/** Tags of the restored volume: the old volume's (minus AWS's reserved ones and its Name), the config's, provenance. */
function restoredTags(c: RestoreConfig, old: EbsVolumeInfo, snapshot: EbsSnapshotInfo): Record<string, string> {
  const copied = Object.fromEntries(Object.entries(old.tags).filter(([k]) => !k.toLowerCase().startsWith("aws:") && !k.startsWith("delphi-restore:")));
  return {
    ...copied,
    ...(old.tags.Name ? { Name: `${old.tags.Name}-restored` } : {}),
    ...(c.aws?.tags ?? {}),
    "delphi-restore:deployment": c.deployment,
    "delphi-restore:restored-from": old.id,
    "delphi-restore:source-snapshot": snapshot.id,
    "delphi-restore:restore-point": snapshot.startTime,
  };
}

/** Declare the ebs-snapshot restore for the configured phase and return the stack outputs. */
export async function declareEbsRestore(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext = {}): Promise<Record<string, unknown>> {
  const plan = planEbs(config);
  const e = ebsConfig(config);
  const region = config.aws?.region ?? "";
  // One explicit provider in aws.region for every read and resource, as for the RDS mechanisms.
  const provider = new aws.Provider(`aws-${region}`, { region });
  const { old, snapshot, spec } = await readAndCheck(config, { provider });

  const restorePoint = snapshot.startTime;
  const componentOpts: pulumi.ComponentResourceOptions = { providers: [provider] };
  const common = commonStepArgs(config, secrets);
  const remount = (o: OwnStep<EbsStepPlan>, tags: Record<string, pulumi.Input<string>>) => ({
    after: o.after,
    tagged: { volumeId: e.volumeId, tags },
    commands: o.s.volumeCommands,
    newVolumeId: (o.done.restore as EbsRestoreVolume).volumeId,
    hosts: common.hosts,
    transport: common.transport,
    restoreKey: common.restoreKey,
    privateKey: common.privateKey,
  });

  const done = declareInOrder(plan.steps, { common, config, ctx, restorePoint, lostRowsUnavailable: LOST_ROWS_NOT_COUNTED }, (o) => {
    const { s, after, done } = o;
    switch (s.step) {
      case "snapshot":
        return new EbsPreRestoreSnapshot(
          s.name,
          {
            after,
            volumeId: e.volumeId,
            description: `${config.deployment}: pre-restore snapshot of the data volume ${e.volumeId} (delphi-restore)`,
            tags: { ...(config.aws?.tags ?? {}), "delphi-restore:deployment": config.deployment, "delphi-restore:purpose": "pre-restore", "delphi-restore:snapshot-of": e.volumeId },
          },
          componentOpts,
        );
      case "restore":
        return new EbsRestoreVolume(s.name, { after, spec, instanceId: e.instanceId, deviceName: plan.restoreDeviceName, tags: restoredTags(config, old, snapshot) }, componentOpts);
      case "swap": {
        const newVolumeId = (done.restore as EbsRestoreVolume).volumeId;
        return new EbsSwap(s.name, remount(o, { "delphi-restore:state": "replaced", "delphi-restore:replaced-by": newVolumeId, "delphi-restore:keep-until": "signoff" }), componentOpts);
      }
      case "rollback":
        return new EbsRollback(s.name, remount(o, { "delphi-restore:state": "in-use" }), componentOpts);
      case "signoff":
        return new EbsSignOff(s.name, { after, old, instanceId: e.instanceId, deviceName: e.deviceName, stage: plan.signoffStage ?? "adopt" }, componentOpts);
      default:
        return undefined;
    }
  });
  return outputs(config, plan, snapshot, done);
}

function outputs(c: RestoreConfig, plan: EbsPlan, snapshot: EbsSnapshotInfo, done: Partial<Record<string, pulumi.Resource>>): Record<string, unknown> {
  const pre = done.snapshot as EbsPreRestoreSnapshot | undefined;
  const restored = done.restore as EbsRestoreVolume | undefined;
  const signoff = done.signoff as EbsSignOff | undefined;
  const shared = sharedOutputs(c, plan, done);
  return {
    ...shared,
    oldVolume: { id: plan.volumeId, instanceId: plan.instanceId, deviceName: plan.deviceName, mount: plan.mount },
    restored: restored ? { volumeId: restored.volumeId, deviceName: plan.restoreDeviceName, fromSnapshot: snapshot.id } : undefined,
    restorePoint: snapshot.startTime,
    preRestoreSnapshot: pre?.snapshotId,
    lostRows: done.report ? "not counted for EBS restores (needs SQL on the replaced volume's database)" : undefined,
    signoff: signoff ? { stage: plan.signoffStage, destroyTargets: signoff.destroyTargets } : undefined,
  };
}
