// The engine's events as the tests' record of a restore: stops, starts and exec'd commands of the
// sandbox's containers, each with its host (the sandbox's label) and its outcome.
import { describe, expect, it } from "vitest";
import { parseEngineEvents } from "../../../src/sandbox/engine/events";

const attrs = (extra: Record<string, string> = {}) => ({
  "com.docker.compose.project": "dr0000abcd-db",
  "com.docker.compose.service": "voiceai-postgres",
  "delphi-restore.host": "db",
  "delphi-restore.sandbox": "dr0000abcd",
  ...extra,
});
const ev = (Action: string, t: number, extra: Record<string, string> = {}) =>
  JSON.stringify({ Type: "container", Action, Actor: { ID: "c1", Attributes: attrs(extra) }, time: Math.floor(t / 1e9), timeNano: t });

describe("parseEngineEvents", () => {
  it("turns a stop into the signal sent, the exit and the stop, with the host and service from the labels", () => {
    const t = 1795639199208669437;
    const ops = parseEngineEvents([ev("kill", t, { signal: "2" }), ev("die", t + 1e6, { exitCode: "0" }), ev("stop", t + 2e6)].join("\n"));
    expect(ops.map((o) => [o.verb, o.event, o.detail])).toEqual([
      ["stop", "start", "signal 2"],
      ["die", "ok", "exit 0"],
      ["stop", "ok", ""],
    ]);
    expect(ops[0]).toMatchObject({ host: "db", service: "voiceai-postgres", project: "dr0000abcd-db", ts: "2026-11-25T20:39:59.208Z" });
  });

  it("pairs an exec's start with its exit by exec id, and a non-zero exit code fails it", () => {
    const t = 1795639200000000000;
    const ops = parseEngineEvents(
      [
        ev("exec_create: pg_dump -Fc -U delphi -d delphi -f /backup/x.partial", t),
        ev("exec_start: pg_dump -Fc -U delphi -d delphi -f /backup/x.partial", t + 1, { execID: "e1" }),
        ev("exec_start: pg_restore --list /backup/x.partial", t + 2, { execID: "e2" }),
        ev("exec_die", t + 3, { execID: "e2", exitCode: "1" }),
        ev("exec_die", t + 4, { execID: "e1", exitCode: "0" }),
      ].join("\n"),
    );
    expect(ops.map((o) => [o.verb, o.event, o.detail])).toEqual([
      ["exec", "start", "pg_dump -Fc -U delphi -d delphi -f /backup/x.partial"],
      ["exec", "start", "pg_restore --list /backup/x.partial"],
      ["exec", "failed", "pg_restore --list /backup/x.partial"],
      ["exec", "ok", "pg_dump -Fc -U delphi -d delphi -f /backup/x.partial"],
    ]);
  });

  it("keeps starts, creates and destroys, a failed exit, and skips what is not a container's or cannot be read", () => {
    const t = 1795639300000000000;
    const text = [
      ev("create", t),
      ev("start", t + 1),
      ev("die", t + 2, { exitCode: "1" }),
      ev("health_status: healthy", t + 3),
      JSON.stringify({ Type: "network", Action: "connect", timeNano: t + 4 }),
      '{"Type":"container","Action":"st', // a line cut short when the recorder was killed
      ev("destroy", t + 5),
    ].join("\n");
    expect(parseEngineEvents(text).map((o) => `${o.verb}/${o.event}`)).toEqual(["create/ok", "start/ok", "die/failed", "destroy/ok"]);
  });
});
