// The pg-restore program in phase signoff under setMocks: one step on the db host that archives
// the kept database, verifies the archive and only then drops it; no service is stopped, and the
// outputs say what was archived where (what `rollback --from-archive` reads).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { pgConfig } from "./fixtures/pg-config";
import { KEPT, STAMP, runProgram } from "./fixtures/program-suite";
import type { Recorded } from "./mechanisms/aws-harness";

const ARCHIVE = `/var/backups/delphi/pre-restore-${STAMP}.dump`;

function stdoutFor(name: string): string {
  if (name === "signoff-archive-and-remove") return `archive-verified=${ARCHIVE}\nremoved=${KEPT}\narchive=${ARCHIVE}`;
  return "ok";
}

let program: { resources: Recorded[]; outputs: Record<string, unknown> };
beforeAll(async () => {
  program = await runProgram(pgConfig({ phase: "signoff", kept: KEPT }), stdoutFor);
});
const valueOf = <T>(o: unknown): Promise<T> => new Promise((resolve) => pulumi.output(o as pulumi.Input<T>).apply((v) => (resolve(v as T), v)));

describe("the pg-restore sign-off program", () => {
  it("declares one step, one command on the db host; nothing stops, nothing is restored", () => {
    const components = program.resources.filter((r) => r.type.startsWith("delphi:restore:"));
    expect(components.map((r) => r.type)).toEqual(["delphi:restore:SignOff"]);
    const cmds = program.resources.filter((r) => !r.type.startsWith("delphi:restore:") && r.type !== "pulumi:pulumi:Stack");
    expect(cmds.map((r) => r.name)).toEqual(["signoff-archive-and-remove"]);
  });

  it("the command archives to the snapshot's name at the kept database's stamp and drops the kept database only after the archive reads", async () => {
    const create = await valueOf<string>(program.resources.find((r) => r.name === "signoff-archive-and-remove")?.props.create);
    expect(create).toContain(`f=${ARCHIVE}`);
    const drop = create.indexOf(`dropdb -U delphi ${KEPT}`);
    expect(drop).toBeGreaterThan(create.lastIndexOf("pg_restore -f /dev/null"));
    expect(create.match(/dropdb/g)).toHaveLength(1);
  });

  it("outputs what was archived, where, and that it is signed off; no kept database any more", async () => {
    const o = program.outputs;
    expect(await valueOf(o.archivedKept)).toBe(KEPT);
    expect(await valueOf(o.archive)).toBe(ARCHIVE);
    expect(o.signedOff).toBe(true);
    expect(o.keptDatabase).toBeUndefined();
    expect(await valueOf(o.downtime)).toMatch(/^none/);
  });
});
