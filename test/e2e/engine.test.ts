// The real Pulumi engine (the CLI scripts/setup.sh built from the Go module proxy) running this
// project's program through the Automation API, against a real sandbox in a temp folder: the
// in-process language host, config and secrets, the step components and the host-command
// resources (Pulumi's provider host for dynamic resources), and bad config stopping the run before
// anything touches a host. The restore itself is test/e2e/restore-engine.test.ts.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import type { StartResult } from "../../src/sandbox";
import { footprint, useTempSandbox } from "./support/sandbox";

const ROOT = resolve(__dirname, "..", "..");
let dir: string;
let info: StartResult;
let secrets: { sshPrivateKey: string; adminPassword: string };
let ws: typeof import("../../src/cli/workspace");

const sandbox = useTempSandbox("engine", { projectEnv: true });

beforeAll(async () => {
  ({ dir, info } = sandbox);
  secrets = JSON.parse(readFileSync(info.secretsFile, "utf8")) as typeof secrets;
  // Loaded now, after useTempSandbox pointed DELPHI_RESTORE_PROJECT_DIR at the temp folder.
  ws = await import("../../src/cli/workspace");
});

describe("the real engine", () => {
  it("is the version package.json pins", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const r = await execa(join(ROOT, ".tools", "bin", "pulumi"), ["version"]);
    expect(r.stdout.trim()).toBe(`v${pkg.dependencies["@pulumi/pulumi"]}`);
  });

  it("previews the restore program: one component per runbook step, a host-command resource per planned command, secrets encrypted, nothing touched", async () => {
    const stack = await ws.openStack("sandbox");
    await stack.setConfig("delphi-restore:sshPrivateKey", { value: secrets.sshPrivateKey, secret: true });
    await stack.setConfig("delphi-restore:adminPassword", { value: secrets.adminPassword, secret: true });
    const before = await footprint(dir, info);
    const events: EngineEvent[] = [];
    let output = "";
    const res = await stack.preview({ onEvent: (e) => events.push(e), onOutput: (s) => (output += s) });
    // The engine received one component per runbook step (their dependsOn order is asserted
    // under setMocks in test/unit; registration events arrive in whatever order they resolve).
    const types = events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata.type] : []));
    const steps = types.filter((t) => t.startsWith("delphi:restore:")).sort();
    expect(steps).toEqual(["ConfirmStopped", "PreRestoreSnapshot", "Precheck", "Quiesce", "Reconcile", "Report", "Restore", "Resume", "Verify"].map((t) => `delphi:restore:${t}`));
    const commands = types.filter((t) => t === "pulumi-nodejs:dynamic/delphi-restore:HostCommand").length;
    expect(commands).toBeGreaterThan(20);
    expect(res.changeSummary.create).toBe(types.filter((t) => !t.startsWith("pulumi:providers:")).length);
    // No provider plugin to download: the dynamic provider host ships with the SDK.
    expect(output).not.toMatch(/no resource plugin|using pulumi-resource-pulumi-nodejs from \$PATH/);
    // A preview touches nothing: no container changed on the engine, the database unchanged.
    expect(await footprint(dir, info)).toEqual(before);
    // Secrets: encrypted in the stack file, absent from engine output and events.
    const stackFile = readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    expect(stackFile).toContain("secure:");
    const keyLine = secrets.sshPrivateKey.split("\n")[1] as string;
    for (const text of [stackFile, output, JSON.stringify(events)]) {
      expect(text).not.toContain(secrets.adminPassword);
      expect(text).not.toContain(keyLine);
    }
  });

  it("rejects a bad config inside the engine with the key and the fix, before declaring any resource", async () => {
    const good = readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    writeFileSync(join(dir, "Pulumi.badhost.yaml"), good.replace(/(\n\s+servicesRoot: )(\S+)(\n[\s\S]*?)$/, "$1/opt/services;rm -rf /$3"));
    const stack = await ws.openStack("badhost");
    const events: EngineEvent[] = [];
    await expect(stack.preview({ onEvent: (e) => events.push(e) })).rejects.toThrow(/servicesRoot/);
    const declared = events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata.type] : []));
    expect(declared.filter((t) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  });

  it("keeps no secret in plaintext anywhere in its state backend", () => {
    const backend = join(dir, ".state", "backend");
    const files = readdirSync(backend, { recursive: true, encoding: "utf8" }).map((f) => join(backend, f)).filter((f) => statSync(f).isFile());
    expect(files.length).toBeGreaterThan(0);
    const text = files.map((f) => readFileSync(f, "utf8")).join("\n");
    expect(text).not.toContain(secrets.adminPassword);
    expect(text).not.toContain(secrets.sshPrivateKey.split("\n")[1]);
  });
});
