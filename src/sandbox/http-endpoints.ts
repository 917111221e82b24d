// The sandbox's HTTP side, in one small process: a TelWeb stand-in (health and admin login) and
// a SigNoz-like telemetry endpoint. Both read the state the compose stand-in keeps, so what they
// answer follows what the restore did to the services and the database.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { delphiEnv } from "./postgres";
import { layout, type Layout } from "./layout";
import { verifyPassword } from "./password";
import { LOOPBACK } from "./ports";

export interface HttpConfig {
  projectDir: string;
  pgBin: string;
  pgPort: number;
}

export interface HttpPorts {
  telweb: number;
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

/** TelWeb answers only while its container runs on the web host, as the real one would. */
function telwebRunning(L: Layout): boolean {
  try {
    return readFileSync(join(L.host("web").projectDir, ".compose", "state", "voiceai-telweb"), "utf8").startsWith("running");
  } catch {
    return false;
  }
}

async function adminLogin(cfg: HttpConfig, L: Layout, email: string, password: string): Promise<{ status: number; body: unknown }> {
  // The e-mail goes in as a psql variable quoted by psql itself (:'email'), never spliced into SQL.
  const r = await execa(join(cfg.pgBin, "psql"), ["-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-v", `email=${email}`, "-f", "-"], {
    input: "SELECT password_hash, role FROM users WHERE email = :'email';\n",
    env: delphiEnv(L, cfg.pgPort),
    reject: false,
    timeout: 10_000,
  });
  if (r.exitCode !== 0) return { status: 503, body: { ok: false, error: "database unavailable" } };
  const [hash, role] = String(r.stdout).trim().split("\t");
  if (!hash || !verifyPassword(password, hash)) return { status: 401, body: { ok: false, error: "invalid e-mail or password" } };
  return { status: 200, body: { ok: true, user: { email, role } } };
}

async function telweb(cfg: HttpConfig, L: Layout, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (!telwebRunning(L)) return send(res, 503, { status: "unavailable", error: "voiceai-telweb is not running" });
  if (req.method === "GET" && url.pathname === "/health") return send(res, 200, { status: "ok", service: "voiceai-telweb" });
  if (req.method === "POST" && url.pathname === "/api/auth/login") {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { ok: false, error: "expected a JSON body {email, password}" });
    }
    const { email, password } = (body ?? {}) as { email?: unknown; password?: unknown };
    if (typeof email !== "string" || typeof password !== "string") return send(res, 400, { ok: false, error: "expected a JSON body {email, password}" });
    const r = await adminLogin(cfg, L, email, password);
    return send(res, r.status, r.body);
  }
  send(res, 404, { error: "not found" });
}

export interface ServiceSeen {
  serviceName: string;
  host: string;
  project: string;
  lastSeen: string;
  heartbeats: number;
}

/** Services whose last heartbeat (written by `docker compose up` on a host) is at or after `since`. */
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

function telemetry(L: Layout, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method !== "GET" || url.pathname !== "/api/v1/services") return send(res, 404, { error: "not found" });
  const sinceText = url.searchParams.get("since");
  const since = sinceText === null || sinceText === "" ? 0 : Date.parse(sinceText);
  if (Number.isNaN(since)) return send(res, 400, { error: `since must be an ISO 8601 time, got '${sinceText}'` });
  send(res, 200, { since: new Date(since).toISOString(), services: servicesSince(L, since) });
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

/** Start both servers on kernel-chosen loopback ports (no race with other programs for a port). */
export async function serveEndpoints(cfg: HttpConfig): Promise<{ ports: HttpPorts; close: () => Promise<void> }> {
  const L = layout(cfg.projectDir);
  const wrap = (fn: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void) => (req: IncomingMessage, res: ServerResponse) => {
    Promise.resolve(fn(req, res)).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String((e as Error)?.message ?? e) });
    });
  };
  const telwebServer = createServer(wrap((req, res) => telweb(cfg, L, req, res)));
  const telemetryServer = createServer(wrap((req, res) => telemetry(L, req, res)));
  const ports = { telweb: await listen(telwebServer), telemetry: await listen(telemetryServer) };
  const close = () => Promise.all([telwebServer, telemetryServer].map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
  return { ports, close };
}
