// Every input of the old database's resource types, checked by the compiler in both directions:
// an input added or removed by a provider upgrade fails the build here. Sign-off's release step
// needs them to say "change only these few inputs, ignore every other difference": Pulumi's
// ignoreChanges has a wildcard ("*") but no "all except", and an input left out of the program
// would otherwise be reset on the old database (or, for some, force its replacement).
import type * as aws from "@pulumi/aws";

const CLUSTER_INPUTS: Record<keyof aws.rds.ClusterArgs, 0> = {
  allocatedStorage: 0, allowMajorVersionUpgrade: 0, applyImmediately: 0, autoMinorVersionUpgrade: 0,
  availabilityZones: 0, backtrackWindow: 0, backupRetentionPeriod: 0, caCertificateIdentifier: 0,
  clusterIdentifier: 0, clusterIdentifierPrefix: 0, clusterMembers: 0, clusterScalabilityType: 0,
  copyTagsToSnapshot: 0, databaseInsightsMode: 0, databaseName: 0, dbClusterInstanceClass: 0,
  dbClusterParameterGroupName: 0, dbInstanceParameterGroupName: 0, dbSubnetGroupName: 0, dbSystemId: 0,
  deleteAutomatedBackups: 0, deletionProtection: 0, domain: 0, domainIamRoleName: 0,
  enableGlobalWriteForwarding: 0, enableHttpEndpoint: 0, enableLocalWriteForwarding: 0,
  enabledCloudwatchLogsExports: 0, engine: 0, engineLifecycleSupport: 0, engineMode: 0, engineVersion: 0,
  finalSnapshotIdentifier: 0, globalClusterIdentifier: 0, iamDatabaseAuthenticationEnabled: 0, iamRoles: 0,
  iops: 0, kmsKeyId: 0, manageMasterUserPassword: 0, masterPassword: 0, masterPasswordWo: 0,
  masterPasswordWoVersion: 0, masterUserSecretKmsKeyId: 0, masterUsername: 0, monitoringInterval: 0,
  monitoringRoleArn: 0, networkType: 0, performanceInsightsEnabled: 0, performanceInsightsKmsKeyId: 0,
  performanceInsightsRetentionPeriod: 0, port: 0, preferredBackupWindow: 0, preferredMaintenanceWindow: 0,
  region: 0, replicationSourceIdentifier: 0, restoreToPointInTime: 0, s3Import: 0, scalingConfiguration: 0,
  serverlessv2ScalingConfiguration: 0, skipFinalSnapshot: 0, snapshotIdentifier: 0, sourceRegion: 0,
  storageEncrypted: 0, storageType: 0, tags: 0, vpcSecurityGroupIds: 0, warningEventCategories: 0,
};

const INSTANCE_INPUTS: Record<keyof aws.rds.InstanceArgs, 0> = {
  allocatedStorage: 0, allowMajorVersionUpgrade: 0, applyImmediately: 0, autoMinorVersionUpgrade: 0,
  availabilityZone: 0, backupRetentionPeriod: 0, backupTarget: 0, backupWindow: 0, blueGreenUpdate: 0,
  caCertIdentifier: 0, characterSetName: 0, copyTagsToSnapshot: 0, customIamInstanceProfile: 0,
  customerOwnedIpEnabled: 0, databaseInsightsMode: 0, dbName: 0, dbSubnetGroupName: 0, dedicatedLogVolume: 0,
  deleteAutomatedBackups: 0, deletionProtection: 0, domain: 0, domainAuthSecretArn: 0, domainDnsIps: 0,
  domainFqdn: 0, domainIamRoleName: 0, domainOu: 0, enabledCloudwatchLogsExports: 0, engine: 0,
  engineLifecycleSupport: 0, engineVersion: 0, finalSnapshotIdentifier: 0,
  iamDatabaseAuthenticationEnabled: 0, identifier: 0, identifierPrefix: 0, instanceClass: 0, iops: 0,
  kmsKeyId: 0, licenseModel: 0, maintenanceWindow: 0, manageMasterUserPassword: 0,
  masterUserSecretKmsKeyId: 0, maxAllocatedStorage: 0, monitoringInterval: 0, monitoringRoleArn: 0,
  multiAz: 0, ncharCharacterSetName: 0, networkType: 0, optionGroupName: 0, parameterGroupName: 0,
  password: 0, passwordWo: 0, passwordWoVersion: 0, performanceInsightsEnabled: 0,
  performanceInsightsKmsKeyId: 0, performanceInsightsRetentionPeriod: 0, port: 0, publiclyAccessible: 0,
  region: 0, replicaMode: 0, replicateSourceDb: 0, restoreToPointInTime: 0, s3Import: 0,
  skipFinalSnapshot: 0, snapshotIdentifier: 0, storageEncrypted: 0, storageThroughput: 0, storageType: 0,
  tags: 0, timezone: 0, upgradeStorageConfig: 0, username: 0, vpcSecurityGroupIds: 0,
  warningEventCategories: 0,
};

/** What the release step changes on the old database; every other input is ignored. */
export const RELEASE_INPUTS = ["deletionProtection", "skipFinalSnapshot", "finalSnapshotIdentifier", "deleteAutomatedBackups", "applyImmediately"] as const;

/** ignoreChanges for the release step: every input of the type except RELEASE_INPUTS. */
export function ignoreAllBut(kind: "cluster" | "instance"): string[] {
  const keep: readonly string[] = RELEASE_INPUTS;
  return Object.keys(kind === "cluster" ? CLUSTER_INPUTS : INSTANCE_INPUTS).filter((k) => !keep.includes(k));
}
