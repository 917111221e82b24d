// Preflight of wal-pitr: its last round reads the archive on the db host and decides, as the
// program will, whether the recovery target is in reach.
import type { RestoreConfig } from "../../config";
import type { CheckResult, CheckRun } from "../../runbook/checks";
import { gatherWalFacts } from "./facts";
import { type PitrChoice, checkTarget, choiceText, targetOf } from "./window";

export const TARGET_CHECK = "recovery target in reach";

/** The target check's result: the base backup, WAL range and restore point it chose (in `--json` too). */
export interface PitrCheckResult extends CheckResult {
  pitr?: PitrChoice;
}

/**
 * wal-pitr: the archive can reach the target from a base backup, with no segment missing (two
 * reads on the db host, then the same decision the program makes before declaring anything).
 */
async function targetCheck(c: RestoreConfig, run: CheckRun, reachable: boolean): Promise<PitrCheckResult> {
  const host = c.database?.host ?? "db";
  if (!reachable) return { check: TARGET_CHECK, host, ok: false, detail: "skipped: host unreachable" };
  if (!c.target) return { check: TARGET_CHECK, host, ok: false, detail: "no target in config" };
  const target = targetOf(c.target);
  try {
    const facts = await gatherWalFacts(c, target, (h, command) => run(h, command, 120));
    const v = checkTarget(facts, target, c.target.inclusive);
    return v.ok ? { check: TARGET_CHECK, host, ok: true, detail: choiceText(v.choice), pitr: v.choice } : { check: TARGET_CHECK, host, ok: false, detail: v.problem };
  } catch (e) {
    return { check: TARGET_CHECK, host, ok: false, detail: (e as Error).message };
  }
}

/** Phase restore: the recovery target check, on the db host. */
export async function targetChecks(c: RestoreConfig, run: CheckRun, reachable: (host: string) => boolean): Promise<CheckResult[]> {
  return c.phase === "restore" && c.database ? [await targetCheck(c, run, reachable(c.database.host))] : [];
}
