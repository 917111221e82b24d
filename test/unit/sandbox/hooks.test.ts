// The hosts' docker hooks (src/sandbox/faults/hooks.sh), run by bash with a recorder in place of
// the real CLI: a stand-in (the benchmarks' fixed-time hosts) takes its seconds and succeeds
// without reaching the CLI; anything else reaches it unchanged. Faults and holds: the e2e suite.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const HOOKS = join(__dirname, "..", "..", "..", "src", "sandbox", "faults", "hooks.sh");
const dir = mkdtempSync(join(tmpdir(), "delphi-hooks-"));
const reached = join(dir, "reached");
const cli = join(dir, "cli");
writeFileSync(cli, `#!/bin/sh\necho "$*" >> '${reached}'\n`, { mode: 0o755 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function docker(args: string[]) {
  rmSync(reached, { force: true });
  const t0 = Date.now();
  const r = spawnSync("bash", [HOOKS, ...args], { encoding: "utf8", env: { ...process.env, DELPHI_DOCKER_CLI: cli, DELPHI_HOST_DIR: dir, DELPHI_HOST_SERVICES: "voiceai-api" } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, seconds: (Date.now() - t0) / 1000, reached: existsSync(reached) ? readFileSync(reached, "utf8").trim() : undefined };
}

describe("stand-in hooks", () => {
  it("a stand-in stop sleeps its seconds, prints nothing, succeeds, and never reaches the CLI", () => {
    mkdirSync(join(dir, "standins"), { recursive: true });
    writeFileSync(join(dir, "standins", "stop"), "0.3");
    const r = docker(["compose", "stop"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.reached).toBeUndefined();
    expect(r.seconds).toBeGreaterThanOrEqual(0.3);
  });

  it("a stand-in ps lists nothing running; other verbs reach the CLI with their arguments unchanged", () => {
    writeFileSync(join(dir, "standins", "ps"), "0");
    expect(docker(["compose", "ps", "--services", "--status", "running"])).toMatchObject({ status: 0, stdout: "", reached: undefined });
    expect(docker(["compose", "up", "-d"]).reached).toBe("compose up -d");
  });

  it("without its file the operation is real again", () => {
    rmSync(join(dir, "standins"), { recursive: true, force: true });
    expect(docker(["compose", "stop"]).reached).toBe("compose stop");
  });
});
