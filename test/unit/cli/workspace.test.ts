// The Automation API side: the Pulumi CLI is found once per process (finding it runs
// `pulumi version`), and that one is the set-up's pinned CLI.
import { describe, expect, it } from "vitest";
import { pulumiCommand } from "../../../src/cli/workspace";

describe("pulumiCommand", () => {
  it("finds the CLI once per process", async () => {
    const first = pulumiCommand();
    expect(pulumiCommand()).toBe(first);
    const cmd = await first;
    expect(cmd.version?.major).toBe(3);
  });
});
