// The sandbox's images are tagged by their definition: the same definition reuses the cached
// image, any change (a file copied in, a build argument, the base) builds anew.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { debianSuite, imageDefinitions, imageTag } from "../../../src/sandbox/images";

const dir = mkdtempSync(join(tmpdir(), "delphi-images-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("image tags", () => {
  it("change with the Dockerfile, a file copied in, a build argument or the base, and only then", () => {
    writeFileSync(join(dir, "Dockerfile"), "FROM x\n");
    writeFileSync(join(dir, "app.py"), "print(1)\n");
    const def = { name: "service", dockerfileDir: dir, files: { "app.py": join(dir, "app.py") }, args: { PG_MAJOR: "15" } };
    const tag = imageTag(def, "base:1");
    expect(tag).toMatch(/^delphi-sandbox\/service:[0-9a-f]{12}$/);
    expect(imageTag({ ...def, args: { PG_MAJOR: "15" } }, "base:1")).toBe(tag);
    expect(imageTag({ ...def, args: { PG_MAJOR: "16" } }, "base:1")).not.toBe(tag);
    expect(imageTag(def, "base:2")).not.toBe(tag);
    writeFileSync(join(dir, "app.py"), "print(2)\n");
    const changed = imageTag(def, "base:1");
    expect(changed).not.toBe(tag);
    writeFileSync(join(dir, "Dockerfile"), "FROM y\n");
    expect(imageTag(def, "base:1")).not.toBe(changed);
  });

  it("cover the real definitions: the database's carries the host's postgres uid, the services' their program", () => {
    const defs = imageDefinitions("15", { uid: 101, gid: 104 });
    expect(defs.postgres.args).toEqual({ PG_MAJOR: "15", PG_UID: "101", PG_GID: "104" });
    expect(Object.keys(defs.service.files).sort()).toEqual(["delphi-service.py", "prisma-migrations-table.sql", "voiceai-calls"]);
    expect(imageTag(defs.postgres, "b")).not.toBe(imageTag(imageDefinitions("15", { uid: 102, gid: 104 }).postgres, "b"));
  });
});

describe("debianSuite", () => {
  it("reads the host's release codename, quoted or not, and refuses a file without one", () => {
    expect(debianSuite('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n')).toBe("bookworm");
    expect(debianSuite('VERSION_CODENAME="trixie"\n')).toBe("trixie");
    expect(() => debianSuite("NAME=Other\n")).toThrow(/VERSION_CODENAME/);
  });
});
