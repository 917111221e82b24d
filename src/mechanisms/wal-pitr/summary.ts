// Pure: the summary of a point-in-time restore, with the base backup, WAL range and target
// preflight found in the archive.
import type { RestoreConfig } from "../../config";
import type { CheckResult } from "../../runbook/checks";
import { type Summary, summarize } from "../../runbook/summary";
import { planWalPitr } from "./plan";
import { TARGET_CHECK, type PitrCheckResult } from "./preflight";
import { targetText } from "./window";

/** The summary of a point-in-time restore: the base backup, WAL range, target and window preflight found. */
export function summarizePitr(stack: string, config: RestoreConfig, checks: CheckResult[]): Summary {
  // Only the target check carries `pitr`, so the one found by its name is a PitrCheckResult.
  const choice = (checks.find((c) => c.check === TARGET_CHECK && c.ok) as PitrCheckResult | undefined)?.pitr;
  const s = summarize(stack, config, planWalPitr(config, choice));
  if (choice) {
    s.restorePoint = `${choice.restorePoint} (${targetText(choice.target, choice.inclusive)}; reachable ${choice.window.from} to ${choice.window.to})`;
    s.dataLossWindow.from = choice.restorePoint;
  } else if (config.phase === "restore") s.restorePoint = "the recovery target (the archive was not read: see preflight)";
  return s;
}
