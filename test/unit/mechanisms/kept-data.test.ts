// The data each self-managed restore keeps instead of overwriting (src/mechanisms/<name>/kept.ts),
// and sign-off's plan and archive name (src/runbook/swap.ts): the names, the config keys
// and outputs rollback and sign-off read, and that pg-restore with snapshot: before keeps nothing.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { keptData, keptDataOf, planSelfManaged, signoffPlan } from "../../../src/mechanisms";
import { archiveOf } from "../../../src/runbook/swap";
import { PREVIEW_VALUES } from "../../../src/runbook";
import { rawConfig } from "./aws-harness";
import { pgConfig, volumeConfig, walPitrConfig } from "../fixtures/pg-config";

const STAMP = "20261207T021500Z";

describe("keptDataOf", () => {
  it("pg-restore keeps the replaced database as <db>_pre_restore_<stamp>; rollback reads `kept`", () => {
    const k = keptData(parseConfig(pgConfig()));
    expect([k.kind, k.what, k.data]).toEqual(["database", "database", "delphi"]);
    expect(k.keptName(STAMP)).toBe(`delphi_pre_restore_${STAMP}`);
    expect(k.keptPath(`delphi_pre_restore_${STAMP}`)).toBe(`delphi_pre_restore_${STAMP}`);
    expect(k.side(`delphi_pre_restore_${STAMP}`).conn).toEqual(["-d", `delphi_pre_restore_${STAMP}`]);
    expect(k.rollbackKey).toBe("delphi-restore:kept");
    expect(k.outputs).toEqual({ kept: "keptDatabase", source: "restoredFrom", sourceMarker: "dump", undone: "undoneDatabase" });
    expect(keptData(parseConfig(pgConfig({ phase: "rollback", kept: `delphi_pre_restore_${STAMP}` }))).rollbackTo).toBe(`delphi_pre_restore_${STAMP}`);
  });

  it("pg-restore with snapshot: before overwrites and keeps nothing; neither does an AWS restore", () => {
    expect(keptDataOf(parseConfig(pgConfig({ snapshot: "before" })))).toBeUndefined();
    expect(keptDataOf(parseConfig(pgConfig({ snapshot: "none" })))?.kind).toBe("database");
    expect(keptDataOf(parseConfig(rawConfig("aurora-pitr")))).toBeUndefined();
    expect(() => keptData(parseConfig(pgConfig({ snapshot: "before" })))).toThrow(/keeps no data aside/);
  });

  it("volume-snapshot keeps the data subvolume as <subvolume>.pre-restore-<stamp>, opened by a temporary Postgres", () => {
    const k = keptData(parseConfig(volumeConfig()));
    expect([k.kind, k.data, k.keptName(STAMP), k.keptPath(k.keptName(STAMP))]).toEqual(["subvolume", "/srv/pg-volume/data", `data.pre-restore-${STAMP}`, `/srv/pg-volume/data.pre-restore-${STAMP}`]);
    expect(k.side(k.keptName(STAMP)).open.join("\n")).toContain(`pg_ctl -D /srv/pg-volume/data.pre-restore-${STAMP}`);
    expect([k.rollbackKey, k.outputs.kept]).toEqual(["delphi-restore:volume.rollbackTo", "keptDataSubvolume"]);
  });

  it("wal-pitr keeps the data directory as <dir>.pre-restore-<stamp> beside it", () => {
    const k = keptData(parseConfig(walPitrConfig()));
    expect([k.kind, k.data, k.keptName(STAMP), k.keptPath(k.keptName(STAMP))]).toEqual(["directory", "/srv/postgres/data", `data.pre-restore-${STAMP}`, `/srv/postgres/data.pre-restore-${STAMP}`]);
    expect([k.rollbackKey, k.outputs.kept]).toEqual(["delphi-restore:wal.rollbackTo", "keptDataDirectory"]);
  });
});

describe("sign-off", () => {
  it("the archive is the pre-restore snapshot's name at the kept data's stamp; what a rollback put aside gets its own", () => {
    const c = parseConfig(pgConfig());
    expect(archiveOf(c, `delphi_pre_restore_${STAMP}`)).toBe(`/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(archiveOf(c, `delphi_undone_${STAMP}`)).toBe(`/var/backups/delphi/pre-restore-${STAMP}.undone.dump`);
    expect(archiveOf(parseConfig(volumeConfig()), `data.undone-${STAMP}`)).toBe(`/var/backups/delphi/pre-restore-${STAMP}.undone.dump`);
  });

  it("pg-restore sign-off: one command on the db host, no service stops, dropdb of exactly the kept database after the archive reads in full", () => {
    const c = parseConfig(pgConfig({ phase: "signoff", kept: `delphi_pre_restore_${STAMP}` }));
    const plan = planSelfManaged(c);
    expect(plan.steps[0].commands[0].render(PREVIEW_VALUES)).toBe(signoffPlan(c).steps[0].commands[0].render(PREVIEW_VALUES));
    expect(plan.steps.map((s) => [s.step, s.commands.map((x) => [x.name, x.host])])).toEqual([["signoff", [["archive-and-remove", "db"]]]]);
    expect(plan.stops).toEqual([]);
    expect(plan.restoreTarget).toBe(`/var/backups/delphi/pre-restore-${STAMP}.dump (the archive of the kept database)`);
    const text = plan.steps[0].commands[0].render(PREVIEW_VALUES);
    expect(text.match(/dropdb \S+ \S+ \S+/g)).toEqual([`dropdb -U delphi delphi_pre_restore_${STAMP}`]);
    expect(text.indexOf("dropdb")).toBeGreaterThan(text.lastIndexOf("pg_restore -f /dev/null"));
    expect(plan.steps[0].commands[0].description).toContain(`only then dropdb delphi_pre_restore_${STAMP}. Refused, with the kept data left, if the archive does not read in full`);
  });
});
