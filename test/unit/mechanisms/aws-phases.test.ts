// Phases under mocks: before sign-off nothing can delete the old database; sign-off adopts it
// unchanged, then releases exactly it (with a final snapshot) while the restored one stays
// protected; rollback points both repoints back to it. And the checks against what the invokes
// read, which stop the program before any resource but the provider is declared.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { RELEASE_INPUTS, ignoreAllBut } from "../../../src/mechanisms/aws-pitr/input-keys";
import {
  NEW_CLUSTER_ENDPOINT,
  NEW_INSTANCE_ADDRESS,
  OLD_CLUSTER_ENDPOINT,
  OLD_INSTANCE_ADDRESS,
  SECRET_ARN,
  TARGET,
  asSecret,
  attemptAws,
  fakeAccount,
  rawConfig,
  runAws,
  urlAt,
  valueOf,
  type FakeAccount,
  type Recorded,
  type Run,
} from "./aws-harness";


/** An account after a finished restore: the secret points at the restored database. */
function afterRestore(kind: "cluster" | "instance"): FakeAccount {
  const account = fakeAccount();
  account.databaseUrl = urlAt(kind === "cluster" ? NEW_CLUSTER_ENDPOINT : NEW_INSTANCE_ADDRESS, 5432);
  return account;
}

/** AWS resources a destroy could delete: neither protected nor retained on delete. */
const deletable = (run: Run) =>
  run.resources
    .filter((r) => r.type.startsWith("aws:") && !(r.opts.protect === true || r.opts.retainOnDelete === true))
    .map((r) => r.name);
const names = (run: Run) => run.resources.map((r) => r.name);
const imported = (run: Run) => run.resources.filter((r) => r.importId).map((r) => `${r.name}=${r.importId}`);

describe("before sign-off nothing can delete the old database", () => {
  test.each([
    ["aurora-pitr", "restore"],
    ["aurora-pitr", "rollback"],
    ["rds-pitr", "restore"],
    ["rds-snapshot", "rollback"],
  ] as const)("%s, phase %s: the old database is not declared, and no AWS resource is deletable", async (mechanism, phase) => {
    const run = await runAws(rawConfig(mechanism, {}, { phase }));
    expect(imported(run)).toEqual([]);
    expect(run.resources.some((r) => r.props.clusterIdentifier === "delphi-prod" || r.props.identifier === "delphi-prod-db")).toBe(false);
    expect(deletable(run)).toEqual([]);
  });

  test("sign-off, first up (adopt): the old cluster and its instances are imported unchanged, still protected and retained", async () => {
    const run = await runAws(rawConfig("aurora-pitr", {}, { phase: "signoff" }), afterRestore("cluster"));
    expect(imported(run)).toEqual(["signoff-old-cluster=delphi-prod", "signoff-old-member-1=delphi-prod-1", "signoff-old-member-2=delphi-prod-2"]);
    const old = run.one("aws:rds/cluster:Cluster", "signoff-old-cluster");
    expect(old.inputs).toEqual({ clusterIdentifier: "delphi-prod", engine: "aurora-postgresql" });
    expect(old.opts).toMatchObject({ protect: true, retainOnDelete: true, ignoreChanges: ["*"] });
    for (const m of run.all("aws:rds/clusterInstance:ClusterInstance").filter((r) => r.name.startsWith("signoff")))
      expect([m.opts.protect, m.opts.retainOnDelete, m.opts.ignoreChanges, run.dependsOn(m)]).toEqual([true, true, ["*"], ["signoff-old-cluster"]]);
    expect(deletable(run)).toEqual([]);
  });
});

