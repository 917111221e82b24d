// The program's entry with bad stack config: a clean RunError naming the key, and not one
// resource registered (so a preview shows nothing and an up changes nothing).
import * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { restoreProgram } from "../../src/program";
import { pgConfig } from "./fixtures/pg-config";

it("bad config stops the program before any resource, naming the key and the fix", async () => {
  const registered: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args.type);
        return { id: args.name, state: args.inputs };
      },
      call: () => ({}),
    },
    "delphi-restore",
    "restore",
    true,
  );
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...pgConfig(), order: "sideways" })) flat[`delphi-restore:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(flat, ["delphi-restore:sshPrivateKey", "delphi-restore:adminPassword"]);
  let error: unknown;
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      await restoreProgram();
    } catch (e) {
      error = e;
    }
    return {};
  });
  expect(error).toBeInstanceOf(pulumi.RunError);
  expect(String((error as Error).message)).toContain("delphi-restore:order");
  expect(String((error as Error).message)).toContain("fix:");
  expect(registered.filter((t) => t !== "pulumi:pulumi:Stack")).toEqual([]);
});
