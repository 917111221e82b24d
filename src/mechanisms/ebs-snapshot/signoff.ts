// ebs-snapshot's sign-off: bring the OLD data volume and its attachment under management only
// now, so that a targeted destroy detaches and deletes exactly them. Two `pulumi up`s, as for
// the RDS mechanisms (src/mechanisms/aws-pitr/signoff.ts):
//   adopt   - import both as they are (ignoreChanges "*": no change), protected and retained;
//   release - finalSnapshot on the volume (a provider setting: no AWS call), protect and
//             retainOnDelete off; `pulumi destroy --target <volume> --target-dependents` then
//             detaches it (the attachment depends on it) and deletes it after a final snapshot.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SignoffStage } from "../../aws/types";
import type { EbsVolumeInfo } from "./source";
import { type AwsStepArgs, KEEP } from "../../aws/types";

// Every input of aws.ebs.Volume, checked by the compiler in both directions (a provider upgrade
// that adds or removes one fails the build): release ignores all of them but finalSnapshot.
const VOLUME_INPUTS: Record<keyof aws.ebs.VolumeArgs, 0> = {
  availabilityZone: 0, encrypted: 0, finalSnapshot: 0, iops: 0, kmsKeyId: 0, multiAttachEnabled: 0,
  outpostArn: 0, region: 0, size: 0, snapshotId: 0, tags: 0, throughput: 0, type: 0, volumeInitializationRate: 0,
};

/** ignoreChanges for the release step: every input of the old volume except finalSnapshot. */
export const VOLUME_IGNORED_AT_RELEASE = Object.keys(VOLUME_INPUTS).filter((k) => k !== "finalSnapshot");

export interface EbsSignOffArgs extends AwsStepArgs {
  old: EbsVolumeInfo;
  instanceId: string;
  deviceName: string;
  stage: SignoffStage;
}

/** The import id of a volume attachment, as the AWS provider reads it. */
export const attachmentImportId = (deviceName: string, volumeId: string, instanceId: string) => `${deviceName}:${volumeId}:${instanceId}`;

export class EbsSignOff extends pulumi.ComponentResource {
  /** URNs to pass to `pulumi destroy --target` (with --target-dependents: the attachment goes first). */
  readonly destroyTargets: pulumi.Output<string[]>;

  constructor(name: string, args: EbsSignOffArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:EbsSignOff", name, {}, opts);
    const o = args.old;
    const release = args.stage === "release";
    const guard = release ? { protect: false, retainOnDelete: false } : KEEP;
    const volume = new aws.ebs.Volume(
      `${name}-old-volume`,
      {
        // What getVolume read, so the import matches the live volume.
        availabilityZone: o.availabilityZone,
        size: o.size,
        type: o.type,
        encrypted: o.encrypted,
        kmsKeyId: o.kmsKeyId,
        tags: o.tags,
        ...(release ? { finalSnapshot: true } : {}),
      },
      { parent: this, dependsOn: args.after, ...guard, import: o.id, ignoreChanges: release ? VOLUME_IGNORED_AT_RELEASE : ["*"] },
    );
    // The attachment needs no change to be deleted (deleting it detaches): adopted as it is in both stages.
    const attachment = new aws.ec2.VolumeAttachment(
      `${name}-old-attachment`,
      { instanceId: args.instanceId, deviceName: args.deviceName, volumeId: volume.id },
      { parent: this, dependsOn: [volume], ...guard, import: attachmentImportId(args.deviceName, o.id, args.instanceId), ignoreChanges: ["*"] },
    );
    this.destroyTargets = pulumi.all([volume.urn, attachment.urn]);
    this.registerOutputs({ destroyTargets: this.destroyTargets });
  }
}