describe("sign-off, second up (release): exactly the old database becomes deletable, with a final snapshot", () => {
  test("aurora-pitr: only the old cluster (and its instances, which AWS deletes first) can be deleted", async () => {
    const run = await runAws(rawConfig("aurora-pitr", { releaseOld: true }, { phase: "signoff" }), afterRestore("cluster"));
    expect(deletable(run)).toEqual(["signoff-old-cluster", "signoff-old-member-1", "signoff-old-member-2"]);
    const old = run.one("aws:rds/cluster:Cluster", "signoff-old-cluster");
    expect(old.importId).toBe("delphi-prod");
    expect(old.inputs).toEqual({
      clusterIdentifier: "delphi-prod",
      engine: "aurora-postgresql",
      deletionProtection: false,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "delphi-prod-final-d4e5f6",
      deleteAutomatedBackups: false,
      applyImmediately: true,
    });
    // Every other input keeps its live value: nothing else about the old cluster changes.
    expect(old.opts.ignoreChanges).toEqual(ignoreAllBut("cluster"));
    expect(old.opts.ignoreChanges).toEqual(expect.arrayContaining(["tags", "engineVersion", "masterPassword", "vpcSecurityGroupIds", "restoreToPointInTime"]));
    for (const k of RELEASE_INPUTS) expect(old.opts.ignoreChanges).not.toContain(k);
    // The restored cluster, its instance and both snapshots stay protected and retained.
    const kept = (r: Recorded) => [r.name, r.opts.protect, r.opts.retainOnDelete];
    expect(run.resources.filter((r) => r.type.startsWith("aws:rds/") && /^(restore|snapshot)-/.test(r.name)).map(kept)).toEqual([
      ["snapshot-cluster-snapshot", true, true],
      ["restore-cluster", true, true],
      ["restore-instance-1", true, true],
    ]);
    const out = (await valueOf(pulumi.output(run.outputs))) as unknown as { signoff: { stage: string; finalSnapshotIdentifier: string; destroyTargets: string[] } };
    expect(out.signoff).toEqual({
      stage: "release",
      finalSnapshotIdentifier: "delphi-prod-final-d4e5f6",
      // (The mock monitor builds URNs from the immediate parent's type only.)
      destroyTargets: [
        expect.stringMatching(/^urn:pulumi:restore::delphi-restore::.*delphi:restore:SignOff\$aws:rds\/cluster:Cluster::signoff-old-cluster$/),
        expect.stringMatching(/^urn:pulumi:.*delphi:restore:SignOff\$aws:rds\/clusterInstance:ClusterInstance::signoff-old-member-1$/),
        expect.stringMatching(/^urn:pulumi:.*delphi:restore:SignOff\$aws:rds\/clusterInstance:ClusterInstance::signoff-old-member-2$/),
      ],
    });
  });

  test("rds-pitr: only the old instance, with deletion protection off and a final snapshot", async () => {
    const run = await runAws(rawConfig("rds-pitr", { releaseOld: true }, { phase: "signoff" }), afterRestore("instance"));
    expect(deletable(run)).toEqual(["signoff-old-instance"]);
    const old = run.one("aws:rds/instance:Instance", "signoff-old-instance");
    expect([old.importId, old.inputs]).toEqual([
      "delphi-prod-db",
      {
        identifier: "delphi-prod-db",
        instanceClass: "db.m6g.xlarge",
        engine: "postgres",
        deletionProtection: false,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: "delphi-prod-db-final-d4e5f6",
        deleteAutomatedBackups: false,
        applyImmediately: true,
      },
    ]);
    expect(old.opts.ignoreChanges).toEqual(ignoreAllBut("instance"));
    expect(run.one("aws:rds/instance:Instance", "restore-instance").opts).toMatchObject({ protect: true, retainOnDelete: true });
  });

  test("sign-off re-declares the restore unchanged: same resources as the restore phase, plus the sign-off ones", async () => {
    const restore = await runAws(rawConfig("aurora-pitr"));
    const signoff = await runAws(rawConfig("aurora-pitr", { releaseOld: true }, { phase: "signoff" }), afterRestore("cluster"));
    const added = names(signoff).filter((n) => !names(restore).includes(n));
    expect(added).toEqual(["signoff", "signoff-suffix", "signoff-old-cluster", "signoff-old-member-1", "signoff-old-member-2"]);
    expect(names(restore).filter((n) => !names(signoff).includes(n))).toEqual([]);
    // Same inputs for what the restore created, so the preview shows no change to it.
    for (const n of ["restore-cluster", "restore-instance-1", "snapshot-cluster-snapshot", "repoint-dns"])
      expect(signoff.resources.find((r) => r.name === n)?.inputs).toEqual(restore.resources.find((r) => r.name === n)?.inputs);
  });

  test("sign-off is refused while the DATABASE_URL still points at the old database (e.g. after a rollback)", async () => {
    const { message, declared } = await attemptAws(rawConfig("aurora-pitr", { releaseOld: true }, { phase: "signoff" }), fakeAccount());
    expect(declared).toEqual(["pulumi:providers:aws aws-eu-west-1"]);
    expect(message).toContain(`delphi-restore:phase = signoff: the DATABASE_URL in ${SECRET_ARN} still points at the old Aurora cluster delphi-prod (${OLD_CLUSTER_ENDPOINT})`);
  });
});

