// The ten-second summary for each mechanism, completed with what preflight found on the hosts:
// the newest dump, the volume snapshot and its time, the base backup and WAL a target needs.
import { basename } from "node:path";
import { SELF_MANAGED_MECHANISMS, type RestoreConfig } from "../config";
import { planAws } from "../mechanisms/aws-pitr/plan";
import { planEbs } from "../mechanisms/ebs-snapshot/plan";
import { planSelfManaged } from "../mechanisms/self-managed-plan";
import { planWalPitr } from "../mechanisms/wal-pitr/plan";
import { targetText } from "../mechanisms/wal-pitr/window";
import { TARGET_CHECK, VOLUME_CHECK, type CheckResult } from "./preflight";
import { summarize, summarizeAws, summarizeEbs, type Summary } from "./summary";

/**
 * The blast-radius summary. Without a named dump the restore takes the newest one when it runs;
 * the summary shows the one preflight found now, so the restore point and window are concrete.
 */
export function summaryOf(o: { stack: string }, config: RestoreConfig, checks: CheckResult[] = []): Summary {
  if (config.mechanism === "ebs-snapshot") return summarizeEbs(o.stack, config, planEbs(config));
  if (!(SELF_MANAGED_MECHANISMS as readonly string[]).includes(config.mechanism)) return summarizeAws(o.stack, config, planAws(config));
  if (config.mechanism === "volume-snapshot") return summarizeVolume(o.stack, config, checks);
  if (config.mechanism === "wal-pitr") return summarizePitr(o.stack, config, checks);
  const found = checks.find((c) => c.check === "dump reads in full" && c.ok)?.detail;
  const c = !config.dump && found ? { ...config, dump: basename(found) } : config;
  const s = summarize(o.stack, c, planSelfManaged(c));
  if (c !== config) s.dump = `${found} (the newest now; the restore takes the newest when it runs)`;
  return s;
}

/** The summary of a volume restore, with the snapshot and its time as preflight resolved them on the host. */
function summarizeVolume(stack: string, config: RestoreConfig, checks: CheckResult[]): Summary {
  const s = summarize(stack, config, planSelfManaged(config));
  const target = checks.find((c) => c.check === VOLUME_CHECK && c.ok)?.volume;
  if (target) {
    s.dump = `${target.name}: ${s.dump}`;
    s.restorePoint = `${target.createdAt} (the snapshot's creation time)`;
    s.dataLossWindow.from = target.createdAt;
  } else if (config.phase === "restore") s.restorePoint = "the snapshot's creation time, read on the db host when the restore runs";
  return s;
}

/** The summary of a point-in-time restore: the base backup, WAL range, target and window preflight found. */
function summarizePitr(stack: string, config: RestoreConfig, checks: CheckResult[]): Summary {
  const choice = checks.find((c) => c.check === TARGET_CHECK && c.ok)?.pitr;
  const s = summarize(stack, config, planWalPitr(config, choice));
  if (choice) {
    s.restorePoint = `${choice.restorePoint} (${targetText(choice.target, choice.inclusive)}; reachable ${choice.window.from} to ${choice.window.to})`;
    s.dataLossWindow.from = choice.restorePoint;
  } else if (config.phase === "restore") s.restorePoint = "the recovery target (the archive was not read: see preflight)";
  return s;
}
