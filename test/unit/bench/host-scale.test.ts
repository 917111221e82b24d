// The host-scale benchmark's pure parts: the stack file scoped to a set of hosts (secrets and the
// header kept), a step's span from up's progress, and the engine's cost per command.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { engineCostPerCommand, hostEntries, scopeHosts, stepSeconds } from "../../../bench/host-scale";

describe("scopeHosts", () => {
  it("keeps only the named hosts and their services' telemetry, and every other key as it was", () => {
    const dir = mkdtempSync(join(tmpdir(), "delphi-scope-"));
    const file = join(dir, "Pulumi.sandbox.yaml");
    writeFileSync(
      file,
      `# header stays\nencryptionsalt: v1:abc\nconfig:\n  delphi-restore:sshPrivateKey:\n    secure: v1:xyz\n  delphi-restore:hosts:\n    web: { role: web }\n    api2: { role: api }\n    db: { role: db }\n  delphi-restore:verify:\n    timeoutSeconds: 60\n    telemetryServices: [voiceai-telweb, voiceai-api]\n`,
    );
    try {
      const all = hostEntries(file);
      scopeHosts(file, all, ["web", "db"], (h) => (h === "web" ? ["voiceai-telweb"] : ["voiceai-api"]));
      const text = readFileSync(file, "utf8");
      const doc = parse(text) as { encryptionsalt: string; config: Record<string, { secure?: string; telemetryServices?: string[]; timeoutSeconds?: number }> };
      expect(text.startsWith("# header stays\n")).toBe(true);
      expect(doc.encryptionsalt).toBe("v1:abc");
      expect(doc.config["delphi-restore:sshPrivateKey"].secure).toBe("v1:xyz");
      expect(Object.keys(doc.config["delphi-restore:hosts"])).toEqual(["web", "db"]);
      expect(doc.config["delphi-restore:verify"]).toEqual({ timeoutSeconds: 60, telemetryServices: ["voiceai-telweb"] });
      // Widening again works from the map read at the start.
      scopeHosts(file, all, ["web", "api2", "db"], (h) => (h === "web" ? ["voiceai-telweb"] : ["voiceai-api"]));
      expect(Object.keys(hostEntries(file))).toEqual(["web", "api2", "db"]);
      expect(() => scopeHosts(file, all, ["api9"], () => [])).toThrow(/no host api9/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the engine's figures from up's progress", () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
  const progress = [
    { urn: "a", step: "Quiesce services", op: "create", startedAt: at(0), seconds: 1.0 },
    { urn: "b", step: "Quiesce services", op: "create", startedAt: at(500), seconds: 1.0 },
    { urn: "c", step: "Resume services", op: "update", runs: true, startedAt: at(3000), seconds: 0.4 },
    { urn: "d", step: "Resume services", op: "same", startedAt: at(3000), seconds: 0 },
  ];
  it("a step lasts from its first command's start to its last one's end", () => {
    expect(stepSeconds(progress, "Quiesce services")).toBeCloseTo(1.5);
    expect(Number.isNaN(stepSeconds(progress, "Verify"))).toBe(true);
  });
  it("the cost per command is the median of the engine's time around each command less its own run", () => {
    const outputs = new Map([
      ["a", { startedAt: at(100), endedAt: at(900) }],
      ["b", { startedAt: at(550), endedAt: at(1450) }],
      ["c", { startedAt: at(3010), endedAt: at(3310) }],
    ]);
    expect(engineCostPerCommand(progress, outputs)).toBeCloseTo(0.1);
  });
});
