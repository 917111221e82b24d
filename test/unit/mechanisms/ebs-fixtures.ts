// Shared by the ebs-snapshot tests: the fake account's EC2 side (the db host's instance, its data
// volume, the volume's snapshots), how the fake answers EC2/EBS invokes, and a valid raw config.
import type { RawConfig } from "../../../src/config";
import { HOST_KEY } from "../fixtures/pg-config";

export const OLD_VOLUME = "vol-0aaa1111bbbb2222c";
export const INSTANCE = "i-0123456789abcdef0";
export const NIGHTLY = "snap-0ab12cd34ef567890";
export const NEWER = "snap-0ab12cd34ef567891";
export const OLDER = "snap-0ab12cd34ef567892";
/** The id the fake account gives the restored volume. */
export const NEW_VOLUME = "vol-0fedcba9876543210";
export const PRE_RESTORE_SNAPSHOT = "snap-0ffff0000eeee1111";
export const KMS = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222";
export const MOUNT = "/srv/postgres-data";

export interface FakeEbs {
  volume: Record<string, unknown> & { tags: Record<string, string> };
  instance: Record<string, unknown> & { ebsBlockDevices: { deviceName: string; volumeId: string; tags: Record<string, string> }[] };
  snapshots: (Record<string, unknown> & { snapshotId: string; startTime: string; state: string })[];
}

export function fakeEbs(): FakeEbs {
  const snap = (snapshotId: string, startTime: string) => ({ snapshotId, startTime, state: "completed", volumeId: OLD_VOLUME, volumeSize: 500, encrypted: true, kmsKeyId: KMS });
  return {
    volume: {
      volumeId: OLD_VOLUME,
      availabilityZone: "eu-west-1a",
      size: 400,
      volumeType: "gp3",
      iops: 6000,
      throughput: 250,
      encrypted: true,
      kmsKeyId: KMS,
      multiAttachEnabled: false,
      tags: { Name: "delphi-db-data", team: "platform", "aws:cloudformation:stack-name": "legacy" },
    },
    instance: { instanceId: INSTANCE, availabilityZone: "eu-west-1a", instanceState: "running", ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeId: OLD_VOLUME, tags: {} }] },
    snapshots: [snap(OLDER, "2026-11-21T02:00:05Z"), snap(NIGHTLY, "2026-11-22T02:00:05Z"), snap(NEWER, "2026-11-23T02:00:05Z")],
  };
}

/** Invoke errors arrive from the engine as gRPC errors; the SDK reads their `details`. */
export const notFound = (message: string) => Object.assign(new Error(message), { details: message });

const filterValue = (inputs: Record<string, unknown>, name: string) => (inputs.filters as { name: string; values: string[] }[] | undefined)?.find((f) => f.name === name)?.values[0];

/** The fake's answer to an EC2/EBS invoke; undefined for any other token. */
export function ebsCall(ebs: FakeEbs, token: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
  switch (token) {
    case "aws:ebs/getVolume:getVolume": {
      const id = filterValue(inputs, "volume-id");
      if (id !== ebs.volume.volumeId) throw notFound("Your query returned no results. Please change your search criteria and try again.");
      return { ...ebs.volume, id, arn: `arn:aws:ec2:eu-west-1:123456789012:volume/${id}` };
    }
    case "aws:ec2/getInstance:getInstance":
      if (inputs.instanceId !== ebs.instance.instanceId) throw notFound(`InvalidInstanceID.NotFound: The instance ID '${String(inputs.instanceId)}' does not exist`);
      return { ...ebs.instance, id: inputs.instanceId };
    case "aws:ebs/getSnapshot:getSnapshot": {
      const id = (inputs.snapshotIds as string[])[0];
      const s = ebs.snapshots.find((x) => x.snapshotId === id);
      if (!s) throw notFound(`InvalidSnapshot.NotFound: The snapshot '${id}' does not exist.`);
      return { ...s, id };
    }
    case "aws:ebs/getSnapshotIds:getSnapshotIds": {
      const volume = filterValue(inputs, "volume-id");
      const status = filterValue(inputs, "status");
      const ids = ebs.snapshots
        .filter((s) => s.volumeId === volume && (!status || s.state === status))
        .sort((a, b) => b.startTime.localeCompare(a.startTime))
        .map((s) => s.snapshotId);
      return { id: "eu-west-1", ids };
    }
    default:
      return undefined;
  }
}

/** A complete, valid raw ebs-snapshot config; `aws.ebs` and top-level keys can be overridden. */
export function rawEbsConfig(ebs: Record<string, unknown> = {}, top: Record<string, unknown> = {}): RawConfig {
  return {
    mechanism: "ebs-snapshot",
    deployment: "delphi-prod-eu1",
    hosts: {
      web: { address: "10.0.1.10", user: "deploy", role: "web", services: ["web"], hostKey: HOST_KEY },
      api: { address: "10.0.1.11", user: "deploy", role: "api", services: ["api"], hostKey: HOST_KEY },
      db: { address: "10.0.1.20", user: "deploy", role: "db", services: ["postgres"], hostKey: HOST_KEY },
    },
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    adminPassword: "admin-Pw-71!",
    database: { host: "db", user: "delphi", name: "delphi" },
    verify: {
      telwebUrl: "https://telweb.internal.example/health",
      spotChecks: [{ name: "tenants", sql: "select count(*) > 0 from tenants", expect: "t" }],
    },
    transport: "pulumi-command",
    aws: {
      region: "eu-west-1",
      tags: { "cost-center": "incident" },
      ebs: { volumeId: OLD_VOLUME, instanceId: INSTANCE, snapshotId: NIGHTLY, deviceName: "/dev/sdf", mount: MOUNT, ...ebs },
    },
    ...top,
  } as RawConfig;
}
