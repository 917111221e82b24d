// Pure: the summary of a volume restore, with the snapshot preflight resolved on the db host.
import type { RestoreConfig } from "../../config";
import type { CheckResult } from "../../runbook/checks";
import { type Summary, summarize } from "../../runbook/summary";
import { planVolumeSnapshot } from "./plan";
import { VOLUME_CHECK, type VolumeCheckResult } from "./preflight";

/** The summary of a volume restore, with the snapshot and its time as preflight resolved them on the host. */
export function summarizeVolume(stack: string, config: RestoreConfig, checks: CheckResult[]): Summary {
  const s = summarize(stack, config, planVolumeSnapshot(config));
  // Only the volume check carries `volume`, so the one found by its name is a VolumeCheckResult.
  const target = (checks.find((c) => c.check === VOLUME_CHECK && c.ok) as VolumeCheckResult | undefined)?.volume;
  if (target) {
    s.dump = `${target.name}: ${s.dump}`;
    s.restorePoint = `${target.createdAt} (the snapshot's creation time)`;
    s.dataLossWindow.from = target.createdAt;
  } else if (config.phase === "restore") s.restorePoint = "the snapshot's creation time, read on the db host when the restore runs";
  return s;
}
