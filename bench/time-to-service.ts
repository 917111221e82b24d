// P6 time to service, side B: the runbook as operators type it today, not the plan. A pg_dump of
// the live database while services run, `docker compose stop` in every consumer project, a
// single-job pg_restore of the nightly dump, TelWeb alone until its migrations ran, then
// `docker compose up -d` everywhere. None of the plan's checks (the dump read in full, the snapshot
// read back, still stopped, verify, the tenant notice): side A pays for those, and the figure asks
// whether the tool's order still brings service back sooner. The commands come from the same
// builders as the plan's (src/shell/) and run through the same SSH runner, so both sides pay the
// same transport.
import type { RestoreConfig } from "../src/config";
import { dbTarget, serviceStops } from "../src/runbook/commands";
import { hostConnections } from "../src/program";
import type { SshRunner } from "../src/cli/ssh";
import * as sh from "../src/shell";
import { StepFailed } from "./by-hand";

/** The runbook's five steps, in its order; each step's commands may run at once (an operator with several terminals). */
export type RunbookStepName = "pg_dump" | "stop" | "pg_restore" | "telweb" | "up";

export interface RunbookStep {
  step: RunbookStepName;
  commands: { host: string; command: string }[];
}

export interface RunbookTiming {
  step: RunbookStepName;
  /** Date.now() on this machine, the clock the sandbox's engine events use too. */
  startedAt: number;
  endedAt: number;
}

/** The lines TelWeb logs once `prisma migrate deploy` and the baseline seed ran (the runbook waits for both, as the plan's reconcile step does). */
const TELWEB_READY = ["migrate deploy", "baseline-seed"];
const TELWEB_FAILED = "migrate deploy failed";

/**
 * Pure: the runbook's commands for `c`, restoring `dumpFile` (a file name in database.backupDir).
 * The flags are the runbook's own: no --exit-on-error and no --jobs, and no read-back of the
 * pre-restore dump, since the runbook has none.
 */
export function runbookSteps(c: RestoreConfig, dumpFile: string): RunbookStep[] {
  const d = c.database;
  if (!d) throw new Error("P6 side B needs `database` (a self-managed restore)");
  const db = dbTarget(c);
  const backupDir = sh.trimSlash(d.backupDir);
  const consumers = serviceStops(c);
  // TelWeb's project: the web host's first, where the plan's reconcile step starts it too.
  const web = consumers.find((s) => s.role === "web");
  if (!web) throw new Error("no web host (config validation should have said so)");
  // The stamp is taken on the db host as the command runs, as an operator's shell would.
  const dump = `${sh.composeExec(db.dir, db.container, ["pg_dump", "-Fc", "-U", db.user, "-d", db.name, "-f"])} ${sh.quote(`${backupDir}/pre-restore-`)}${sh.UTC_STAMP}.dump`;
  return [
    { step: "pg_dump", commands: [{ host: d.host, command: dump }] },
    { step: "stop", commands: consumers.map((s) => ({ host: s.host, command: sh.composeStop(s.dir) })) },
    { step: "pg_restore", commands: [{ host: d.host, command: sh.composeExec(db.dir, db.container, ["pg_restore", "--clean", "--if-exists", "--no-owner", "-U", db.user, "-d", db.name, `${backupDir}/${dumpFile}`]) }] },
    { step: "telweb", commands: [{ host: web.host, command: sh.startAndWaitForLogLines(web.dir, c.reconcile.service, TELWEB_READY, TELWEB_FAILED, c.reconcile.timeoutSeconds) }] },
    { step: "up", commands: consumers.map((s) => ({ host: s.host, command: sh.composeUp(s.dir) })) },
  ];
}

/**
 * Run the steps over SSH, one after the other, a step's commands at once. Every command of a step
 * ends before a failure is reported, as in bench/by-hand.ts: a pg_dump left running would race
 * the next round for the backup folder.
 */
export async function runRunbook(c: RestoreConfig, steps: RunbookStep[], ssh: SshRunner): Promise<RunbookTiming[]> {
  const hosts = hostConnections(c);
  const timings: RunbookTiming[] = [];
  for (const s of steps) {
    const startedAt = Date.now();
    const settled = await Promise.allSettled(
      s.commands.map(async ({ host, command }) => {
        const r = await ssh.run(hosts[host], command, 900);
        if (!r.ok) throw new StepFailed(s.step, command.slice(0, 200), host, r.stderr || r.stdout);
      }),
    );
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    timings.push({ step: s.step, startedAt, endedAt: Date.now() });
  }
  return timings;
}

/** Seconds from the start of step `from` to the end of step `to` (NaN when either is missing). */
export function spanSeconds(timings: RunbookTiming[], from: RunbookStepName, to: RunbookStepName): number {
  const a = timings.find((t) => t.step === from);
  const b = timings.find((t) => t.step === to);
  return a && b ? (b.endedAt - a.startedAt) / 1000 : Number.NaN;
}
