// Where this restore stands, read from the engine's state: which of its commands are done (for
// `status`), and whether it is between quiesce and the destructive step. After a failure or a
// Ctrl-C there, the next `up` must find the services still stopped. The confirm step only
// runs once per restore, so a host that rebooted between two updates is caught here, by preflight.
import type { Stack } from "@pulumi/pulumi/automation";
import type { RestoreConfig } from "../config";
import { mechanismOf } from "../mechanisms";
import { configPartOfKey, restoreKey } from "../runbook";
import { urnName } from "./progress";

export type StateResource = { urn: string; outputs?: { triggers?: unknown[] } };

/** The resources in the engine's state (export), as `status` and preflight read them. */
export async function stateResources(stack: Stack): Promise<StateResource[]> {
  const state = await stack.exportStack();
  return (state.deployment?.resources ?? []) as StateResource[];
}

/**
 * Names of the commands done for THIS restore: a command left in the state by an earlier restore
 * of another config (another named dump, order, phase or target, or the old side of a replacement
 * that failed) carries another restore key.
 */
export function doneForThisRestore(resources: StateResource[], config: RestoreConfig): Set<string> {
  // The config's part of the key: the driver does not resolve the newest dump here (the program
  // does, and keys by it), so a command of this config's restore counts whatever dump it ran on.
  const key = restoreKey(config);
  return new Set(resources.filter((r) => configPartOfKey(r.outputs?.triggers?.[0]) === key).map((r) => urnName(r.urn)));
}

/** True when this restore's quiesce finished in an earlier update and its destructive step has not. */
export async function stoppedSinceQuiesce(config: RestoreConfig, state: Promise<StateResource[]>): Promise<boolean> {
  // Only a self-managed restore has a plan of host commands to read this from.
  const plan = mechanismOf(config).plan?.(config);
  if (!plan) return false;
  const done = doneForThisRestore(await state, config);
  const finished = (i: number) => {
    const step = plan.steps[i];
    return step !== undefined && step.commands.length > 0 && step.commands.every((c) => done.has(`${step.step}-${c.name}`));
  };
  const quiesce = plan.steps.findIndex((s) => s.step === "quiesce");
  // The step after confirm is the destructive one: the restore, or beforeSwitch's switch.
  const destructive = plan.steps.findIndex((s) => s.step === "confirm") + 1;
  return finished(quiesce) && !finished(destructive);
}
