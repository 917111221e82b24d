// Pure: the ten-second summary of a restore's blast radius, as text and as JSON, both made
// from the same plan so `--json` carries exactly the facts the operator reads.
import Table from "cli-table3";
import { COMPACT } from "./table-style";
import type { RestoreConfig } from "../config";
import { type AwsPlan, recoveryText } from "../mechanisms/aws-pitr/plan";
import { type EbsPlan, snapshotText } from "../mechanisms/ebs-snapshot/plan";
import type { RestorePlan } from "../runbook";

export interface Summary {
  stack: string;
  deployment: string;
  mechanism: string;
  order: string;
  downtime: string;
  restorePoint: string;
  dataLossWindow: { from: string; to: string };
  dump: string;
  /** What `dump` names: a dump, a volume snapshot, the kept data (rollback) or an AWS source. */
  source: string;
  restoreTarget: string;
  keptOldDatabase?: string;
  stops: { host: string; services: string[] }[];
  steps: { step: string; title: string; commands: { host: string; name: string; description: string }[] }[];
}

export function summarize(stack: string, c: RestoreConfig, plan: RestorePlan): Summary {
  const byHost = new Map<string, string[]>();
  for (const s of plan.stops) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s.service]);
  const rp = plan.restorePoint ?? "read from the dump's name when the restore runs";
  return {
    stack,
    deployment: c.deployment,
    mechanism: c.mechanism,
    order: c.order,
    downtime: plan.downtime,
    restorePoint: rp,
    dataLossWindow: { from: rp, to: c.order === "beforeSwitch" ? "the database switch" : "the moment services stop" },
    dump: plan.dump.description,
    source: plan.source ?? "dump",
    restoreTarget: plan.restoreTarget,
    keptOldDatabase: plan.keptOldDatabase,
    stops: [...byHost].map(([host, services]) => ({ host, services })),
    steps: plan.steps.map((s) => ({ step: s.step, title: s.title, commands: s.commands.map((x) => ({ host: x.host, name: x.name, description: x.description })) })),
  };
}

/**
 * The same summary for an AWS restore: the database objects and secret/DNS changes are the steps'
 * lines (host `aws`), the remote commands are the hosts' own.
 */
export function summarizeAws(stack: string, c: RestoreConfig, plan: AwsPlan): Summary {
  const byHost = new Map<string, string[]>();
  for (const s of plan.stops) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s.service]);
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
    stops: [...byHost].map(([host, services]) => ({ host, services })),
    steps: plan.steps.map((st) => ({
      step: st.step,
      title: st.title,
      commands: st.commands.length
        ? st.commands.map((x) => ({ host: x.host, name: x.name, description: x.description }))
        : st.does.map((d, i) => ({ host: "aws", name: `${st.name}-${i}`, description: d })),
    })),
  };
}

/**
 * The summary of an ebs-snapshot restore: both volumes, the attachment and the tags (host `aws`),
 * and the db host's commands beside the consumer hosts' own.
 */
export function summarizeEbs(stack: string, c: RestoreConfig, plan: EbsPlan): Summary {
  const byHost = new Map<string, string[]>();
  for (const s of plan.stops) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s.service]);
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
    stops: [...byHost].map(([host, services]) => ({ host, services })),
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

export function renderSummary(s: Summary): string {
  const head = new Table({ ...COMPACT, wordWrap: true, colWidths: [20, 86] });
  head.push(
    { "Stack / deployment": `${s.stack} / ${s.deployment}` },
    { Mechanism: `${s.mechanism} (order: ${s.order})` },
    { "Restore point": s.restorePoint },
    { "Data lost": `every write from ${s.dataLossWindow.from} to ${s.dataLossWindow.to}` },
    { [`From ${s.source}`]: s.dump },
    { "Restores into": s.restoreTarget + (s.keptOldDatabase ? ` (old database kept as ${s.keptOldDatabase})` : "") },
    { Downtime: s.downtime },
    { "Services stopped": s.stops.map((h) => `${h.host}: ${h.services.join(", ")}`).join("\n") },
  );
  const steps = new Table({ head: ["#", "step", "host", "what runs"], ...COMPACT, wordWrap: true, colWidths: [4, 22, 10, 70] });
  s.steps.forEach((st, i) => {
    st.commands.forEach((c, j) => steps.push([j === 0 ? String(i + 1) : "", j === 0 ? st.title : "", c.host, c.description]));
    if (st.commands.length === 0) steps.push([String(i + 1), st.title, "-", "(nothing configured)"]);
  });
  return `${head.toString()}\n${steps.toString()}`;
}
