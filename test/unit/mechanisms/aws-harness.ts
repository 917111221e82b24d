// Shared by the AWS mechanism tests: a fake AWS account behind pulumi.runtime.setMocks, valid
// configs to start from, and a runner that records every resource with the options it was
// given (dependsOn, protect, retainOnDelete, import, ignoreChanges), which the mocks alone do
// not show. The recording uses a stack transformation, so the program runs inside a stack.
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { parseConfig, type RawConfig, type RestoreConfig } from "../../../src/config";
import { declareAwsRestore } from "../../../src/mechanisms/aws-pitr/declare";
import { declareEbsRestore } from "../../../src/mechanisms/ebs-snapshot/declare";
import { type FakeEbs, NEW_VOLUME, PRE_RESTORE_SNAPSHOT, ebsCall, fakeEbs, notFound } from "./ebs-fixtures";
import { HOST_KEY } from "../fixtures/pg-config";

export const PASSWORD = "S3cr3t-pw_9xQ";
export const ADMIN_PASSWORD = "admin-Pw-71!";
export const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
export const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delphi/DATABASE_URL-AbCdEf";
export const OLD_CLUSTER_ENDPOINT = "delphi-prod.cluster-old111.eu-west-1.rds.amazonaws.com";
export const OLD_INSTANCE_ADDRESS = "delphi-prod-db.old222.eu-west-1.rds.amazonaws.com";
export const urlAt = (host: string, port: number) => `postgresql://delphi:${PASSWORD}@${host}:${port}/delphi?sslmode=require`;
export const RESTORE_HEX = "a1b2c3";
export const SIGNOFF_HEX = "d4e5f6";
/** Where the fake account puts the restored database (named with RESTORE_HEX). */
export const NEW_CLUSTER_ENDPOINT = `delphi-prod-eu1-restored-${RESTORE_HEX}.cluster-new999.eu-west-1.rds.amazonaws.com`;
export const NEW_INSTANCE_ADDRESS = `delphi-prod-eu1-restored-${RESTORE_HEX}.new999.eu-west-1.rds.amazonaws.com`;
/** How a secret value travels to the engine: wrapped, so the engine stores it encrypted. */
export const asSecret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });

const DAY = 86_400_000;
/** A target time well inside the fake source's 7-day window, whole seconds, UTC. */
export const TARGET = new Date(Math.floor((Date.now() - 2 * DAY) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");

export interface FakeAccount {
  cluster: Record<string, unknown>;
  members: Record<string, { dbInstanceClass: string } & Record<string, unknown>>;
  instance: Record<string, unknown>;
  snapshot: Record<string, unknown>;
  /** What the DATABASE_URL secret holds now. */
  databaseUrl: string;
  /** ebs-snapshot: the db host's instance, its data volume and the volume's snapshots. */
  ebs: FakeEbs;
}

export function fakeAccount(): FakeAccount {
  return {
    cluster: {
      clusterIdentifier: "delphi-prod",
      clusterMembers: ["delphi-prod-2", "delphi-prod-1"],
      endpoint: OLD_CLUSTER_ENDPOINT,
      port: 5432,
      engine: "aurora-postgresql",
      engineVersion: "16.4",
      engineMode: "provisioned",
      dbSubnetGroupName: "delphi-db-subnets",
      vpcSecurityGroupIds: ["sg-0bbb", "sg-0aaa"],
      dbClusterParameterGroupName: "delphi-aurora-pg16",
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
      storageEncrypted: true,
      tags: { team: "platform", "aws:cloudformation:stack-name": "legacy" },
      backupRetentionPeriod: 7,
      iamDatabaseAuthenticationEnabled: false,
      enabledCloudwatchLogsExports: ["postgresql"],
      deletionProtection: true,
    },
    members: {
      "delphi-prod-1": { dbInstanceIdentifier: "delphi-prod-1", dbInstanceClass: "db.r6g.large", dbParameterGroups: ["delphi-aurora-inst"], publiclyAccessible: false },
      "delphi-prod-2": { dbInstanceIdentifier: "delphi-prod-2", dbInstanceClass: "db.r6g.large", dbParameterGroups: ["delphi-aurora-inst"], publiclyAccessible: false },
    },
    instance: {
      dbInstanceIdentifier: "delphi-prod-db",
      address: OLD_INSTANCE_ADDRESS,
      port: 5432,
      engine: "postgres",
      engineVersion: "16.3",
      dbSubnetGroup: "delphi-db-subnets",
      vpcSecurityGroups: ["sg-0aaa"],
      dbParameterGroups: ["delphi-pg16"],
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1111-2222",
      storageEncrypted: true,
      tags: { team: "platform" },
      backupRetentionPeriod: 7,
      enabledCloudwatchLogsExports: [],
      dbInstanceClass: "db.m6g.xlarge",
      multiAz: true,
      publiclyAccessible: false,
      storageType: "gp3",
    },
    snapshot: {
      dbSnapshotIdentifier: "delphi-prod-db-nightly-20261122",
      snapshotCreateTime: "2026-11-22T02:00:11Z",
      engine: "postgres",
      status: "available",
      encrypted: true,
      kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/3333-4444",
    },
    databaseUrl: urlAt(OLD_CLUSTER_ENDPOINT, 5432),
    ebs: fakeEbs(),
  };
}

type Mechanism = "aurora-pitr" | "rds-pitr" | "rds-snapshot";

/** A complete, valid raw config for one AWS mechanism; `aws` and top-level keys can be overridden. */
export function rawConfig(mechanism: Mechanism, aws: Record<string, unknown> = {}, top: Record<string, unknown> = {}): RawConfig {
  const source =
    mechanism === "aurora-pitr"
      ? { sourceClusterIdentifier: "delphi-prod", targetTime: TARGET }
      : mechanism === "rds-pitr"
        ? { sourceInstanceIdentifier: "delphi-prod-db", targetTime: TARGET }
        : { sourceInstanceIdentifier: "delphi-prod-db", snapshotIdentifier: "delphi-prod-db-nightly-20261122" };
  return {
    mechanism,
    deployment: "delphi-prod-eu1",
    hosts: {
      web: { address: "10.0.1.10", user: "deploy", role: "web", services: ["web"], hostKey: HOST_KEY },
      api: { address: "10.0.1.11", user: "deploy", role: "api", services: ["api"], hostKey: HOST_KEY },
      voice: { address: "10.0.1.12", user: "deploy", role: "voice", services: ["voice"], hostKey: HOST_KEY },
    },
    sshPrivateKey: SSH_KEY,
    adminPassword: ADMIN_PASSWORD,
    verify: { telwebUrl: "https://telweb.internal.example/health", loginUrl: "https://telweb.internal.example/api/auth/login", adminUser: "restore-check@delphi.example" },
    // The AWS graph tests assert @pulumi/command's types; the default transport is covered by
    // test/unit/program.test.ts and test/unit/mechanisms/aws-transport.test.ts.
    transport: "pulumi-command",
    aws: {
      region: "eu-west-1",
      ...source,
      databaseUrlSecretArn: SECRET_ARN,
      route53: { zoneId: "Z0123456789ABC", name: "db.delphi.internal", ttl: 30 },
      tags: { "cost-center": "incident" },
      ...aws,
    },
    ...top,
  } as RawConfig;
}

export interface Recorded {
  type: string;
  name: string;
  /** Inputs as the program passed them (Outputs kept, so secretness can be checked). */
  props: Record<string, unknown>;
  opts: pulumi.CustomResourceOptions;
  resource: pulumi.Resource;
  /** Inputs as the engine would receive them (plain values), from the mock. */
  inputs?: Record<string, unknown>;
  importId?: string;
  /** The provider reference the engine would use (`<urn>::<id>`), from the mock. */
  provider?: string;
}

export interface Run {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  calls: { token: string; inputs: Record<string, unknown> }[];
  /** The one resource of this type and name (fails the test otherwise). */
  one(type: string, name?: string): Recorded;
  all(type: string): Recorded[];
  /** Names of the resources a resource was told to wait for. */
  dependsOn(r: Recorded): string[];
  /** The component (by name) a resource is a child of. */
  parentOf(r: Recorded): string | undefined;
}

export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => (resolve(v as T), v)));
}

const str = (v: unknown) => String(v);

function mockState(type: string, name: string, inputs: Record<string, unknown>, importId: string | undefined): { id: string; state: Record<string, unknown> } {
  switch (type) {
    case "random:index/randomId:RandomId":
      return { id: name, state: { ...inputs, hex: name.startsWith("signoff") ? SIGNOFF_HEX : RESTORE_HEX } };
    case "aws:rds/cluster:Cluster": {
      const id = importId ?? str(inputs.clusterIdentifier);
      return { id, state: { ...inputs, endpoint: `${id}.cluster-new999.eu-west-1.rds.amazonaws.com`, port: inputs.port ?? 5432 } };
    }
    case "aws:rds/instance:Instance": {
      const id = importId ?? str(inputs.identifier);
      return { id, state: { ...inputs, address: `${id}.new999.eu-west-1.rds.amazonaws.com`, port: inputs.port ?? 5432 } };
    }
    case "aws:secretsmanager/secretVersion:SecretVersion":
      return { id: `${name}-version`, state: { ...inputs, versionId: `${name}-version-id` } };
    case "aws:ebs/volume:Volume":
      return { id: importId ?? NEW_VOLUME, state: inputs };
    case "aws:ebs/snapshot:Snapshot":
      return { id: PRE_RESTORE_SNAPSHOT, state: inputs };
    case "aws:route53/record:Record":
      return { id: `${name}-record`, state: { ...inputs, fqdn: inputs.name } };
    case "command:remote:Command":
    case "command:local:Command":
    case "pulumi-nodejs:dynamic/delphi-restore:HostCommand": {
      const stdout = /quiesce/.test(name) ? "stopped-at=2026-11-23T09:15:00Z" : /resume/.test(name) ? "resumed-at=2026-11-23T10:05:00Z" : "ok";
      return { id: name, state: { ...inputs, stdout } };
    }
    default:
      return { id: importId ?? `${name}-id`, state: inputs };
  }
}

