// Pure: the summary of an ebs-snapshot restore.
import type { RestoreConfig } from "../../config";
import { type Summary, stopsByHost } from "../../runbook/summary";
import { type EbsPlan, snapshotText } from "./plan";

/**
 * The summary of an ebs-snapshot restore: both volumes, the attachment and the tags (host `aws`),
 * and the db host's commands beside the consumer hosts' own.
 */
export function summarizeEbs(stack: string, c: RestoreConfig, plan: EbsPlan): Summary {
  const rp = `the start time of ${snapshotText(plan.snapshot, plan.volumeId)} (read before anything stops)`;
  return {
    stack,
    deployment: c.deployment,
    mechanism: `${c.mechanism}${c.phase === "restore" ? "" : `, phase ${c.phase}`}`,
    order: "beforeSwitch (the new volume is always made before anything stops)",
    downtime: plan.downtime,
    restorePoint: rp,
    dataLossWindow: { from: rp, to: "the moment services stop" },
    dump: `${snapshotText(plan.snapshot, plan.volumeId)} (EBS)`,
    source: "snapshot",
    restoreTarget: `a new EBS volume attached to ${plan.instanceId} at ${plan.restoreDeviceName} and mounted at ${plan.mount} on ${plan.dbHost} (the old volume ${plan.volumeId} stays attached at ${plan.deviceName}, unmounted, until sign-off)`,
    stops: stopsByHost(plan.stops),
    steps: plan.steps.map((st) => ({
      step: st.step,
      title: st.title,
      commands: [
        ...st.aws.map((d, i) => ({ host: "aws", name: `${st.name}-${i}`, description: d })),
        ...[...st.commands, ...st.volumeCommands].map((x) => ({ host: x.host, name: x.name, description: x.description })),
      ],
    })),
  };
}
