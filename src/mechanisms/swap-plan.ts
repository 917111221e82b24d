// Pure: the skeleton the mechanisms that replace the database's data under it share (a volume
// snapshot, a base backup recovered to a target): services stop first, the swap on the db host,
// then reconcile, resume, verify and the notice; rollback renames the kept data back.
import type { RestoreConfig } from "../config";
import {
  type HostCommand,
  type RestorePlan,
  STEP_TITLES,
  type StepPlan,
  confirmStoppedCommands,
  lostRowsReport,
  quiesceCommands,
  reconcileCommand,
  resumeCommands,
  serviceStops,
  verifyCommands,
  voiceCallsCheck,
} from "../plan";
import { dbTarget, fixed } from "../plan-commands";
import { putDataBack } from "../shell-volume";
import { keptData } from "./kept-data";

type Base = Pick<RestorePlan, "deployment" | "mechanism" | "order" | "downtime" | "stops">;

export interface SwapParts {
  /** The db host's pre-restore snapshot command (before anything stops; checks the source first). */
  snapshot: HostCommand;
  /** The swap itself, on the db host, after every service stopped. */
  swap: HostCommand;
  downtime: string;
  rest: Pick<RestorePlan, "dump" | "restoreTarget" | "keptOldDatabase" | "source" | "restorePoint">;
}

function base(c: RestoreConfig, downtime: string): Base {
  return { deployment: c.deployment, mechanism: c.mechanism, order: c.order, downtime, stops: serviceStops(c).map(({ host, service }) => ({ host, service })) };
}

function around(c: RestoreConfig, destructive: StepPlan): StepPlan[] {
  return [
    { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) },
    { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) },
    destructive,
    { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
    { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
    { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
  ];
}

/** The restore: snapshot (with Voice's calls check), the runbook around the swap, the notice. */
export function swapPlan(c: RestoreConfig, p: SwapParts): RestorePlan {
  const snapshot: StepPlan = { step: "snapshot", title: STEP_TITLES.snapshot, commands: [p.snapshot, ...voiceCallsCheck(c)] };
  return { ...base(c, p.downtime), ...p.rest, steps: [snapshot, ...around(c, { step: "restore", title: STEP_TITLES.restore, commands: [p.swap] }), lostRowsReport(c)] };
}

/**
 * Rollback: the runbook around renaming the kept data (config's rollbackTo) back to the live
 * data's place; what the restore put there is kept as `<data>.undone-<UTC>`. No snapshot and no notice.
 */
export function rollbackPlan(c: RestoreConfig, timeoutSeconds: number): RestorePlan {
  const k = keptData(c);
  const what = k.what;
  const dataPath = k.data;
  const keptPath = k.keptPath(k.rollbackTo ?? "");
  const d = c.database;
  if (!d) throw new Error(`${c.mechanism} needs \`database\` (config validation should have said so)`);
  const putBack: HostCommand = {
    name: "put-kept-data-back",
    host: d.host,
    description: `docker compose stop ${d.container}, move ${dataPath} aside (kept as ${dataPath}.undone-<UTC of the restore>), move the kept ${keptPath} back to ${dataPath}, docker compose up -d ${d.container} and wait for it`,
    render: fixed(putDataBack(dbTarget(c), dataPath, keptPath, timeoutSeconds)),
    needs: [],
  };
  return {
    ...base(c, `restore time: services stop while the kept ${what} is put back`),
    steps: around(c, { step: "restore", title: `Put the kept ${what} back`, commands: [putBack] }),
    dump: { description: `${keptPath}, the ${what} the restore kept` },
    restoreTarget: `${dataPath} (what the restore put there is kept beside it)`,
    source: "kept data",
  };
}
