// Cross-field rules of mechanism aws-pitr (aurora-pitr, rds-pitr, rds-snapshot): the source and
// the recovery target each name needs, the repoint, and the keys the others read. A leaf below
// src/config: it imports only src/config's schema, problems and the shared aws-block rules.
import { awsTagAndReleaseChecks } from "../../config/aws-block";
import type { MechanismConfig } from "../../config/mechanism-config";
import type { AddProblem } from "../../config/problems";
import { NAMESPACE, type ParsedConfig } from "../../config/schema";
import { AWS_PITR_NAMES } from "./schema";

type AwsBlock = NonNullable<ParsedConfig["aws"]>;

const rm = (key: string) => `remove it: pulumi config rm --path '${NAMESPACE}:${key}'`;

/** An aws.ebs block would be silently ignored: it is ebs-snapshot's. */
function notForEbs(c: ParsedConfig, a: AwsBlock, add: AddProblem): void {
  if (a.ebs) add(["aws", "ebs"], `is only read by ebs-snapshot; ${c.mechanism} restores an RDS database`, rm("aws.ebs"), "{...}");
}

function awsChecks(c: ParsedConfig, add: AddProblem): void {
  if (c.aws) sourceAndTargetChecks(c, c.aws, add);
  if (c.dump) add(["dump"], "is only read by pg-restore", `remove it: pulumi config rm '${NAMESPACE}:dump'`, c.dump);
}

/** The source and recovery target each name needs, and the repoint. */
function sourceAndTargetChecks(c: ParsedConfig, a: AwsBlock, add: AddProblem): void {
  if (c.mechanism === "aurora-pitr" && !a.sourceClusterIdentifier)
    add(["aws", "sourceClusterIdentifier"], "is required for aurora-pitr: the cluster to restore from", `pulumi config set --path '${NAMESPACE}:aws.sourceClusterIdentifier' <cluster-id>`);
  if (c.mechanism === "rds-pitr" && !a.sourceInstanceIdentifier)
    add(["aws", "sourceInstanceIdentifier"], "is required for rds-pitr: the instance to restore from", `pulumi config set --path '${NAMESPACE}:aws.sourceInstanceIdentifier' <instance-id>`);
  if (c.mechanism === "rds-snapshot") {
    if (!a.snapshotIdentifier) add(["aws", "snapshotIdentifier"], "is required for rds-snapshot: the snapshot to restore", `pulumi config set --path '${NAMESPACE}:aws.snapshotIdentifier' <snapshot-id>`);
    if (!a.sourceInstanceIdentifier) add(["aws", "sourceInstanceIdentifier"], "is required for rds-snapshot: the instance the services use now (snapshotted first, and the rollback target)", `pulumi config set --path '${NAMESPACE}:aws.sourceInstanceIdentifier' <instance-id>`);
    if (a.targetTime || a.useLatestRestorableTime) add(["aws", a.targetTime ? "targetTime" : "useLatestRestorableTime"], "has no meaning for rds-snapshot (the snapshot fixes the restore point)", `remove it: pulumi config rm --path '${NAMESPACE}:aws.${a.targetTime ? "targetTime" : "useLatestRestorableTime"}'`, a.targetTime ?? a.useLatestRestorableTime);
  }
  if (c.mechanism !== "rds-snapshot") {
    if (a.targetTime && a.useLatestRestorableTime)
      add(["aws", "useLatestRestorableTime"], "conflicts with aws.targetTime: choose one recovery target", `remove one: pulumi config rm --path '${NAMESPACE}:aws.useLatestRestorableTime'`, true);
    if (!a.targetTime && !a.useLatestRestorableTime)
      add(["aws", "targetTime"], "is required: a point-in-time restore needs an explicit target (the latest restorable time is used only when asked for with aws.useLatestRestorableTime: true)", `pulumi config set --path '${NAMESPACE}:aws.targetTime' 2026-11-23T02:00:00Z`);
  }
  if (c.mechanism === "aurora-pitr" && a.sourceInstanceIdentifier)
    add(["aws", "sourceInstanceIdentifier"], "is for rds-pitr/rds-snapshot; aurora-pitr reads aws.sourceClusterIdentifier", `remove it: pulumi config rm --path '${NAMESPACE}:aws.sourceInstanceIdentifier'`, a.sourceInstanceIdentifier);
  if (c.mechanism !== "aurora-pitr" && a.readers > 0)
    add(["aws", "readers"], "applies to Aurora clusters only", `remove it: pulumi config rm --path '${NAMESPACE}:aws.readers'`, a.readers);
  if (!a.databaseUrlSecretArn && !a.route53)
    add(["aws"], "needs a repoint: aws.databaseUrlSecretArn (new DATABASE_URL version) and/or aws.route53 (DNS swap); without one the services would keep using the old database", `pulumi config set --path '${NAMESPACE}:aws.databaseUrlSecretArn' <arn>`);
  awsOnlyChecks(c, a, add);
}

/** AWS rules that name one key each: settings other mechanisms read, and region/phase mismatches. */
function awsOnlyChecks(c: ParsedConfig, a: AwsBlock, add: AddProblem): void {
  notForEbs(c, a, add);
  awsTagAndReleaseChecks(c, a, add, "database");
  if (c.mechanism !== "rds-snapshot" && a.snapshotIdentifier)
    add(["aws", "snapshotIdentifier"], `is only read by rds-snapshot; ${c.mechanism} restores to a point in time`, rm("aws.snapshotIdentifier"), a.snapshotIdentifier);
  if (c.mechanism !== "aurora-pitr" && a.sourceClusterIdentifier)
    add(["aws", "sourceClusterIdentifier"], `is for aurora-pitr; ${c.mechanism} reads aws.sourceInstanceIdentifier`, rm("aws.sourceClusterIdentifier"), a.sourceClusterIdentifier);
  const arnRegion = a.databaseUrlSecretArn?.split(":")[3];
  if (arnRegion && arnRegion !== a.region)
    add(["aws", "databaseUrlSecretArn"], `is in region ${arnRegion} but aws.region is ${a.region}; the secret is read and written in aws.region`, `use the secret of region ${a.region}, or set aws.region to ${arnRegion}`, a.databaseUrlSecretArn);
  // The restored database is reached through aws.*; a `database` block would point the SQL spot
  // checks at a self-managed container that AWS deployments do not have, so they would silently not run.
  if (c.database) add(["database"], "is only read by pg-restore; the AWS mechanisms reach the restored database through its new endpoint", `remove it: pulumi config rm '${NAMESPACE}:database'`, "{...}");
  if (c.verify.spotChecks.length > 0)
    add(["verify", "spotChecks"], "run SQL inside the self-managed Postgres container, which AWS mechanisms do not have; check tenant data by hand (docs/aws.md)", rm("verify.spotChecks"), `[${c.verify.spotChecks.length} checks]`);
}

export const awsPitrConfig = {
  names: AWS_PITR_NAMES,
  selfManaged: false,
  replaces: "database",
  rules: { cloud: awsChecks },
} as const satisfies MechanismConfig;
