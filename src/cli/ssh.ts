// Run one command on a host for preflight and the by-hand baseline: the very same OpenSSH call as
// the host-command resource (src/resources/ssh-exec.ts): batch mode, the pinned host key, the key
// in a 0600 temp file that is removed afterwards, never on a command line.
import { explainSshFailure, runOnHost } from "../resources/ssh-exec";
import type { HostConnection } from "../resources/declare-command";

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  /** Why ssh itself failed (host key mismatch, unreachable, key refused), when it did. */
  sshProblem?: string;
}

export class SshRunner {
  constructor(private readonly privateKey: string | undefined) {}

  async run(host: HostConnection, command: string, timeoutSeconds = 20, stdin?: string): Promise<RunResult> {
    return this.exec(host, command, { timeoutSeconds, stdin });
  }

  /** run, with standard output handed to onStdout as it arrives (the result keeps only its tail): output too big to hold. */
  async stream(host: HostConnection, command: string, onStdout: (chunk: string) => void, timeoutSeconds = 0): Promise<RunResult> {
    // One decoder for the whole stream, so a character split between chunks arrives whole.
    const decoder = new TextDecoder();
    const r = await this.exec(host, command, { timeoutSeconds, onStdout: (c) => onStdout(decoder.decode(c, { stream: true })) });
    onStdout(decoder.decode());
    return r;
  }

  private async exec(host: HostConnection, command: string, opts: { timeoutSeconds: number; stdin?: string; onStdout?: (c: Buffer) => void }): Promise<RunResult> {
    try {
      const r = await runOnHost(host, command, { privateKey: this.privateKey || undefined, stdin: opts.stdin, timeoutSeconds: opts.timeoutSeconds, connectTimeoutSeconds: 5, onStdout: opts.onStdout });
      return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, sshProblem: explainSshFailure(host, r.exitCode, r.stderr) };
    } catch (e) {
      return { ok: false, stdout: "", stderr: (e as Error).message, exitCode: undefined, sshProblem: (e as Error).message };
    }
  }
}
