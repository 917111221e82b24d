// Cross-field rules of mechanism ebs-snapshot. It differs from the RDS mechanisms in what it needs: the database keeps its
// host and address (no repoint, so no secret or DNS name), and it runs on the db host's compose
// project (so the `database` block is required and SQL spot checks can run in its container).
// The tag and release rules every AWS mechanism shares are in src/config/aws-block.ts. A leaf
// below src/config: it imports only src/config's schema, problems and the shared aws-block rules.
import { awsTagAndReleaseChecks } from "../../config/aws-block";
import type { MechanismConfig } from "../../config/mechanism-config";
import type { AddProblem } from "../../config/problems";
import { NAMESPACE, type ParsedConfig } from "../../config/schema";
import { EBS_SNAPSHOT_NAMES } from "./schema";

type AwsBlock = NonNullable<ParsedConfig["aws"]>;

const rm = (key: string) => `remove it: pulumi config rm --path '${NAMESPACE}:${key}'`;
const set = (key: string, value: string) => `pulumi config set --path '${NAMESPACE}:${key}' ${value}`;

/** The RDS mechanisms' keys, which ebs-snapshot does not read. */
const RDS_KEYS = ["sourceClusterIdentifier", "sourceInstanceIdentifier", "snapshotIdentifier", "targetTime", "instanceClass", "databaseUrlSecretArn", "route53"] as const;

function ebsChecks(c: ParsedConfig, a: AwsBlock, add: AddProblem): void {
  if (!c.database)
    add(["database"], "is required for mechanism ebs-snapshot: the db host, compose project and container whose data directory is on the volume (the database is stopped and started there)", `${set("database.host", "db")} (and user, name)`);
  for (const k of RDS_KEYS)
    if (a[k] !== undefined) add(["aws", k], "is read by the RDS mechanisms only; ebs-snapshot restores the db host's data volume, and the database keeps its address", rm(`aws.${k}`), a[k]);
  if (a.useLatestRestorableTime) add(["aws", "useLatestRestorableTime"], "is read by the RDS mechanisms only; ebs-snapshot restores a snapshot (aws.ebs.snapshotId or aws.ebs.snapshotBefore)", rm("aws.useLatestRestorableTime"), true);
  if (a.readers > 0) add(["aws", "readers"], "applies to Aurora clusters only", rm("aws.readers"), a.readers);
  const e = a.ebs;
  if (!e) {
    add(["aws", "ebs"], "is required for mechanism ebs-snapshot: the data volume, the db host's instance, the snapshot, the device name and the mount point", `${set("aws.ebs.volumeId", "vol-...")} (and instanceId, snapshotId, deviceName, mount; see Pulumi.restore.yaml)`);
    return;
  }
  if (e.snapshotId && e.snapshotBefore)
    add(["aws", "ebs", "snapshotBefore"], "conflicts with aws.ebs.snapshotId: choose one snapshot, by id or as the newest before a time", rm("aws.ebs.snapshotBefore"), e.snapshotBefore);
  if (!e.snapshotId && !e.snapshotBefore)
    add(["aws", "ebs", "snapshotId"], "is required: name the snapshot to restore (or set aws.ebs.snapshotBefore to take the newest completed snapshot of the volume started before a time)", set("aws.ebs.snapshotId", "snap-0123456789abcdef0"));
  if (e.snapshotBefore && Date.parse(e.snapshotBefore) > Date.now())
    add(["aws", "ebs", "snapshotBefore"], "is in the future; a restore goes back to a snapshot taken before the incident", set("aws.ebs.snapshotBefore", "<the incident time, UTC>"), e.snapshotBefore);
  if (e.restoreDeviceName && e.restoreDeviceName === e.deviceName)
    add(["aws", "ebs", "restoreDeviceName"], "is the data volume's own device name; the restored volume is attached beside it, at another name", set("aws.ebs.restoreDeviceName", "<another of /dev/sdf../dev/sdp>"), e.restoreDeviceName);
  if (e.throughput !== undefined && (e.volumeType ?? "gp3") !== "gp3")
    add(["aws", "ebs", "throughput"], `applies to gp3 volumes only (aws.ebs.volumeType is ${e.volumeType})`, rm("aws.ebs.throughput"), e.throughput);
  const mount = e.mount.replace(/\/+$/, "");
  if (mount === "")
    add(["aws", "ebs", "mount"], "is the root folder; the data volume is mounted on a folder of its own", set("aws.ebs.mount", "/var/lib/postgresql-data"), e.mount);
}

function ebsSnapshotChecks(c: ParsedConfig, add: AddProblem): void {
  if (c.aws) {
    ebsChecks(c, c.aws, add);
    awsTagAndReleaseChecks(c, c.aws, add, "data volume");
  }
  if (c.dump) add(["dump"], "is only read by pg-restore", `remove it: pulumi config rm '${NAMESPACE}:dump'`, c.dump);
}

export const ebsSnapshotConfig = {
  names: EBS_SNAPSHOT_NAMES,
  selfManaged: false,
  replaces: "data volume",
  rules: { cloud: ebsSnapshotChecks },
} as const satisfies MechanismConfig;
