// The Pulumi program: validated config -> the configured mechanism's plan -> one component per
// runbook step, chained. Which mechanism, and how it declares its restore, is the registry's
// (src/mechanisms/index.ts); this file only loads the config and hands it over.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, NAMESPACE, fromPulumiConfig, parseConfig, type RestoreConfig } from "./config";
import { keptDataOf, mechanismOf, planSelfManaged } from "./mechanisms";
import type { RestorePlan } from "./runbook";
import { type ProgramContext, type Secrets } from "./steps/common-args";
import { declareRunbook } from "./steps/declare-runbook";

export { hostConnections, type ProgramContext, type Secrets } from "./steps/common-args";
export { planSummary } from "./steps/declare-runbook";

/** Read and validate the stack config; a ConfigError becomes a clean RunError (no stack trace). */
export function loadConfig(): { config: RestoreConfig; secrets: Secrets } {
  let config: RestoreConfig;
  try {
    config = parseConfig(fromPulumiConfig(pulumi.runtime.allConfig()));
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const cfg = new pulumi.Config(NAMESPACE);
  return {
    config,
    secrets: { privateKey: cfg.getSecret("sshPrivateKey"), adminPassword: cfg.getSecret("adminPassword") },
  };
}

/** Declare a self-managed restore (its plan, or the one given) and return the stack outputs. */
export function declarePgRestore(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext = {}, planned?: RestorePlan) {
  return declareRunbook(config, secrets, ctx, planned ?? planSelfManaged(config), keptDataOf(config));
}

/** The program's entry: validates everything before declaring any resource. */
export async function restoreProgram(ctx: ProgramContext = {}): Promise<Record<string, unknown>> {
  const { config, secrets } = loadConfig();
  return mechanismOf(config).declare(config, secrets, ctx);
}
