// Pure: the shapes of a restore plan (steps, host commands, the values known only at run time) and
// the runbook's step names and titles. Below every plan builder, so none of them imports another.
import type { RestoreConfig } from "../config";

export const STEP_ORDER = ["precheck", "snapshot", "quiesce", "confirm", "restore", "repoint", "reconcile", "resume", "verify", "report", "signoff"] as const;
export type StepName = (typeof STEP_ORDER)[number];

export const STEP_TITLES: Record<StepName, string> = {
  precheck: "Check before anything stops",
  snapshot: "Pre-restore snapshot",
  quiesce: "Quiesce services",
  confirm: "Confirm services still stopped",
  restore: "Restore database",
  repoint: "Repoint services",
  reconcile: "Reconcile schema (TelWeb migrate deploy)",
  resume: "Resume services",
  verify: "Verify",
  report: "Tenant-admin report",
  signoff: "Sign off: archive and remove the kept data",
};

/** Values known only while `up` runs; commands that need them are rendered from these. */
export interface RuntimeValues {
  /** The restore's UTC stamp (yyyymmddThhmmssZ), taken by its first step: names the kept data and the snapshot. */
  stamp: string;
  snapshotPath: string;
  restorePoint: string;
  resumedAt: string;
}

/** Placeholders shown in previews and summaries for values known only at run time. */
export const PREVIEW_VALUES: RuntimeValues = {
  stamp: "<UTC>",
  snapshotPath: "<pre-restore snapshot path>",
  restorePoint: "<restore point>",
  resumedAt: "<resume time>",
};

export interface HostCommand {
  /** Resource name suffix, unique within the step. */
  name: string;
  host: string;
  description: string;
  render: (rt: RuntimeValues) => string;
  /** Which runtime values the command needs (so components wait only for those). */
  needs: (keyof RuntimeValues)[];
  /** A secret config value fed on stdin (never on the command line). */
  stdinSecret?: "adminPassword";
}

export interface StepPlan {
  step: StepName;
  title: string;
  commands: HostCommand[];
}

export interface RestorePlan {
  deployment: string;
  mechanism: RestoreConfig["mechanism"];
  order: RestoreConfig["order"];
  steps: StepPlan[];
  /** The restore point when known before the run (config, or the dump's file name). */
  restorePoint?: string;
  dump: { file?: string; description: string };
  /** The database the restore writes into (a new one beside the live one, switched in). */
  restoreTarget: string;
  /** The name the replaced data is kept under (a database, a data subvolume or directory). */
  keptOldDatabase?: string;
  /** What the restore restores from, for the summary's label: a dump, or a volume snapshot. */
  source?: "dump" | "volume snapshot" | "kept data" | "base backup + WAL";
  downtime: string;
  stops: { host: string; service: string }[];
}
