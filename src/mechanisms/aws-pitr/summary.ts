// Pure: the summary of an aws-pitr restore.
import type { RestoreConfig } from "../../config";
import { type Summary, stopsByHost } from "../../runbook/summary";
import { type AwsPlan, recoveryText } from "./plan";

/**
 * The same summary for an AWS restore: the database objects and secret/DNS changes are the steps'
 * lines (host `aws`), the remote commands are the hosts' own.
 */
export function summarizeAws(stack: string, c: RestoreConfig, plan: AwsPlan): Summary {
  const rp = plan.recovery.type === "time" ? plan.recovery.time : `the restored database's point (${recoveryText(plan.recovery)})`;
  return {
    stack,
    deployment: c.deployment,
    mechanism: `${c.mechanism}${c.phase === "restore" ? "" : `, phase ${c.phase}`}`,
    order: c.order,
    downtime: plan.downtime,
    restorePoint: rp,
    dataLossWindow: { from: rp, to: c.order === "beforeSwitch" ? "the switch" : "the moment services stop" },
    dump: `${plan.sourceId} ${recoveryText(plan.recovery)}`,
    source: "source",
    restoreTarget: `a new ${plan.kind === "cluster" ? "Aurora cluster" : "RDS instance"} (the old one is kept until sign-off)`,
    stops: stopsByHost(plan.stops),
    steps: plan.steps.map((st) => ({
      step: st.step,
      title: st.title,
      commands: st.commands.length
        ? st.commands.map((x) => ({ host: x.host, name: x.name, description: x.description }))
        : st.does.map((d, i) => ({ host: "aws", name: `${st.name}-${i}`, description: d })),
    })),
  };
}
