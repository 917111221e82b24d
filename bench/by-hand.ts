// The runbook performed "by hand": the plan's exact commands typed over plain SSH, step after
// step, hosts in parallel within a step. It is the baseline the benchmarks compare against and
// it proves the commands themselves on real hosts; it is not a replacement for the engine (no
// state, no diff, no resume).
import type { RestoreConfig } from "../src/config";
import { type RestorePlan, type RuntimeValues, PREVIEW_VALUES, restorePointFrom, resumedAtFrom, snapshotPathFrom, stampFrom, writesStoppedFrom } from "../src/runbook";
import { hostConnections } from "../src/program";
import type { SshRunner } from "../src/cli/ssh";

export interface StepTiming {
  step: string;
  startedAt: number;
  endedAt: number;
  stdout: Record<string, string>;
}

export class StepFailed extends Error {
  constructor(readonly step: string, readonly command: string, readonly host: string, readonly stderr: string) {
    super(`step ${step} failed on ${host} (${command}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

export async function runByHand(c: RestoreConfig, plan: RestorePlan, ssh: SshRunner, secrets: { adminPassword?: string } = {}): Promise<{ timings: StepTiming[]; runtime: RuntimeValues; writesStoppedAt: string[] }> {
  const hosts = hostConnections(c);
  const rt: RuntimeValues = { ...PREVIEW_VALUES };
  const timings: StepTiming[] = [];
  let writesStoppedAt: string[] = [];
  for (const step of plan.steps) {
    const startedAt = Date.now();
    // Every command of the step ends before a failure is reported, as the engine waits for the
    // operations in flight: a pg_dump left running beside a re-run would race it for the same file.
    const settled = await Promise.allSettled(
      step.commands.map(async (cmd) => {
        const r = await ssh.run(hosts[cmd.host], cmd.render(rt), 900, cmd.stdinSecret ? secrets[cmd.stdinSecret] ?? "" : undefined);
        if (!r.ok) throw new StepFailed(step.step, cmd.name, cmd.host, r.stderr || r.stdout);
        return [cmd.name, r.stdout] as const;
      }),
    );
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const results = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const stdout = Object.fromEntries(results);
    const outs = Object.values(stdout);
    if (step.step === "precheck") rt.stamp = stampFrom(outs.join("\n"));
    if (step.step === "snapshot") rt.snapshotPath = snapshotPathFrom(outs.join("\n"));
    if (step.step === "restore") rt.restorePoint = restorePointFrom(plan, outs[0] ?? "");
    if (step.step === "quiesce") writesStoppedAt = writesStoppedFrom(outs);
    if (step.step === "resume") rt.resumedAt = resumedAtFrom(outs);
    timings.push({ step: step.step, startedAt, endedAt: Date.now(), stdout });
  }
  return { timings, runtime: rt, writesStoppedAt };
}
