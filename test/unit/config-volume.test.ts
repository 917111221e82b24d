// The volume-snapshot config: what names the snapshot, the keys it does not read, and rollback's
// kept subvolume. Each bad config names the key and the fix, before anything is declared.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { expectRejected, problems } from "./fixtures/config-problems";
import { pgConfig, volumeConfig } from "./fixtures/pg-config";

const NS = "delphi-restore";
const FUTURE = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");

describe("volume-snapshot config", () => {
  it("takes a named snapshot, with the layout's defaults", () => {
    const c = parseConfig(volumeConfig());
    expect(c.volume).toMatchObject({ filesystem: "btrfs", mount: "/srv/pg-volume", dataSubvolume: "data", snapshotsDir: "snapshots", snapshot: "nightly-20261123T020000Z", minFreeMiB: 256, recoveryTimeoutSeconds: 600 });
  });

  it("takes an incident time instead of a name (the newest snapshot before it)", () => {
    expect(parseConfig(volumeConfig({ snapshot: undefined, before: "2026-11-23T02:30:00Z" })).volume?.before).toBe("2026-11-23T02:30:00Z");
  });

  it("needs the volume block, naming the key and how to set it", () => {
    expectRejected(volumeConfig({}, { volume: undefined }), `${NS}:volume`, /required for mechanism volume-snapshot/);
  });

  it("needs a snapshot name or an incident time", () => {
    expectRejected(volumeConfig({ snapshot: undefined }), `${NS}:volume.snapshot`, /name the snapshot to restore, or give volume.before/);
  });

  it.each([
    ["a mount with a space", { mount: "/srv/pg volume" }, `${NS}:volume.mount`, /absolute path/],
    ["a relative mount", { mount: "srv/pg" }, `${NS}:volume.mount`, /absolute path/],
    ["a mount with traversal", { mount: "/srv/../etc" }, `${NS}:volume.mount`, /traversal/],
    ["a snapshot name with a command", { snapshot: "x;reboot" }, `${NS}:volume.snapshot`, /must be a plain/],
    ["a snapshot name with a slash", { snapshot: "../data" }, `${NS}:volume.snapshot`, /must be a plain/],
    ["an incident time without a zone", { before: "2026-11-23 02:00" }, `${NS}:volume.before`, /ISO 8601/],
    ["an incident time in the future", { before: FUTURE }, `${NS}:volume.before`, /future/],
    ["LVM", { filesystem: "lvm" }, `${NS}:volume.filesystem`, /btrfs/],
    ["snapshots inside the data subvolume's name", { snapshotsDir: "data" }, `${NS}:volume.snapshotsDir`, /beside it/],
    ["a rollback target in a restore", { rollbackTo: "data.pre-restore-20261125T030000Z" }, `${NS}:volume.rollbackTo`, /only read in phase rollback/],
    ["too little free space asked", { minFreeMiB: 1 }, `${NS}:volume.minFreeMiB`, /at least 16/],
  ])("refuses %s", (_what, volume, key, message) => {
    expectRejected(volumeConfig(volume), key, message);
  });

  it("refuses keys the mechanism does not read: a dump, a restore point, order beforeSwitch", () => {
    expectRejected(volumeConfig({}, { dump: "delphi-20261123T020000Z.dump" }), `${NS}:dump`, /only read by pg-restore/);
    expectRejected(volumeConfig({}, { restorePoint: "2026-11-23T02:00:00Z" }), `${NS}:restorePoint`, /creation time is the restore point/);
    expectRejected(volumeConfig({}, { order: "beforeSwitch" }), `${NS}:order`, /services stop first/);
  });

  it("refuses a volume block for another mechanism", () => {
    expectRejected({ ...pgConfig(), volume: { mount: "/srv/pg-volume" } }, `${NS}:volume`, /only read by mechanism volume-snapshot/);
  });

  it("rollback needs the kept subvolume, of this data subvolume, in volume.rollbackTo (not kept)", () => {
    expectRejected(volumeConfig({ snapshot: undefined }, { phase: "rollback" }), `${NS}:volume.rollbackTo`, /required for phase rollback/);
    expectRejected(volumeConfig({ rollbackTo: "pgdata.pre-restore-20261125T030000Z" }, { phase: "rollback" }), `${NS}:volume.rollbackTo`, /kept by a restore of volume.dataSubvolume 'data'/);
    expectRejected(volumeConfig({ rollbackTo: "data;rm" }, { phase: "rollback" }), `${NS}:volume.rollbackTo`, /kept data subvolume's name/);
    expect(problems(volumeConfig({ rollbackTo: "data.pre-restore-20261125T030000Z" }, { phase: "rollback" }))).toEqual([]);
    expectRejected(volumeConfig({ rollbackTo: "data.pre-restore-20261125T030000Z" }, { phase: "rollback", kept: "data.pre-restore-20261125T030000Z" }), `${NS}:kept`, /is read in phase signoff; a volume-snapshot rollback reads volume.rollbackTo/);
  });

  it("sign-off archives and removes the kept subvolume named by kept: required, and enough", () => {
    expectRejected(volumeConfig({ snapshot: undefined }, { phase: "signoff" }), `${NS}:kept`, /is required for phase signoff/);
    expect(problems(volumeConfig({ snapshot: undefined }, { phase: "signoff", kept: "data.pre-restore-20261125T030000Z" }))).toEqual([]);
    expectRejected(volumeConfig({}, { kept: "data.pre-restore-20261125T030000Z" }), `${NS}:kept`, /is only read in phases rollback and signoff/);
    expectRejected(volumeConfig({ rollbackTo: "data.pre-restore-20261125T030000Z" }, { phase: "signoff", kept: "data.pre-restore-20261125T030000Z" }), `${NS}:volume.rollbackTo`, /only read in phase rollback/);
  });

  it("takes the snapshot modes; a long database name is fine (the kept data is a subvolume)", () => {
    for (const snapshot of ["after", "before", "none"]) expect(parseConfig(volumeConfig({}, { snapshot })).snapshot).toBe(snapshot);
    expect(problems(volumeConfig({}, { database: { ...(pgConfig().database as Record<string, unknown>), name: "d".repeat(40) } }))).toEqual([]);
  });

  it("still needs the database block (the pre-restore pg_dump, the lost-row count, the container to stop)", () => {
    expectRejected(volumeConfig({}, { database: undefined }), `${NS}:database`, /required for mechanism volume-snapshot/);
  });
});

describe("times written unquoted in a stack file", () => {
  it("are read as the time written: Pulumi hands a YAML timestamp over in Go's format", () => {
    expect(parseConfig(volumeConfig({ snapshot: undefined, before: "2026-11-23 02:30:00.079 +0000 UTC" })).volume?.before).toBe("2026-11-23T02:30:00.079Z");
    expect(parseConfig(volumeConfig({ before: "2026-11-23 03:30:00 +0100 CET" })).volume?.before).toBe("2026-11-23T03:30:00+01:00");
  });
});
