// The engine's own record of what happened to a sandbox's containers: `docker events` for the
// sandbox's label, streamed into a file from before the first container starts until `sandbox
// down` (the engine keeps only its last 256 events in memory). Tests read the order of operations
// from it (a container stopped, started, a command exec'd in it, its exit code), never from what
// the restore believes it ran.
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { LABEL_HOST, LABEL_SANDBOX, sandboxId } from "../hosts/compose-files";
import { dockerEnv, engineLayout } from ".";
import { layout, type Layout } from "../layout";
import { readPid, running, stopProcessTree } from "../processes";

export interface EngineOp {
  /** ISO 8601 UTC with milliseconds (the engine's clock, which is this machine's). */
  ts: string;
  /** The sandbox host the container belongs to (its label). */
  host: string;
  /** Compose project and service (compose's labels). */
  project: string;
  service: string;
  /**
   * `stop` (event start: the stop signal was sent; ok: stopped), `start` (the container started),
   * `die` (its main process ended), `exec` (a command run in it), or the engine's action as is
   * (create, destroy, ...).
   */
  verb: string;
  /** `start` when it began; `ok` or `failed` when it ended (exec and die: by exit code). */
  event: "start" | "ok" | "failed";
  /** exec: the command line; kill: the signal; die: the exit code. */
  detail: string;
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

const IGNORED = new Set(["exec_create", "exec_detach", "attach", "resize", "top"]);

/** The engine's events (one JSON object per line) as operations, in the order the engine sent them. */
export function parseEngineEvents(text: string): EngineOp[] {
  const execs = new Map<string, string>();
  const ops: EngineOp[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let e: DockerEvent;
    try {
      e = JSON.parse(line) as DockerEvent;
    } catch {
      continue; // A line cut short by a killed recorder.
    }
    if (e.Type !== "container" || !e.Action) continue;
    const a = e.Actor?.Attributes ?? {};
    const ms = e.timeNano !== undefined ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
    const base = { ts: new Date(ms).toISOString(), host: a[LABEL_HOST] ?? "", project: a["com.docker.compose.project"] ?? "", service: a["com.docker.compose.service"] ?? "" };
    const [action, ...rest] = e.Action.split(": ");
    const cmd = rest.join(": ").trim();
    const exit = a.exitCode ?? "";
    if (IGNORED.has(action) || action.startsWith("health_status")) continue;
    if (action === "exec_start") {
      if (a.execID) execs.set(a.execID, cmd);
      ops.push({ ...base, verb: "exec", event: "start", detail: cmd });
    } else if (action === "exec_die") ops.push({ ...base, verb: "exec", event: exit === "0" ? "ok" : "failed", detail: execs.get(a.execID ?? "") ?? "" });
    else if (action === "kill") ops.push({ ...base, verb: "stop", event: "start", detail: `signal ${a.signal ?? ""}` });
    else if (action === "stop") ops.push({ ...base, verb: "stop", event: "ok", detail: "" });
    else if (action === "die") ops.push({ ...base, verb: "die", event: exit === "0" ? "ok" : "failed", detail: `exit ${exit}` });
    else ops.push({ ...base, verb: action, event: "ok", detail: cmd });
  }
  return ops;
}

/** Start streaming the sandbox's events into its events file (before any container starts). */
export function startEventRecorder(L: Layout): number {
  const E = engineLayout();
  writeFileSync(L.engineEvents.file, "");
  const out = openSync(L.engineEvents.file, "a");
  const child = spawn(E.cli, ["events", "--filter", "type=container", "--filter", `label=${LABEL_SANDBOX}=${sandboxId(L)}`, "--format", "{{json .}}"], {
    detached: true,
    stdio: ["ignore", out, "ignore"],
    env: { ...process.env, ...dockerEnv(E) },
    cwd: "/",
  });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error("could not start `docker events` for the sandbox");
  writeFileSync(L.engineEvents.pid, `${child.pid}\n`);
  return child.pid;
}

export async function stopEventRecorder(L: Layout): Promise<boolean> {
  const pid = readPid(L.engineEvents.pid);
  return pid !== undefined && running(pid) ? stopProcessTree(pid, "events", 2000) : false;
}

/** One host's operations, or every host's, in the engine's order. */
export function readEngineOps(projectDir: string, host?: string): EngineOp[] {
  let text = "";
  try {
    text = readFileSync(layout(projectDir).engineEvents.file, "utf8");
  } catch {
    return [];
  }
  const ops = parseEngineEvents(text);
  return host ? ops.filter((op) => op.host === host) : ops;
}
