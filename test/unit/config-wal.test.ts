// The wal-pitr config: exactly one recovery target, the keys it does not read, rollback's kept
// data directory; each bad config names the key and the fix before anything is declared.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { expectRejected, problems } from "./fixtures/config-problems";
import { pgConfig, walPitrConfig } from "./fixtures/pg-config";

const NS = "delphi-restore";
const FUTURE = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");

describe("wal-pitr config", () => {
  it("takes an xid (number or text), a time, an LSN, a restore point name, or latest", () => {
    expect(parseConfig(walPitrConfig({ xid: 745, inclusive: false })).target).toMatchObject({ xid: "745", inclusive: false, latest: false });
    expect(parseConfig(walPitrConfig({ time: "2026-11-23T02:29:59Z" })).target?.inclusive).toBe(true);
    expect(parseConfig(walPitrConfig({ lsn: "0/3000060" })).target?.lsn).toBe("0/3000060");
    expect(parseConfig(walPitrConfig({ name: "before-migration" })).target?.name).toBe("before-migration");
    expect(parseConfig(walPitrConfig({ latest: true })).target?.latest).toBe(true);
    expect(parseConfig(walPitrConfig()).wal?.recoveryTimeoutSeconds).toBe(1800);
  });

  it.each([
    ["no target", undefined, `${NS}:target`, /exactly one of time, xid, lsn, name, or latest/],
    ["an empty target", {}, `${NS}:target`, /exactly one of/],
    ["two targets", { xid: "745", time: "2026-11-23T02:29:59Z" }, `${NS}:target`, /names time and xid/],
    ["a target and latest", { name: "x", latest: true }, `${NS}:target`, /names name and latest/],
    ["an xid that is not a number", { xid: "7x" }, `${NS}:target.xid`, /transaction id/],
    ["an LSN with a command", { lsn: "0/30;rm" }, `${NS}:target.lsn`, /WAL location/],
    ["a name with a quote", { name: "a'b" }, `${NS}:target.name`, /restore point name/],
    ["a time without a zone", { time: "2026-11-23 02:00" }, `${NS}:target.time`, /ISO 8601/],
    ["a time in the future", { time: FUTURE }, `${NS}:target.time`, /future/],
    ["exclusive latest", { latest: true, inclusive: false }, `${NS}:target.inclusive`, /no meaning/],
  ])("refuses %s", (_what, target, key, message) => {
    expectRejected(walPitrConfig({}, { target }), key, message);
  });

  it("needs the wal block; refuses keys it does not read and blocks of other mechanisms", () => {
    expectRejected(walPitrConfig(undefined, { wal: undefined, target: { latest: true } }), `${NS}:wal`, /required for mechanism wal-pitr/);
    expectRejected(walPitrConfig(undefined, { target: { latest: true }, dump: "delphi-20261123T020000Z.dump" }), `${NS}:dump`, /only read by pg-restore/);
    expectRejected(walPitrConfig(undefined, { target: { latest: true }, order: "beforeSwitch" }), `${NS}:order`, /services stop first/);
    expectRejected({ ...pgConfig(), target: { latest: true } }, `${NS}:target`, /only read by mechanism wal-pitr/);
    expectRejected(walPitrConfig({ latest: true }, { wal: { archiveDir: "/a/../b", baseBackupsDir: "/b", dataDir: "/d" } }), `${NS}:wal.archiveDir`, /traversal/);
  });

  it("rollback reads wal.rollbackTo, not kept", () => {
    const rb = { archiveDir: "/w", baseBackupsDir: "/b", dataDir: "/srv/postgres/data", rollbackTo: "data.pre-restore-20261125T031500Z" };
    expectRejected(walPitrConfig(undefined, { target: undefined, phase: "rollback", wal: rb, kept: "data.pre-restore-20261125T031500Z" }), `${NS}:kept`, /is read in phase signoff; a wal-pitr rollback reads wal.rollbackTo/);
    expectRejected(walPitrConfig(undefined, { kept: "data.pre-restore-20261125T031500Z" }), `${NS}:kept`, /is only read in phases rollback and signoff/);
  });

  it("sign-off needs kept", () => {
    expectRejected(walPitrConfig(undefined, { target: undefined, phase: "signoff" }), `${NS}:kept`, /is required for phase signoff/);
  });

  // src/mechanisms/wal-pitr/config-rules.ts still refuses phase signoff for wal-pitr ("has no sign-off for wal-pitr"),
  // though the plan (signoffPlan) and `delphi-restore signoff` now support it with `kept`.
  it("sign-off with kept is accepted (the kept data directory is archived, then removed)", () => {
    expect(problems(walPitrConfig(undefined, { target: undefined, phase: "signoff", kept: "data.pre-restore-20261125T031500Z" }))).toEqual([]);
  });

  it("rollback needs the kept data directory and no target", () => {
    expectRejected(walPitrConfig(undefined, { target: undefined, phase: "rollback" }), `${NS}:wal.rollbackTo`, /required for phase rollback/);
    const ok = walPitrConfig(undefined, { target: undefined, phase: "rollback", wal: { archiveDir: "/w", baseBackupsDir: "/b", dataDir: "/srv/postgres/data", rollbackTo: "data.pre-restore-20261125T031500Z" } });
    expect(problems(ok)).toEqual([]);
  });
});

describe("a target written with `pulumi config set --path` (or find-target --apply)", () => {
  it("reads true/false stored as text as the flags they are", () => {
    expect(parseConfig(walPitrConfig({ xid: "745", inclusive: "false" })).target?.inclusive).toBe(false);
    expect(parseConfig(walPitrConfig({ latest: "true" })).target?.latest).toBe(true);
  });
});
