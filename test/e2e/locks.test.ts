// Concurrency and hard kills through the engine: a second `up` on a stack another update holds is
// refused (exit 5) naming who holds it and since when; after the driver and the engine are killed
// (SIGKILL) mid-update, the next `up` says what was in flight and how to recover, `recover` clears
// exactly that, and the `up` after it finishes, running again only the command that was cut off.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { StartResult } from "../../src/sandbox";
import { BIN, cliIn, TOOLS_PATH } from "./support/cli";
import { until } from "./support/wait";
import { footprint, useTempSandbox } from "./support/sandbox";

let dir: string;
let info: StartResult;
const sandbox = useTempSandbox("locks");
const cli = (args: string[]) => cliIn(dir, args);

function setTestCall(argv: string[]): void {
  const file = join(dir, "Pulumi.sandbox.yaml");
  const doc = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, { testCallCommand?: string[] }> };
  doc.config["delphi-restore:verify"].testCallCommand = argv;
  writeFileSync(file, stringifyYaml(doc, { lineWidth: 0 }));
}

const lockDir = () => join(dir, ".state", "backend", ".pulumi", "locks", "organization", "delphi-restore", "sandbox");
const lockFiles = () => (existsSync(lockDir()) ? readdirSync(lockDir()).filter((f) => f.endsWith(".json")) : []);

/** SIGKILL a process and every process below it. */
async function killTree(pid: number): Promise<void> {
  const children = String((await execa("ps", ["-o", "pid=", "--ppid", String(pid)], { reject: false })).stdout).split("\n").map(Number).filter((n) => n > 0);
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  for (const c of children) await killTree(c);
}

/** `up` in its own process group, so the whole driver/engine/provider tree can be killed at once. */
function startUp() {
  return execa(BIN, ["up", "--stack", "sandbox", "--yes"], { reject: false, cwd: dir, stdin: "ignore", detached: true, env: { DELPHI_RESTORE_PROJECT_DIR: dir, PATH: TOOLS_PATH } });
}

beforeAll(async () => {
  ({ dir, info } = sandbox);
  expect((await cli(["secrets", "--stack", "sandbox", "--file", info.secretsFile])).exitCode).toBe(0);
  const first = await cli(["up", "--stack", "sandbox", "--yes"]);
  expect(first.exitCode, String(first.stderr)).toBe(0);
});

describe("a second operator", () => {
  it("is refused with exit 5, told who holds the lock and since when, and nothing changes", async () => {
    // Only the test call changes: this update re-runs that one (slow) verify command.
    setTestCall(["sleep", "8"]);
    const running = startUp();
    await until(() => lockFiles().length > 0, "the first update's lock");
    const before = await footprint(dir, info);
    const second = await cli(["up", "--stack", "sandbox", "--yes", "--json"]);
    expect(second.exitCode).toBe(5);
    const doc = JSON.parse(String(second.stdout)) as { ok: boolean; stage: string; error: string };
    expect([doc.ok, doc.stage]).toEqual([false, "lock"]);
    expect(doc.error).toMatch(/is locked by another update: \S+@\S+ \(pid \d+\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(doc.error).toContain("Nothing was changed");
    expect(await footprint(dir, info)).toEqual(before);
    expect((await running).exitCode).toBe(0);
  });
});

describe("a hard kill mid-update", () => {
  it("leaves a stale lock that the next up explains; recover clears it after saying what runs again; then up finishes", async () => {
    setTestCall(["sleep", "30"]);
    const running = startUp();
    await until(() => lockFiles().length > 0, "the update's lock");
    // Wait until the engine has started the slow command, then kill the whole tree.
    const progress = join(dir, ".state", "sandbox.progress.json");
    await until(() => existsSync(progress) && readFileSync(progress, "utf8").includes('"verify-test-call"'), "the test call to start");
    // ...and until the engine has recorded it as in flight in its checkpoint (written as it goes).
    const checkpoint = join(dir, ".state", "backend", ".pulumi", "stacks", "delphi-restore", "sandbox.json");
    const inFlight = () => {
      try {
        const doc = JSON.parse(readFileSync(checkpoint, "utf8")) as { checkpoint?: { latest?: { pending_operations?: { resource: { urn: string } }[] } } };
        return (doc.checkpoint?.latest?.pending_operations ?? []).some((p) => p.resource.urn.endsWith("::verify-test-call"));
      } catch {
        return false; // being rewritten
      }
    };
    await until(inFlight, "the engine to record the test call as in flight");
    // The driver's process group, and the engine (the lock's holder, which the Automation API
    // starts in a group of its own) with its provider host: as if the machine had died.
    const enginePid = (JSON.parse(readFileSync(join(lockDir(), lockFiles()[0] as string), "utf8")) as { pid: number }).pid;
    if (running.pid) process.kill(-running.pid, "SIGKILL");
    await killTree(enginePid);
    await running;
    expect(lockFiles().length).toBe(1);

    const refused = await cli(["up", "--stack", "sandbox", "--yes"]);
    expect(refused.exitCode).toBe(5);
    expect(String(refused.stdout)).toContain("is locked by an update whose process is gone");
    // A changed command on a stack that ran it before is an in-place update (src/resources/host-command.ts).
    expect(String(refused.stdout)).toContain("verify-test-call (updating)");
    expect(String(refused.stdout)).toContain("delphi-restore recover --stack sandbox");

    const t0 = Date.now();
    const declined = await cli(["recover", "--stack", "sandbox"]);
    expect(declined.exitCode).toBe(3);
    expect(lockFiles().length).toBe(1);
    const recovered = await cli(["recover", "--stack", "sandbox", "--yes"]);
    expect(recovered.exitCode, String(recovered.stdout)).toBe(0);
    expect(String(recovered.stdout)).toContain("forget the unfinished update of verify-test-call: the next up runs it again");
    expect(lockFiles()).toEqual([]);

    setTestCall(["true"]);
    const resumed = await cli(["up", "--stack", "sandbox", "--yes", "--json"]);
    expect(resumed.exitCode, String(resumed.stderr)).toBe(0);
    const doc = JSON.parse(String(resumed.stdout)) as { commandsRun: number; progress: { resource: string; op: string }[] };
    // Only the command that was cut off runs again; nothing destructive is repeated.
    expect(doc.progress.filter((p) => p.op !== "same").map((p) => p.resource)).toEqual(["verify-test-call"]);
    expect(doc.commandsRun).toBe(1);
    console.log(`recovery: driver killed hard mid-command: recover and re-run completed in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  });
});
