// The resource graph of each AWS mechanism under mocks: types in order, key inputs (source,
// restore time, copied network settings, instance class), options (protect, retainOnDelete,
// dependsOn, provider) and the secrecy of DATABASE_URL and every password.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import {
  ADMIN_PASSWORD,
  NEW_CLUSTER_ENDPOINT,
  NEW_INSTANCE_ADDRESS,
  OLD_CLUSTER_ENDPOINT,
  PASSWORD,
  SECRET_ARN,
  SSH_KEY,
  TARGET,
  asSecret,
  fakeAccount,
  rawConfig,
  runAws,
  urlAt,
  valueOf,
  type Run,
} from "./aws-harness";

const NEW_CLUSTER = "delphi-prod-eu1-restored-a1b2c3";
const PROVIDER_URN = "urn:pulumi:restore::delphi-restore::pulumi:pulumi:Stack$pulumi:providers:aws::aws-eu-west-1";

const STOPPED_AT = "2026-11-23T09:15:00Z";

/** Types and names in declaration order, without the remote commands (asserted separately). */
const graph = (run: Run) => run.resources.filter((r) => !r.type.startsWith("command:")).map((r) => `${r.type} ${r.name}`);
const aws = (run: Run) => run.resources.filter((r) => r.type.startsWith("aws:"));

