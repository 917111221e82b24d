// What the program reads from AWS before it declares anything: the source database's settings
// (copied to the restored one, so they are never typed twice in config), its backup retention
// (the restorable window), the named snapshot, and the live DATABASE_URL (sign-off safety).
// Each read failure names the config key that points at the thing that could not be read.
import * as aws from "@pulumi/aws";
import { orUndefined, read } from "../../aws/read";
import * as pulumi from "@pulumi/pulumi";
import type { DbKind } from "./plan";

export interface SourceMember {
  id: string;
  instanceClass: string;
  parameterGroup?: string;
  publiclyAccessible: boolean;
}

/** The source database, the same shape for an Aurora cluster and an RDS instance. */
export interface SourceDb {
  kind: DbKind;
  id: string;
  /** Host name the services reach it at now (the rollback target). */
  endpoint: string;
  port: number;
  engine: string;
  engineVersion: string;
  engineMode?: string;
  subnetGroup?: string;
  securityGroups: string[];
  /** Cluster parameter group (Aurora) or DB parameter group (RDS instance). */
  parameterGroup?: string;
  kmsKeyId?: string;
  storageEncrypted: boolean;
  tags: Record<string, string>;
  backupRetentionPeriod: number;
  iamAuth: boolean;
  logExports: string[];
  /** RDS instance only: its class. Aurora: see members. */
  instanceClass?: string;
  /** Aurora only: the member instances (sign-off deletes them with the cluster). */
  members: SourceMember[];
  multiAz?: boolean;
  publiclyAccessible?: boolean;
  storageType?: string;
}

export interface SnapshotInfo {
  id: string;
  createdAt: string;
  engine: string;
  status: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** The engine as the cluster instance type wants it: read from AWS itself, so AWS accepts it. */
export function memberEngine(s: SourceDb): aws.rds.EngineType {
  return s.engine as aws.rds.EngineType;
}

async function readMember(id: string, opts: pulumi.InvokeOptions): Promise<SourceMember> {
  const i = await read("aws.sourceClusterIdentifier", id, `member instance ${id}`, () => aws.rds.getInstance({ dbInstanceIdentifier: id }, opts));
  return { id, instanceClass: i.dbInstanceClass, parameterGroup: orUndefined(i.dbParameterGroups[0]), publiclyAccessible: i.publiclyAccessible };
}

async function readCluster(id: string, opts: pulumi.InvokeOptions): Promise<SourceDb> {
  const c = await read("aws.sourceClusterIdentifier", id, "the Aurora cluster", () => aws.rds.getCluster({ clusterIdentifier: id }, opts));
  const members = await Promise.all([...c.clusterMembers].sort().map((m) => readMember(m, opts)));
  return {
    kind: "cluster",
    id,
    endpoint: c.endpoint,
    port: c.port,
    engine: c.engine,
    engineVersion: c.engineVersion,
    engineMode: orUndefined(c.engineMode),
    subnetGroup: orUndefined(c.dbSubnetGroupName),
    securityGroups: [...c.vpcSecurityGroupIds].sort(),
    parameterGroup: orUndefined(c.dbClusterParameterGroupName),
    kmsKeyId: orUndefined(c.kmsKeyId),
    storageEncrypted: c.storageEncrypted,
    tags: c.tags ?? {},
    backupRetentionPeriod: c.backupRetentionPeriod,
    iamAuth: c.iamDatabaseAuthenticationEnabled,
    logExports: [...c.enabledCloudwatchLogsExports].sort(),
    members,
  };
}

async function readInstance(id: string, opts: pulumi.InvokeOptions): Promise<SourceDb> {
  const i = await read("aws.sourceInstanceIdentifier", id, "the RDS instance", () => aws.rds.getInstance({ dbInstanceIdentifier: id }, opts));
  return {
    kind: "instance",
    id,
    endpoint: i.address,
    port: i.port,
    engine: i.engine,
    engineVersion: i.engineVersion,
    subnetGroup: orUndefined(i.dbSubnetGroup),
    securityGroups: [...i.vpcSecurityGroups].sort(),
    parameterGroup: orUndefined(i.dbParameterGroups[0]),
    kmsKeyId: orUndefined(i.kmsKeyId),
    storageEncrypted: i.storageEncrypted,
    tags: i.tags ?? {},
    backupRetentionPeriod: i.backupRetentionPeriod,
    iamAuth: false,
    logExports: [...i.enabledCloudwatchLogsExports].sort(),
    instanceClass: i.dbInstanceClass,
    members: [],
    multiAz: i.multiAz,
    publiclyAccessible: i.publiclyAccessible,
    storageType: orUndefined(i.storageType),
  };
}

export function readSource(kind: DbKind, id: string, opts: pulumi.InvokeOptions): Promise<SourceDb> {
  return kind === "cluster" ? readCluster(id, opts) : readInstance(id, opts);
}

export async function readSnapshot(id: string, opts: pulumi.InvokeOptions): Promise<SnapshotInfo> {
  const s = await read("aws.snapshotIdentifier", id, "the DB snapshot", () => aws.rds.getSnapshot({ dbSnapshotIdentifier: id }, opts));
  return { id, createdAt: s.snapshotCreateTime, engine: s.engine, status: s.status, encrypted: s.encrypted, kmsKeyId: orUndefined(s.kmsKeyId) };
}

/**
 * The live DATABASE_URL, held only long enough to compare its host (sign-off must not delete the
 * database the services use). It is never returned past the caller, logged or put in an output.
 */
export async function readDatabaseUrl(arn: string, opts: pulumi.InvokeOptions): Promise<string> {
  const v = await read("aws.databaseUrlSecretArn", arn, "the DATABASE_URL secret", () => aws.secretsmanager.getSecretVersion({ secretId: arn }, opts));
  return v.secretString;
}
