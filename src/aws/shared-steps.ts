// The steps every AWS mechanism (RDS and EBS) declares the same way: the self-managed mechanism's
// remote steps, and the tenant-admin notice without a per-tenant count of lost rows.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../config";
import { type HostCommand, resumedAtFrom, writesStoppedFrom } from "../runbook";
import { type ProgramContext, commonStepArgs, reportDir } from "../steps/common-args";
import { Report } from "../steps/report";
import type { RunbookStep } from "../steps/runbook-step";
import { STEP_CLASSES } from "../steps/runbook-steps";

export type CommonArgs = ReturnType<typeof commonStepArgs>;
export type RemoteKind = "quiesce" | "confirm" | "reconcile" | "resume" | "verify";
/** What a plan says about a step: its component name, title and host commands. */
export interface PlannedStep {
  name: string;
  title: string;
  commands: HostCommand[];
}

/** A remote step after `after`; steps after resume get its time (the telemetry check needs it). */
export function remoteStep(common: CommonArgs, s: PlannedStep, kind: RemoteKind, after: pulumi.Resource[], resumedAt?: pulumi.Output<string>): RunbookStep {
  return new STEP_CLASSES[kind](s.name, { ...common, plan: { step: kind, title: s.title, commands: s.commands }, runtime: resumedAt ? { resumedAt } : {}, after });
}

/** The earliest moment a resume step started a service again. */
export function resumedAtOf(resume: RunbookStep): pulumi.Output<string> {
  return pulumi.all(Object.values(resume.stdout)).apply(resumedAtFrom);
}

export interface NoticeArgs {
  after: pulumi.Resource[];
  restorePoint: string;
  /** The quiesce step, whose commands print when writes stopped. */
  quiesce?: RunbookStep;
  resumedAt?: pulumi.Output<string>;
  /** Why lost rows are not counted, said in the notice. */
  lostRowsUnavailable: string;
}

/** The tenant-admin notice of an AWS restore: the data-loss window, without a lost-row count. */
export function awsNotice(common: CommonArgs, config: RestoreConfig, ctx: ProgramContext, s: { name: string; title: string }, n: NoticeArgs): Report {
  return new Report(s.name, {
    ...common,
    plan: { step: "report", title: s.title, commands: [] },
    after: n.after,
    deployment: config.deployment,
    contact: config.report.contact,
    tables: config.report.tables,
    dir: reportDir(config, ctx),
    restorePoint: n.restorePoint,
    writesStoppedAt: pulumi.all(Object.values(n.quiesce?.stdout ?? {})).apply(writesStoppedFrom),
    resumedAt: n.resumedAt ?? "",
    lostRowsUnavailable: n.lostRowsUnavailable,
  });
}
