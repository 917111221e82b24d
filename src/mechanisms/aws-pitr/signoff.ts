// Sign-off: bring the OLD database under management only now, so that a targeted destroy deletes
// exactly it. Two `pulumi up`s, because an import must match the live resource exactly while the
// deletion needs changed settings (the provider imports skipFinalSnapshot as true, and deletion
// protection may be on):
//   adopt   - import as it is (ignoreChanges "*": no change at all), still protected and retained;
//   release - change only deletion protection, the final snapshot and automated-backup retention,
//             and drop protect/retainOnDelete; `pulumi destroy --target` then deletes it.
// An Aurora cluster cannot be deleted while it has instances, so its members are adopted too;
// they depend on it, so a destroy of the cluster with --target-dependents takes them first.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ignoreAllBut } from "./input-keys";
import { finalSnapshotIdentifier } from "./names";
import type { SignoffStage } from "./plan";
import { type SourceDb, memberEngine } from "./source";
import { type AwsStepArgs, KEEP } from "./database";

export interface SignOffArgs extends AwsStepArgs {
  source: SourceDb;
  stage: SignoffStage;
}

export class SignOff extends pulumi.ComponentResource {
  /** The snapshot AWS takes when the old database is deleted. */
  readonly finalSnapshotIdentifier: pulumi.Output<string>;
  /** URNs to pass to `pulumi destroy --target` (the old database first, then its instances). */
  readonly destroyTargets: pulumi.Output<string[]>;

  constructor(name: string, args: SignOffArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:SignOff", name, {}, opts);
    const s = args.source;
    const release = args.stage === "release";
    // Created at adopt already, so the release preview shows the final snapshot's real name.
    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 3 }, { parent: this });
    this.finalSnapshotIdentifier = suffix.hex.apply((hex) => finalSnapshotIdentifier(s.id, hex));
    const guard = release ? { protect: false, retainOnDelete: false } : KEEP;
    const o: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.after, ...guard, import: s.id, ignoreChanges: release ? ignoreAllBut(s.kind) : ["*"] };
    const releaseInputs = release
      ? { deletionProtection: false, skipFinalSnapshot: false, finalSnapshotIdentifier: this.finalSnapshotIdentifier, deleteAutomatedBackups: false, applyImmediately: true }
      : {};
    const old =
      s.kind === "cluster"
        ? new aws.rds.Cluster(`${name}-old-cluster`, { clusterIdentifier: s.id, engine: s.engine, ...releaseInputs }, o)
        : new aws.rds.Instance(`${name}-old-instance`, { identifier: s.id, instanceClass: s.instanceClass ?? "", engine: s.engine, ...releaseInputs }, o);
    const members = s.members.map(
      (m, i) =>
        new aws.rds.ClusterInstance(
          `${name}-old-member-${i + 1}`,
          { identifier: m.id, clusterIdentifier: s.id, instanceClass: m.instanceClass, engine: memberEngine(s) },
          // Members need no change to be deleted: adopt them exactly as they are in both stages.
          { ...o, import: m.id, ignoreChanges: ["*"], dependsOn: [old] },
        ),
    );
    this.destroyTargets = pulumi.all([old.urn, ...members.map((m) => m.urn)]);
    this.registerOutputs({ finalSnapshotIdentifier: this.finalSnapshotIdentifier, destroyTargets: this.destroyTargets });
  }
}
