// The pure half of the AWS mechanisms: plan order per phase and order, names, the DATABASE_URL
// rewrite and the checks against what the invokes read. No Pulumi runtime involved.
import { describe, expect, test } from "vitest";
import { parseConfig } from "../../../src/config";
import {
  EARLIEST_MARGIN_HOURS,
  chooseInstanceClass,
  latestTimeProblem,
  restorableWindow,
  signoffProblem,
  snapshotProblem,
  targetTimeProblem,
} from "../../../src/mechanisms/aws-pitr/checks";
import { databaseUrlTarget, withHostPort } from "../../../src/mechanisms/aws-pitr/database-url";
import { finalSnapshotIdentifier, memberIdentifier, preRestoreSnapshotIdentifier, rdsBase, restoredIdentifier } from "../../../src/mechanisms/aws-pitr/names";
import { planAws, recoveryOf, utcSecond } from "../../../src/mechanisms/aws-pitr/plan";
import type { SourceDb } from "../../../src/mechanisms/aws-pitr/source";
import { OLD_CLUSTER_ENDPOINT, PASSWORD, TARGET, rawConfig, urlAt } from "./aws-harness";

const names = (c: Parameters<typeof rawConfig>) => planAws(parseConfig(rawConfig(...c))).steps.map((s) => s.name);

describe("planAws: step order", () => {
  test("default order is the runbook's: snapshot, quiesce, restore, repoint, reconcile, resume, verify, report", () => {
    expect(names(["aurora-pitr"])).toEqual(["snapshot", "quiesce", "restore", "repoint", "reconcile", "resume", "verify", "report"]);
  });

  test("beforeSwitch restores first and stops services only for the switch", () => {
    const plan = planAws(parseConfig(rawConfig("rds-pitr", {}, { order: "beforeSwitch" })));
    expect(plan.steps.map((s) => s.name)).toEqual(["snapshot", "restore", "quiesce", "repoint", "reconcile", "resume", "verify", "report"]);
    expect(plan.downtime).toMatch(/^switch time/);
  });

  test("rollback keeps the snapshot and restored database, then quiesces, repoints back, resumes and verifies under new names", () => {
    const plan = planAws(parseConfig(rawConfig("aurora-pitr", {}, { phase: "rollback" })));
    expect(plan.steps.map((s) => [s.step, s.name])).toEqual([
      ["snapshot", "snapshot"],
      ["restore", "restore"],
      ["quiesce", "rollback-quiesce"],
      ["rollback", "rollback"],
      ["resume", "rollback-resume"],
      ["verify", "rollback-verify"],
    ]);
    expect(plan.steps[3].does).toEqual([
      `new version of secret ${rawConfig("aurora-pitr").aws?.databaseUrlSecretArn}: DATABASE_URL with host and port of the old Aurora cluster delphi-prod (a secret; user and password kept)`,
      "Route53 CNAME db.delphi.internal in Z0123456789ABC -> the old Aurora cluster delphi-prod (TTL 30s, overwrites the existing record)",
    ]);
  });

  test("sign-off re-declares the whole restore unchanged and adds one sign-off step, adopt first, release on request", () => {
    const adopt = planAws(parseConfig(rawConfig("aurora-pitr", {}, { phase: "signoff" })));
    expect(adopt.steps.map((s) => s.name)).toEqual(["snapshot", "quiesce", "restore", "repoint", "reconcile", "resume", "verify", "report", "signoff"]);
    expect(adopt.signoffStage).toBe("adopt");
    expect(adopt.stops).toEqual([]);
    expect(adopt.steps.at(-1)?.does).toEqual(["adopt the old Aurora cluster delphi-prod and its instances (import, no change; still protected and kept on destroy)"]);
    const release = planAws(parseConfig(rawConfig("rds-pitr", { releaseOld: true }, { phase: "signoff" })));
    expect(release.signoffStage).toBe("release");
    expect(release.steps.at(-1)?.does[0]).toBe("old RDS instance delphi-prod-db: deletion protection off, final snapshot delphi-prod-db-final-<random> on delete, automated backups kept");
  });

  test("remote steps reuse the self-managed commands; AWS steps describe their resources", () => {
    const plan = planAws(parseConfig(rawConfig("aurora-pitr", { readers: 2, instanceClass: "db.r6g.xlarge" })));
    const by = Object.fromEntries(plan.steps.map((s) => [s.name, s]));
    expect(by.quiesce.commands.map((c) => c.name)).toEqual(["web-web", "api-api", "voice-voice"]);
    expect(by.quiesce.commands[0].render({ stamp: "", snapshotPath: "", restorePoint: "", resumedAt: "" })).toContain("cd /opt/services/web && docker compose stop");
    expect(by.restore.commands).toEqual([]);
    expect(by.restore.does).toEqual([
      `new Aurora cluster delphi-prod-eu1-restored-<random> restored from delphi-prod at ${TARGET}, with the source's engine, version, subnet group, security groups, parameter group, KMS key, port and tags`,
      "writer instance delphi-prod-eu1-restored-<random>-1 (db.r6g.xlarge)",
      "2 reader instance(s) delphi-prod-eu1-restored-<random>-2.. of the same class",
      "deletion protection on; protected and kept on destroy",
    ]);
    expect(by.snapshot.does).toEqual(["manual cluster snapshot delphi-prod-eu1-pre-restore-<random> of Aurora cluster delphi-prod (protected, kept on destroy)"]);
    const fromSnapshot = planAws(parseConfig(rawConfig("rds-snapshot"))).steps.find((s) => s.step === "restore");
    expect(fromSnapshot?.does.slice(0, 2)).toEqual([
      "new RDS instance delphi-prod-eu1-restored-<random> restored from snapshot delphi-prod-db-nightly-20261122 (its encryption), with delphi-prod-db's engine, version, subnet group, security groups, parameter group, port and tags",
      "instance class of the source instance",
    ]);
  });

  test("recovery: a time (normalised to UTC seconds), latest only when asked, or a named snapshot", () => {
    expect(recoveryOf(parseConfig(rawConfig("aurora-pitr", { targetTime: "2026-01-10T03:30:00.250+02:00" })))).toEqual({ type: "time", time: "2026-01-10T01:30:00Z" });
    expect(recoveryOf(parseConfig(rawConfig("rds-pitr", { targetTime: undefined, useLatestRestorableTime: true })))).toEqual({ type: "latest" });
    expect(recoveryOf(parseConfig(rawConfig("rds-snapshot")))).toEqual({ type: "snapshot", snapshotId: "delphi-prod-db-nightly-20261122" });
  });
});

