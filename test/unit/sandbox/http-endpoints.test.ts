// The telemetry endpoint: heartbeats the service containers POST become the services the verify
// step reads back. In process, on a loopback port of its own, over a temp project folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serveEndpoints, type ServiceSeen } from "../../../src/sandbox/hosts/http-endpoints";
import { layout } from "../../../src/sandbox/layout";

describe("telemetry endpoint", () => {
  let dir: string;
  let base: string;
  let close: () => Promise<void>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "delphi-telemetry-"));
    mkdirSync(dirname(layout(dir).telemetry), { recursive: true });
    const served = await serveEndpoints({ projectDir: dir });
    base = `http://127.0.0.1:${served.ports.telemetry}`;
    close = served.close;
  });

  afterEach(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  const beat = (body: unknown) => fetch(`${base}/api/v1/heartbeats`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const services = async (since?: string): Promise<ServiceSeen[]> => {
    const r = await fetch(`${base}/api/v1/services${since ? `?since=${encodeURIComponent(since)}` : ""}`);
    expect(r.status).toBe(200);
    return ((await r.json()) as { services: ServiceSeen[] }).services;
  };

  it("records a heartbeat as a line of the log and lists the service", async () => {
    const before = new Date().toISOString();
    const web = { host: "web", service: "voiceai-telweb", project: "web" };
    for (const body of [web, { host: "api2", service: "voiceai-api", project: "api" }, web]) {
      const r = await beat(body);
      expect(r.status).toBe(204);
      expect(await r.text()).toBe("");
    }
    const lines = readFileSync(layout(dir).telemetry, "utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tweb\tvoiceai-telweb\tweb$/);

    const seen = await services(before);
    expect(seen.map((s) => [s.serviceName, s.host, s.project, s.heartbeats])).toEqual([
      ["voiceai-api", "api2", "api", 1],
      ["voiceai-telweb", "web", "web", 2],
    ]);
    expect(seen[1].lastSeen >= before).toBe(true);
    expect(await services(new Date(Date.now() + 60_000).toISOString())).toEqual([]);
  });

  it.each([
    ["not JSON", "{host:"],
    ["not an object", JSON.stringify(["web", "voiceai-api", "api"])],
    ["a field missing", { host: "web", service: "voiceai-telweb" }],
    ["a field not a string", { host: "web", service: "voiceai-telweb", project: 1 }],
    ["a tab in a field", { host: "web", service: "voiceai\ttelweb", project: "web" }],
    ["an empty field", { host: "", service: "voiceai-telweb", project: "web" }],
    ["a field too long", { host: "web", service: "s".repeat(101), project: "web" }],
  ])("refuses a heartbeat with %s (400) and records nothing", async (_what, body) => {
    const r = await beat(body);
    expect(r.status).toBe(400);
    expect(existsSync(layout(dir).telemetry)).toBe(false);
    expect(await services()).toEqual([]);
  });

  it("answers 404 elsewhere, and 400 for a since that is no time", async () => {
    expect((await fetch(`${base}/api/v1/heartbeats`)).status).toBe(404);
    expect((await fetch(`${base}/health`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/services?since=yesterday`)).status).toBe(400);
  });
});
