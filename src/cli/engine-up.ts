// `stack.up()` without the three CLI runs the Automation API makes after every update (`stack
// output` twice and `stack history`, ~0.9 s of each `up`): the stack's outputs and the change
// counts come from the engine's own event stream instead (the stack's outputs event and the
// summary event), which the driver follows anyway. Outputs there are as the engine shows them:
// a secret is "[secret]", as the driver prints it.
import type { EngineEvent, OpMap, Stack, UpOptions } from "@pulumi/pulumi/automation";

export interface EngineUpResult {
  outputs: Record<string, unknown>;
  changes: OpMap;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export async function upFromEvents(stack: Stack, opts: UpOptions): Promise<EngineUpResult> {
  let outputs: Record<string, unknown> = {};
  let changes: OpMap = {};
  const onEvent = (e: EngineEvent) => {
    const m = e.resOutputsEvent?.metadata;
    if (m?.type === STACK_TYPE) outputs = (m.new?.outputs ?? {}) as Record<string, unknown>;
    if (e.summaryEvent) changes = e.summaryEvent.resourceChanges ?? {};
    opts.onEvent?.(e);
  };
  // Own properties shadow the SDK's methods for this one call; up() calls them once it has run
  // the update, and their results (re-read from the backend) would only repeat the events'.
  const reads = { outputs: async () => ({}), info: async () => undefined };
  Object.assign(stack, reads);
  try {
    await stack.up({ ...opts, onEvent });
  } finally {
    for (const k of Object.keys(reads)) Reflect.deleteProperty(stack, k);
  }
  return { outputs, changes };
}
