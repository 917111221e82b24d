// Bad AWS configs: each is rejected before anything runs, with a problem that names the key
// (in `pulumi config --path` form), says what is wrong and how to fix it.
import { describe, expect, test } from "vitest";
import { parseConfig, type RawConfig } from "../../src/config";
import { expectRejected, problems } from "./fixtures/config-problems";
import { SECRET_ARN, rawConfig } from "./mechanisms/aws-harness";


const FUTURE = new Date(Date.now() + 3 * 86_400_000).toISOString();

// [what, config, key, message fragment]
const BAD: [string, RawConfig, string, string | RegExp][] = [
  ["aws block missing", rawConfig("aurora-pitr", {}, { aws: undefined }), "delphi-restore:aws", "is required for mechanism aurora-pitr"],
  ["region malformed", rawConfig("aurora-pitr", { region: "eu-west" }), "delphi-restore:aws.region", "must be an AWS region such as eu-west-1"],
  ["aurora without its source cluster", rawConfig("aurora-pitr", { sourceClusterIdentifier: undefined }), "delphi-restore:aws.sourceClusterIdentifier", "is required for aurora-pitr"],
  ["source cluster id malformed", rawConfig("aurora-pitr", { sourceClusterIdentifier: "1-prod" }), "delphi-restore:aws.sourceClusterIdentifier", "must be an RDS cluster identifier"],
  ["rds-pitr without its source instance", rawConfig("rds-pitr", { sourceInstanceIdentifier: undefined }), "delphi-restore:aws.sourceInstanceIdentifier", "is required for rds-pitr"],
  ["rds-snapshot without a snapshot", rawConfig("rds-snapshot", { snapshotIdentifier: undefined }), "delphi-restore:aws.snapshotIdentifier", "is required for rds-snapshot"],
  ["rds-snapshot with a target time", rawConfig("rds-snapshot", { targetTime: "2026-01-01T00:00:00Z" }), "delphi-restore:aws.targetTime", "has no meaning for rds-snapshot"],
  ["no recovery target", rawConfig("aurora-pitr", { targetTime: undefined }), "delphi-restore:aws.targetTime", "is required: a point-in-time restore needs an explicit target"],
  ["both a time and latest", rawConfig("rds-pitr", { useLatestRestorableTime: true }), "delphi-restore:aws.useLatestRestorableTime", "conflicts with aws.targetTime"],
  ["target time in the future", rawConfig("aurora-pitr", { targetTime: FUTURE }), "delphi-restore:aws.targetTime", "is in the future"],
  ["target time without a zone", rawConfig("aurora-pitr", { targetTime: "2026-01-01 02:00" }), "delphi-restore:aws.targetTime", "must be an ISO 8601 time with a zone"],
  ["instance class malformed", rawConfig("aurora-pitr", { instanceClass: "r6g.large" }), "delphi-restore:aws.instanceClass", "must be an RDS instance class"],
  ["too many readers", rawConfig("aurora-pitr", { readers: 16 }), "delphi-restore:aws.readers", "must be between 0 and 15"],
  ["readers for an RDS instance", rawConfig("rds-pitr", { readers: 1 }), "delphi-restore:aws.readers", "applies to Aurora clusters only"],
  ["secret ARN malformed", rawConfig("aurora-pitr", { databaseUrlSecretArn: "delphi/DATABASE_URL" }), "delphi-restore:aws.databaseUrlSecretArn", "must be a Secrets Manager secret ARN"],
  ["secret in another region", rawConfig("aurora-pitr", { databaseUrlSecretArn: SECRET_ARN.replace("eu-west-1", "us-east-1") }), "delphi-restore:aws.databaseUrlSecretArn", "is in region us-east-1 but aws.region is eu-west-1"],
  ["no repoint at all", rawConfig("aurora-pitr", { databaseUrlSecretArn: undefined, route53: undefined }), "delphi-restore:aws", "needs a repoint"],
  ["zone id malformed", rawConfig("aurora-pitr", { route53: { zoneId: "zone-1", name: "db.delphi.internal" } }), "delphi-restore:aws.route53.zoneId", "must be a Route53 hosted zone id"],
  ["TTL too short", rawConfig("aurora-pitr", { route53: { zoneId: "Z0123456789ABC", name: "db.delphi.internal", ttl: 1 } }), "delphi-restore:aws.route53.ttl", "must be between 5 and 86400 seconds"],
  ["DNS name malformed", rawConfig("aurora-pitr", { route53: { zoneId: "Z0123456789ABC", name: "db..internal" } }), "delphi-restore:aws.route53.name", "must be a DNS name"],
  ["misspelt key", rawConfig("aurora-pitr", { targetTme: "2026-01-01T00:00:00Z" }), "delphi-restore:aws.targetTme", "unknown key; did you mean 'targetTime'?"],
  ["instance id on aurora", rawConfig("aurora-pitr", { sourceInstanceIdentifier: "delphi-prod-db" }), "delphi-restore:aws.sourceInstanceIdentifier", "is for rds-pitr/rds-snapshot"],
  ["cluster id on rds-pitr", rawConfig("rds-pitr", { sourceClusterIdentifier: "delphi-prod" }), "delphi-restore:aws.sourceClusterIdentifier", "is for aurora-pitr; rds-pitr reads aws.sourceInstanceIdentifier"],
  ["snapshot on a point-in-time restore", rawConfig("rds-pitr", { snapshotIdentifier: "nightly" }), "delphi-restore:aws.snapshotIdentifier", "is only read by rds-snapshot"],
  ["releaseOld before sign-off", rawConfig("aurora-pitr", { releaseOld: true }), "delphi-restore:aws.releaseOld", "is only allowed in phase signoff (phase is restore)"],
  ["releaseOld not a boolean", rawConfig("aurora-pitr", { releaseOld: "yes" }, { phase: "signoff" }), "delphi-restore:aws.releaseOld", "must be true or false"],
  ["a reserved tag key", rawConfig("rds-pitr", { tags: { "aws:owner": "me" } }), "delphi-restore:aws.tags.aws:owner", "AWS reserves"],
  ["unknown phase", rawConfig("aurora-pitr", {}, { phase: "destroy" }), "delphi-restore:phase", "must be one of restore, rollback, signoff"],
  ["a self-managed database block", rawConfig("aurora-pitr", {}, { database: { host: "web", user: "delphi", name: "delphi" } }), "delphi-restore:database", "is only read by pg-restore"],
  [
    "SQL spot checks, which AWS cannot run",
    rawConfig("rds-pitr", {}, { verify: { spotChecks: [{ name: "known", sql: "select 1", expect: "1" }] } }),
    "delphi-restore:verify.spotChecks",
    "run SQL inside the self-managed Postgres container",
  ],
  ["a dump file", rawConfig("rds-snapshot", {}, { dump: "delphi-20261123T020000Z.dump" }), "delphi-restore:dump", "is only read by pg-restore"],
  ["an aws block on pg-restore", { ...rawConfig("aurora-pitr"), mechanism: "pg-restore" } as RawConfig, "delphi-restore:aws", "is only read by the AWS mechanisms"],
];