describe("names", () => {
  test("deployment names fold into the RDS identifier alphabet", () => {
    expect(rdsBase("Delphi_Prod.EU1")).toBe("delphi-prod-eu1");
    expect(rdsBase("9lives")).toBe("d-9lives");
    expect(rdsBase("a__b..c")).toBe("a-b-c");
  });

  test("identifiers of one restore share the suffix and fit RDS limits", () => {
    expect(restoredIdentifier("delphi-prod-eu1", "a1b2c3", "cluster")).toBe("delphi-prod-eu1-restored-a1b2c3");
    expect(memberIdentifier("delphi-prod-eu1-restored-a1b2c3", 0)).toBe("delphi-prod-eu1-restored-a1b2c3-1");
    expect(preRestoreSnapshotIdentifier("delphi-prod-eu1", "a1b2c3")).toBe("delphi-prod-eu1-pre-restore-a1b2c3");
    expect(finalSnapshotIdentifier("delphi-prod", "d4e5f6")).toBe("delphi-prod-final-d4e5f6");
    const long = restoredIdentifier("x".repeat(70), "a1b2c3", "cluster");
    expect(long).toBe(`${"x".repeat(44)}-restored-a1b2c3`);
    expect(long.length).toBe(60);
    expect(memberIdentifier(long, 15).length).toBeLessThanOrEqual(63);
    expect(restoredIdentifier(`${"y".repeat(45)}-z`, "a1b2c3", "instance")).toMatch(/^y{45}-z-restored-a1b2c3$/);
    expect(restoredIdentifier(`${"y".repeat(46)}-z`, "a1b2c3", "cluster")).not.toMatch(/--/);
  });
});

describe("DATABASE_URL rewrite", () => {
  test("only host and port change; user, password, database and options are kept", () => {
    expect(withHostPort(urlAt(OLD_CLUSTER_ENDPOINT, 5432), "new.example.com", 6432)).toBe(`postgresql://delphi:${PASSWORD}@new.example.com:6432/delphi?sslmode=require`);
    expect(withHostPort("postgres://u:p%40ss@old:5432", "new", 5432)).toBe("postgres://u:p%40ss@new:5432");
    expect(withHostPort("postgresql://u@[::1]/db", "new", 5433)).toBe("postgresql://u@new:5433/db");
  });

  test("reads the host a URL points at (default port 5432)", () => {
    expect(databaseUrlTarget(`postgresql://u:p@${OLD_CLUSTER_ENDPOINT.toUpperCase()}/db`)).toEqual({ host: OLD_CLUSTER_ENDPOINT, port: 5432 });
  });

  test("errors never contain the value", () => {
    for (const bad of [`mysql://delphi:${PASSWORD}@h/db`, `postgresql://delphi:${PASSWORD}@h1,h2/db`, PASSWORD]) {
      let message = "";
      try {
        withHostPort(bad, "new", 5432);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/does not hold a postgres/);
      expect(message).not.toContain(PASSWORD);
    }
  });
});

const NOW = Date.parse("2026-11-23T12:00:00Z");
const cluster = (over: Partial<SourceDb> = {}): SourceDb => ({
  kind: "cluster",
  id: "delphi-prod",
  endpoint: OLD_CLUSTER_ENDPOINT,
  port: 5432,
  engine: "aurora-postgresql",
  engineVersion: "16.4",
  securityGroups: [],
  storageEncrypted: true,
  tags: {},
  backupRetentionPeriod: 7,
  iamAuth: false,
  logExports: [],
  members: [{ id: "m1", instanceClass: "db.r6g.large", publiclyAccessible: false }],
  ...over,
});

