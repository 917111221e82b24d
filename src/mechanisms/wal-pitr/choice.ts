// Before anything is declared: read the archive on the db host (read-only) and check the target,
// so a target out of reach refuses the restore with nothing changed.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../../config";
import type { ProgramContext, Secrets } from "../../steps/common-args";
import { programHostRun } from "../../steps/host-run";
import { gatherWalFacts } from "./facts";
import { type PitrChoice, checkTarget, targetOf } from "./window";

/** Read the archive on the db host (read-only) and check the target; refuse before declaring anything. */
export async function walChoice(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext): Promise<PitrChoice | undefined> {
  if (config.phase !== "restore" || !config.target) return undefined;
  const run = programHostRun(config, secrets, ctx);
  const target = targetOf(config.target);
  let verdict;
  try {
    verdict = checkTarget(await gatherWalFacts(config, target, run), target, config.target.inclusive);
  } catch (e) {
    throw new pulumi.RunError(`wal-pitr: ${(e as Error).message}; nothing was changed`);
  }
  if (!verdict.ok) throw new pulumi.RunError(`wal-pitr: the recovery target is out of reach; nothing was changed:\n  x delphi-restore:target: ${verdict.problem}`);
  return verdict.choice;
}
