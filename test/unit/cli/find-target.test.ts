// find-target's reading and output, with a stand-in runner that answers as the db host would:
// the archive listing, pg_waldump's real PG 15 output (fixture), the catalogue query.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findTargetDoc, parseFindTargetOptions, readArchive, renderFindTarget, type HostRunner } from "../../../src/cli/find-target";
import type { RunResult } from "../../../src/cli/ssh";
import { rankCandidates, suggestTarget } from "../../../src/mechanisms/wal-pitr/find-target";
import { CATALOGUE } from "../fixtures/wal/catalogue";

const FIXTURE = readFileSync(join(__dirname, "..", "fixtures", "wal", "waldump-pg15.txt"), "utf8");
const host = { name: "db", address: "127.0.0.1", port: 22, user: "ops", local: false, hostKey: "ssh-ed25519 AAAA" };
const db = { dir: "/opt/services/postgres", container: "voiceai-postgres", user: "delphi", name: "delphi" };
const ok = (stdout: string): RunResult => ({ ok: true, stdout, stderr: "", exitCode: 0 });

function runner(listing: string[], opts: { waldump?: (cmd: string) => RunResult } = {}): HostRunner & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    async run(_h, command) {
      commands.push(command);
      if (command.startsWith("ls -1")) return ok(listing.join("\n"));
      if (command.includes("psql")) return ok(CATALOGUE);
      throw new Error(`unexpected ${command}`);
    },
    async stream(_h, command, onStdout) {
      commands.push(command);
      // In pieces, as SSH delivers it.
      for (let i = 0; i < FIXTURE.length; i += 4096) onStdout(FIXTURE.slice(i, i + 4096));
      return opts.waldump?.(command) ?? ok("");
    },
  };
}

describe("readArchive", () => {
  it("lists the segments, pg_waldumps each contiguous run read-only in the database container, and names the tables", async () => {
    const r = runner(["000000010000000000000002", "000000010000000000000003", "000000010000000000000005", "archive_status"]);
    const read = await readArchive(r, host, db, "/backup/wal", 10);
    if ("error" in read) throw new Error(read.error);
    expect(r.commands[0]).toBe("ls -1 -- /backup/wal");
    expect(r.commands[1]).toBe("cd /opt/services/postgres && docker compose exec -T voiceai-postgres pg_waldump -p /backup/wal -r Heap -r Heap2 -r Transaction -r Storage -r XLOG 000000010000000000000002 000000010000000000000003");
    expect(r.commands[2]).toContain("000000010000000000000005 000000010000000000000005");
    expect(read.archive).toEqual({ dir: "/backup/wal", segments: 3, first: "000000010000000000000002", last: "000000010000000000000005", gaps: ["000000010000000000000004"] });
    // The second run's records repeat the first's here: skipped by LSN, not counted twice.
    const c = rankCandidates(read.dump, read.catalogue);
    expect(c[0]?.xid).toBe("737");
    expect(c.find((k) => k.xid === "732")?.tables[0]).toMatchObject({ table: "public.conversations", deleted: 40 });
  });

  it("takes the newest segment ending mid-record as the archive's end, and a failing pg_waldump elsewhere as a failure naming the host", async () => {
    const cut = { ok: false, stdout: "", stderr: "pg_waldump: error: error in WAL record at 0/203C8B0: invalid record length at 0/203C8D8: wanted 24, got 0", exitCode: 1 };
    const read = await readArchive(runner(["000000010000000000000002"], { waldump: () => cut }), host, db, "/backup/wal", 10);
    expect("error" in read ? read.error : read.archive.endNote).toContain("invalid record length");
    const bad = { ok: false, stdout: "", stderr: "service \"voiceai-postgres\" is not running", exitCode: 1 };
    const failed = await readArchive(runner(["000000010000000000000002"], { waldump: () => bad }), host, db, "/backup/wal", 10);
    expect("error" in failed && failed.error).toBe('on host db, pg_waldump of 000000010000000000000002..000000010000000000000002 in /backup/wal failed: service "voiceai-postgres" is not running');
  });

  it("says which host could not be reached", async () => {
    const down: HostRunner = { run: async () => ({ ok: false, stdout: "", stderr: "", exitCode: 255, sshProblem: "host db (ops@127.0.0.1:22) cannot be reached over SSH (Connection refused)" }), stream: async () => ok("") };
    const r = await readArchive(down, host, db, "/backup/wal", 10);
    expect("error" in r && r.error).toBe("on host db, listing the WAL archive /backup/wal failed: host db (ops@127.0.0.1:22) cannot be reached over SSH (Connection refused)");
  });
});

describe("output", () => {
  it("--json: archive, candidates with xid, commit time, LSN and tables, and the suggestion", async () => {
    const read = await readArchive(runner(["000000010000000000000002"]), host, db, "/backup/wal", 10);
    if ("error" in read) throw new Error(read.error);
    const c = rankCandidates(read.dump, read.catalogue);
    const doc = findTargetDoc("restore", read.archive, c, suggestTarget(c));
    expect(doc.candidates[0]).toMatchObject({ xid: "737", commitTime: "2026-11-25T18:27:26.862813Z", lsn: "0/0203C320", rows: 50 });
    expect(doc.suggested).toMatchObject({ xid: "737", inclusive: false, timeBefore: "2026-11-25T18:27:26.862812Z" });
    const text = renderFindTarget(doc);
    expect(text).toContain("WAL archive /backup/wal: 1 segment (000000010000000000000002 .. 000000010000000000000002).");
    expect(text).toMatch(/732\s+│\s+2026-11-25T18:27:26.860053Z\s+│\s+0\/02037528\s+│\s+DELETE 40 rows of public.conversations/);
    expect(text).toContain("Suggested target: xid 737, inclusive: false");
    expect(text).toContain("To use it: delphi-restore find-target --stack restore --apply");
  });

  it("says so when nothing is destructive", () => {
    const text = renderFindTarget(findTargetDoc("restore", { dir: "/backup/wal", segments: 0, first: null, last: null, gaps: [] }, [], null));
    expect(text).toContain("No destructive transaction found");
  });
});

describe("parseFindTargetOptions", () => {
  it("checks --since and --min-rows", () => {
    expect(parseFindTargetOptions({ since: "2026-11-25T18:00:00Z", minRows: "25" })).toEqual({ since: "2026-11-25T18:00:00Z", minRows: 25 });
    expect(parseFindTargetOptions({})).toEqual({ since: undefined, minRows: 10 });
    expect(parseFindTargetOptions({ since: "yesterday" })).toHaveProperty("error");
    expect(parseFindTargetOptions({ since: "2026-11-25T18:00:00" })).toHaveProperty("error"); // no zone: ambiguous
    expect(parseFindTargetOptions({ minRows: "0" })).toHaveProperty("error");
  });
});
