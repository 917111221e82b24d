// The example stack config shipped in the repo must stay valid: operators copy it at 3 a.m.
import { describe, expect, it } from "vitest";
import { readConfigFileWithoutSecrets } from "../../../src/cli/workspace";

describe("Pulumi.restore.yaml", () => {
  it("parses against the schema with every documented section", () => {
    const c = readConfigFileWithoutSecrets("restore");
    expect(c.mechanism).toBe("pg-restore");
    expect(Object.keys(c.hosts).sort()).toEqual(["api", "db", "media", "ops", "voice", "web"]);
    expect(c.voice?.activeCallsCommand?.[0]).toBe("docker");
    expect(c.verify.telemetryServices).toContain("voiceai-voice");
    expect(c.verify.spotChecks.length).toBeGreaterThan(0);
  });
});
