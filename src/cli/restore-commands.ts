// `delphi-restore preflight|preview|up|status|report|rollback|signoff|find-target|secrets`: the operator's
// commands (src/cli/commands.ts) on the command line, each appending to the run log.
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { EXIT, type ExitCode } from "./exit-codes";
import * as commands from "./commands";
import { findTarget } from "./find-target";
import { appendRunLog } from "./run-log";
import { openStack, stackConfigFile } from "./workspace";

interface CommonOpts {
  stack: string;
  json?: boolean;
  yes?: boolean;
  file?: string;
  since?: string;
  minRows?: string;
  apply?: boolean;
  fromArchive?: boolean;
}

const EXIT_NAMES = new Map<number, string>(Object.entries(EXIT).map(([k, v]) => [v, k.toLowerCase()]));

/** A usage error: nothing ran. With --json it is the one object on stdout. */
function usage(o: { json?: boolean }, error: string, message: string): ExitCode {
  if (o.json) commands.stdoutOut.json({ ok: false, error, message });
  else process.stderr.write(`${message}\n`);
  return EXIT.USAGE;
}

/** Runs one command: checks the stack has a config file, sets the exit code, logs the run. */
export function action<T extends { stack: string; json?: boolean }>(name: string, run: (o: commands.Opts & T) => Promise<ExitCode>) {
  return async (raw: T): Promise<void> => {
    const o = { ...raw, json: raw.json ?? false };
    const startedAt = new Date();
    let code: ExitCode;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(o.stack)) {
      code = usage(o, "usage", `bad --stack ${JSON.stringify(o.stack)}: a stack name is letters, digits, '_', '.' and '-' (it names the file Pulumi.<stack>.yaml).`);
    } else if (!existsSync(stackConfigFile(o.stack))) {
      code = usage(o, "config", `no config for stack '${o.stack}': ${stackConfigFile(o.stack)} does not exist. Copy Pulumi.restore.yaml to it and fill it in (or run \`delphi-restore sandbox up\` for the 'sandbox' stack).`);
    } else {
      code = await run(o);
    }
    process.exitCode = code;
    appendRunLog({ command: name, stack: o.stack, outcome: EXIT_NAMES.get(code) ?? String(code), exitCode: code, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime() });
  };
}

/** `secrets import`: put the SSH key and admin password into the stack as encrypted config. */
async function importSecrets(o: CommonOpts): Promise<ExitCode> {
  if (!o.file) return usage(o, "usage", "secrets needs --file <path>");
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(o.file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    // Not the parser's message: it quotes the file's text, which is a private key.
    const why = (e as NodeJS.ErrnoException).code ?? "not valid JSON";
    return usage(o, "usage", `cannot read ${o.file} as a JSON secrets file (${why})`);
  }
  const keys = ["sshPrivateKey", "adminPassword"].filter((k) => typeof doc[k] === "string");
  if (keys.length === 0) return usage(o, "usage", `${o.file} has neither "sshPrivateKey" nor "adminPassword" (strings)`);
  const stack = await openStack(o.stack);
  for (const k of keys) await stack.setConfig(`delphi-restore:${k}`, { value: String(doc[k]), secret: true });
  // Only the key names are printed: the values never reach the terminal.
  if (o.json) commands.stdoutOut.json({ ok: true, stack: o.stack, set: keys });
  else process.stdout.write(`Set ${keys.join(", ")} as encrypted config of stack '${o.stack}'.\n`);
  return EXIT.OK;
}

export function registerRestoreCommands(program: Command): void {
  const define = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option("-s, --stack <name>", "the stack whose config (Pulumi.<name>.yaml) describes the restore", "restore")
      .option("--json", "print exactly one JSON object on stdout (human lines go to stderr)");

  define("preflight", "read-only checks: every host answers over SSH, compose projects, the database, the dump, room for the pre-restore snapshot")
    .action(action("preflight", (o) => commands.preflight(o)));
  define("preview", "preflight, then the blast-radius summary and Pulumi's own preview; changes nothing")
    .action(action("preview", (o) => commands.preview(o)));
  define("up", "preview, confirm by typing the stack name, then run the restore with live progress")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .action(action("up", (o) => commands.up(o)));
  define("status", "where the last restore stands: steps done, failed and pending")
    .action(action("status", (o) => commands.status(o)));
  define("report", "print the tenant-admin notice of the last restore again")
    .action(action("report", (o) => commands.report(o)));
  define("rollback", "point the deployment back at the old database: AWS repoint, or rename the kept database/data back (O(1)) before sign-off")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .option("--from-archive", "after sign-off (pg-restore): restore the archive of the kept database as a new restore")
    .action(action("rollback", (o) => commands.phase(o, "rollback")));
  define("signoff", "after verification: archive (verified in full) and remove the kept data, or snapshot and release the old AWS database")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .action(action("signoff", (o) => commands.phase(o, "signoff")));
  define("recover", "after a killed update: show what was in flight, then clear its stale lock and unfinished operations")
    .option("-y, --yes", "do not ask for confirmation (scripts)")
    .action(action("recover", (o) => commands.recover(o)));
  define("find-target", "read the WAL archive (pg_waldump, read-only), list destructive transactions biggest first, and propose the wal-pitr target that undoes the worst")
    .option("--since <time>", "only transactions committed at or after this ISO 8601 time, e.g. 2026-11-25T18:00:00Z")
    .option("--min-rows <n>", "a DELETE/UPDATE counts from this many rows of one table", "10")
    .option("--apply", "write the suggested target (target.xid, inclusive: false) into the stack config")
    .action(action("find-target", (o) => findTarget(o)));
  define("secrets", "import the SSH private key and admin password from a JSON file as encrypted stack config")
    .requiredOption("-f, --file <path>", 'JSON file with "sshPrivateKey" and/or "adminPassword" (e.g. .sandbox/secrets.json)')
    .action(action("secrets", (o) => importSecrets(o)));
}
