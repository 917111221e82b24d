// Run one command on a host with the OpenSSH client, for preflight checks. The key is written
// to a 0600 temp file that is removed afterwards; it never appears on a command line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { HostConnection } from "../steps/runbook-step";

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

export class SshRunner {
  private readonly dir: string;
  private readonly keyFile: string;

  constructor(privateKey: string) {
    this.dir = mkdtempSync(join(tmpdir(), "delphi-restore-ssh-"));
    this.keyFile = join(this.dir, "key");
    writeFileSync(this.keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
  }

  async run(host: HostConnection, command: string, timeoutSeconds = 20, stdin?: string): Promise<RunResult> {
    const args = host.local
      ? ["/bin/sh", "-c", command]
      : [
          "ssh",
          "-i", this.keyFile,
          "-p", String(host.port),
          "-o", "BatchMode=yes",
          "-o", "IdentitiesOnly=yes",
          "-o", "StrictHostKeyChecking=no",
          "-o", `UserKnownHostsFile=${join(this.dir, "known_hosts")}`,
          "-o", "LogLevel=ERROR",
          "-o", "ConnectTimeout=5",
          `${host.user}@${host.address}`,
          "--",
          command,
        ];
    const r = await execa(args[0], args.slice(1), { reject: false, timeout: timeoutSeconds * 1000, ...(stdin === undefined ? { stdin: "ignore" as const } : { input: stdin }) });
    return { ok: r.exitCode === 0, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
