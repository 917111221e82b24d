// src/steps/: the runbook's ComponentResources (one per step, ./runbook-steps.ts), the tenant
// notice (./report.ts), the arguments they share (./common-args.ts) and the chain of them for a
// self-managed plan (./declare-runbook.ts). Imports src/config, src/runbook, src/shell and
// src/resources; never a mechanism, the program or the driver.
//
// The base of every runbook step: a ComponentResource whose children are the step's host
// commands. Children wait for the previous step (dependsOn), run in parallel with each other,
// and have no delete command: `pulumi destroy` never stops a service or touches data.
import * as pulumi from "@pulumi/pulumi";
import type { Transport } from "../config";
import { type HostCommand, PREVIEW_VALUES, type RuntimeValues, type StepPlan } from "../runbook";
import { declareCommand, type DeclaredCommand, type HostConnection } from "../resources/declare-command";

export type { HostConnection } from "../resources/declare-command";

export interface RunbookStepArgs {
  plan: StepPlan;
  hosts: Record<string, HostConnection>;
  /** ssh (this project's host-command resource) or pulumi-command. */
  transport: Transport;
  /**
   * Identifies this restore (mechanism, order, dump, restore point): a new restore changes it and
   * so runs every command again; an `up` after a failure keeps it and repeats only what failed.
   */
  restoreKey: string;
  /** The SSH private key, a secret Output. */
  privateKey?: pulumi.Input<string>;
  /** Values produced by earlier steps (snapshot path, restore point, resume time). */
  runtime?: Partial<Record<keyof RuntimeValues, pulumi.Input<string>>>;
  secrets?: { adminPassword?: pulumi.Input<string> };
  /** The previous step: nothing in this step starts before it finished. */
  after?: pulumi.Resource[];
}

export type StepCommand = DeclaredCommand;

export class RunbookStep extends pulumi.ComponentResource {
  readonly commands: Record<string, StepCommand> = {};
  /** Every command's stdout, by command name. */
  readonly stdout: Record<string, pulumi.Output<string>> = {};

  constructor(type: string, name: string, args: RunbookStepArgs, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    for (const cmd of args.plan.commands) {
      const res = this.declare(name, cmd, args);
      this.commands[cmd.name] = res;
      this.stdout[cmd.name] = res.stdout;
    }
  }

  /** Register the component's outputs; subclasses call it once, at the end of their constructor. */
  protected finish(extra: pulumi.Inputs = {}): void {
    this.registerOutputs({ stdout: this.stdout, ...extra });
  }

  private declare(stepName: string, cmd: HostCommand, args: RunbookStepArgs): StepCommand {
    const host = args.hosts[cmd.host];
    if (!host) throw new Error(`step ${stepName}: command ${cmd.name} names unknown host ${cmd.host}`);
    const runtime = args.runtime ?? {};
    const needed = cmd.needs.map((k) => {
      const v = runtime[k];
      if (v === undefined) throw new Error(`step ${stepName}: command ${cmd.name} needs ${k}, which no earlier step provides`);
      return pulumi.output(v);
    });
    const create = pulumi.all(needed).apply((vals) => {
      // Keys a command does not declare in `needs` keep their placeholders; render ignores them.
      const rt: RuntimeValues = { ...PREVIEW_VALUES };
      cmd.needs.forEach((k, i) => (rt[k] = vals[i]));
      return cmd.render(rt);
    });
    const stdin = cmd.stdinSecret ? pulumi.secret(args.secrets?.[cmd.stdinSecret] ?? "") : undefined;
    return declareCommand(
      `${stepName}-${cmd.name}`,
      { transport: args.transport, host, create, stdin, triggers: [args.restoreKey], privateKey: args.privateKey },
      { parent: this, dependsOn: args.after ?? [] },
    );
  }
}