describe("rollback", () => {
  test("aurora-pitr: quiesce, point secret and DNS back at the old cluster, resume, verify; the restored cluster stays", async () => {
    const run = await runAws(rawConfig("aurora-pitr", {}, { phase: "rollback" }), afterRestore("cluster"));
    expect(run.resources.filter((r) => r.type.startsWith("delphi:")).map((r) => `${r.type} ${r.name}`)).toEqual([
      "delphi:restore:PreRestoreSnapshot snapshot",
      "delphi:restore:Restore restore",
      "delphi:restore:Quiesce rollback-quiesce",
      "delphi:restore:Rollback rollback",
      "delphi:restore:Resume rollback-resume",
      "delphi:restore:Verify rollback-verify",
    ]);
    const version = run.one("aws:secretsmanager/secretVersion:SecretVersion");
    expect([version.name, version.inputs, run.parentOf(version), run.dependsOn(version)]).toEqual([
      "rollback-database-url",
      { secretId: SECRET_ARN, secretString: asSecret(urlAt(OLD_CLUSTER_ENDPOINT, 5432)) },
      "rollback",
      ["rollback-quiesce"],
    ]);
    const record = run.one("aws:route53/record:Record");
    expect([record.name, record.inputs?.records, record.inputs?.allowOverwrite, record.opts.retainOnDelete]).toEqual(["rollback-dns", [OLD_CLUSTER_ENDPOINT], true, true]);
    expect(run.dependsOn(run.one("command:remote:Command", "rollback-resume-web-web"))).toEqual(["rollback"]);
    expect(run.one("aws:rds/cluster:Cluster", "restore-cluster").opts).toMatchObject({ protect: true, retainOnDelete: true });
    expect(names(run).filter((n) => n.startsWith("repoint") || n.startsWith("report"))).toEqual([]);
  });

  test("rds-pitr: DNS only (no secret configured) back to the old instance address", async () => {
    const run = await runAws(rawConfig("rds-pitr", { databaseUrlSecretArn: undefined }, { phase: "rollback" }), afterRestore("instance"));
    expect(run.all("aws:secretsmanager/secretVersion:SecretVersion")).toEqual([]);
    expect(run.one("aws:route53/record:Record").inputs?.records).toEqual([OLD_INSTANCE_ADDRESS]);
  });

  test("rollback does not re-check the target time (the window moved on; the restored database stays as it is)", async () => {
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const run = await runAws(rawConfig("aurora-pitr", { targetTime: old }, { phase: "rollback" }), afterRestore("cluster"));
    expect(run.one("aws:rds/cluster:Cluster").opts.protect).toBe(true);
  });
});

describe("checks against what the invokes read stop the program before any resource", () => {
  const ONLY_PROVIDER = ["pulumi:providers:aws aws-eu-west-1"];

  test("target time before the window: names the key, the value and the window; only the provider is declared", async () => {
    const target = "2020-01-01T00:00:00Z";
    const { message, declared } = await attemptAws(rawConfig("aurora-pitr", { targetTime: target }));
    expect(message).toContain(`delphi-restore:aws.targetTime = ${target} is before the earliest restorable time of Aurora cluster delphi-prod: the restorable window is `);
    expect(message).toMatch(/window is \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(UTC/);
    expect(message).toContain("AWS checks failed (1); nothing was changed:");
    expect(declared).toEqual(ONLY_PROVIDER);
  });

  test("a source without automated backups has no window", async () => {
    const account = fakeAccount();
    account.cluster.backupRetentionPeriod = 0;
    const { message, declared } = await attemptAws(rawConfig("aurora-pitr"), account);
    expect(message).toContain(`delphi-restore:aws.targetTime = ${TARGET}: Aurora cluster delphi-prod keeps no automated backups (backupRetentionPeriod 0)`);
    expect(declared).toEqual(ONLY_PROVIDER);
  });

  test("target time after the latest restorable time", async () => {
    const soon = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect((await attemptAws(rawConfig("rds-pitr", { targetTime: soon }))).message).toContain(`delphi-restore:aws.targetTime = ${soon} is after the latest restorable time of RDS instance delphi-prod-db`);
  });

  test("members of different classes and no aws.instanceClass", async () => {
    const account = fakeAccount();
    account.members["delphi-prod-2"].dbInstanceClass = "db.r6g.4xlarge";
    const { message, declared } = await attemptAws(rawConfig("aurora-pitr"), account);
    expect(message).toContain("delphi-restore:aws.instanceClass (missing): the instances of delphi-prod have different classes (db.r6g.4xlarge, db.r6g.large)");
    expect(declared).toEqual(ONLY_PROVIDER);
  });

  test("a snapshot that is not available", async () => {
    const account = fakeAccount();
    account.snapshot.status = "creating";
    expect((await attemptAws(rawConfig("rds-snapshot"), account)).message).toContain("delphi-restore:aws.snapshotIdentifier = delphi-prod-db-nightly-20261122: the snapshot is 'creating', not 'available'");
  });

  test("a source or snapshot that does not exist names the key that points at it", async () => {
    expect((await attemptAws(rawConfig("aurora-pitr", { sourceClusterIdentifier: "delphi-prd" }))).message).toBe(
      "delphi-restore:aws.sourceClusterIdentifier = delphi-prd: cannot read the Aurora cluster: DBClusterNotFoundFault: delphi-prd",
    );
    expect((await attemptAws(rawConfig("rds-snapshot", { snapshotIdentifier: "nope" }))).message).toContain("delphi-restore:aws.snapshotIdentifier = nope: cannot read the DB snapshot");
  });

  test("several problems are reported together", async () => {
    const account = fakeAccount();
    account.members["delphi-prod-2"].dbInstanceClass = "db.r6g.4xlarge";
    const { message } = await attemptAws(rawConfig("aurora-pitr", { targetTime: "2020-01-01T00:00:00Z" }), account);
    const lines = message.split("\n").filter((l) => l.startsWith("  x "));
    expect(lines.map((l) => l.split(" ")[3])).toEqual(["delphi-restore:aws.instanceClass", "delphi-restore:aws.targetTime"]);
    expect(message).toMatch(/^AWS checks failed \(2\); nothing was changed:/);
  });
});
