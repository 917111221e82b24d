// Repoint (restore) and Rollback: make the services' database URL lead to one database, by a new
// version of the existing DATABASE_URL secret and/or a Route53 swap of the existing name. The two
// differ only in their target and type token. Both are retainOnDelete: removing them from the
// program (phase change) or `pulumi destroy` must never delete a DNS record the services resolve,
// nor unlabel a secret version they read.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { withHostPort } from "./database-url";
import type { AwsStepArgs } from "./database";

export interface RepointArgs extends AwsStepArgs {
  /** The secret and its live value (a secret Output): only host and port are replaced. */
  secret?: { arn: string; current: pulumi.Output<string> };
  dns?: { zoneId: string; name: string; ttl: number };
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
}

class RepointStep extends pulumi.ComponentResource {
  readonly secretVersionId?: pulumi.Output<string>;
  readonly dnsName?: pulumi.Output<string>;

  constructor(type: string, name: string, args: RepointArgs, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    const o: pulumi.CustomResourceOptions = { parent: this, dependsOn: args.after, retainOnDelete: true };
    if (args.secret) {
      const url = pulumi.secret(pulumi.all([args.secret.current, args.host, args.port]).apply(([current, host, port]) => withHostPort(current, host, port)));
      const version = new aws.secretsmanager.SecretVersion(`${name}-database-url`, { secretId: args.secret.arn, secretString: url }, { ...o, additionalSecretOutputs: ["secretString"] });
      this.secretVersionId = version.versionId;
    }
    if (args.dns) {
      const record = new aws.route53.Record(
        `${name}-dns`,
        { zoneId: args.dns.zoneId, name: args.dns.name, type: "CNAME", ttl: args.dns.ttl, records: [args.host], allowOverwrite: true },
        o,
      );
      this.dnsName = record.fqdn;
    }
    // Only identifiers are registered, never the URL.
    this.registerOutputs({ secretVersionId: this.secretVersionId, dnsName: this.dnsName });
  }
}

/** Point the services at the restored database. */
export class Repoint extends RepointStep {
  constructor(name: string, args: RepointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:Repoint", name, args, opts);
  }
}

/** Point the services back at the old database (phase rollback). */
export class Rollback extends RepointStep {
  constructor(name: string, args: RepointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("delphi:restore:Rollback", name, args, opts);
  }
}
