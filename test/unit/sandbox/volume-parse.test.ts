// The btrfs volume's pure parts: snapshot names, and what `btrfs subvolume show`,
// /proc/self/mountinfo and `losetup --list --json` print (samples from btrfs-progs 6.x and
// util-linux 2.38 on Debian).
import { describe, expect, it } from "vitest";
import { btrfsTime, checkSnapshotName, loopDevicesUnder, mountsUnder, parseLosetupJson, parseMountinfo, parseSubvolumeShow, snapshotName, utcStamp } from "../../../src/sandbox/postgres/volume-parse";

describe("snapshot names", () => {
  it("carry the kind and the UTC second", () => {
    const d = new Date("2026-01-25T02:00:07.891Z");
    expect(utcStamp(d)).toBe("20260125T020007Z");
    expect(snapshotName("nightly", d)).toBe("nightly-20260125T020007Z");
    expect(snapshotName("manual", d)).toBe("manual-20260125T020007Z");
  });

  it("accept one shell-safe path segment and refuse anything else", () => {
    for (const ok of ["a", "nightly-20260125T020007Z", "before_upgrade.v2", "9", "x".repeat(101)]) expect(checkSnapshotName(ok)).toBe(ok);
    for (const bad of ["", ".", "..", "-x", "_x", ".hidden", "a/b", "../data", "a b", "a;rm", "ä", "x".repeat(102), "a\n"])
      expect(() => checkSnapshotName(bad), JSON.stringify(bad)).toThrow(/bad snapshot name/);
  });
});

const SHOW_RO = `snapshots/nightly-20260125T020007Z
	Name: 			nightly-20260125T020007Z
	UUID: 			4f9b07bc-3e3f-5c4d-8d9b-52650d398bec
	Parent UUID: 		4d8e8971-6827-8c45-81c8-924468bc0bb9
	Received UUID: 		-
	Creation time: 		2026-01-25 02:00:07 +0000
	Subvolume ID: 		257
	Generation: 		7
	Gen at creation: 	7
	Parent ID: 		5
	Top level ID: 		5
	Flags: 			readonly
	Send transid: 		0
	Send time: 		2026-01-25 02:00:07 +0000
	Receive transid: 	0
	Receive time: 		-
	Snapshot(s):
`;

const SHOW_RW = `data
	Name: 			data
	UUID: 			4d8e8971-6827-8c45-81c8-924468bc0bb9
	Parent UUID: 		-
	Received UUID: 		-
	Creation time: 		2026-01-25 03:30:00 +0200
	Subvolume ID: 		256
	Flags: 			-
	Snapshot(s):
				snapshots/nightly-20260125T020007Z
`;

describe("btrfs subvolume show", () => {
  it("gives the name, creation time in UTC and the read-only flag", () => {
    expect(parseSubvolumeShow(SHOW_RO)).toEqual({ name: "nightly-20260125T020007Z", createdAt: "2026-01-25T02:00:07.000Z", readOnly: true, uuid: "4f9b07bc-3e3f-5c4d-8d9b-52650d398bec" });
    expect(parseSubvolumeShow(SHOW_RW)).toEqual({ name: "data", createdAt: "2026-01-25T01:30:00.000Z", readOnly: false, uuid: "4d8e8971-6827-8c45-81c8-924468bc0bb9" });
  });

  it("reads btrfs' time format and nothing else", () => {
    expect(btrfsTime("2026-01-25 02:00:07 -0130")).toBe("2026-01-25T03:30:07.000Z");
    expect(btrfsTime("-")).toBeUndefined();
    expect(btrfsTime("2026-01-25T02:00:07Z")).toBeUndefined();
    expect(parseSubvolumeShow("garbage\n").createdAt).toBeUndefined();
  });
});

const MOUNTINFO = [
  "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "43 22 0:39 / /srv/p/.sandbox/hosts/db/volume rw,relatime shared:30 - btrfs /dev/loop0 rw,space_cache=v2,subvolid=5,subvol=/",
  "44 43 0:40 / /srv/p/.sandbox/hosts/db/volume/snapshots/x rw - tmpfs tmpfs rw",
  "45 22 0:39 / /srv/p/.sandbox/hosts/db/volume rw,relatime - btrfs /dev/loop1 rw",
  "46 22 0:41 / /srv/p/.sandbox-other rw - tmpfs tmpfs rw",
  "47 22 0:42 / /srv/p/.sandbox/with\\040space rw - tmpfs my\\040src rw",
  "",
].join("\n");

describe("mountinfo", () => {
  it("reads mount points (unescaped), types and sources, optional fields or not", () => {
    const all = parseMountinfo(MOUNTINFO);
    expect(all).toHaveLength(6);
    expect(all[1]).toEqual({ id: 43, mountPoint: "/srv/p/.sandbox/hosts/db/volume", fsType: "btrfs", source: "/dev/loop0" });
    expect(all[5]).toEqual({ id: 47, mountPoint: "/srv/p/.sandbox/with space", fsType: "tmpfs", source: "my src" });
  });

  it("lists the mounts under a folder deepest first, the top of a stack first, and not a sibling with the same prefix", () => {
    const under = mountsUnder(parseMountinfo(MOUNTINFO), "/srv/p/.sandbox/");
    expect(under.map((m) => `${m.id} ${m.mountPoint}`)).toEqual([
      "44 /srv/p/.sandbox/hosts/db/volume/snapshots/x",
      "45 /srv/p/.sandbox/hosts/db/volume",
      "43 /srv/p/.sandbox/hosts/db/volume",
      "47 /srv/p/.sandbox/with space",
    ]);
    expect(mountsUnder(parseMountinfo(MOUNTINFO), "/elsewhere")).toEqual([]);
  });
});

describe("losetup --list --json", () => {
  const json = JSON.stringify({
    loopdevices: [
      { name: "/dev/loop0", "back-file": "/srv/p/.sandbox/volume/pg-volume.img" },
      { name: "/dev/loop1", "back-file": "/srv/p/.sandbox/volume/pg-volume.img (deleted)" },
      { name: "/dev/loop2", "back-file": "/srv/p/.sandbox-other/pg-volume.img" },
      { name: "/dev/loop3", "back-file": null },
    ],
  });

  it("reads devices and their backing files, marking removed ones", () => {
    expect(parseLosetupJson(json)).toEqual([
      { device: "/dev/loop0", backFile: "/srv/p/.sandbox/volume/pg-volume.img", deleted: false },
      { device: "/dev/loop1", backFile: "/srv/p/.sandbox/volume/pg-volume.img", deleted: true },
      { device: "/dev/loop2", backFile: "/srv/p/.sandbox-other/pg-volume.img", deleted: false },
    ]);
    expect(parseLosetupJson("")).toEqual([]);
  });

  it("picks the devices backed by files under the sandbox folder, a removed image included", () => {
    expect(loopDevicesUnder(parseLosetupJson(json), "/srv/p/.sandbox").map((d) => d.device)).toEqual(["/dev/loop0", "/dev/loop1"]);
  });
});