function call(account: FakeAccount, token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:rds/getCluster:getCluster":
      if (inputs.clusterIdentifier !== account.cluster.clusterIdentifier) throw notFound(`DBClusterNotFoundFault: ${str(inputs.clusterIdentifier)}`);
      return { ...account.cluster, id: account.cluster.clusterIdentifier };
    case "aws:rds/getInstance:getInstance": {
      const id = str(inputs.dbInstanceIdentifier);
      const found = account.members[id] ?? (id === account.instance.dbInstanceIdentifier ? account.instance : undefined);
      if (!found) throw notFound(`DBInstanceNotFound: ${id}`);
      return { ...found, id };
    }
    case "aws:rds/getSnapshot:getSnapshot":
      if (inputs.dbSnapshotIdentifier !== account.snapshot.dbSnapshotIdentifier) throw notFound(`DBSnapshotNotFound: ${str(inputs.dbSnapshotIdentifier)}`);
      return { ...account.snapshot, id: account.snapshot.dbSnapshotIdentifier };
    case "aws:secretsmanager/getSecretVersion:getSecretVersion":
      return { arn: inputs.secretId, id: inputs.secretId, secretId: inputs.secretId, secretString: account.databaseUrl, versionId: "v-current" };
    default: {
      const answer = ebsCall(account.ebs, token, inputs);
      if (!answer) throw new Error(`unexpected invoke ${token}`);
      return answer;
    }
  }
}

interface Execution {
  resources: Recorded[];
  calls: Run["calls"];
  outputs: Record<string, unknown>;
  /** Caught inside the stack, as the engine would report it, so no stack promise is left rejected. */
  error?: Error;
}

async function execute(raw: RawConfig, account: FakeAccount, preview: boolean, into: Execution): Promise<void> {
  const config: RestoreConfig = parseConfig(raw);
  const byName = new Map<string, Recorded>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const r = byName.get(args.name);
        if (r) {
          r.inputs = args.inputs as Record<string, unknown>;
          r.importId = args.id;
          r.provider = args.provider;
        }
        return mockState(args.type, args.name, args.inputs as Record<string, unknown>, args.id || undefined);
      },
      call(args) {
        into.calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
        return call(account, args.token, args.inputs as Record<string, unknown>);
      },
    },
    "delphi-restore",
    "restore",
    preview,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      const rec: Recorded = { type: t.type, name: t.name, props: t.props as Record<string, unknown>, opts: t.opts as pulumi.CustomResourceOptions, resource: t.resource };
      into.resources.push(rec);
      byName.set(t.name, rec);
      return undefined;
    });
    try {
      const declare = config.mechanism === "ebs-snapshot" ? declareEbsRestore : declareAwsRestore;
      into.outputs = await declare(config, { privateKey: pulumi.secret(SSH_KEY), adminPassword: pulumi.secret(ADMIN_PASSWORD) });
    } catch (e) {
      into.error = e as Error;
    }
    return {};
  });
}

/** Run a program expected to fail: its error message and the resources it declared before failing. */
export async function attemptAws(raw: RawConfig, account: FakeAccount = fakeAccount()): Promise<{ message: string; declared: string[] }> {
  const into: Execution = { resources: [], calls: [], outputs: {} };
  await execute(raw, account, false, into);
  if (!into.error) throw new Error("expected the program to fail");
  expect(into.error).toBeInstanceOf(pulumi.RunError);
  return { message: into.error.message, declared: into.resources.map((r) => `${r.type} ${r.name}`) };
}

/** Run the AWS program for a config under mocks; resolves once every resource is registered. */
export async function runAws(raw: RawConfig, account: FakeAccount = fakeAccount(), preview = false): Promise<Run> {
  const into: Execution = { resources: [], calls: [], outputs: {} };
  await execute(raw, account, preview, into);
  if (into.error) throw into.error;
  const { resources, calls, outputs } = into;
  await Promise.all(resources.map((r) => valueOf(r.resource.urn)));
  const names = new Map(resources.map((r) => [r.resource, r.name]));
  const all = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    calls,
    all,
    one(type, name) {
      const found = all(type).filter((r) => name === undefined || r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      return found[0];
    },
    dependsOn(r) {
      const d = r.opts.dependsOn;
      const list = (Array.isArray(d) ? d : d ? [d] : []) as pulumi.Resource[];
      return list.map((x) => names.get(x) ?? "?");
    },
    parentOf(r) {
      return r.opts.parent ? names.get(r.opts.parent) : undefined;
    },
  };
}
