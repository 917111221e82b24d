// Reading the hosts' compose logs back: tests assert the order of operations from what the
// hosts themselves recorded, not from what the driver believes it ran.
import { readFileSync } from "node:fs";
import { layout, sandboxHostNames } from "./layout";

export interface ComposeOp {
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
  host: string;
  project: string;
  verb: string;
  services: string[];
  /** `start` when the operation began; `ok` or `failed` when it ended. */
  event: "start" | "ok" | "failed";
  /** exec: the command run; failures: the error; logs: the --since time. */
  detail: string;
}

export function parseComposeLog(text: string): ComposeOp[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [ts, host, project, verb, services, event, ...rest] = l.split("\t");
      return { ts, host, project, verb, services: services === "-" || !services ? [] : services.split(","), event: event as ComposeOp["event"], detail: rest.join("\t") };
    });
}

/** One host's operations, or every host's merged in time order. */
export function readComposeLog(projectDir: string, host?: string): ComposeOp[] {
  const L = layout(projectDir);
  const hosts = host ? [host] : sandboxHostNames(L);
  const ops = hosts.flatMap((h) => {
    try {
      return parseComposeLog(readFileSync(L.host(h).composeLog, "utf8"));
    } catch {
      return [];
    }
  });
  return ops.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}
