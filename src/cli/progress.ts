// Live progress of an update, per runbook step and host, from the engine's event stream; also
// persisted so `status` can name the step that failed after the process is gone.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { STATE_DIR } from "./workspace";

export interface StepProgress {
  resource: string;
  type: string;
  state: "running" | "done" | "failed";
  startedAt: string;
  seconds?: number;
  error?: string;
}

export function progressFile(stack: string): string {
  return join(STATE_DIR, `${stack}.progress.json`);
}

/** `urn:pulumi:restore::delphi-restore::delphi:restore:Quiesce$command:remote:Command::quiesce-web-web` -> `quiesce-web-web`. */
export function urnName(urn: string): string {
  return urn.split("::").at(-1) ?? urn;
}

export class ProgressTracker {
  readonly items = new Map<string, StepProgress>();
  private readonly started = new Map<string, number>();

  constructor(private readonly stack: string, private readonly print: (line: string) => void) {}

  onEvent(e: EngineEvent): void {
    const t = new Date().toISOString().slice(11, 19);
    if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      if (!m.type.startsWith("command:") && !m.type.startsWith("aws:")) return;
      const name = urnName(m.urn);
      this.started.set(m.urn, Date.now());
      this.items.set(m.urn, { resource: name, type: m.type, state: "running", startedAt: new Date().toISOString() });
      if (m.op !== "same") this.print(`${t}  ..  ${name}  (${m.op})`);
    } else if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      const item = this.items.get(m.urn);
      if (!item) return;
      item.state = "done";
      item.seconds = (Date.now() - (this.started.get(m.urn) ?? Date.now())) / 1000;
      if (m.op !== "same") this.print(`${t}  ok  ${item.resource}  ${item.seconds.toFixed(1)}s`);
    } else if (e.resOpFailedEvent) {
      const m = e.resOpFailedEvent.metadata;
      const item = this.items.get(m.urn);
      if (item) item.state = "failed";
      this.print(`${t}  FAIL  ${urnName(m.urn)}`);
    } else if (e.diagnosticEvent && e.diagnosticEvent.severity === "error" && e.diagnosticEvent.urn) {
      const item = this.items.get(e.diagnosticEvent.urn);
      if (item) {
        item.state = "failed";
        item.error = e.diagnosticEvent.message.trim();
      }
    }
    this.save();
  }

  save(): void {
    writeFileSync(progressFile(this.stack), JSON.stringify([...this.items.values()], null, 2));
  }
}
