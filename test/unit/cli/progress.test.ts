// Live progress from the engine's event stream: one line per command start, finish and failure,
// labelled with the runbook step and host, and persisted for `status`.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { beforeAll, describe, expect, it } from "vitest";

let progress: typeof import("../../../src/cli/progress");
const dir = mkdtempSync(join(tmpdir(), "delphi-progress-"));

beforeAll(async () => {
  process.env.DELPHI_RESTORE_PROJECT_DIR = dir; // the progress file goes to this folder's .state
  progress = await import("../../../src/cli/progress");
});

const urn = (name: string) => `urn:pulumi:restore::delphi-restore::pulumi:pulumi:Stack$delphi:restore:Quiesce$command:remote:Command::${name}`;
const meta = (name: string, op = "create") => ({ urn: urn(name), type: "command:remote:Command", op, provider: "" }) as never;
const pre = (name: string): EngineEvent => ({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata: meta(name) } }) as EngineEvent;
const done = (name: string): EngineEvent => ({ sequence: 2, timestamp: 0, resOutputsEvent: { metadata: meta(name) } }) as EngineEvent;
const failed = (name: string): EngineEvent => ({ sequence: 3, timestamp: 0, resOpFailedEvent: { metadata: meta(name), status: 1, steps: 1 } }) as EngineEvent;
const diag = (name: string, message: string): EngineEvent => ({ sequence: 4, timestamp: 0, diagnosticEvent: { urn: urn(name), message, color: "never", severity: "error" } }) as EngineEvent;

describe("ProgressTracker", () => {
  it("prints step, host and elapsed time per command, and records a failure with its error", () => {
    const lines: string[] = [];
    const labels = progress.labelsFromPlan([
      { step: "quiesce", title: "Quiesce services", commands: [{ host: "web", name: "web-web" }, { host: "voice", name: "voice-voice" }] },
    ]);
    const t = new progress.ProgressTracker("restore", (l) => lines.push(l), labels);
    for (const e of [pre("quiesce-web-web"), pre("quiesce-voice-voice"), done("quiesce-web-web"), diag("quiesce-voice-voice", "voice: 2 active calls; refusing to stop Voice\n"), failed("quiesce-voice-voice")]) t.onEvent(e);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d {2}\.\. {4}Quiesce services +web +web-web +started \(create\)$/);
    expect(lines[2]).toMatch(/ok {4}Quiesce services +web +web-web +\d+\.\ds$/);
    expect(lines[3]).toMatch(/FAIL {2}Quiesce services +voice +voice-voice +after \d+\.\ds$/);
    const saved = JSON.parse(readFileSync(progress.progressFile("restore"), "utf8")) as { resource: string; state: string; host?: string; error?: string }[];
    expect(saved.map((s) => [s.resource, s.state, s.host])).toEqual([
      ["quiesce-web-web", "done", "web"],
      ["quiesce-voice-voice", "failed", "voice"],
    ]);
    expect(saved[1]?.error).toBe("voice: 2 active calls; refusing to stop Voice");
  });

  it("an in-place update of a host command (a new connection, the same restore) says no command ran, never ok with a time", () => {
    const lines: string[] = [];
    const t = new progress.ProgressTracker("restore", (l) => lines.push(l));
    const upd = (e: "resourcePreEvent" | "resOutputsEvent"): EngineEvent => ({ sequence: 1, timestamp: 0, [e]: { metadata: meta("quiesce-web-web", "update") } }) as unknown as EngineEvent;
    t.onEvent(upd("resourcePreEvent"));
    t.onEvent(upd("resOutputsEvent"));
    expect(lines[1]).toMatch(/upd {3}quiesce-web-web +updated \(no command ran\)$/);
    expect(lines.join("\n")).not.toMatch(/\bok\b/);
    expect(progress.commandsRun([...t.items.values()])).toBe(0);
  });

  it("a host command's update for a new restore (another trigger) runs it: started and ok like a create, and counted; the same command and trigger on a new connection runs nothing", async () => {
    const { HOST_COMMAND_TYPE } = await import("../../../src/resources/host-command");
    const hostMeta = (triggers: string[]) => ({ urn: urn("quiesce-web-web"), type: HOST_COMMAND_TYPE, op: "update", old: { outputs: { create: "docker compose stop", triggers: ['{"dump":"a"}'] } }, new: { inputs: { create: "docker compose stop", triggers } } }) as never;
    for (const [triggers, runs] of [[['{"dump":"b"}'], true], [['{"dump":"a"}'], false]] as const) {
      const lines: string[] = [];
      const t = new progress.ProgressTracker("restore", (l) => lines.push(l));
      t.onEvent({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata: hostMeta([...triggers]) } } as EngineEvent);
      t.onEvent({ sequence: 2, timestamp: 0, resOutputsEvent: { metadata: hostMeta([...triggers]) } } as EngineEvent);
      if (runs) {
        expect(lines[0]).toMatch(/started \(new restore: runs again\)$/);
        expect(lines[1]).toMatch(/ok {4}quiesce-web-web +\d+\.\ds$/);
      } else expect(lines[1]).toMatch(/updated \(no command ran\)$/);
      expect(progress.commandsRun([...t.items.values()])).toBe(runs ? 1 : 0);
    }
  });

  it("ignores components and resources left unchanged", () => {
    const lines: string[] = [];
    const t = new progress.ProgressTracker("restore", (l) => lines.push(l));
    t.onEvent({ sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { urn: "urn:x::delphi:restore:Quiesce::quiesce", type: "delphi:restore:Quiesce", op: "create" } } } as unknown as EngineEvent);
    t.onEvent({ sequence: 2, timestamp: 0, resourcePreEvent: { metadata: meta("snapshot-pg-dump", "same") } } as EngineEvent);
    expect(lines).toEqual([]);
  });
});

describe("settleFromState", () => {
  it("marks done a command still running in our events that the checkpoint holds from a run started after it; leaves older runs and others alone", () => {
    const t0 = "2026-11-25T10:00:00.000Z";
    const item = (urn: string) => ({ resource: urn, urn, type: "t", op: "create", state: "running" as const, startedAt: t0 });
    const items = [item("u:a"), item("u:b"), item("u:c"), { ...item("u:d"), state: "failed" as const }];
    progress.settleFromState(items, [
      { urn: "u:a", outputs: { startedAt: "2026-11-25T10:00:00.200Z" } },
      // A replacement: the old run (an earlier restore) and the new one share the URN.
      { urn: "u:b", outputs: { startedAt: "2026-11-25T10:00:00.300Z" } },
      { urn: "u:b", outputs: { startedAt: "2026-11-24T09:00:00.000Z" } },
      { urn: "u:c", outputs: { startedAt: "2026-11-24T09:00:00.000Z" } },
      { urn: "u:d", outputs: { startedAt: "2026-11-25T10:00:01.000Z" } },
    ]);
    expect(items.map((i) => i.state)).toEqual(["done", "done", "running", "failed"]);
  });
});
