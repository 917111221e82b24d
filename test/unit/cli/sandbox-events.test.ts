// `sandbox events`: the engine's record as an operator reads it, one row per stop, start and exec.
import { describe, expect, it } from "vitest";
import { eventRows, eventsTable } from "../../../src/cli/sandbox-events";
import type { EngineOp } from "../../../src/sandbox";

const op = (ts: string, host: string, service: string, verb: string, event: EngineOp["event"], detail = ""): EngineOp => ({ ts, host, project: `p-${host}`, service, verb, event, detail });

describe("sandbox events", () => {
  const ops = [
    op("2026-11-25T20:00:00.000Z", "db", "voiceai-postgres", "exec", "start", "pg_dump -Fc -U delphi -d delphi -f /backup/pre.partial"),
    op("2026-11-25T20:00:01.000Z", "db", "voiceai-postgres", "exec", "ok", "pg_dump -Fc -U delphi -d delphi -f /backup/pre.partial"),
    op("2026-11-25T20:00:02.000Z", "api", "voiceai-api", "stop", "start", "signal 15"),
    op("2026-11-25T20:00:02.100Z", "api", "voiceai-api", "die", "ok", "exit 0"),
    op("2026-11-25T20:00:02.200Z", "api", "voiceai-api", "stop", "ok"),
    op("2026-11-25T20:00:03.000Z", "web", "voiceai-telweb", "create", "ok"),
    op("2026-11-25T20:00:04.000Z", "web", "voiceai-telweb", "start", "ok"),
    op("2026-11-25T20:00:05.000Z", "web", "voiceai-telweb", "die", "failed", "exit 1"),
    op("2026-11-25T20:00:06.000Z", "db", "voiceai-postgres", "exec", "failed", "psql -c select 1"),
  ];

  it("keeps one row per stop, start and exec, plus failures, and leaves out the engine's bookkeeping", () => {
    expect(eventRows(ops).map((r) => `${r.host} ${r.what}`)).toEqual([
      "db exec pg_dump -Fc -U delphi -d delphi -f /backup/pre.partial",
      "api stop",
      "web start",
      "web exited (exit 1)",
      "db exec failed: psql -c select 1",
    ]);
  });

  it("starts after --since, and prints the time of day with milliseconds", () => {
    const rows = eventRows(ops, "2026-11-25T20:00:03.500Z");
    expect(rows.map((r) => r.what)).toEqual(["start", "exited (exit 1)", "exec failed: psql -c select 1"]);
    expect(eventsTable(rows)).toMatch(/20:00:04\.000 .*web .*voiceai-telweb .*start/);
  });
});
