// The ten-second blast-radius summary, for both kinds of restore, as text and as JSON facts.
import { describe, expect, it } from "vitest";
import { renderSummary } from "../../../src/cli/summary";
import { summarizeAws } from "../../../src/mechanisms/aws-pitr/summary";
import { summarize } from "../../../src/runbook/summary";
import { parseConfig } from "../../../src/config";
import { planAws } from "../../../src/mechanisms/aws-pitr/plan";
import { planPgRestore } from "../../../src/mechanisms/pg-restore/plan";
import { pgConfig } from "../fixtures/pg-config";
import { rawConfig, SECRET_ARN } from "../mechanisms/aws-harness";

describe("pg-restore summary", () => {
  it("names every host and service stopped, the restore point, the window and every command", () => {
    const c = parseConfig(pgConfig());
    const s = summarize("restore", c, planPgRestore(c));
    expect(s.stops.map((x) => x.host)).toEqual(["web", "api", "voice", "ops", "media"]);
    expect(s.restorePoint).toBe("2026-11-23T02:00:00Z");
    expect(s.dataLossWindow).toEqual({ from: "2026-11-23T02:00:00Z", to: "the moment services stop" });
    const text = renderSummary(s);
    expect(text).toContain("voice: voice");
    expect(text).toContain("pg_restore --no-owner --exit-on-error --jobs=4");
    expect(text).not.toContain("--clean");
    expect(text).toContain("delphi_restored (old database kept as delphi_pre_restore_<UTC>)");
    expect(s.steps.map((st) => st.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    // snapshot: before overwrites the live database, after a pg_dump of it.
    const before = parseConfig(pgConfig({ snapshot: "before" }));
    const overwrite = renderSummary(summarize("restore", before, planPgRestore(before)));
    expect(overwrite).toContain("pg_restore --clean --if-exists --no-owner --exit-on-error --jobs=4");
    expect(overwrite).not.toContain("old database kept as");
    expect(text).toContain("every write from 2026-11-23T02:00:00Z to the moment services stop");
  });
});

describe("AWS summary", () => {
  it("lists the snapshot, the new cluster, the secret version and the DNS swap beside the host commands", () => {
    const c = parseConfig(rawConfig("aurora-pitr"));
    const s = summarizeAws("restore", c, planAws(c));
    const aws = s.steps.flatMap((st) => st.commands.filter((x) => x.host === "aws").map((x) => `${st.step}: ${x.description}`));
    expect(aws.some((l) => l.startsWith("snapshot: manual cluster snapshot"))).toBe(true);
    expect(aws.some((l) => l.startsWith("restore: new Aurora cluster"))).toBe(true);
    expect(aws.some((l) => l.startsWith(`repoint: new version of secret ${SECRET_ARN}`))).toBe(true);
    expect(aws.some((l) => l.startsWith("repoint: Route53 CNAME db.delphi.internal"))).toBe(true);
    expect(s.steps.find((st) => st.step === "quiesce")?.commands.map((x) => x.host)).toEqual(["web", "api", "voice"]);
    expect(s.restorePoint).toBe(c.aws?.targetTime?.replace(/\.\d+Z$/, "Z"));
    expect(renderSummary(s)).toContain("delphi-prod");
  });

  it("sign-off stops no service", () => {
    const c = parseConfig(rawConfig("aurora-pitr", {}, { phase: "signoff" }));
    const s = summarizeAws("restore", c, planAws(c));
    expect(s.stops).toEqual([]);
    expect(s.mechanism).toBe("aurora-pitr, phase signoff");
    expect(s.downtime).toMatch(/^none/);
  });
});
