// src/cli/: the Automation API driver (preflight, summary, confirmation, progress, rollback,
// sign-off, report, the sandbox commands). The top layer: may import every other one, and asks
// the registry (src/mechanisms) rather than naming a mechanism.
//
// The `delphi-restore` command line: a small dispatcher. Each command group lives in its own
// module under src/cli/ and registers itself here.
import { Command } from "commander";
import { EXIT } from "./exit-codes";
import { action, registerRestoreCommands } from "./restore-commands";
import { registerSandboxCommands } from "./sandbox";
import { registerTenantCommands } from "./tenant";

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("delphi-restore")
    .description("Restore a Delphi deployment's Postgres, as reviewable Pulumi infrastructure code.")
    .showHelpAfterError()
    .exitOverride();
  registerRestoreCommands(program);
  registerSandboxCommands(program);
  registerTenantCommands(program, action);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    // Commander throws for --help/--version too; those are not usage errors.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exitCode = EXIT.OK;
    else if (typeof err.code === "string" && err.code.startsWith("commander.")) process.exitCode = EXIT.USAGE;
    else throw e;
  }
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`delphi-restore: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = EXIT.FAILED;
});
