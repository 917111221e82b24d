// src/resources/: the custom resources the steps declare (this host command, ./declare-command.ts
// for either transport, and the OpenSSH runner ./ssh-exec.ts). Imports only src/config.
//
// The host-command resource: a Pulumi dynamic resource with the contract of
// `command.remote.Command`, run by Pulumi's own provider host (`pulumi-resource-pulumi-nodejs`,
// shipped in the @pulumi/pulumi npm package) through the real engine. Only create/diff/update/
// delete are ours, and create really runs the command on the host (./ssh-exec.ts).
//
// - create: run the command; a non-zero exit fails the resource with the host, the command's
//   name, the exit code and the last lines of stderr (and nothing is recorded, so `up` retries it).
//   A re-run never overlaps an earlier run still going on the host (ssh-exec.ts oneAtATime).
// - diff: a changed `create` or `triggers` (a new restore) is an in-place update that runs the
//   command again; a changed connection alone (a new port, a new key) is one that runs nothing.
//   An update, not a replacement: a replacement would have the engine delete every old copy at
//   the end of the update, one dependency level after the other (~3 s of a restore's 31
//   commands, each delete running nothing), and add a bookkeeping step between each command and
//   the next.
// - delete runs nothing: `pulumi destroy` never stops a service or touches data.
//
// The provider object is serialised into the state (`__provider`): it captures only functions of
// ./ssh-exec.ts (self-contained) and no secret. The private key and stdin arrive as secret inputs.
import * as pulumi from "@pulumi/pulumi";
import { explainSshFailure, oneAtATime, runOnHost, STILL_RUNNING_EXIT, type HostTarget } from "./ssh-exec";

export interface HostCommandConnection extends HostTarget {
  /** The SSH private key; pass a secret Output. */
  privateKey?: string;
}

export interface HostCommandArgs {
  connection: pulumi.Input<{ [K in keyof HostCommandConnection]: pulumi.Input<HostCommandConnection[K]> }>;
  /** The command, run by the host's login shell (`sh -c` for a local host). */
  create: pulumi.Input<string>;
  /** Standard input (secrets go here); pass a secret Output. */
  stdin?: pulumi.Input<string>;
  /** Any change here replaces the resource, so the command runs again (a new restore). */
  triggers?: pulumi.Input<unknown[]>;
  /** Kill the command after this many seconds (default 6 hours; 0 = never). */
  timeoutSeconds?: pulumi.Input<number>;
}

/** What the provider receives (secrets unwrapped by the engine) and stores as outputs. */
interface Inputs {
  connection: HostCommandConnection;
  create: string;
  stdin?: string;
  triggers?: unknown[];
  timeoutSeconds?: number;
  /** Set by the resource: `<resource name>`, for messages. */
  label: string;
}

interface Outputs {
  label: string;
  /** The connection without its key: what diff compares next time. */
  connection: HostTarget;
  create: string;
  triggers: unknown[];
  stdout: string;
  stderr: string;
  exitCode: number;
  startedAt: string;
  endedAt: string;
}

const DEFAULT_TIMEOUT_SECONDS = 6 * 3600;

/** The engine's type token of this resource (`pulumi-nodejs:dynamic/<module>:<type>`). */
export const HOST_COMMAND_TYPE = "pulumi-nodejs:dynamic/delphi-restore:HostCommand";

/** The connection as stored in outputs: never the private key. */
function publicConnection(c: HostCommandConnection): HostTarget {
  // No undefined values: the provider host's protobuf Struct conversion rejects them.
  return { name: c.name, address: c.address, port: c.port, user: c.user, local: c.local, ...(c.hostKey ? { hostKey: c.hostKey } : {}) };
}

/** Field by field: the state hands outputs back with their keys in another order. */
function sameConnection(a: HostTarget | undefined, b: HostTarget): boolean {
  if (!a) return false;
  return a.name === b.name && a.address === b.address && a.port === b.port && a.user === b.user && a.local === b.local && (a.hostKey ?? "") === (b.hostKey ?? "");
}

