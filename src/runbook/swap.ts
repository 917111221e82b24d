// Pure: the skeleton the mechanisms that replace the database's data under it share (a volume
// snapshot, a base backup recovered to a target): the runbook of ./order.ts around the swap
// on the db host, which keeps the replaced data aside; rollback renames the kept data back;
// sign-off (for these and pg-restore) archives the kept data and removes it.
import type { RestoreConfig } from "../config";
import { confirmStoppedCommands, dbTarget, fixed, quiesceCommands, reconcileCommand, resumeCommands, serviceStops, verifyCommands } from "./commands";
import { stampOfKept } from "./markers";
import { type HostCommand, type RestorePlan, type RuntimeValues, STEP_TITLES } from "./types";
import { afterSnapshotCommand, noticeCommand, runbookSteps, withCapture } from "./order";
import { removalWords, signoffKept } from "../shell/kept";
import { putDataBack } from "../shell/data-dir";
import type { KeptData } from "./kept";

type Base = Pick<RestorePlan, "deployment" | "mechanism" | "order" | "downtime" | "stops">;

export interface SwapParts {
  /** Checks on the db host before anything stops (the volume snapshot to restore). */
  checks: HostCommand[];
  /** snapshot: before: the pre-restore snapshot after quiesce (its stamp is the restore's). */
  beforeSnapshot: HostCommand;
  /** The data the swap keeps aside (the mechanism's). */
  kept: KeptData;
  /** The swap itself, on the db host, after every service stopped (it keeps the replaced data at the restore's stamp). */
  swap: HostCommand;
  downtime: string;
  rest: Pick<RestorePlan, "dump" | "restoreTarget" | "keptOldDatabase" | "source" | "restorePoint">;
}

function base(c: RestoreConfig, downtime: string): Base {
  return { deployment: c.deployment, mechanism: c.mechanism, order: c.order, downtime, stops: serviceStops(c).map(({ host, service }) => ({ host, service })) };
}

/** The restore: the runbook around the swap; the notice and the after-snapshot open the kept data with a temporary Postgres. */
export function swapPlan(c: RestoreConfig, p: SwapParts): RestorePlan {
  const d = c.database;
  if (!d) throw new Error(`${c.mechanism} needs \`database\` (config validation should have said so)`);
  const k = p.kept;
  const db = dbTarget(c);
  const side = (rt: RuntimeValues) => k.side(k.keptName(rt.stamp));
  const words = `the kept ${k.what} ${k.keptName("<UTC>")} (opened read-only by a temporary Postgres)`;
  const restore: HostCommand = {
    ...p.swap,
    description: `${p.swap.description}; then capture the restored rows of ${c.report.tables.join(", ")} for the notice`,
    render: (rt) => withCapture(c, db, p.swap.render(rt), d.name, rt.stamp),
    needs: [...new Set<keyof RuntimeValues>([...p.swap.needs, "stamp"])],
  };
  const steps = runbookSteps(c, {
    checks: p.checks,
    restore,
    beforeSnapshot: c.snapshot === "before" ? p.beforeSnapshot : undefined,
    afterSnapshot: c.snapshot === "after" ? afterSnapshotCommand(c, side, words) : undefined,
    notice: noticeCommand(c, side, ["stamp"], words),
  });
  return { ...base(c, p.downtime), ...p.rest, steps };
}

/**
 * Rollback: the runbook around renaming the kept data (config's rollbackTo) back to the live
 * data's place; what the restore put there is kept as `<data>.undone-<UTC>`. No snapshot and no notice.
 */
export function rollbackPlan(c: RestoreConfig, k: KeptData, timeoutSeconds: number): RestorePlan {
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
    steps: [
      { step: "quiesce", title: STEP_TITLES.quiesce, commands: quiesceCommands(c) },
      { step: "confirm", title: STEP_TITLES.confirm, commands: confirmStoppedCommands(c) },
      { step: "restore", title: `Put the kept ${what} back`, commands: [putBack] },
      { step: "reconcile", title: STEP_TITLES.reconcile, commands: [reconcileCommand(c)] },
      { step: "resume", title: STEP_TITLES.resume, commands: resumeCommands(c) },
      { step: "verify", title: STEP_TITLES.verify, commands: verifyCommands(c) },
    ],
    dump: { description: `${keptPath}, the ${what} the restore kept` },
    restoreTarget: `${dataPath} (what the restore put there is kept beside it)`,
    source: "kept data",
  };
}

/** The archive sign-off writes (or finds): the pre-restore snapshot's name, at the kept data's stamp. */
export function archiveOf(c: RestoreConfig, kept: string): string {
  const d = c.database;
  if (!d) throw new Error(`${c.mechanism} needs \`database\` (config validation should have said so)`);
  // What a rollback put aside is archived beside the kept data's archive, never under its name.
  return `${d.backupDir.replace(/\/+$/, "")}/pre-restore-${stampOfKept(kept)}${/[._]undone[-_]/.test(kept) ? ".undone" : ""}.dump`;
}

/** Sign-off (phase signoff): archive the kept data (config's `kept`), prove the archive reads in full, then remove the kept data. No service stops. */
export function keptSignoffPlan(c: RestoreConfig, k: KeptData): RestorePlan {
  const d = c.database;
  if (!d) throw new Error(`${c.mechanism} needs \`database\` (config validation should have said so)`);
  const name = c.kept ?? "";
  const path = k.keptPath(name);
  const archive = archiveOf(c, name);
  return {
    ...base(c, "none: no service stops"),
    stops: [],
    steps: [{
      step: "signoff",
      title: STEP_TITLES.signoff,
      commands: [{
        name: "archive-and-remove",
        host: d.host,
        description: `archive the kept ${k.what} ${path} to ${archive} (or verify the snapshot already there): pg_restore --list and a full read; only then ${removalWords(k.kind, path)}. Refused, with the kept data left, if the archive does not read in full`,
        render: fixed(signoffKept(dbTarget(c), k.side(name), k.kind, path, archive)),
        needs: [],
      }],
    }],
    dump: { description: `${path}, the ${k.what} the restore kept` },
    restoreTarget: `${archive} (the archive of the kept ${k.what})`,
    keptOldDatabase: path,
    source: "kept data",
  };
}
