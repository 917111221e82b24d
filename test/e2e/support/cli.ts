// The operator's command as a user types it (`bin/delphi-restore ...`) in a test's project folder,
// and the text of a folder's files for the secrets scans.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";

export const ROOT = resolve(__dirname, "..", "..", "..");
export const BIN = join(ROOT, "bin", "delphi-restore");

/** PATH with the project's pulumi and Node 22 first, as `. .tools/env.sh` gives a user. */
export const TOOLS_PATH = `${join(ROOT, ".tools", "bin")}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`;

export function cliIn(dir: string, args: string[]) {
  return execa(BIN, args, { reject: false, cwd: dir, stdin: "ignore", env: { DELPHI_RESTORE_PROJECT_DIR: dir, PATH: TOOLS_PATH } });
}

/**
 * The `pulumi` CLI as a user runs it after `. .tools/env.sh` for a project folder: the project's
 * CLI and Node first, and the same backend and passphrase the driver uses there.
 */
export function pulumiIn(dir: string, args: string[], opts: { cwd?: string } = {}) {
  return execa(join(ROOT, ".tools", "bin", "pulumi"), args, {
    cwd: opts.cwd ?? dir,
    reject: false,
    stdin: "ignore",
    env: {
      PATH: TOOLS_PATH,
      DELPHI_RESTORE_PROJECT_DIR: dir,
      PULUMI_BACKEND_URL: `file://${join(dir, ".state", "backend")}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: join(dir, ".state", "passphrase"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  });
}

/** Every file under a folder, as text (state, logs, reports), for the secrets scans. */
export function allText(folder: string): string {
  if (!existsSync(folder)) return "";
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .map((f) => join(folder, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
}
