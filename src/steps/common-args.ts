// What every mechanism's steps are given: hosts, transport, restore key, key and secrets, and
// where relative paths are anchored. Below src/program.ts and src/mechanisms, so both import it.
import { isAbsolute, join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { RestoreConfig } from "../config";
import { restoreKey } from "../runbook";
import type { HostConnection } from "../resources/declare-command";

export interface Secrets {
  privateKey?: pulumi.Output<string>;
  adminPassword?: pulumi.Output<string>;
}

export function hostConnections(c: RestoreConfig): Record<string, HostConnection> {
  return Object.fromEntries(Object.entries(c.hosts).map(([n, h]) => [n, { name: n, address: h.address, port: h.port, user: h.user, local: h.local, hostKey: h.hostKey }]));
}

/** Where the program's relative paths (the report folder) are anchored. */
export interface ProgramContext {
  /** The project folder (Pulumi.yaml and the stack files); default: the working directory. */
  projectDir?: string;
  /** wal-pitr: how the program reads the archive on the db host (default: over SSH with the pinned key; tests pass their own). */
  hostRun?: (host: string, command: string) => Promise<{ ok: boolean; stdout: string; stderr: string }>;
}

/** The step arguments every mechanism shares: transport, restore key, hosts, key, secrets. */
export function commonStepArgs(config: RestoreConfig, secrets: Secrets) {
  return {
    hosts: hostConnections(config),
    transport: config.transport,
    restoreKey: restoreKey(config),
    privateKey: secrets.privateKey,
    secrets: { adminPassword: secrets.adminPassword },
  };
}

/** The report folder as an absolute path: the notice is written by a separate process. */
export function reportDir(config: RestoreConfig, ctx: ProgramContext = {}): string {
  const dir = config.report.dir;
  return isAbsolute(dir) ? dir : join(ctx.projectDir ?? process.cwd(), dir);
}

