import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config";
import { analyseCommand } from "../../../src/tenant/commands";
import { parseRequest, parseSource, recoveryKey, recoveryStackName } from "../../../src/tenant/request";

describe("a tenant recovery's request", () => {
  it("defaults: the newest dump, mode missing, column tenant_id", () => {
    expect(parseRequest({ tenant: "ten_acme", from: "dump" })).toEqual({ tenant: "ten_acme", from: { kind: "dump" }, mode: "missing", column: "tenant_id", phase: "recover" });
  });

  it("reads every source form", () => {
    expect(parseSource("dump:delphi-20261201T020000Z.dump")).toEqual({ kind: "dump", file: "delphi-20261201T020000Z.dump" });
    expect(parseSource("kept")).toEqual({ kind: "kept" });
    expect(parseSource("kept:delphi_pre_restore_20261207T021500Z")).toEqual({ kind: "kept", database: "delphi_pre_restore_20261207T021500Z" });
    expect(parseSource("snapshot:pre-restore-20261207T021500Z.dump")).toEqual({ kind: "snapshot", file: "pre-restore-20261207T021500Z.dump" });
    for (const bad of ["dump:../etc/passwd.dump", "dump:/abs.dump", "kept:postgres", "snapshot:delphi.dump", "tape"]) expect(parseSource(bad), bad).toBeUndefined();
  });

  it("bad input: every problem keyed delphi-restore:tenant.<field>, with its fix", () => {
    try {
      parseRequest({ tenant: "ten acme; rm -rf /", from: "dump", mode: "sometimes", tables: ["Conversations"] });
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.key).sort()).toEqual(["delphi-restore:tenant.mode", "delphi-restore:tenant.tables", "delphi-restore:tenant.tenant"]);
      expect((e as ConfigError).message).toContain("fix: give the tenant's id");
    }
  });

  it("a new source, mode or table list is a new recovery; the stack name is the tenant's", () => {
    const r = parseRequest({ tenant: "ten_acme", from: "dump" });
    expect(recoveryKey(r, "/b/a.dump")).not.toBe(recoveryKey(r, "/b/b.dump"));
    expect(recoveryKey(r, "/b/a.dump")).not.toBe(recoveryKey({ ...r, mode: "replace" }, "/b/a.dump"));
    expect(recoveryStackName("restore", "ten:acme")).toBe("restore.tenant-ten-acme");
  });

  it("whatever tenant id is accepted reaches the host's shell as data only (the SQL goes through a quoted here-document)", () => {
    const db = { dir: "/srv/postgres", container: "voiceai-postgres", user: "delphi", name: "delphi" };
    const table = { name: "conversations", pk: ["id"], owner: { kind: "column" as const, column: "tenant_id" }, columns: ["id", "tenant_id"], defaulted: [], dropped: [] };
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/), (tenant) => {
        const req = parseRequest({ tenant, from: "dump" });
        const cmd = analyseCommand(db, req, [table], "/srv/backup/delphi-20261201T020000Z.dump");
        expect(cmd.startsWith("sh -c '")).toBe(true);
        expect(cmd).toContain("<<'\\''DELPHI_TENANT_SQL'\\''");
      }),
    );
  });
});
