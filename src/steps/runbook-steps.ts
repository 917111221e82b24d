// One ComponentResource type per runbook step, so `pulumi preview` shows a tree an operator can
// read (delphi:restore:Quiesce > quiesce-web-web, ...). They differ only in their type token;
// the behaviour lives in the plan (src/runbook/) and in RunbookStep.
import type * as pulumi from "@pulumi/pulumi";
import type { StepName } from "../runbook";
import { RunbookStep, type RunbookStepArgs } from "./runbook-step";

type StepClass = new (name: string, args: RunbookStepArgs, opts?: pulumi.ComponentResourceOptions) => RunbookStep;

export function stepClass(token: string): StepClass {
  return class extends RunbookStep {
    constructor(name: string, args: RunbookStepArgs, opts?: pulumi.ComponentResourceOptions) {
      super(`delphi:restore:${token}`, name, args, opts);
      this.finish();
    }
  };
}

/** Before anything stops: the restore's stamp, the backup read in full, Voice's calls. */
export const Precheck = stepClass("Precheck");
/** A verified pg_dump of the bad state: of the kept data after the services are back, or (snapshot: before) of the stopped live database. */
export const PreRestoreSnapshot = stepClass("PreRestoreSnapshot");
/** docker compose stop on every consumer host, hosts in parallel; Voice guarded by its active-calls check. */
export const Quiesce = stepClass("Quiesce");
/** Right before the restore: every consumer project still stopped (a rebooted host is caught). */
export const ConfirmStopped = stepClass("ConfirmStopped");
/** pg_restore --clean --if-exists --no-owner --exit-on-error of the chosen archive. */
export const Restore = stepClass("Restore");
/** Make the services' database name resolve to the restored database. */
export const Repoint = stepClass("Repoint");
/** TelWeb alone first: wait for its migrate deploy and baseline-seed log lines. */
export const Reconcile = stepClass("Reconcile");
/** docker compose up -d on every host. */
export const Resume = stepClass("Resume");
/** Every verify check; a failing one fails the update with the check's name. */
export const Verify = stepClass("Verify");

/** Sign-off: archive the kept data, prove the archive reads in full, remove the kept data. */
export const SignOff = stepClass("SignOff");

/** The remote steps; the report (src/steps/report.ts) also writes the notice locally. */
export const STEP_CLASSES: Record<Exclude<StepName, "report">, StepClass> = {
  precheck: Precheck,
  snapshot: PreRestoreSnapshot,
  quiesce: Quiesce,
  confirm: ConfirmStopped,
  restore: Restore,
  repoint: Repoint,
  reconcile: Reconcile,
  resume: Resume,
  verify: Verify,
  signoff: SignOff,
};
