// Bad ebs-snapshot configs: each is rejected before anything runs, naming the key and the fix.
// And the rules that differ from the RDS mechanisms: `database` required, no repoint, spot checks allowed.
import { describe, expect, test } from "vitest";
import { parseConfig, type RawConfig } from "../../src/config";
import { expectRejected, problems } from "./fixtures/config-problems";
import { SECRET_ARN, rawConfig } from "./mechanisms/aws-harness";
import { rawEbsConfig } from "./mechanisms/ebs-fixtures";

const FUTURE = new Date(Date.now() + 3 * 86_400_000).toISOString();
const withAws = (aws: Record<string, unknown>, top: Record<string, unknown> = {}): RawConfig => {
  const raw = rawEbsConfig({}, top);
  return { ...raw, aws: { ...raw.aws, ...aws } } as RawConfig;
};

// [what, config, key, message fragment]
const BAD: [string, RawConfig, string, string | RegExp][] = [
  ["aws.ebs missing", withAws({ ebs: undefined }), "delphi-restore:aws.ebs", "is required for mechanism ebs-snapshot"],
  ["volume id malformed", rawEbsConfig({ volumeId: "vol-XYZ" }), "delphi-restore:aws.ebs.volumeId", "must be an EBS volume id such as vol-0123456789abcdef0"],
  ["volume id missing", rawEbsConfig({ volumeId: undefined }), "delphi-restore:aws.ebs.volumeId", "is required"],
  ["instance id malformed", rawEbsConfig({ instanceId: "i-12" }), "delphi-restore:aws.ebs.instanceId", "must be an EC2 instance id"],
  ["snapshot id malformed", rawEbsConfig({ snapshotId: "nightly" }), "delphi-restore:aws.ebs.snapshotId", "must be an EBS snapshot id"],
  ["no snapshot at all", rawEbsConfig({ snapshotId: undefined }), "delphi-restore:aws.ebs.snapshotId", "is required: name the snapshot to restore"],
  ["both a snapshot and a time", rawEbsConfig({ snapshotBefore: "2026-11-22T00:00:00Z" }), "delphi-restore:aws.ebs.snapshotBefore", "conflicts with aws.ebs.snapshotId"],
  ["snapshotBefore without a zone", rawEbsConfig({ snapshotId: undefined, snapshotBefore: "2026-11-22 00:00" }), "delphi-restore:aws.ebs.snapshotBefore", "must be an ISO 8601 time with a zone"],
  ["snapshotBefore in the future", rawEbsConfig({ snapshotId: undefined, snapshotBefore: FUTURE }), "delphi-restore:aws.ebs.snapshotBefore", "is in the future"],
  ["device name outside sdf..sdp", rawEbsConfig({ deviceName: "/dev/sda1" }), "delphi-restore:aws.ebs.deviceName", "must be an EBS device name /dev/sdf../dev/sdp"],
  ["restore device the same as the data device", rawEbsConfig({ restoreDeviceName: "/dev/sdf" }), "delphi-restore:aws.ebs.restoreDeviceName", "is the data volume's own device name"],
  ["mount point relative", rawEbsConfig({ mount: "srv/data" }), "delphi-restore:aws.ebs.mount", "must be an absolute path"],
  ["mount point with traversal", rawEbsConfig({ mount: "/srv/../etc" }), "delphi-restore:aws.ebs.mount", "must not contain '.' or '..' segments"],
  ["mount point with a quote", rawEbsConfig({ mount: "/srv/it's" }), "delphi-restore:aws.ebs.mount", "no spaces or quotes"],
  ["mount point is the root", rawEbsConfig({ mount: "/" }), "delphi-restore:aws.ebs.mount", "is the root folder"],
  ["fsDevice outside /dev", rawEbsConfig({ fsDevice: "/srv/disk" }), "delphi-restore:aws.ebs.fsDevice", "must be a device path under /dev"],
  ["unknown volume type", rawEbsConfig({ volumeType: "gp4" }), "delphi-restore:aws.ebs.volumeType", "must be one of gp3, gp2"],
  ["IOPS too low", rawEbsConfig({ iops: 50 }), "delphi-restore:aws.ebs.iops", "must be between 100 and 256000"],
  ["throughput on io2", rawEbsConfig({ volumeType: "io2", throughput: 500 }), "delphi-restore:aws.ebs.throughput", "applies to gp3 volumes only"],
  ["misspelt key", rawEbsConfig({ mountPoint: "/srv/data" }), "delphi-restore:aws.ebs.mountPoint", "unknown key; did you mean 'mount'?"],
  ["no database block", rawEbsConfig({}, { database: undefined }), "delphi-restore:database", "is required for mechanism ebs-snapshot"],
  ["an RDS source", withAws({ sourceInstanceIdentifier: "delphi-prod-db" }), "delphi-restore:aws.sourceInstanceIdentifier", "is read by the RDS mechanisms only"],
  ["a DATABASE_URL secret", withAws({ databaseUrlSecretArn: SECRET_ARN }), "delphi-restore:aws.databaseUrlSecretArn", "the database keeps its address"],
  ["a target time", withAws({ targetTime: "2026-01-01T00:00:00Z" }), "delphi-restore:aws.targetTime", "is read by the RDS mechanisms only"],
  ["releaseOld before sign-off", withAws({ releaseOld: true }), "delphi-restore:aws.releaseOld", "arms the deletion of the old data volume and is only allowed in phase signoff"],
  ["a reserved tag key", withAws({ tags: { "aws:owner": "me" } }), "delphi-restore:aws.tags.aws:owner", "AWS reserves"],
  ["a dump file", rawEbsConfig({}, { dump: "delphi-20261123T020000Z.dump" }), "delphi-restore:dump", "is only read by pg-restore"],
  ["aws.ebs on an RDS mechanism", { ...rawConfig("rds-pitr"), aws: { ...rawConfig("rds-pitr").aws, ebs: rawEbsConfig().aws?.ebs } } as RawConfig, "delphi-restore:aws.ebs", "is only read by ebs-snapshot"],
];

describe("bad ebs-snapshot configs are rejected with the key named", () => {
  test.each(BAD)("%s", (_what, raw, key, message) => expectRejected(raw, key, message));
});

describe("good ebs-snapshot configs", () => {
  test("the fixture parses: database required and kept, spot checks allowed, no repoint needed", () => {
    const c = parseConfig(rawEbsConfig());
    expect([c.mechanism, c.database?.host, c.verify.spotChecks.length, c.aws?.databaseUrlSecretArn, c.aws?.route53]).toEqual(["ebs-snapshot", "db", 1, undefined, undefined]);
    expect(c.aws?.ebs).toMatchObject({ deviceName: "/dev/sdf", readyTimeoutSeconds: 300 });
  });

  test("snapshotBefore instead of snapshotId, with overrides", () => {
    expect(problems(rawEbsConfig({ snapshotId: undefined, snapshotBefore: "2026-11-22T02:30:00+01:00", volumeType: "gp3", iops: 8000, throughput: 500, fsDevice: "/dev/nvme1n1", restoreDeviceName: "/dev/xvdk" }))).toEqual([]);
  });

  test("rollback and sign-off phases are accepted", () => {
    expect(problems(rawEbsConfig({}, { phase: "rollback" }))).toEqual([]);
    expect(problems(withAws({ releaseOld: true }, { phase: "signoff" }))).toEqual([]);
  });
});
