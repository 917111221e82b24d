// Pure: the summary of a pg-restore. Without a named dump the restore takes the newest one when
// it runs; the summary shows the one preflight found now, so the restore point and window are concrete.
import { basename } from "node:path";
import type { RestoreConfig } from "../../config";
import type { CheckResult } from "../../runbook/checks";
import { type Summary, summarize } from "../../runbook/summary";
import { pgRestorePlan } from "./plan";
import { DUMP_CHECK } from "./preflight";

export function summarizePgRestore(stack: string, config: RestoreConfig, checks: CheckResult[]): Summary {
  const found = checks.find((c) => c.check === DUMP_CHECK && c.ok)?.detail;
  const c = !config.dump && found ? { ...config, dump: basename(found) } : config;
  const s = summarize(stack, c, pgRestorePlan(c));
  if (c !== config) s.dump = `${found} (the newest now; the restore takes the newest when it runs)`;
  return s;
}
