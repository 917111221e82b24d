// A sandbox of N hosts: the six of a Delphi deployment, then API hosts api2, api3, ... (the
// host-scale benchmark starts 21); the folder's hosts are read back in start order.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostSpec, layout, MAX_SANDBOX_HOSTS, SANDBOX_HOSTS, sandboxHostNames, sandboxHostSpecs } from "../../../src/sandbox/layout";

describe("sandbox hosts", () => {
  it("are the six by default, and API hosts beyond them", () => {
    expect(sandboxHostSpecs().map((h) => h.name)).toEqual(["web", "api", "voice", "ops", "media", "db"]);
    const many = sandboxHostSpecs(21);
    expect(many).toHaveLength(21);
    expect(many.slice(6).map((h) => h.name)).toEqual(Array.from({ length: 15 }, (_, i) => `api${i + 2}`));
    expect(many.slice(6).every((h) => h.role === "api" && h.project === "api" && h.services.join() === "voiceai-api")).toBe(true);
    expect(hostSpec("api16")).toEqual(many[20]);
  });

  it("refuses fewer than six, more than the most, and names it does not know", () => {
    expect(() => sandboxHostSpecs(5)).toThrow(/6 to 48 hosts/);
    expect(() => sandboxHostSpecs(MAX_SANDBOX_HOSTS + 1)).toThrow(/6 to 48 hosts/);
    expect(() => hostSpec("api1")).toThrow(/unknown sandbox host 'api1'/);
    expect(hostSpec("api43").role).toBe("api");
    expect(() => hostSpec("api44")).toThrow(/unknown sandbox host 'api44'/);
    expect(() => hostSpec("api02")).toThrow(/unknown sandbox host 'api02'/);
    expect(() => hostSpec("mail")).toThrow(/known: web, api, voice, ops, media, db, api2 \.\.\. api43/);
  });

  it("are read back from the sandbox folder in start order (the six when it has none yet)", () => {
    const dir = mkdtempSync(join(tmpdir(), "delphi-layout-"));
    try {
      const L = layout(dir);
      expect(sandboxHostNames(L)).toEqual(SANDBOX_HOSTS.map((h) => h.name));
      for (const h of ["api10", "db", "api2", "web", "stray"]) mkdirSync(join(L.dir, "hosts", h), { recursive: true });
      expect(sandboxHostNames(L)).toEqual(["web", "db", "api2", "api10"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the database's data directory", () => {
  it("is `data` in the db host's volume folder, the volume's mount point in volume mode; the image and snapshots are beside it", () => {
    const L = layout("/p");
    expect(L.pg.data).toBe("/p/.sandbox/hosts/db/volume/data");
    expect(L.volume.mount).toBe("/p/.sandbox/hosts/db/volume");
    expect(L.volume.snapshots).toBe("/p/.sandbox/hosts/db/volume/snapshots");
    // The image lives outside the mount, so unmounting never hides it.
    expect(L.volume.image.startsWith(`${L.volume.mount}/`)).toBe(false);
    expect(L.volume.image.startsWith(`${L.dir}/`)).toBe(true);
  });
});
