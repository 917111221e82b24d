// What every operator command shares: its options, where its words go (stdout, or stderr when
// --json keeps stdout for the one JSON object), a refusal, and the confirmation.
import { createInterface } from "node:readline/promises";
import { ConfigError } from "../config";
import { EXIT, type ExitCode } from "./exit-codes";

export interface Opts {
  stack: string;
  json: boolean;
  yes?: boolean;
}

export type Out = { log: (s: string) => void; json: (o: unknown) => void };

export const stdoutOut: Out = {
  log: (s) => process.stderr.write(`${s}\n`),
  json: (o) => process.stdout.write(`${JSON.stringify(o, null, 2)}\n`),
};

/** Human lines go to stderr when --json is on, so stdout stays one parseable object. */
export function say(o: Opts, out: Out, s: string): void {
  if (o.json) out.log(s);
  else process.stdout.write(`${s}\n`);
}

/** A command that cannot go on: the reason to the operator (stderr with --json) and, with --json, the one object. */
export function refuse(o: Opts, out: Out, code: ExitCode, message: string): ExitCode {
  say(o, out, message);
  if (o.json) out.json({ ok: false, stack: o.stack, error: message });
  return code;
}

export async function confirm(o: Opts): Promise<boolean> {
  if (o.yes) return true;
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Type the stack name (${o.stack}) to run this restore: `);
  rl.close();
  return answer.trim() === o.stack;
}

/**
 * Open a stack and read its config; a config that does not validate is reported (every problem,
 * with --json as the one object) and becomes exit 2 instead of an exception.
 */
export async function loadOrRefuse<T>(o: Opts, out: Out, open: () => Promise<T>): Promise<T | ExitCode> {
  try {
    return await open();
  } catch (e) {
    if (e instanceof ConfigError) {
      if (o.json) out.json({ ok: false, error: "config", problems: e.problems });
      else say(o, out, e.message);
      return EXIT.USAGE;
    }
    throw e;
  }
}
