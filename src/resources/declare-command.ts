// One host command, declared with the stack's transport: this project's SSH resource (default;
// no provider plugin needed) or @pulumi/command's remote.Command/local.Command. Both come from
// the same plan values, so the transports can never drift apart in what they run.
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { Transport } from "../config";
import { HostCommand } from "./host-command";
import type { HostTarget } from "./ssh-exec";

/** A host as the steps see it: the same shape the OpenSSH call takes (./ssh-exec.ts). */
export type HostConnection = HostTarget;

export interface CommandSpec {
  transport: Transport;
  host: HostConnection;
  create: pulumi.Input<string>;
  /** Secret Output for passwords; plain for non-secret input such as the notice's text. */
  stdin?: pulumi.Input<string>;
  /** A change replaces the command, so it runs again (a new restore). */
  triggers?: pulumi.Input<unknown>[];
  /** The SSH private key, a secret Output. */
  privateKey?: pulumi.Input<string>;
}

export type DeclaredCommand = HostCommand | command.remote.Command | command.local.Command;

export function declareCommand(name: string, spec: CommandSpec, opts: pulumi.CustomResourceOptions): DeclaredCommand {
  const { host } = spec;
  if (spec.transport === "ssh") {
    return new HostCommand(
      name,
      {
        connection: { name: host.name, address: host.address, port: host.port, user: host.user, local: host.local, hostKey: host.hostKey, privateKey: host.local ? undefined : spec.privateKey },
        create: spec.create,
        stdin: spec.stdin,
        triggers: spec.triggers,
      },
      opts,
    );
  }
  if (host.local) return new command.local.Command(name, { create: spec.create, stdin: spec.stdin, triggers: spec.triggers, interpreter: ["/bin/sh", "-c"] }, opts);
  return new command.remote.Command(
    name,
    {
      connection: {
        host: host.address,
        port: host.port,
        user: host.user,
        privateKey: spec.privateKey,
        // Fail fast on a dead host instead of retrying for minutes mid-incident.
        dialErrorLimit: 3,
        perDialTimeout: 10,
      },
      create: spec.create,
      stdin: spec.stdin,
      triggers: spec.triggers,
    },
    opts,
  );
}
