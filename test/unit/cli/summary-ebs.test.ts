// The driver for ebs-snapshot: the summary lists both volumes, the attachment and the db host's
// commands; preflight checks the data volume's mount instead of reading a dump.
import { describe, expect, it } from "vitest";
import { preflightChecks } from "../../../src/cli/preflight";
import { renderSummary } from "../../../src/cli/summary";
import { summarizeEbs } from "../../../src/mechanisms/ebs-snapshot/summary";
import { parseConfig } from "../../../src/config";
import { planEbs } from "../../../src/mechanisms/ebs-snapshot/plan";
import { INSTANCE, MOUNT, NIGHTLY, OLD_VOLUME, rawEbsConfig } from "../mechanisms/ebs-fixtures";

describe("ebs-snapshot summary", () => {
  it("names both volumes, the attachment, the tags and the host commands", () => {
    const c = parseConfig(rawEbsConfig());
    const s = summarizeEbs("restore", c, planEbs(c));
    expect(s.restoreTarget).toBe(`a new EBS volume attached to ${INSTANCE} at /dev/sdg and mounted at ${MOUNT} on db (the old volume ${OLD_VOLUME} stays attached at /dev/sdf, unmounted, until sign-off)`);
    expect(s.dump).toBe(`snapshot ${NIGHTLY} (EBS)`);
    const lines = s.steps.flatMap((st) => st.commands.map((x) => `${st.step} ${x.host}: ${x.description}`));
    expect(lines.filter((l) => l.startsWith("restore aws:"))).toHaveLength(2);
    expect(lines.some((l) => l.startsWith(`swap aws: tags on the old volume ${OLD_VOLUME}`))).toBe(true);
    expect(lines.filter((l) => l.startsWith("swap db:")).map((l) => l.split(":")[1].trim().split(" ")[0])).toEqual(["docker", "mount"]);
    const text = renderSummary(s);
    expect(text).toContain(OLD_VOLUME);
    expect(text).toContain("/dev/sdg");
  });
});

describe("ebs-snapshot preflight", () => {
  it("asks the db host whether the data volume is mounted, and reads no dump", () => {
    const checks = preflightChecks(parseConfig(rawEbsConfig())).map((k) => `${k.host} ${k.check}`);
    expect(checks.filter((k) => k.startsWith("db "))).toEqual(["db ssh", "db database delphi answers", "db data volume mounted"]);
    expect(checks.some((k) => k.includes("dump"))).toBe(false);
  });
});
