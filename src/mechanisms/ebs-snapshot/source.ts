// What ebs-snapshot reads from AWS before it declares anything: the data volume (its zone, size,
// type, performance, encryption and tags are copied to the restored volume, never typed twice),
// the db host's instance (its zone and attached devices) and the snapshot to restore. Each read
// failure names the config key that points at the thing that could not be read.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { EbsSnapshotChoice } from "./plan";
import { orUndefined, read } from "../../aws/read";

export interface EbsVolumeInfo {
  id: string;
  availabilityZone: string;
  size: number;
  type: string;
  iops: number;
  throughput: number;
  encrypted: boolean;
  kmsKeyId?: string;
  multiAttachEnabled: boolean;
  tags: Record<string, string>;
}

export interface EbsInstanceInfo {
  id: string;
  availabilityZone: string;
  state: string;
  /** Attached EBS volumes by device name, with their tags (which say which one a restore made). */
  devices: { deviceName: string; volumeId: string; tags: Record<string, string> }[];
}

export interface EbsSnapshotInfo {
  id: string;
  state: string;
  startTime: string;
  volumeId: string;
  volumeSize: number;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** How many of the volume's newest completed snapshots aws.ebs.snapshotBefore looks through. */
export const SNAPSHOTS_LOOKED_AT = 25;

export async function readVolume(id: string, opts: pulumi.InvokeOptions): Promise<EbsVolumeInfo> {
  const v = await read("aws.ebs.volumeId", id, "the EBS volume", () => aws.ebs.getVolume({ filters: [{ name: "volume-id", values: [id] }] }, opts));
  return {
    id,
    availabilityZone: v.availabilityZone,
    size: v.size,
    type: v.volumeType,
    iops: v.iops,
    throughput: v.throughput,
    encrypted: v.encrypted,
    kmsKeyId: orUndefined(v.kmsKeyId),
    multiAttachEnabled: v.multiAttachEnabled,
    tags: v.tags ?? {},
  };
}

export async function readInstance(id: string, opts: pulumi.InvokeOptions): Promise<EbsInstanceInfo> {
  const i = await read("aws.ebs.instanceId", id, "the db host's EC2 instance", () => aws.ec2.getInstance({ instanceId: id }, opts));
  return {
    id,
    availabilityZone: i.availabilityZone,
    state: i.instanceState,
    devices: i.ebsBlockDevices.map((d) => ({ deviceName: d.deviceName, volumeId: d.volumeId, tags: d.tags ?? {} })),
  };
}

async function snapshotById(key: string, id: string, opts: pulumi.InvokeOptions): Promise<EbsSnapshotInfo> {
  const s = await read(key, id, "the EBS snapshot", () => aws.ebs.getSnapshot({ snapshotIds: [id] }, opts));
  return { id, state: s.state, startTime: s.startTime, volumeId: s.volumeId, volumeSize: s.volumeSize, encrypted: s.encrypted, kmsKeyId: orUndefined(s.kmsKeyId) };
}

/**
 * The chosen snapshot: by id, or the newest completed snapshot of the volume started before a
 * time. The data sources cannot filter on "started before", so the newest completed snapshots
 * (getSnapshotIds lists them newest first) are read one by one; undefined when none qualifies.
 */
export async function readChosenSnapshot(choice: EbsSnapshotChoice, volumeId: string, opts: pulumi.InvokeOptions): Promise<EbsSnapshotInfo | undefined> {
  if (choice.type === "id") return snapshotById("aws.ebs.snapshotId", choice.snapshotId, opts);
  const before = Date.parse(choice.before);
  const listed = await read("aws.ebs.snapshotBefore", choice.before, `the snapshots of ${volumeId}`, () =>
    aws.ebs.getSnapshotIds({ owners: ["self"], filters: [{ name: "volume-id", values: [volumeId] }, { name: "status", values: ["completed"] }] }, opts),
  );
  for (const id of listed.ids.slice(0, SNAPSHOTS_LOOKED_AT)) {
    const s = await snapshotById("aws.ebs.snapshotBefore", id, opts);
    if (Date.parse(s.startTime) < before) return s;
  }
  return undefined;
}
