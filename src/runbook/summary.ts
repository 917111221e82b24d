// Pure: the ten-second summary of a restore's blast radius, as data (the driver renders it as text
// and prints it as JSON, so `--json` carries exactly the facts the operator reads). The
// self-managed summary is made here from the plan; each mechanism completes it, or makes its own.
import type { RestoreConfig } from "../config";
import type { RestorePlan } from "./types";

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

/** The services a restore stops, by host, in plan order. */
export function stopsByHost(stops: readonly { host: string; service: string }[]): { host: string; services: string[] }[] {
  const byHost = new Map<string, string[]>();
  for (const s of stops) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s.service]);
  return [...byHost].map(([host, services]) => ({ host, services }));
}

export function summarize(stack: string, c: RestoreConfig, plan: RestorePlan): Summary {
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
    stops: stopsByHost(plan.stops),
    steps: plan.steps.map((s) => ({ step: s.step, title: s.title, commands: s.commands.map((x) => ({ host: x.host, name: x.name, description: x.description })) })),
  };
}
