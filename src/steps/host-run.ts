// How the program itself reads a host before it declares anything (the dump it will restore, the
// WAL archive): read-only commands over SSH with the pinned host key and the stack's private key,
// or the runner a test passes in ProgramContext.
import * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../config";
import { explainSshFailure, runOnHost } from "../resources/ssh-exec";
import { type ProgramContext, type Secrets, hostConnections } from "./common-args";

export type HostRun = NonNullable<ProgramContext["hostRun"]>;

export function programHostRun(config: RestoreConfig, secrets: Secrets, ctx: ProgramContext): HostRun {
  if (ctx.hostRun) return ctx.hostRun;
  const hosts = hostConnections(config);
  let key: Promise<string> | undefined;
  // The key is a secret Output: unwrapped once, only to hand to ssh (never logged or returned).
  const privateKey = () => (key ??= secrets.privateKey ? new Promise<string>((r) => pulumi.output(secrets.privateKey).apply((k) => (r(k ?? ""), k))) : Promise.resolve(""));
  return async (host, command) => {
    const k = await privateKey();
    const r = await runOnHost(hosts[host], command, { privateKey: k || undefined, timeoutSeconds: 120, connectTimeoutSeconds: 10 });
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: explainSshFailure(hosts[host], r.exitCode, r.stderr) ?? r.stderr };
  };
}
