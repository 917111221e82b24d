// The restore key names the backup: the program resolves `dump: newest` on the db host (path, size
// and mtime) before declaring, pins it in the commands, and keys the restore by it, so a newer dump
// is a new restore (every command runs) and the same dump a re-run (only what did not finish).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { configPartOfKey, PREVIEW_VALUES, restoreKey } from "../../../src/runbook";
import { planPgRestore } from "../../../src/mechanisms/pg-restore/plan";
import { dumpIdentityCommand, parseDumpIdentity, resolveDump } from "../../../src/mechanisms/pg-restore/resolve";
import { pgConfig } from "../fixtures/pg-config";

const newest = () => parseConfig(pgConfig({ dump: undefined }));
const A = "/var/backups/delphi/delphi-20261123T020000Z.dump 734003200 1763863200";
const B = "/var/backups/delphi/delphi-20261130T020000Z.dump 734101504 1764468000";
const run = (stdout: string, ok = true) => async () => ({ ok, stdout, stderr: ok ? "" : "ssh: connect to host 10.0.1.20 port 22: Connection refused" });

describe("the key of a restore of the newest dump", () => {
  it("a newer newest dump is a new key; the same dump, unchanged, the same key", async () => {
    const a = await resolveDump(newest(), run(`backup=${A}\n`));
    const b = await resolveDump(newest(), run(`backup=${B}\n`));
    expect(restoreKey(a)).not.toBe(restoreKey(b));
    expect(restoreKey(a)).toBe(restoreKey(await resolveDump(newest(), run(`backup=${A}\n`))));
    expect(restoreKey(a)).not.toBe(restoreKey(newest()));
    expect(JSON.parse(restoreKey(b)).backup).toBe(B);
  });

  it("the same file name rewritten (another size or mtime) is a new restore too, for a named dump as well", async () => {
    const named = parseConfig(pgConfig());
    const before = await resolveDump(named, run(`backup=${A}\n`));
    const rewritten = await resolveDump(named, run(`backup=${A.replace(/ \d+$/, " 1763949600")}\n`));
    expect(restoreKey(before)).not.toBe(restoreKey(rewritten));
  });

  it("the driver's config part of the key is the key without the resolved backup", async () => {
    const a = await resolveDump(newest(), run(`backup=${A}\n`));
    expect(configPartOfKey(restoreKey(a))).toBe(restoreKey(newest()));
    expect(configPartOfKey(restoreKey(newest()))).toBe(restoreKey(newest()));
    expect(configPartOfKey(undefined)).toBeUndefined();
    expect(configPartOfKey("not json")).toBeUndefined();
  });

  it("a host that cannot be read, or no dump at all, leaves the config unresolved (keyed as before)", async () => {
    expect(restoreKey(await resolveDump(newest(), run("", false)))).toBe(restoreKey(newest()));
    expect(restoreKey(await resolveDump(newest(), run("")))).toBe(restoreKey(newest()));
    expect(await resolveDump(parseConfig(pgConfig({ phase: "rollback", kept: "delphi_pre_restore_20261124T031000Z" })), run(`backup=${A}\n`))).not.toHaveProperty("resolved");
  });
});

describe("the resolved dump is pinned in the plan", () => {
  it("the restore and the check name the resolved file, quoted, not `ls -1t` again; the restore point comes from its name", async () => {
    const p = planPgRestore(await resolveDump(newest(), run(`backup=${B}\n`)));
    const restore = p.steps.find((s) => s.step === "restore")?.commands[0]?.render({ ...PREVIEW_VALUES, stamp: "20261207T021500Z" }) ?? "";
    expect(restore).toContain("delphi-20261130T020000Z.dump");
    expect(restore).not.toContain("ls -1t");
    expect(p.restorePoint).toBe("2026-11-30T02:00:00Z");
    expect(p.dump.file).toBe("delphi-20261130T020000Z.dump");
  });

  it("a newest file with a name config would refuse keys the restore but is not pinned", () => {
    expect(parseDumpIdentity("backup=/var/backups/delphi/nightly dump;rm.dump 10 20\n")).toEqual({ identity: "/var/backups/delphi/nightly dump;rm.dump 10 20" });
    expect(parseDumpIdentity(`backup=${A}\n`)).toEqual({ identity: A, dumpFile: "delphi-20261123T020000Z.dump" });
    expect(parseDumpIdentity("no dump\n")).toBeUndefined();
  });

  it("the identity command only reads: it lists the backup folder and stats one file", () => {
    const cmd = dumpIdentityCommand(newest());
    expect(cmd).toContain("ls -1t");
    expect(cmd).toContain("stat -c");
    expect(cmd).not.toMatch(/pg_restore|dropdb|rm |mv /);
  });
});

describe("pg_restore's jobs follow the db host's cores by default", () => {
  const restoreOf = async (top: Record<string, unknown>, stdout: string) => {
    const p = planPgRestore(await resolveDump(parseConfig(pgConfig(top)), run(stdout)));
    return p.steps.find((s) => s.step === "restore")?.commands[0]?.render({ ...PREVIEW_VALUES, stamp: "20261207T021500Z" }) ?? "";
  };
  const database = (jobs?: number) => ({ database: { host: "db", composeProject: "postgres", container: "voiceai-postgres", user: "delphi", name: "delphi", backupDir: "/var/backups/delphi", ...(jobs ? { jobs } : {}) } });

  it("the resolve command asks the host for its cores; unset jobs take them (at most 16); a set value wins", async () => {
    expect(dumpIdentityCommand(parseConfig(pgConfig()))).toContain("nproc");
    expect(await restoreOf(database(), `backup=${A}\ncores=8\n`)).toContain("--jobs=8");
    expect(await restoreOf(database(), `backup=${A}\ncores=64\n`)).toContain("--jobs=16");
    expect(await restoreOf(database(), `backup=${A}\ncores=1\n`)).not.toContain("--jobs");
    expect(await restoreOf(database(3), `backup=${A}\ncores=8\n`)).toContain("--jobs=3");
  });

  it("a host not read (or not saying) falls back to 2", async () => {
    expect(await restoreOf(database(), `backup=${A}\n`)).toContain("--jobs=2");
    expect(await restoreOf(database(), `backup=${A}\ncores=0\n`)).toContain("--jobs=2");
    expect(parseDumpIdentity(`backup=${A}\ncores=4\n`)).toEqual({ identity: A, dumpFile: "delphi-20261123T020000Z.dump", cores: 4 });
  });
});
