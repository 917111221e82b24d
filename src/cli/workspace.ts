// The Automation API side: a LocalWorkspace over this project's own program, a local file://
// backend and a passphrase secrets provider, so nothing needs Pulumi's service or network.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { fromPulumiConfig, parseConfig, type RestoreConfig } from "../config";
import { restoreProgram } from "../program";

/** The checkout: the program's sources and the set-up's toolchain (.tools). */
export const CHECKOUT_DIR = resolve(__dirname, "..", "..");
/**
 * Where stack config files and state live: the checkout, or DELPHI_RESTORE_PROJECT_DIR (the same
 * override the sandbox honours, so tests keep their stacks and sandboxes in a temp folder).
 */
export const PROJECT_DIR = resolve(process.env.DELPHI_RESTORE_PROJECT_DIR || CHECKOUT_DIR);
export const STATE_DIR = join(PROJECT_DIR, ".state");

/** Environment for the engine: honours the user's own backend/passphrase when set. */
export function engineEnv(): Record<string, string> {
  mkdirSync(STATE_DIR, { recursive: true });
  const modules = join(CHECKOUT_DIR, "node_modules");
  const env: Record<string, string> = {
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The provider host of dynamic resources (pulumi-resource-pulumi-nodejs, shipped in the
    // @pulumi/pulumi package; the set-up links it next to the CLI in .tools/bin, where the CLI
    // uses it without a warning) and the Node 22 it runs with. It resolves @pulumi/pulumi from the
    // engine's working folder, which may be a project folder without node_modules: NODE_PATH
    // points it at the checkout's.
    PATH: [join(CHECKOUT_DIR, ".tools", "bin"), join(modules, ".bin"), join(modules, "@pulumi", "pulumi"), process.env.PATH ?? ""].join(":"),
    NODE_PATH: [modules, process.env.NODE_PATH].filter(Boolean).join(":"),
  };
  if (!process.env.PULUMI_BACKEND_URL) {
    const backend = join(STATE_DIR, "backend");
    mkdirSync(backend, { recursive: true });
    env.PULUMI_BACKEND_URL = `file://${backend}`;
  }
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    // A per-checkout passphrase (0600) so local stacks work out of the box; real deployments
    // set PULUMI_CONFIG_PASSPHRASE(_FILE) or their own secrets provider.
    const file = join(STATE_DIR, "passphrase");
    if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
    env.PULUMI_CONFIG_PASSPHRASE_FILE = file;
  }
  return env;
}

let found: { root?: string; command: Promise<PulumiCommand> } | undefined;

/**
 * The set-up's pinned CLI (.tools/bin/pulumi) when present, else the `pulumi` on PATH. Found once
 * per process: finding it runs `pulumi version`, about 0.2 s on every command otherwise.
 */
export function pulumiCommand(): Promise<PulumiCommand> {
  const tools = join(CHECKOUT_DIR, ".tools");
  const root = existsSync(join(tools, "bin", "pulumi")) ? tools : undefined;
  if (!found || found.root !== root) {
    // The version check would reject a CLI newer than the SDK; the set-up pins them equal anyway.
    const command = PulumiCommand.get({ root, skipVersionCheck: true });
    found = { root, command };
    command.catch(() => (found = undefined)); // a failed lookup is tried again next time
  }
  return found.command;
}

/** The stack's config file; a stack without one is a usage error, not an empty restore. */
export function stackConfigFile(stackName: string): string {
  return join(PROJECT_DIR, `Pulumi.${stackName}.yaml`);
}

/**
 * The stack, with this project's program run in-process (an Automation API inline program): the
 * SDK serves the language-host protocol itself, so no pulumi-language-nodejs binary is needed, and
 * the stack's settings still come from Pulumi.yaml and Pulumi.<stack>.yaml in the checkout.
 */
export async function openStack(stackName: string): Promise<Stack> {
  return openProgramStack(stackName, () => restoreProgram({ projectDir: PROJECT_DIR }));
}

/**
 * A stack of this project with the given in-process program: the restore's, or a single-tenant
 * recovery's (its own stack). A project folder outside the checkout gets the checkout's project
 * file (same name, runtime), without `main`: the entry file lives in the checkout only.
 */
export async function openProgramStack(stackName: string, program: () => Promise<Record<string, unknown>>): Promise<Stack> {
  const projectFile = join(PROJECT_DIR, "Pulumi.yaml");
  if (!existsSync(projectFile)) {
    const { main: _entry, ...project } = parseYaml(readFileSync(join(CHECKOUT_DIR, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    writeFileSync(projectFile, stringifyYaml(project));
  }
  return LocalWorkspace.createOrSelectStack({ stackName, projectName: "delphi-restore", program }, { workDir: PROJECT_DIR, envVars: engineEnv(), pulumiCommand: await pulumiCommand() });
}

export interface StackConfig {
  config: RestoreConfig;
  secrets: { sshPrivateKey?: string; adminPassword?: string };
}

/** Read the stack's config (secrets decrypted in memory only) and validate it. */
export async function readStackConfig(stack: Stack): Promise<StackConfig> {
  const all = await stack.getAllConfig();
  const flat = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
  const config = parseConfig(fromPulumiConfig(flat));
  return { config, secrets: { sshPrivateKey: config.sshPrivateKey, adminPassword: config.adminPassword } };
}

/** A stack's config file, read without the engine (for `plan` on a machine with no Pulumi yet). */
export function readConfigFileWithoutSecrets(stackName: string): RestoreConfig {
  return parseConfig(fromPulumiConfig(readConfigFileFlat(stackName)));
}

/** A stack's config file as Pulumi's flat map (secrets as placeholders), not yet validated. */
export function readConfigFileFlat(stackName: string): Record<string, string> {
  const file = join(PROJECT_DIR, `Pulumi.${stackName}.yaml`);
  const doc = parseYaml(readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    // Secrets are encrypted here; a placeholder keeps validation honest about their presence.
    if (v && typeof v === "object" && "secure" in v) flat[k] = k.endsWith("sshPrivateKey") ? "-----BEGIN OPENSSH PRIVATE KEY-----(encrypted)" : "(encrypted)";
    else flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return flat;
}
