// Pure: ebs-snapshot's checks of the config against what the invokes read, run before any
// resource is declared (so before any service stops). Each problem is one line that names the
// config key, its value and the fix.
import { NAMESPACE, type EbsConfig, type RestoreConfig } from "../../config";
import { type EbsSnapshotChoice, restoreDevice, snapshotChoice } from "./plan";
import { type EbsInstanceInfo, type EbsSnapshotInfo, type EbsVolumeInfo, SNAPSHOTS_LOOKED_AT } from "./source";

const key = (k: string) => `${NAMESPACE}:aws.ebs.${k}`;
const fix = (k: string, value: string) => `Fix: pulumi config set --path '${key(k)}' ${value}`;

/** Largest volume per type, in GiB (io2 Block Express: 64 TiB). */
export const MAX_SIZE_GIB: Record<string, number> = { gp2: 16384, gp3: 16384, io1: 16384, io2: 65536, st1: 16384, sc1: 16384, standard: 1024 };
/** Types whose IOPS / throughput are set, not derived from the size. */
const IOPS_TYPES = ["gp3", "io1", "io2"];

/** What the restored volume is made with: the old volume's settings, overridden by config. */
export interface VolumeSpec {
  availabilityZone: string;
  snapshotId: string;
  size: number;
  type: string;
  iops?: number;
  throughput?: number;
  encrypted: boolean;
  kmsKeyId?: string;
}

export function volumeSpec(e: EbsConfig, old: EbsVolumeInfo, snap: EbsSnapshotInfo): VolumeSpec {
  const type = e.volumeType ?? old.type;
  const encrypted = old.encrypted || snap.encrypted;
  return {
    availabilityZone: old.availabilityZone,
    snapshotId: snap.id,
    // Never smaller than the volume it replaces, and never smaller than the snapshot (AWS refuses).
    size: Math.max(old.size, snap.volumeSize),
    type,
    // Only where the type takes them: gp2 reports a derived IOPS figure that AWS refuses as input.
    iops: IOPS_TYPES.includes(type) ? (e.iops ?? (old.iops || undefined)) : undefined,
    throughput: type === "gp3" ? (e.throughput ?? (old.throughput || undefined)) : undefined,
    encrypted,
    kmsKeyId: encrypted ? (old.kmsKeyId ?? snap.kmsKeyId) : undefined,
  };
}

function snapshotKey(choice: EbsSnapshotChoice): [string, string] {
  return choice.type === "id" ? ["snapshotId", choice.snapshotId] : ["snapshotBefore", choice.before];
}

/** The snapshot: found, complete, started before aws.ebs.snapshotBefore, and room in the new volume. */
export function snapshotProblems(e: EbsConfig, old: EbsVolumeInfo, snap: EbsSnapshotInfo | undefined): string[] {
  const choice = snapshotChoice(e);
  const [k, value] = snapshotKey(choice);
  if (!snap)
    return [
      `${key(k)} = ${value}: none of the newest ${SNAPSHOTS_LOOKED_AT} completed snapshots of ${old.id} started before it. ${fix("snapshotId", "<a completed snapshot id>")} (aws ec2 describe-snapshots --owner-ids self --filters Name=volume-id,Values=${old.id})`,
    ];
  const out: string[] = [];
  if (snap.state !== "completed")
    out.push(`${key(k)} = ${value}: snapshot ${snap.id} is '${snap.state}', not 'completed'; a volume made from it now would be incomplete or fail. ${choice.type === "id" ? `Wait for it, or ${fix("snapshotId", "<a completed snapshot>")}` : fix("snapshotBefore", "<another time>")}`);
  if (choice.type === "before" && !(Date.parse(snap.startTime) < Date.parse(choice.before)))
    out.push(`${key(k)} = ${value}: snapshot ${snap.id} started at ${snap.startTime}, not before it. ${fix("snapshotBefore", "<the incident time, UTC>")}`);
  const spec = volumeSpec(e, old, snap);
  const max = MAX_SIZE_GIB[spec.type];
  if (max !== undefined && spec.size > max)
    out.push(`${key(k)} = ${value}: the new volume needs ${spec.size} GiB (snapshot ${snap.volumeSize} GiB, old volume ${old.size} GiB), more than a ${spec.type} volume can hold (${max} GiB). ${fix("volumeType", "io2")}`);
  return out;
}

/** The instance and the volumes: same zone, the volume attached where config says, a free second device. */
export function placementProblems(c: RestoreConfig, e: EbsConfig, old: EbsVolumeInfo, instance: EbsInstanceInfo): string[] {
  const out: string[] = [];
  if (instance.availabilityZone !== old.availabilityZone)
    out.push(`${key("instanceId")} = ${instance.id}: the instance is in ${instance.availabilityZone}, the data volume ${old.id} in ${old.availabilityZone}; a restored volume can only be attached in its own zone. Fix: name the db host's instance and its data volume (${key("volumeId")})`);
  const at = instance.devices.find((d) => d.volumeId === old.id);
  if (!at) out.push(`${key("volumeId")} = ${old.id}: the volume is not attached to ${instance.id}. ${fix("volumeId", "<the volume attached to the db host>")}`);
  else if (at.deviceName !== e.deviceName) out.push(`${key("deviceName")} = ${e.deviceName}: ${old.id} is attached to ${instance.id} at ${at.deviceName}. ${fix("deviceName", at.deviceName)}`);
  const second = restoreDevice(e);
  const taken = instance.devices.find((d) => d.deviceName === second);
  // A re-run (or rollback, sign-off) finds the volume this restore attached there: that is fine.
  if (taken && taken.tags["delphi-restore:restored-from"] !== old.id)
    out.push(`${key("restoreDeviceName")} = ${second}: ${instance.id} already has ${taken.volumeId} attached there. ${fix("restoreDeviceName", "<a free device name, /dev/sdf../dev/sdp>")}`);
  if (c.phase === "signoff") {
    const state = old.tags["delphi-restore:state"];
    if (state !== "replaced")
      out.push(
        `${NAMESPACE}:phase = signoff: the old volume ${old.id} is tagged delphi-restore:state=${state ?? "(none)"}, not replaced: ${state ? "after a rollback the database runs on it again" : "the swap has not finished"}; sign-off would delete it. Fix: finish the restore first (pulumi config set '${NAMESPACE}:phase' restore && pulumi up), or stay rolled back.`,
      );
  }
  return out;
}
