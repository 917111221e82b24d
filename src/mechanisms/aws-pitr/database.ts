// The AWS steps that create data: the manual snapshot of the current (bad) state and the new,
// restored database. Both kinds (Aurora cluster, RDS instance) share the options and the copied
// settings; only the resource types differ. Everything here is protected and retainOnDelete:
// `pulumi destroy` refuses to touch it, and even unprotected it would only be forgotten.
import * as aws from "@pulumi/aws";

export { type AwsStepArgs, KEEP } from "../../aws/types";
import * as pulumi from "@pulumi/pulumi";
import { type AwsStepArgs, KEEP } from "../../aws/types";
import { memberIdentifier, restoredFinalSnapshotIdentifier } from "./names";
import type { Recovery } from "./plan";
import { type SnapshotInfo, type SourceDb, memberEngine } from "./source";

export interface PreRestoreSnapshotArgs extends AwsStepArgs {
  source: SourceDb;
  identifier: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** A manual snapshot of the source as it is now: for investigation, and the fallback if all else fails. */
export class AwsPreRestoreSnapshot extends pulumi.ComponentResource {
  readonly snapshotId: pulumi.Output<string>;

  constructor(name: string, args: PreRestoreSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:PreRestoreSnapshot", name, {}, opts);
    const o: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.after, ...KEEP };
    const s = args.source;
    this.snapshotId =
      s.kind === "cluster"
        ? new aws.rds.ClusterSnapshot(`${name}-cluster-snapshot`, { dbClusterIdentifier: s.id, dbClusterSnapshotIdentifier: args.identifier, tags: args.tags }, o).dbClusterSnapshotIdentifier
        : new aws.rds.Snapshot(`${name}-db-snapshot`, { dbInstanceIdentifier: s.id, dbSnapshotIdentifier: args.identifier, tags: args.tags }, o).dbSnapshotIdentifier;
    this.registerOutputs({ snapshotId: this.snapshotId });
  }
}

export interface RestoreArgs extends AwsStepArgs {
  source: SourceDb;
  recovery: Recovery;
  /** rds-snapshot: the snapshot read before anything was declared. */
  snapshot?: SnapshotInfo;
  identifier: pulumi.Output<string>;
  instanceClass: string;
  readers: number;
  tags: Record<string, string>;
}

/** Settings both kinds copy from the source: the new database lives where the old one did. */
function copiedSettings(s: SourceDb, args: RestoreArgs) {
  return {
    engine: s.engine,
    engineVersion: s.engineVersion,
    dbSubnetGroupName: s.subnetGroup,
    vpcSecurityGroupIds: s.securityGroups,
    port: s.port,
    // The new database keeps point-in-time recovery for the next incident.
    backupRetentionPeriod: s.backupRetentionPeriod,
    enabledCloudwatchLogsExports: s.logExports,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: args.identifier.apply(restoredFinalSnapshotIdentifier),
    copyTagsToSnapshot: true,
    tags: args.tags,
  };
}

/** The recovery target; the two resource types name the time field differently. */
function pointInTime(r: Recovery, timeField: "restoreToTime" | "restoreTime"): { useLatestRestorableTime: true } | Record<typeof timeField, string> {
  if (r.type === "time") return { [timeField]: r.time } as Record<typeof timeField, string>;
  if (r.type === "latest") return { useLatestRestorableTime: true };
  throw new Error("a snapshot restore has no point in time");
}

/** The restored database: a new Aurora cluster with its instances, or a new RDS instance. */
export class AwsRestore extends pulumi.ComponentResource {
  readonly identifier: pulumi.Output<string>;
  /** Host name and port the services are repointed to. */
  readonly endpoint: pulumi.Output<string>;
  readonly port: pulumi.Output<number>;

  constructor(name: string, args: RestoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:Restore", name, {}, opts);
    // engineVersion is copied from the source, which may take a minor upgrade after the restore;
    // that must not upgrade (or downgrade) the restored database on a later `up`.
    const o: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.after, ...KEEP, ignoreChanges: ["engineVersion"] };
    const made = args.source.kind === "cluster" ? this.cluster(name, args, o) : this.instance(name, args, o);
    this.identifier = args.identifier;
    this.endpoint = made.endpoint;
    this.port = made.port;
    this.registerOutputs({ identifier: this.identifier, endpoint: this.endpoint, port: this.port });
  }

  private cluster(name: string, args: RestoreArgs, o: pulumi.CustomResourceOptions): { endpoint: pulumi.Output<string>; port: pulumi.Output<number> } {
    const s = args.source;
    const cluster = new aws.rds.Cluster(
      `${name}-cluster`,
      {
        ...copiedSettings(s, args),
        clusterIdentifier: args.identifier,
        engineMode: s.engineMode,
        dbClusterParameterGroupName: s.parameterGroup,
        kmsKeyId: s.kmsKeyId,
        storageEncrypted: s.storageEncrypted,
        iamDatabaseAuthenticationEnabled: s.iamAuth,
        restoreToPointInTime: { sourceClusterIdentifier: s.id, restoreType: "full-copy", ...pointInTime(args.recovery, "restoreToTime") },
      },
      o,
    );
    // Like the source's first member (parameter group, public access); the writer is created
    // first, readers after it, so the writer is the instance AWS promotes first.
    const like = s.members[0];
    let writer: aws.rds.ClusterInstance | undefined;
    for (let i = 0; i <= args.readers; i++) {
      const instance = new aws.rds.ClusterInstance(
        `${name}-instance-${i + 1}`,
        {
          identifier: args.identifier.apply((id) => memberIdentifier(id, i)),
          clusterIdentifier: cluster.id,
          instanceClass: args.instanceClass,
          engine: memberEngine(s),
          engineVersion: s.engineVersion,
          dbSubnetGroupName: s.subnetGroup,
          dbParameterGroupName: like?.parameterGroup,
          publiclyAccessible: like?.publiclyAccessible ?? false,
          promotionTier: i === 0 ? 0 : 1,
          copyTagsToSnapshot: true,
          tags: args.tags,
        },
        { ...o, dependsOn: writer ? [writer] : [cluster] },
      );
      writer ??= instance;
    }
    return { endpoint: cluster.endpoint, port: cluster.port };
  }

  private instance(name: string, args: RestoreArgs, o: pulumi.CustomResourceOptions): { endpoint: pulumi.Output<string>; port: pulumi.Output<number> } {
    const s = args.source;
    const snap = args.snapshot;
    const instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        ...copiedSettings(s, args),
        identifier: args.identifier,
        instanceClass: args.instanceClass,
        parameterGroupName: s.parameterGroup,
        multiAz: s.multiAz,
        publiclyAccessible: s.publiclyAccessible ?? false,
        storageType: s.storageType,
        // A snapshot restore inherits the snapshot's encryption; a point-in-time one the source's.
        kmsKeyId: snap ? snap.kmsKeyId : s.kmsKeyId,
        storageEncrypted: snap ? snap.encrypted : s.storageEncrypted,
        ...(snap ? { snapshotIdentifier: snap.id } : { restoreToPointInTime: { sourceDbInstanceIdentifier: s.id, ...pointInTime(args.recovery, "restoreTime") } }),
      },
      o,
    );
    return { endpoint: instance.address, port: instance.port };
  }
}
