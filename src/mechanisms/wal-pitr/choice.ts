// Before anything is declared: read the archive on the db host (read-only) and check the target,
// so a target out of reach refuses the restore with nothing changed.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../../config";
import { explainSshFailure, runOnHost } from "../../resources/ssh-exec";
import { type ProgramContext, type Secrets, hostConnections } from "../../steps/common-args";
import { gatherWalFacts } from "./facts";
import { type PitrChoice, checkTarget, targetOf } from "./window";

/** Read the archive on the db host (read-only) and check the target; refuse before declaring anything. */
export async function walChoice(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext): Promise<PitrChoice | undefined> {
  if (config.phase !== "restore" || !config.target) return undefined;
  const hosts = hostConnections(config);
  const key = secrets.privateKey ? await new Promise<string>((r) => pulumi.output(secrets.privateKey).apply((k) => (r(k ?? ""), k))) : undefined;
  const run = ctx.hostRun ?? (async (host: string, command: string) => {
    const r = await runOnHost(hosts[host], command, { privateKey: key || undefined, timeoutSeconds: 120, connectTimeoutSeconds: 10 });
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: explainSshFailure(hosts[host], r.exitCode, r.stderr) ?? r.stderr };
  });
  const target = targetOf(config.target);
  let verdict;
  try {
    verdict = checkTarget(await gatherWalFacts(config, target, run), target, config.target.inclusive);
  } catch (e) {
    throw new pulumi.RunError(`wal-pitr: ${(e as Error).message}; nothing was changed`);
  }
  if (!verdict.ok) throw new pulumi.RunError(`wal-pitr: the recovery target is out of reach; nothing was changed:\n  x delphi-restore:target: ${verdict.problem}`);
  return verdict.choice;
}
