// Starting what serves the sandbox's hosts: the telemetry endpoint (a detached Node process),
// every host's compose project (`docker compose up -d`, as a booting host would), and the wait
// until TelWeb answers.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import type { ComposeInputs } from "./compose-files";
import { compose } from "../postgres/db-container";
import type { HttpConfig, HttpPorts } from "./http-endpoints";
import type { SandboxImages } from "../images";
import type { Layout, SandboxHostSpec } from "../layout";
import { LOOPBACK } from "../ports";
import { running } from "../processes";

/** The checkout this code runs from: where node_modules (tsx) and bin/ are. */
const CODE_ROOT = resolve(__dirname, "..", "..", "..");

export async function startHttp(L: Layout): Promise<{ pid: number; ports: HttpPorts }> {
  mkdirSync(L.http.dir, { recursive: true });
  const cfgFile = join(L.http.dir, "config.json");
  const cfg: HttpConfig = { projectDir: L.projectDir };
  writeFileSync(cfgFile, JSON.stringify(cfg));
  const out = openSync(L.http.log, "a");
  // Detached, with its own log: it must outlive this command (`sandbox up` returns at once).
  // node:child_process here, not execa: a daemon has no result to await, and execa's promise
  // would reject when `sandbox down` later ends it.
  const child = spawn(process.execPath, ["--require", join(CODE_ROOT, "bin", "esm-preload.cjs"), "--import", "tsx", join(__dirname, "http-server.ts"), cfgFile], {
    cwd: CODE_ROOT,
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the sandbox's HTTP endpoints");
  writeFileSync(L.http.pid, `${pid}\n`);
  const end = Date.now() + 20_000;
  while (!existsSync(L.http.ports)) {
    if (!running(pid) || Date.now() > end) {
      const tail = existsSync(L.http.log) ? readFileSync(L.http.log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
      throw new Error(`the sandbox's HTTP endpoints did not start: ${tail || "no output"}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return { pid, ports: JSON.parse(readFileSync(L.http.ports, "utf8")) as HttpPorts };
}

/** Start every host's services the way a booting host would: `docker compose up -d` in its project. */
export async function startServices(L: Layout, specs: SandboxHostSpec[]): Promise<void> {
  await Promise.all(
    specs.map(async (h) => {
      try {
        await compose(L, h.name, ["up", "-d"]);
      } catch (e) {
        throw new Error(`starting the services of host ${h.name} failed: ${(e as Error).message}`);
      }
    }),
  );
}

export function composeInputs(images: SandboxImages, pgPort: number, telwebPort: number, telemetryPort: number): ComposeInputs {
  return { images, pgPort, telwebPort, telemetryUrl: `http://${LOOPBACK}:${telemetryPort}/api/v1/heartbeats` };
}

/** TelWeb answers its health check once its migrations and seed ran (its container's own HTTP server). */
export async function waitForTelweb(port: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`http://${LOOPBACK}:${port}/health`);
      if (r.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > end) throw new Error(`voiceai-telweb did not answer on ${LOOPBACK}:${port}/health within ${timeoutMs / 1000}s (docker compose logs voiceai-telweb on the web host says why)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

