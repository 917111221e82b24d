// The volume-snapshot program under setMocks: the same runbook graph as pg-restore around the
// data-subvolume swap, the swap keeping the data under the restore's stamp (printed by the
// precheck), the restore point the swap prints, and no command with a delete action.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram } from "./fixtures/program-suite";
import { volumeConfig } from "./fixtures/pg-config";
import type { Recorded } from "./mechanisms/aws-harness";

const HOST_COMMAND = "pulumi-nodejs:dynamic/delphi-restore:HostCommand";

function stdoutFor(name: string): string {
  if (name === "precheck-stamp") return "stamp=20261123T031000Z";
  if (name === "precheck-volume-snapshot-ok") return "volume-target=nightly-20261123T020000Z";
  if (name === "snapshot-pg-dump-kept") return "snapshot=/var/backups/delphi/pre-restore-20261123T031000Z.dump\nsnapshot-state=written";
  if (name === "restore-swap-data-subvolume") return "kept=/srv/pg-volume/data.pre-restore-20261123T031000Z\nrestored-from=/srv/pg-volume/snapshots/nightly-20261123T020000Z\nrestore-point=2026-11-23T02:00:04Z\ndatabase-ready=2026-11-23T03:12:00Z";
  if (name.startsWith("quiesce-")) return "stopped-at=2026-11-23T03:11:00Z";
  if (name.startsWith("resume-")) return "resumed-at=2026-11-23T03:20:00Z";
  if (name === "report-count-lost-writes") return "count\tconversations\tten_acme\tinserted\t3\nkey\tconversations\tten_acme\tinserted\tc1\ncount\ttools\tten_acme\tupdated\t1";
  return "ok";
}

let program: { resources: Recorded[]; outputs: Record<string, unknown> };
beforeAll(async () => {
  program = await runProgram(volumeConfig(), stdoutFor);
});
const valueOf = <T>(o: unknown): Promise<T> => new Promise((resolve) => pulumi.output(o as pulumi.Input<T>).apply((v) => (resolve(v as T), v)));

describe("the volume-snapshot program", () => {
  it("declares the runbook's steps in order, the swap on the db host after confirm", () => {
    const components = program.resources.filter((r) => r.type.startsWith("delphi:restore:"));
    expect(components.map((r) => r.type.replace("delphi:restore:", ""))).toEqual(["Precheck", "Quiesce", "ConfirmStopped", "Restore", "Reconcile", "Resume", "Verify", "Report", "PreRestoreSnapshot"]);
    const swap = program.resources.find((r) => r.name === "restore-swap-data-subvolume");
    const deps = ((swap?.opts.dependsOn ?? []) as pulumi.Resource[]).map((d) => program.resources.find((x) => x.resource === d)?.name);
    expect(deps).toEqual(["confirm"]);
  });

  it("the swap keeps the data subvolume under the restore's stamp; the notice and the snapshot open exactly that subvolume", async () => {
    const create = (name: string) => valueOf<string>(program.resources.find((r) => r.name === name)?.props.create);
    const swap = await create("restore-swap-data-subvolume");
    expect(swap).toContain("/srv/pg-volume/data.pre-restore-20261123T031000Z");
    expect(swap).toContain("nightly-20261123T020000Z");
    expect(await create("report-count-lost-writes")).toContain("pg_ctl -D /srv/pg-volume/data.pre-restore-20261123T031000Z");
    expect(await create("snapshot-pg-dump-kept")).toContain("pg_ctl -D /srv/pg-volume/data.pre-restore-20261123T031000Z");
    expect(await create("snapshot-pg-dump-kept")).toContain("/var/backups/delphi/pre-restore-20261123T031000Z.dump");
  });

  it("no command has a delete action: destroy stops nothing and removes no subvolume", () => {
    const cmds = program.resources.filter((r) => r.type === HOST_COMMAND);
    expect(cmds.length).toBeGreaterThan(15);
    for (const r of cmds) expect(r.props.delete, r.name).toBeUndefined();
  });

  it("outputs the snapshot restored, the kept subvolume (rollback's target) and the snapshot's creation time as the restore point", async () => {
    const o = program.outputs;
    expect(await valueOf(o.volumeSnapshot)).toBe("/srv/pg-volume/snapshots/nightly-20261123T020000Z");
    expect(await valueOf(o.keptDataSubvolume)).toBe("data.pre-restore-20261123T031000Z");
    expect(await valueOf(o.keptKind)).toBe("subvolume");
    expect(await valueOf(o.restorePoint)).toBe("2026-11-23T02:00:04Z");
    expect(await valueOf(o.dataLossWindow)).toEqual({ from: "2026-11-23T02:00:04Z", to: "2026-11-23T03:11:00Z" });
    expect(await valueOf(o.lostRows)).toBe(4);
    expect(await valueOf(o.preRestoreSnapshot)).toBe("/var/backups/delphi/pre-restore-20261123T031000Z.dump");
    expect(await valueOf(o.preRestoreSnapshotState)).toBe("written");
  });
});
