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

/** What `declareInOrder` hands a mechanism for one of its own steps. */
export interface OwnStep<S> {
  s: S;
  /** The step before, which this one depends on. */
  after: pulumi.Resource[];
  /** The components declared so far, by step name. */
  done: Partial<Record<string, pulumi.Resource>>;
}

/**
 * The plan's steps in order, each depending on the one before. `own` declares the mechanism's own
 * steps (snapshot, restore, repoint, swap, rollback, signoff) and returns undefined for the others:
 * the shared remote steps and the notice, declared here the same way for both AWS mechanisms.
 */
export function declareInOrder<S extends PlannedStep & { step: string }>(
  steps: S[],
  shared: { common: CommonArgs; config: RestoreConfig; ctx: ProgramContext; restorePoint: string; lostRowsUnavailable: string },
  own: (o: OwnStep<S>) => pulumi.Resource | undefined,
): Partial<Record<string, pulumi.Resource>> {
  const done: Partial<Record<string, pulumi.Resource>> = {};
  let resumedAt: pulumi.Output<string> | undefined;
  let previous: pulumi.Resource[] = [];
  for (const s of steps) {
    const after = previous;
    let component = own({ s, after, done });
    if (!component && s.step === "report") {
      const { restorePoint, lostRowsUnavailable } = shared;
      component = awsNotice(shared.common, shared.config, shared.ctx, s, { after, restorePoint, quiesce: done.quiesce as RunbookStep | undefined, resumedAt, lostRowsUnavailable });
    } else if (!component) {
      const step = remoteStep(shared.common, s, s.step as RemoteKind, after, resumedAt);
      if (s.step === "resume") resumedAt = resumedAtOf(step);
      component = step;
    }
    done[s.name] = component;
    previous = [component];
  }
  return done;
}

/** The outputs both AWS mechanisms share: what ran (phase, order, the plan) and what the notice and verify said. */
export function sharedOutputs(c: RestoreConfig, plan: { downtime: unknown; steps: { step: string; name: string; title: string; does: string[] }[] }, done: Partial<Record<string, pulumi.Resource>>) {
  const report = done.report as Report | undefined;
  const verify = (done.verify ?? done["rollback-verify"]) as RunbookStep | undefined;
  return {
    mechanism: c.mechanism,
    phase: c.phase,
    order: c.order,
    downtime: plan.downtime,
    plan: plan.steps.map((s) => ({ step: s.step, name: s.name, title: s.title, does: s.does })),
    dataLossWindow: report?.window,
    reportPath: report?.path,
    verifyResults: verify ? pulumi.all(verify.stdout).apply((m) => Object.fromEntries(Object.keys(m).map((k) => [k, "ok"]))) : {},
  };
}
