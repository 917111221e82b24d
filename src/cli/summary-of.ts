// The ten-second summary of the configured mechanism, completed with what preflight found on the
// hosts (the newest dump, the volume snapshot and its time, the base backup and WAL a target needs).
import type { RestoreConfig } from "../config";
import { mechanismOf } from "../mechanisms";
import type { CheckResult } from "../runbook/checks";
import type { Summary } from "../runbook/summary";

/** The blast-radius summary; each mechanism's own (src/mechanisms/<name>/summary.ts). */
export function summaryOf(o: { stack: string }, config: RestoreConfig, checks: CheckResult[] = []): Summary {
  return mechanismOf(config).summary(o.stack, config, checks);
}
