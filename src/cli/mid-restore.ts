// Where this restore stands between updates, read from the engine's state: after a failure or a
// Ctrl-C past quiesce, the next `up` must find the services still stopped. The confirm step only
// runs once per restore, so a host that rebooted between two updates is caught here, by preflight.
import type { Stack } from "@pulumi/pulumi/automation";
import type { RestoreConfig } from "../config";
import { planPgRestore, restoreKey } from "../plan";
import { urnName } from "./progress";

/** True when this restore's quiesce finished in an earlier update and its destructive step has not. */
export async function stoppedSinceQuiesce(stack: Stack, config: RestoreConfig): Promise<boolean> {
  if (config.mechanism !== "pg-restore") return false;
  const plan = planPgRestore(config);
  const key = restoreKey(config);
  const state = await stack.exportStack();
  const resources = (state.deployment?.resources ?? []) as { urn: string; outputs?: { triggers?: unknown[] } }[];
  const done = new Set(resources.filter((r) => r.outputs?.triggers?.[0] === key).map((r) => urnName(r.urn)));
  const finished = (i: number) => {
    const step = plan.steps[i];
    return step !== undefined && step.commands.length > 0 && step.commands.every((c) => done.has(`${step.step}-${c.name}`));
  };
  const quiesce = plan.steps.findIndex((s) => s.step === "quiesce");
  // The step after confirm is the destructive one: the restore, or beforeSwitch's switch.
  const destructive = plan.steps.findIndex((s) => s.step === "confirm") + 1;
  return finished(quiesce) && !finished(destructive);
}
