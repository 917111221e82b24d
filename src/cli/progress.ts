// Live progress of an update, per runbook step and host, from the engine's event stream; also
// persisted so `status` can name the step that failed after the process is gone.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { HOST_COMMAND_TYPE, runsAgain } from "../resources/host-command";
import { ranCommand } from "./ran";
import { STATE_DIR } from "./workspace";

export interface StepProgress {
  resource: string;
  /** The engine's URN, to find the resource in the checkpoint. */
  urn?: string;
  /** The runbook step's title, the host and the command, when the resource is one of the plan's commands. */
  step?: string;
  host?: string;
  command?: string;
  type: string;
  /**
   * The engine's operation: create (a first restore), update (a host command: a new restore, which
   * runs it again, or a new connection alone, which runs nothing), create-replacement (a
   * pulumi-command resource of a new restore), same.
   */
  op: string;
  /** The command runs (ran) in this update: created, or updated with a new command or trigger. */
  runs?: boolean;
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

/** Resource name -> runbook step title and host, from the plan (`<step>-<command name>`). */
export type ProgressLabels = Map<string, { step: string; host: string; command?: string }>;

export function labelsFromPlan(steps: { step: string; title: string; commands: { host: string; name: string }[] }[]): ProgressLabels {
  const labels: ProgressLabels = new Map(steps.flatMap((s) => s.commands.map((c) => [`${s.step}-${c.name}`, { step: s.title, host: c.host, command: c.name }] as const)));
  // The report step also writes the notice on this machine (src/steps/report.ts).
  const report = steps.find((s) => s.step === "report");
  if (report) {
    labels.set("report-write-notice", { step: report.title, host: "local", command: "write-notice" });
    labels.set("report-write-keys", { step: report.title, host: "local", command: "write-keys" });
  }
  return labels;
}

/** Resources worth a progress line: host commands (either transport) and AWS resources. */
export function isProgressType(type: string): boolean {
  return type.startsWith("command:") || type.startsWith("aws:") || type === HOST_COMMAND_TYPE;
}

const QUIET_OPS = new Set(["replace", "delete-replaced", "discard-replaced"]);

/** Host commands that ran in this update (created, or run again for a new restore). */
export function commandsRun(items: Iterable<StepProgress>): number {
  return [...items].filter((i) => i.state === "done" && !i.type.startsWith("aws:") && ranCommand(i)).length;
}

/**
 * Items still "running" when the update ended, settled from the engine's checkpoint: the engine
 * records a command that finished even when its last events did not reach us before the update's
 * promise settled (a Ctrl-C, a failure elsewhere). Done = in the state with outputs from a run
 * that started after the item did.
 */
export function settleFromState(items: Iterable<StepProgress>, resources: { urn: string; outputs?: { startedAt?: unknown } }[]): void {
  // During a replacement the old and the new resource share the URN: the newest run counts.
  const startedAt = new Map<string, number>();
  for (const r of resources) {
    const t = typeof r.outputs?.startedAt === "string" ? Date.parse(r.outputs.startedAt) : Number.NaN;
    if (!Number.isNaN(t) && t > (startedAt.get(r.urn) ?? -Infinity)) startedAt.set(r.urn, t);
  }
  for (const i of items) {
    if (i.state !== "running" || !i.urn) continue;
    const ran = startedAt.get(i.urn);
    if (ran !== undefined && ran >= Date.parse(i.startedAt)) i.state = "done";
  }
}

export class ProgressTracker {
  readonly items = new Map<string, StepProgress>();
  private readonly started = new Map<string, number>();

  constructor(
    private readonly stack: string,
    private readonly print: (line: string) => void,
    private readonly labels: ProgressLabels = new Map(),
  ) {
    mkdirSync(STATE_DIR, { recursive: true });
  }

  /** `Quiesce services  web` for a plan command, the resource name otherwise. */
  private label(item: StepProgress): string {
    return item.step ? `${item.step.padEnd(40)} ${(item.host ?? "").padEnd(6)} ${(item.command ?? "").padEnd(24)}` : item.resource;
  }

  onEvent(e: EngineEvent): void {
    const t = new Date().toISOString().slice(11, 19);
    if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      // A replacement's bookkeeping steps (the logical `replace`, deleting the old side, which
      // runs nothing for a host command) are not progress an operator needs to follow.
      if (!isProgressType(m.type) || QUIET_OPS.has(m.op)) return;
      const name = urnName(m.urn);
      this.started.set(m.urn, Date.now());
      // An update of a host command runs it again when its command or triggers changed (a new
      // restore); a changed connection alone runs nothing (src/resources/host-command.ts diff).
      const ranAgain = m.op === "update" && m.type === HOST_COMMAND_TYPE && runsAgain(m.old?.outputs ?? {}, m.new?.inputs ?? {});
      const item: StepProgress = { resource: name, urn: m.urn, ...this.labels.get(name), type: m.type, op: m.op, ...(m.op === "update" ? { runs: ranAgain } : {}), state: "running", startedAt: new Date().toISOString() };
      this.items.set(m.urn, item);
      if (m.op !== "same") this.print(`${t}  ..    ${this.label(item)}  started (${ranAgain ? "new restore: runs again" : m.op})`);
    } else if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      const item = this.items.get(m.urn);
      if (!item || QUIET_OPS.has(m.op)) return;
      item.state = "done";
      item.seconds = (Date.now() - (this.started.get(m.urn) ?? Date.now())) / 1000;
      // An in-place update of a host command (a new host address or port, the same restore) runs
      // nothing: it keeps the last run's results. Saying "ok" with a time would read as a run.
      if (m.op === "update" && !item.type.startsWith("aws:") && !item.runs) this.print(`${t}  upd   ${this.label(item)}  updated (no command ran)`);
      else if (m.op !== "same") this.print(`${t}  ok    ${this.label(item)}  ${item.seconds.toFixed(1)}s`);
    } else if (e.resOpFailedEvent) {
      const m = e.resOpFailedEvent.metadata;
      const item = this.items.get(m.urn);
      if (item) {
        item.state = "failed";
        item.seconds = (Date.now() - (this.started.get(m.urn) ?? Date.now())) / 1000;
      }
      this.print(`${t}  FAIL  ${item ? `${this.label(item)}  after ${item.seconds?.toFixed(1)}s` : urnName(m.urn)}`);
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