describe("checks against the source", () => {
  test("the restorable window comes from the retention period, with a margin per kind", () => {
    expect(restorableWindow("cluster", 7, NOW)).toEqual({ earliest: "2026-11-16T13:00:00Z", latest: "2026-11-23T11:55:00Z" });
    expect(restorableWindow("instance", 7, NOW)).toEqual({ earliest: "2026-11-17T12:00:00Z", latest: "2026-11-23T11:55:00Z" });
    expect(EARLIEST_MARGIN_HOURS).toEqual({ cluster: 1, instance: 24 });
    expect(restorableWindow("cluster", 0, NOW)).toBeUndefined();
  });

  test("a target inside the window passes; outside, the message names the key, the value and the window", () => {
    expect(targetTimeProblem("2026-11-20T02:00:00Z", cluster(), NOW)).toBeUndefined();
    const early = targetTimeProblem("2026-11-10T02:00:00Z", cluster(), NOW);
    expect(early).toContain("delphi-restore:aws.targetTime = 2026-11-10T02:00:00Z is before the earliest restorable time of Aurora cluster delphi-prod");
    expect(early).toContain("2026-11-16T13:00:00Z .. 2026-11-23T11:55:00Z");
    expect(targetTimeProblem("2026-11-23T11:58:00Z", cluster(), NOW)).toContain("is after the latest restorable time");
    expect(targetTimeProblem("2026-11-24T00:00:00Z", cluster(), NOW)).toContain("is in the future");
    expect(targetTimeProblem("2026-11-20T02:00:00Z", cluster({ backupRetentionPeriod: 0 }), NOW)).toContain("delphi-restore:aws.targetTime = 2026-11-20T02:00:00Z: Aurora cluster delphi-prod keeps no automated backups");
    expect(latestTimeProblem(cluster({ backupRetentionPeriod: 0 }))).toContain("delphi-restore:aws.useLatestRestorableTime = true");
    expect(latestTimeProblem(cluster())).toBeUndefined();
  });

  test("the instance class: configured, else the members' one class; never a guess", () => {
    expect(chooseInstanceClass("db.r7g.large", cluster())).toEqual({ instanceClass: "db.r7g.large" });
    expect(chooseInstanceClass(undefined, cluster())).toEqual({ instanceClass: "db.r6g.large" });
    const mixed = chooseInstanceClass(undefined, cluster({ members: [{ id: "a", instanceClass: "db.r6g.large", publiclyAccessible: false }, { id: "b", instanceClass: "db.r6g.xlarge", publiclyAccessible: false }] }));
    expect(mixed).toEqual({ problem: expect.stringContaining("delphi-restore:aws.instanceClass (missing): the instances of delphi-prod have different classes (db.r6g.large, db.r6g.xlarge)") });
    expect(chooseInstanceClass(undefined, cluster({ members: [] }))).toEqual({ problem: expect.stringContaining("has no instances to copy the class from") });
    expect(chooseInstanceClass(undefined, cluster({ members: [{ id: "s", instanceClass: "db.serverless", publiclyAccessible: false }] }))).toEqual({ problem: expect.stringContaining("Serverless v2") });
    expect(chooseInstanceClass(undefined, cluster({ kind: "instance", instanceClass: "db.m6g.large", members: [] }))).toEqual({ instanceClass: "db.m6g.large" });
  });

  test("the snapshot must be available and of the source's engine", () => {
    const snap = { id: "s1", createdAt: "2026-11-22T02:00:00Z", engine: "aurora-postgresql", status: "available", encrypted: true };
    expect(snapshotProblem(snap, cluster())).toBeUndefined();
    expect(snapshotProblem({ ...snap, status: "creating" }, cluster())).toBe(
      "delphi-restore:aws.snapshotIdentifier = s1: the snapshot is 'creating', not 'available'. Fix: pulumi config set --path 'delphi-restore:aws.snapshotIdentifier' <an available snapshot of delphi-prod>",
    );
    expect(snapshotProblem({ ...snap, engine: "mysql" }, cluster())).toContain("the snapshot's engine is mysql, the source instance delphi-prod runs aurora-postgresql");
  });

  test("sign-off is refused while the DATABASE_URL still points at the old database", () => {
    expect(signoffProblem({ host: OLD_CLUSTER_ENDPOINT, port: 5432 }, cluster(), "arn:x")).toContain("delphi-restore:phase = signoff: the DATABASE_URL in arn:x still points at the old Aurora cluster delphi-prod");
    expect(signoffProblem({ host: "new.example.com", port: 5432 }, cluster(), "arn:x")).toBeUndefined();
  });

  test("utcSecond drops milliseconds and keeps Z", () => {
    expect(utcSecond(Date.parse("2026-11-23T12:00:00.999+01:00"))).toBe("2026-11-23T11:00:00Z");
  });
});
