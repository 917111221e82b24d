// An append-only run log under the state folder: who ran what, when, and the outcome.
import { appendFileSync, mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { STATE_DIR } from "./workspace";

export interface RunLogEntry {
  command: string;
  stack: string;
  outcome: string;
  exitCode: number;
  startedAt: string;
  durationMs: number;
}

export function appendRunLog(e: RunLogEntry): void {
  mkdirSync(STATE_DIR, { recursive: true });
  const line = { at: new Date().toISOString(), user: process.env.SUDO_USER ?? userInfo().username, ...e };
  appendFileSync(join(STATE_DIR, "runs.log"), `${JSON.stringify(line)}\n`);
}
