// The steps of ebs-snapshot that touch volumes: the pre-restore snapshot of the data volume, the
// restored volume attached beside it, and the remount on the db host (swap, or rollback). No
// resource here can detach or delete a volume: volumes, snapshot and tags are protected and
// retainOnDelete, and the new volume's attachment has skipDestroy (destroy only forgets it).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Transport } from "../../config";
import type { VolumeCommand } from "./plan";
import type { VolumeSpec } from "./checks";
import { type DeclaredCommand, type HostConnection, declareCommand } from "../../resources/declare-command";
import { type AwsStepArgs, KEEP } from "../../aws/types";

export interface EbsSnapshotArgs extends AwsStepArgs {
  volumeId: string;
  description: string;
  tags: Record<string, string>;
}

/** A manual snapshot of the data volume as it is now: for investigation, and a fallback beside the kept volume. */
export class EbsPreRestoreSnapshot extends pulumi.ComponentResource {
  readonly snapshotId: pulumi.Output<string>;

  constructor(name: string, args: EbsSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:EbsSnapshot", name, {}, opts);
    const snap = new aws.ebs.Snapshot(`${name}-ebs-snapshot`, { volumeId: args.volumeId, description: args.description, tags: args.tags }, { parent: this, dependsOn: args.after, ...KEEP });
    this.snapshotId = snap.id;
    this.registerOutputs({ snapshotId: this.snapshotId });
  }
}

export interface EbsRestoreVolumeArgs extends AwsStepArgs {
  spec: VolumeSpec;
  instanceId: string;
  /** The second device name: the old volume stays attached at its own until sign-off. */
  deviceName: string;
  tags: Record<string, string>;
}

/** The restored volume, made from the snapshot in the old volume's zone and attached beside it. */
export class EbsRestoreVolume extends pulumi.ComponentResource {
  readonly volumeId: pulumi.Output<string>;
  readonly attachmentId: pulumi.Output<string>;

  constructor(name: string, args: EbsRestoreVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:EbsVolume", name, {}, opts);
    const s = args.spec;
    const volume = new aws.ebs.Volume(
      `${name}-volume`,
      { availabilityZone: s.availabilityZone, snapshotId: s.snapshotId, size: s.size, type: s.type, iops: s.iops, throughput: s.throughput, encrypted: s.encrypted, kmsKeyId: s.kmsKeyId, tags: args.tags },
      // Size and performance are read from the old volume on every run; a later resize of either
      // (by hand, after the restore) must not resize the restored volume on a later `up`.
      { parent: this, dependsOn: args.after, ...KEEP, ignoreChanges: ["size", "type", "iops", "throughput"] },
    );
    const attachment = new aws.ec2.VolumeAttachment(
      `${name}-attachment`,
      { instanceId: args.instanceId, deviceName: args.deviceName, volumeId: volume.id, skipDestroy: true },
      { parent: this, dependsOn: [volume], ...KEEP },
    );
    this.volumeId = volume.id;
    this.attachmentId = attachment.id;
    this.registerOutputs({ volumeId: this.volumeId, attachmentId: this.attachmentId });
  }
}

export interface RemountArgs extends AwsStepArgs {
  /** The volume the tags go on (the old data volume) and the tags, by key. */
  tagged: { volumeId: string; tags: Record<string, pulumi.Input<string>> };
  /** Run in order on the db host, each after the previous. */
  commands: VolumeCommand[];
  newVolumeId: pulumi.Input<string>;
  hosts: Record<string, HostConnection>;
  transport: Transport;
  restoreKey: string;
  privateKey?: pulumi.Input<string>;
}

/** Tags on the old volume, then the db host's commands one after the other. */
class Remount extends pulumi.ComponentResource {
  readonly stdout: Record<string, pulumi.Output<string>> = {};

  constructor(type: string, name: string, args: RemountArgs, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    // retainOnDelete: when the step leaves the program (next phase) the tags stay on the volume.
    let previous: pulumi.Resource[] = Object.entries(args.tagged.tags).map(
      ([k, value]) => new aws.ec2.Tag(`${name}-tag-${k.replace(/^delphi-restore:/, "")}`, { resourceId: args.tagged.volumeId, key: k, value }, { parent: this, dependsOn: args.after, ...KEEP }),
    );
    if (previous.length === 0) previous = args.after;
    for (const cmd of args.commands) {
      const host = args.hosts[cmd.host];
      if (!host) throw new Error(`step ${name}: command ${cmd.name} names unknown host ${cmd.host}`);
      const res: DeclaredCommand = declareCommand(
        `${name}-${cmd.name}`,
        { transport: args.transport, host, create: pulumi.output(args.newVolumeId).apply((newVolumeId) => cmd.render({ newVolumeId })), triggers: [args.restoreKey], privateKey: args.privateKey },
        { parent: this, dependsOn: previous },
      );
      this.stdout[cmd.name] = res.stdout;
      previous = [res];
    }
    this.registerOutputs({ stdout: this.stdout });
  }
}

/** Restore: the old volume tagged as replaced (kept), the database stopped, remounted on the new volume, started. */
export class EbsSwap extends Remount {
  constructor(name: string, args: RemountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:EbsSwap", name, args, opts);
  }
}

/** Rollback: the database stopped, remounted on the old volume (still attached), started. */
export class EbsRollback extends Remount {
  constructor(name: string, args: RemountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:EbsRollback", name, args, opts);
  }
}
