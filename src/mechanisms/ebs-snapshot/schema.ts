// The config of mechanism ebs-snapshot (a leaf: zod and the field builders only): its name and
// the aws.ebs block (the db host's data volume and the snapshot to put under the database).
import { z } from "zod";
import { absPath, isoTime, seconds } from "../../config/fields";

export const EBS_SNAPSHOT_NAMES = ["ebs-snapshot"] as const;

// Device names AWS recommends for data volumes on Linux instances (sd[f-p], or xvd[f-p] on Xen).
const EBS_DEVICE_RE = /^\/dev\/(?:sd[f-p]|xvd[f-p])$/;
export const EBS_VOLUME_TYPES = ["gp3", "gp2", "io2", "io1", "st1", "sc1", "standard"] as const;

const ebsDevice = (what: string) =>
  z.string({ error: `must be the device name ${what}, e.g. /dev/sdf` }).regex(EBS_DEVICE_RE, { error: "must be an EBS device name /dev/sdf../dev/sdp or /dev/xvdf../dev/xvdp" });

/** ebs-snapshot: the db host's data volume and the snapshot to put under the database. */
export const ebsSchema = z.strictObject({
  volumeId: z.string({ error: "must be the EBS volume id of the database's data volume" }).regex(/^vol-[0-9a-f]{8,17}$/, { error: "must be an EBS volume id such as vol-0123456789abcdef0" }),
  instanceId: z.string({ error: "must be the EC2 instance id of the db host" }).regex(/^i-[0-9a-f]{8,17}$/, { error: "must be an EC2 instance id such as i-0123456789abcdef0" }),
  snapshotId: z.string({ error: "must be the EBS snapshot id to restore" }).regex(/^snap-[0-9a-f]{8,17}$/, { error: "must be an EBS snapshot id such as snap-0123456789abcdef0" }).optional(),
  /** Instead of snapshotId: the newest completed snapshot of volumeId started before this time. */
  snapshotBefore: isoTime("newest snapshot to take").optional(),
  deviceName: ebsDevice("the data volume is attached at"),
  /** Where the restored volume is attached (both stay attached until sign-off); default: the next letter. */
  restoreDeviceName: ebsDevice("to attach the restored volume at").optional(),
  mount: absPath("data volume's mount point on the db host"),
  /** The block device the host sees for the data volume (NVMe hosts: /dev/nvme1n1); default deviceName. */
  fsDevice: absPath("data volume's block device on the db host").refine((p) => p.startsWith("/dev/"), { error: "must be a device path under /dev, e.g. /dev/nvme1n1" }).optional(),
  volumeType: z.enum(EBS_VOLUME_TYPES, { error: `must be one of ${EBS_VOLUME_TYPES.join(", ")}` }).optional(),
  iops: z.number({ error: "must be a number of IOPS" }).int({ error: "must be a whole number" }).min(100, { error: "must be between 100 and 256000" }).max(256000, { error: "must be between 100 and 256000" }).optional(),
  throughput: z.number({ error: "must be a throughput in MiB/s" }).int({ error: "must be a whole number" }).min(125, { error: "must be between 125 and 2000 MiB/s" }).max(2000, { error: "must be between 125 and 2000 MiB/s" }).optional(),
  /** How long the database may take to accept connections after the remount. */
  readyTimeoutSeconds: seconds("the database to accept connections after the remount", 3600).default(300),
});

export type EbsConfig = z.output<typeof ebsSchema>;