describe("aurora-pitr", () => {
  test("graph: provider, suffix, snapshot, quiesce, new cluster + writer, repoint, reconcile, resume, verify, report", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    expect(graph(run)).toEqual([
      "pulumi:providers:aws aws-eu-west-1",
      "random:index/randomId:RandomId restore-suffix",
      "delphi:restore:PreRestoreSnapshot snapshot",
      "aws:rds/clusterSnapshot:ClusterSnapshot snapshot-cluster-snapshot",
      "delphi:restore:Quiesce quiesce",
      "delphi:restore:Restore restore",
      "aws:rds/cluster:Cluster restore-cluster",
      "aws:rds/clusterInstance:ClusterInstance restore-instance-1",
      "delphi:restore:Repoint repoint",
      "aws:secretsmanager/secretVersion:SecretVersion repoint-database-url",
      "aws:route53/record:Record repoint-dns",
      "delphi:restore:Reconcile reconcile",
      "delphi:restore:Resume resume",
      "delphi:restore:Verify verify",
      "delphi:restore:Report report",
    ]);
    expect(run.all("command:remote:Command").map((r) => `${r.name} <- ${run.dependsOn(r).join(",")}`)).toEqual([
      "quiesce-web-web <- snapshot",
      "quiesce-api-api <- snapshot",
      "quiesce-voice-voice <- snapshot",
      "reconcile-web-voiceai-telweb <- repoint",
      "resume-web-web <- reconcile",
      "resume-api-api <- reconcile",
      "resume-voice-voice <- reconcile",
      "verify-telweb-health <- resume",
      "verify-admin-login <- resume",
    ]);
    expect(run.dependsOn(run.one("command:local:Command", "report-write-notice"))).toEqual(["verify"]);
  });

  test("snapshot first: a protected manual cluster snapshot of the source", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    const snap = run.one("aws:rds/clusterSnapshot:ClusterSnapshot");
    expect(snap.inputs).toMatchObject({ dbClusterIdentifier: "delphi-prod", dbClusterSnapshotIdentifier: "delphi-prod-eu1-pre-restore-a1b2c3" });
    expect(snap.inputs?.tags).toMatchObject({ "delphi-restore:purpose": "pre-restore", "delphi-restore:restored-from": "delphi-prod" });
    expect([snap.opts.protect, snap.opts.retainOnDelete, run.parentOf(snap), run.dependsOn(snap)]).toEqual([true, true, "snapshot", []]);
  });

  test("new cluster: restored from the source at targetTime, settings copied from the source, protected", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    const cluster = run.one("aws:rds/cluster:Cluster");
    expect(cluster.inputs).toEqual({
      clusterIdentifier: NEW_CLUSTER,
      engine: "aurora-postgresql",
      engineVersion: "16.4",
      engineMode: "provisioned",
      dbSubnetGroupName: "delphi-db-subnets",
      vpcSecurityGroupIds: ["sg-0aaa", "sg-0bbb"],
      dbClusterParameterGroupName: "delphi-aurora-pg16",
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
      storageEncrypted: true,
      port: 5432,
      iamDatabaseAuthenticationEnabled: false,
      enabledCloudwatchLogsExports: ["postgresql"],
      backupRetentionPeriod: 7,
      restoreToPointInTime: { sourceClusterIdentifier: "delphi-prod", restoreType: "full-copy", restoreToTime: TARGET },
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${NEW_CLUSTER}-final`,
      copyTagsToSnapshot: true,
      tags: {
        team: "platform",
        "cost-center": "incident",
        "delphi-restore:deployment": "delphi-prod-eu1",
        "delphi-restore:restored-from": "delphi-prod",
        "delphi-restore:restore-point": TARGET,
      },
    });
    expect(cluster.opts).toMatchObject({ protect: true, retainOnDelete: true, ignoreChanges: ["engineVersion"] });
    expect([run.parentOf(cluster), run.dependsOn(cluster), cluster.importId]).toEqual(["restore", ["quiesce"], ""]);
  });

  test("writer like the source's instances; readers only when asked, after the writer", async () => {
    const run = await runAws(rawConfig("aurora-pitr", { readers: 2 }));
    const instances = run.all("aws:rds/clusterInstance:ClusterInstance");
    expect(instances.map((i) => [i.name, i.inputs?.identifier, i.inputs?.promotionTier, run.dependsOn(i).join(",")])).toEqual([
      ["restore-instance-1", `${NEW_CLUSTER}-1`, 0, "restore-cluster"],
      ["restore-instance-2", `${NEW_CLUSTER}-2`, 1, "restore-instance-1"],
      ["restore-instance-3", `${NEW_CLUSTER}-3`, 1, "restore-instance-1"],
    ]);
    expect(instances[0].inputs).toMatchObject({
      clusterIdentifier: NEW_CLUSTER,
      instanceClass: "db.r6g.large",
      engine: "aurora-postgresql",
      dbSubnetGroupName: "delphi-db-subnets",
      dbParameterGroupName: "delphi-aurora-inst",
      publiclyAccessible: false,
    });
    expect(instances.every((i) => i.opts.protect === true && i.opts.retainOnDelete === true)).toBe(true);
  });

  test("aws.instanceClass overrides the copied class; latest restorable time only when asked", async () => {
    const run = await runAws(rawConfig("aurora-pitr", { instanceClass: "db.r7g.2xlarge", targetTime: undefined, useLatestRestorableTime: true }));
    expect(run.one("aws:rds/clusterInstance:ClusterInstance").inputs?.instanceClass).toBe("db.r7g.2xlarge");
    expect(run.one("aws:rds/cluster:Cluster").inputs?.restoreToPointInTime).toEqual({ sourceClusterIdentifier: "delphi-prod", restoreType: "full-copy", useLatestRestorableTime: true });
    expect(run.outputs.restorePoint).toBe("latest restorable time");
  });

  test("repoint: a new secret version and a CNAME overwrite, both to the new endpoint and never deleted", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
    expect(version.inputs).toEqual({ secretId: SECRET_ARN, secretString: asSecret(urlAt(NEW_CLUSTER_ENDPOINT, 5432)) });
    expect(version.opts.retainOnDelete).toBe(true);
    expect(version.opts.additionalSecretOutputs).toContain("secretString");
    const record = run.one("aws:route53/record:Record");
    expect(record.inputs).toEqual({ zoneId: "Z0123456789ABC", name: "db.delphi.internal", type: "CNAME", ttl: 30, records: [NEW_CLUSTER_ENDPOINT], allowOverwrite: true });
    expect(record.opts.retainOnDelete).toBe(true);
    expect([run.parentOf(version), run.parentOf(record), run.dependsOn(version), run.dependsOn(record)]).toEqual(["repoint", "repoint", ["restore"], ["restore"]]);
  });

  test("every AWS resource uses the explicit provider of aws.region; the source is read with invokes", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    expect(aws(run).map((r) => r.provider?.split("::").slice(0, 4).join("::"))).toEqual(aws(run).map(() => PROVIDER_URN));
    expect(run.one("pulumi:providers:aws").inputs).toMatchObject({ region: "eu-west-1" });
    expect(run.calls.map((c) => `${c.token} ${JSON.stringify(c.inputs)}`)).toEqual([
      'aws:rds/getCluster:getCluster {"clusterIdentifier":"delphi-prod"}',
      'aws:rds/getInstance:getInstance {"dbInstanceIdentifier":"delphi-prod-1"}',
      'aws:rds/getInstance:getInstance {"dbInstanceIdentifier":"delphi-prod-2"}',
      `aws:secretsmanager/getSecretVersion:getSecretVersion {"secretId":"${SECRET_ARN}"}`,
    ]);
  });

  test("beforeSwitch: the new cluster is built while services run; quiesce waits for it", async () => {
    const run = await runAws(rawConfig("aurora-pitr", {}, { order: "beforeSwitch" }));
    expect(run.dependsOn(run.one("aws:rds/cluster:Cluster"))).toEqual(["snapshot"]);
    expect(run.dependsOn(run.one("command:remote:Command", "quiesce-web-web"))).toEqual(["restore"]);
    expect(run.dependsOn(run.one("aws:secretsmanager/secretVersion:SecretVersion"))).toEqual(["quiesce"]);
  });

  test("outputs: endpoints, restore point and window, data-loss window; report says counts are skipped", async () => {
    const run = await runAws(rawConfig("aurora-pitr"));
    const out = (await valueOf(pulumi.output(run.outputs))) as Record<string, unknown>;
    expect(out).toMatchObject({
      mechanism: "aurora-pitr",
      phase: "restore",
      source: { kind: "cluster", id: "delphi-prod", endpoint: OLD_CLUSTER_ENDPOINT, port: 5432 },
      restored: { identifier: NEW_CLUSTER, endpoint: NEW_CLUSTER_ENDPOINT, port: 5432 },
      restorePoint: TARGET,
      preRestoreSnapshot: "delphi-prod-eu1-pre-restore-a1b2c3",
      repoint: { secretVersionId: "repoint-database-url-version-id", dnsName: "db.delphi.internal" },
      dataLossWindow: { from: TARGET, to: STOPPED_AT },
      lostRows: "not counted for AWS restores (needs SQL on the old database)",
      verifyResults: { "telweb-health": "ok", "admin-login": "ok" },
    });
    const window = out.restorableWindow as { earliest: string; latest: string };
    expect(Date.parse(window.earliest)).toBeLessThan(Date.parse(TARGET));
    expect(Date.parse(window.latest)).toBeGreaterThan(Date.parse(TARGET));
    const notice = await valueOf(run.one("command:local:Command", "report-write-notice").props.stdin as pulumi.Output<string>);
    expect(notice).toContain(`between **${TARGET}** and **${STOPPED_AT}** (UTC) is not in the restored database`);
    expect(notice).toContain("Lost rows are not counted per tenant for this restore");
    expect(notice).not.toContain("No tenant's rows differ");
    expect(notice).not.toContain("| tenant |");
    // Nothing is compared, so there are no keys and no keys file.
    expect(run.resources.map((r) => r.name)).not.toContain("report-write-keys");
  });
});

describe("rds-pitr", () => {
  test("graph: DB snapshot, then one new RDS instance restored to targetTime, like the source", async () => {
    const run = await runAws(rawConfig("rds-pitr"));
    expect(aws(run).map((r) => `${r.type} ${r.name}`)).toEqual([
      "aws:rds/snapshot:Snapshot snapshot-db-snapshot",
      "aws:rds/instance:Instance restore-instance",
      "aws:secretsmanager/secretVersion:SecretVersion repoint-database-url",
      "aws:route53/record:Record repoint-dns",
    ]);
    expect(run.one("aws:rds/snapshot:Snapshot").inputs).toMatchObject({ dbInstanceIdentifier: "delphi-prod-db", dbSnapshotIdentifier: "delphi-prod-eu1-pre-restore-a1b2c3" });
    const instance = run.one("aws:rds/instance:Instance");
    expect(instance.inputs).toMatchObject({
      identifier: NEW_CLUSTER,
      instanceClass: "db.m6g.xlarge",
      engine: "postgres",
      engineVersion: "16.3",
      dbSubnetGroupName: "delphi-db-subnets",
      vpcSecurityGroupIds: ["sg-0aaa"],
      parameterGroupName: "delphi-pg16",
      port: 5432,
      multiAz: true,
      publiclyAccessible: false,
      storageType: "gp3",
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
      storageEncrypted: true,
      restoreToPointInTime: { sourceDbInstanceIdentifier: "delphi-prod-db", restoreTime: TARGET },
      deletionProtection: true,
      skipFinalSnapshot: false,
    });
    expect(instance.inputs?.snapshotIdentifier).toBeUndefined();
    expect(instance.opts).toMatchObject({ protect: true, retainOnDelete: true });
    expect(run.dependsOn(instance)).toEqual(["quiesce"]);
    expect(run.one("aws:route53/record:Record").inputs?.records).toEqual([NEW_INSTANCE_ADDRESS]);
    expect(run.calls.map((c) => c.token)).toEqual(["aws:rds/getInstance:getInstance", "aws:secretsmanager/getSecretVersion:getSecretVersion"]);
  });
});

describe("rds-snapshot", () => {
  test("graph: DB snapshot of the source, then a new instance from the named snapshot with its encryption", async () => {
    const run = await runAws(rawConfig("rds-snapshot", { instanceClass: "db.m6g.large" }));
    expect(aws(run).map((r) => r.type)).toEqual(["aws:rds/snapshot:Snapshot", "aws:rds/instance:Instance", "aws:secretsmanager/secretVersion:SecretVersion", "aws:route53/record:Record"]);
    const instance = run.one("aws:rds/instance:Instance");
    expect(instance.inputs).toMatchObject({
      snapshotIdentifier: "delphi-prod-db-nightly-20261122",
      instanceClass: "db.m6g.large",
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/3333-4444",
      vpcSecurityGroupIds: ["sg-0aaa"],
      dbSubnetGroupName: "delphi-db-subnets",
    });
    expect(instance.inputs?.restoreToPointInTime).toBeUndefined();
    expect(instance.inputs?.tags).toMatchObject({ "delphi-restore:restore-point": "2026-11-22T02:00:11Z" });
    expect(run.outputs.restorePoint).toBe("2026-11-22T02:00:11Z");
    expect(run.outputs.restorableWindow).toBeUndefined();
  });
});

describe("secrets", () => {
  const SECRETS = [PASSWORD, ADMIN_PASSWORD, SSH_KEY.split("\n")[1]];

  test.each(["aurora-pitr", "rds-pitr", "rds-snapshot"] as const)("%s: DATABASE_URL and passwords are secret wherever they appear, and in no output", async (mechanism) => {
    const run = await runAws(rawConfig(mechanism));
    const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
    expect(await pulumi.isSecret(pulumi.output(version.props.secretString))).toBe(true);
    // Every input that carries a secret value is itself a secret Output.
    const carriers: string[] = [];
    for (const r of run.resources)
      for (const [key, value] of Object.entries(r.props)) {
        const text = JSON.stringify(await valueOf(pulumi.output(value))) ?? "";
        if (SECRETS.some((s) => text.includes(s))) {
          carriers.push(`${r.name}.${key}`);
          expect(await pulumi.isSecret(pulumi.output(value)), `${r.name}.${key}`).toBe(true);
        }
      }
    expect(carriers).toContain("repoint-database-url.secretString");
    expect(carriers).toContain("verify-admin-login.stdin");
    expect(carriers).toContain("quiesce-web-web.connection");
    // No stack output is secret (so all are printed) and none contains a secret or the URL.
    for (const [key, value] of Object.entries(run.outputs)) expect(await pulumi.isSecret(pulumi.output(value)), key).toBe(false);
    const printed = JSON.stringify(await valueOf(pulumi.output(run.outputs)));
    for (const s of [...SECRETS, "postgresql://"]) expect(printed).not.toContain(s);
  });

  test("the current secret's value is read as a secret and never reaches a non-secret input", async () => {
    const account = fakeAccount();
    const run = await runAws(rawConfig("aurora-pitr"), account);
    const plain = run.resources.filter((r) => r.name !== "repoint-database-url").map((r) => JSON.stringify(r.inputs ?? {}));
    for (const text of plain) expect(text).not.toContain(PASSWORD);
  });
});

test("preview: the same graph is declared when outputs are unknown", async () => {
  const run = await runAws(rawConfig("aurora-pitr"), fakeAccount(), true);
  expect(graph(run).length).toBe(15);
  expect(run.one("aws:rds/cluster:Cluster").opts.protect).toBe(true);
});
