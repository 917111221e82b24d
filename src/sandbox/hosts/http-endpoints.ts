// The sandbox's telemetry endpoint, SigNoz-like, in one small process: the service containers
// POST a heartbeat every few seconds, and the restore's verify step asks which services reported
// since it resumed them. TelWeb is no longer here: it runs in its own container
// (images/service/delphi-service.py), against the database the restore swapped.
import { appendFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { layout, type Layout } from "../layout";
import { LOOPBACK } from "../ports";

export interface HttpConfig {
  projectDir: string;
}

export interface HttpPorts {
  telemetry: number;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export interface ServiceSeen {
  serviceName: string;
  host: string;
  project: string;
  lastSeen: string;
  heartbeats: number;
}

/** Services whose last heartbeat (POSTed by their container, see postHeartbeat) is at or after `since`. */
export function servicesSince(L: Layout, since: number): ServiceSeen[] {
  let text = "";
  try {
    text = readFileSync(L.telemetry, "utf8");
  } catch {
    return [];
  }
  const seen = new Map<string, ServiceSeen>();
  for (const line of text.split("\n")) {
    const [ts, host, service, project] = line.split("\t");
    if (!service || !(Date.parse(ts) >= since)) continue;
    const prev = seen.get(service);
    seen.set(service, { serviceName: service, host, project, lastSeen: prev && prev.lastSeen > ts ? prev.lastSeen : ts, heartbeats: (prev?.heartbeats ?? 0) + 1 });
  }
  return [...seen.values()].sort((a, b) => a.serviceName.localeCompare(b.serviceName));
}

interface Heartbeat {
  host: string;
  service: string;
  project: string;
}

// Each field becomes a field of a tab-separated line: a plain name, never a tab or a newline.
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

function heartbeatOf(text: string): Heartbeat | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const { host, service, project } = body as Record<string, unknown>;
  const ok = (v: unknown): v is string => typeof v === "string" && NAME.test(v);
  return ok(host) && ok(service) && ok(project) ? { host, service, project } : undefined;
}

/** A service's heartbeat: one line of the log servicesSince reads, stamped with our clock (not the sender's). */
async function postHeartbeat(L: Layout, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let text: string;
  try {
    text = await readBody(req, 4096);
  } catch {
    return send(res, 400, { error: "expected a JSON body {host, service, project}" });
  }
  const hb = heartbeatOf(text);
  if (!hb) return send(res, 400, { error: "expected a JSON body {host, service, project}, each matching ^[A-Za-z0-9_.-]{1,100}$" });
  // One short write in append mode: lines of services beating at once never interleave.
  await appendFile(L.telemetry, `${new Date().toISOString()}\t${hb.host}\t${hb.service}\t${hb.project}\n`);
  res.writeHead(204);
  res.end();
}

function listServices(L: Layout, url: URL, res: ServerResponse): void {
  const sinceText = url.searchParams.get("since");
  const since = sinceText === null || sinceText === "" ? 0 : Date.parse(sinceText);
  if (Number.isNaN(since)) return send(res, 400, { error: `since must be an ISO 8601 time, got '${sinceText}'` });
  send(res, 200, { since: new Date(since).toISOString(), services: servicesSince(L, since) });
}

async function telemetry(L: Layout, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && url.pathname === "/api/v1/services") return listServices(L, url, res);
  if (req.method === "POST" && url.pathname === "/api/v1/heartbeats") return postHeartbeat(L, req, res);
  send(res, 404, { error: "not found" });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const a = server.address();
      resolvePort(typeof a === "object" && a ? a.port : 0);
    });
  });
}

/** Start the telemetry server on a kernel-chosen loopback port (no race with other programs for a port). */
export async function serveEndpoints(cfg: HttpConfig): Promise<{ ports: HttpPorts; close: () => Promise<void> }> {
  const L = layout(cfg.projectDir);
  const server = createServer((req, res) => {
    telemetry(L, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  const ports: HttpPorts = { telemetry: await listen(server) };
  const close = () => new Promise<void>((r) => server.close(() => r()));
  return { ports, close };
}
