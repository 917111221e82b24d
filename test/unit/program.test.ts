// The pg-restore program under pulumi.runtime.setMocks: the resource graph the engine would get
// (one component per runbook step, one command per host, each step waiting for the previous
// one), no delete actions, secrets kept secret, and bad config declaring nothing.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type RawConfig } from "../../src/config";
import { declarePgRestore } from "../../src/program";
import { ADMIN_PASSWORD, pgConfig, SSH_KEY } from "./fixtures/pg-config";
import type { Recorded } from "./mechanisms/aws-harness";


/** Mocked command outputs: the markers the real commands print. */
function stdoutFor(name: string): string {
  if (name === "snapshot-pg-dump") return "snapshot=/var/backups/delphi/pre-restore-20261123T031000Z.dump";
  if (name.startsWith("quiesce-")) return "stopped-at=2026-11-23T03:11:00Z";
  if (name.startsWith("resume-")) return "resumed-at=2026-11-23T03:20:00Z";
  if (name === "report-count-lost-rows") return "conversations\tten_acme\t4\ntools\tten_globex\t1";
  if (name === "report-write-notice") return "reports/notice.md";
  return "ok";
}

async function run(raw: RawConfig): Promise<{ resources: Recorded[]; outputs: Record<string, unknown> }> {
  const resources: Recorded[] = [];
  const byName = new Map<string, Recorded>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const r = byName.get(args.name);
        if (r) r.inputs = args.inputs as Record<string, unknown>;
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout: stdoutFor(args.name) } };
      },
      call: () => ({}),
    },
    "delphi-restore",
    "restore",
    false,
  );
  let outputs: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      const rec: Recorded = { type: t.type, name: t.name, props: t.props as Record<string, unknown>, opts: t.opts as pulumi.CustomResourceOptions, resource: t.resource };
      resources.push(rec);
      byName.set(t.name, rec);
      return undefined;
    });
    outputs = declarePgRestore(parseConfig(raw), { privateKey: pulumi.secret(SSH_KEY), adminPassword: pulumi.secret(ADMIN_PASSWORD) });
    return {};
  });
  return { resources, outputs };
}

// One program run for the whole file: a second setMocks would replace the mock monitor while the
// first run's components still register their outputs.
let program: { resources: Recorded[]; outputs: Record<string, unknown> };
beforeAll(async () => {
  program = await run(pgConfig());
});

const valueOf = <T>(o: unknown): Promise<T> => new Promise((resolve) => pulumi.output(o as pulumi.Input<T>).apply((v) => (resolve(v as T), v)));
const isSecret = (o: unknown): Promise<boolean> => pulumi.isSecret(pulumi.output(o as pulumi.Input<unknown>));

describe("the resource graph", () => {
  it("one component per runbook step, in order, each depending on the previous one", async () => {
    const { resources } = program;
    const components = resources.filter((r) => r.type.startsWith("delphi:restore:"));
    expect(components.map((r) => r.type)).toEqual(["PreRestoreSnapshot", "Quiesce", "Restore", "Reconcile", "Resume", "Verify", "Report"].map((t) => `delphi:restore:${t}`));
    // Every command of a step waits for the whole previous step (component dependsOn).
    const steps = components.map((c) => c.name);
    for (const r of resources.filter((x) => x.type === "command:remote:Command")) {
      const step = r.name.split("-")[0] as string;
      const i = steps.indexOf(step);
      const deps = ((r.opts.dependsOn ?? []) as pulumi.Resource[]).map((d) => resources.find((x) => x.resource === d)?.name);
      if (i === 0) expect(deps, r.name).toEqual([]);
      else expect(deps, r.name).toEqual([steps[i - 1]]);
    }
  });

  it("a remote command on every host that the plan names, with the host's connection", async () => {
    const { resources } = program;
    const cmds = resources.filter((r) => r.type === "command:remote:Command");
    expect(cmds.filter((r) => r.name.startsWith("quiesce-")).map((r) => r.name)).toEqual(["quiesce-web-web", "quiesce-api-api", "quiesce-voice-voice", "quiesce-ops-ops", "quiesce-media-media"]);
    expect(cmds.map((r) => r.name)).toContain("snapshot-pg-dump");
    expect(cmds.map((r) => r.name)).toContain("restore-pg-restore");
    const conn = (await valueOf<Record<string, unknown>>(cmds.find((r) => r.name === "restore-pg-restore")?.props.connection)) ?? {};
    expect([conn.host, conn.port, conn.user]).toEqual(["10.0.1.20", 22, "deploy"]);
  });

  it("no command has a delete action, so `pulumi destroy` stops nothing and drops nothing", async () => {
    const { resources } = program;
    const cmds = resources.filter((r) => r.type.startsWith("command:"));
    expect(cmds.length).toBeGreaterThan(15);
    for (const r of cmds) expect(r.props.delete, r.name).toBeUndefined();
  });

  it("the report reads the snapshot path and restore point produced by earlier steps", async () => {
    const { resources } = program;
    const count = resources.find((r) => r.name === "report-count-lost-rows");
    const create = await valueOf<string>(count?.props.create);
    expect(create).toContain("/var/backups/delphi/pre-restore-20261123T031000Z.dump");
    expect(create).toContain("2026-11-23T02:00:00Z");
  });
});

describe("outputs", () => {
  it("carry the snapshot, restore point, window, lost rows and report path", async () => {
    const { outputs } = program;
    expect(await valueOf(outputs.preRestoreSnapshot)).toBe("/var/backups/delphi/pre-restore-20261123T031000Z.dump");
    expect(await valueOf(outputs.restorePoint)).toBe("2026-11-23T02:00:00Z");
    expect(await valueOf(outputs.dataLossWindow)).toEqual({ from: "2026-11-23T02:00:00Z", to: "2026-11-23T03:11:00Z" });
    expect(await valueOf(outputs.lostRows)).toBe(5);
    expect(await valueOf(outputs.reportPath)).toBe("reports/restore-delphi-prod-eu1-20261123T020000Z.md");
  });
});

describe("secrets", () => {
  it("the SSH key and admin password reach the engine only as secrets", async () => {
    const { resources, outputs } = program;
    const cmds = resources.filter((r) => r.type === "command:remote:Command");
    for (const r of cmds) {
      const conn = r.props.connection as Record<string, unknown>;
      expect(await isSecret(conn.privateKey), r.name).toBe(true);
    }
    const login = cmds.find((r) => r.name === "verify-admin-login");
    expect(await isSecret(login?.props.stdin)).toBe(true);
    expect(await valueOf(login?.props.create)).not.toContain(ADMIN_PASSWORD);
    for (const [k, v] of Object.entries(outputs)) {
      const text = JSON.stringify(await valueOf(v)) ?? "";
      expect(text, k).not.toContain(ADMIN_PASSWORD);
      expect(text, k).not.toContain("b3BlbnNzaC1rZXktdjEAAAAApgTestKeyOnly");
    }
    for (const r of cmds) {
      if (r.name === "verify-admin-login") continue;
      expect(JSON.stringify(await valueOf(r.props.create)), r.name).not.toContain(ADMIN_PASSWORD);
    }
  });
});