/** ` (killed by SIGKILL)` for a shell's 128+N exit code; the operator reads a signal, not a number. */
function killedBy(exitCode: number): string {
  const { constants } = require("node:os") as typeof import("node:os");
  const name = Object.entries(constants.signals).find(([, n]) => n === exitCode - 128)?.[0];
  return exitCode > 128 && name ? ` (killed by ${name})` : "";
}

/** The provider; its methods may use only ./ssh-exec.ts and Node built-ins (see the file header). */
export const hostCommandProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
    const moved = !sameConnection(olds.connection, publicConnection(news.connection));
    return { changes: runsAgain(olds, news) || moved || olds.label !== news.label, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await runCommand(inputs);
    return { id: `${inputs.label}-${outs.startedAt}`, outs };
  },

  /**
   * A new restore (another command or trigger): the command runs again, as create runs it. A new
   * connection or label only: nothing runs again; the last run's results are kept.
   */
  async update(_id: string, olds: Outputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
    if (runsAgain(olds, news)) return { outs: await runCommand(news) };
    return { outs: { ...olds, label: news.label, connection: publicConnection(news.connection) } };
  },

  /** Nothing: a restore's commands are never undone by `pulumi destroy`. */
  async delete(): Promise<void> {
    return;
  },
};

/**
 * The command or its triggers changed: it runs again. Also what the driver's progress reads from
 * the engine's events (the old outputs, the new inputs) to tell a run from a connection update.
 */
export function runsAgain(olds: Partial<Pick<Outputs, "create" | "triggers">>, news: Partial<Pick<Inputs, "create" | "triggers">>): boolean {
  return olds.create !== news.create || JSON.stringify(olds.triggers ?? []) !== JSON.stringify(news.triggers ?? []);
}

/** Run the command on its host; a non-zero exit throws (nothing is recorded, so `up` retries it). */
async function runCommand(inputs: Inputs): Promise<Outputs> {
  const c = inputs.connection;
  const timeout = inputs.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const r = await runOnHost(c, oneAtATime(inputs.label, inputs.create, timeout), { privateKey: c.privateKey, stdin: inputs.stdin, timeoutSeconds: timeout });
  if (r.exitCode !== 0) {
    const why =
      explainSshFailure(c, r.exitCode, r.stderr) ??
      (r.exitCode === STILL_RUNNING_EXIT ? `${inputs.label} did not run on host ${c.name}: an earlier run of it was still running there after ${timeout}s (see it with ps on the host); nothing was run` : undefined);
    const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-8).join("\n");
    throw new Error(
      why ??
        `${inputs.label} failed on host ${c.name}${c.local ? " (local)" : ` (${c.address}:${c.port})`} with exit code ${r.exitCode}` +
          `${r.timedOut ? ` (killed after ${timeout}s)` : killedBy(r.exitCode)}${tail ? `:\n${tail}` : ""}`,
    );
  }
  return {
    label: inputs.label,
    connection: publicConnection(c),
    create: inputs.create,
    triggers: inputs.triggers ?? [],
    stdout: r.stdout,
    stderr: r.stderr,
    exitCode: r.exitCode,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
  };
}

export class HostCommand extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;
  declare readonly stderr: pulumi.Output<string>;
  declare readonly exitCode: pulumi.Output<number>;
  declare readonly startedAt: pulumi.Output<string>;
  declare readonly endedAt: pulumi.Output<string>;

  constructor(name: string, args: HostCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      hostCommandProvider,
      name,
      { ...args, label: name, stdout: undefined, stderr: undefined, exitCode: undefined, startedAt: undefined, endedAt: undefined },
      // The key and stdin are secret inputs; stdout and stderr stay plain outputs (the commands
      // never print a secret) so later steps and `status` can read their markers.
      opts,
      "delphi-restore",
      "HostCommand",
    );
  }
}