describe("bad AWS configs are rejected with the key named", () => {
  test(`at least 15 cases (${BAD.length})`, () => {
    expect(BAD.length).toBeGreaterThanOrEqual(15);
  });

  test.each(BAD)("%s", (_what, raw, key, message) => expectRejected(raw, key, message));
});

describe("good AWS configs", () => {
  test.each(["aurora-pitr", "rds-pitr", "rds-snapshot"] as const)("%s parses, with defaults", (mechanism) => {
    const c = parseConfig(rawConfig(mechanism, { route53: { zoneId: "Z0123456789ABC", name: "db.delphi.internal." } }));
    expect(c.aws).toMatchObject({ region: "eu-west-1", readers: 0, releaseOld: false, useLatestRestorableTime: false, route53: { ttl: 60 } });
    expect(c.phase).toBe("restore");
  });

  test("releaseOld in phase signoff, latest restorable time when asked", () => {
    const c = parseConfig(rawConfig("aurora-pitr", { releaseOld: true, targetTime: undefined, useLatestRestorableTime: true }, { phase: "signoff" }));
    expect([c.phase, c.aws?.releaseOld, c.aws?.useLatestRestorableTime]).toEqual(["signoff", true, true]);
  });

  test("every problem is reported at once", () => {
    const found = problems(rawConfig("rds-pitr", { readers: 2, snapshotIdentifier: "nightly", releaseOld: true, databaseUrlSecretArn: SECRET_ARN.replace("eu-west-1", "us-east-2") }));
    expect(found.map((p) => p.key).sort()).toEqual([
      "delphi-restore:aws.databaseUrlSecretArn",
      "delphi-restore:aws.readers",
      "delphi-restore:aws.releaseOld",
      "delphi-restore:aws.snapshotIdentifier",
    ]);
  });
});
