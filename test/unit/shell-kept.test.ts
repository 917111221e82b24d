// The kept-data builders (src/shell/kept.ts): the names, the quoting, and what each script does
// to the databases, run through a real /bin/sh against a stand-in `docker` that keeps a small
// catalogue (test/unit/fixtures/fake-catalogue.ts). No builder drops the live or the kept
// database; only sign-off removes the kept data, and only after its archive reads in full.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLostWrites } from "../../src/runbook";
import type { DbTarget } from "../../src/shell";
import { andThen, quote, script } from "../../src/shell";
import {
  COMMENTS,
  KEPT_SERVER,
  KEYS_PRINTED,
  captureRestored,
  checkedStamp,
  compareWithKept,
  dumpKeptLines,
  keptDataDirSide,
  keptDatabaseSide,
  keptDumpSide,
  removalWords,
  signoffKept,
  snapshotAfter,
  snapshotJobFiles,
  waitForSnapshotLines,
} from "../../src/shell/kept";
import { keptDatabaseName, keptNames, renameBack, restoreIntoFresh, switchKeeping } from "../../src/mechanisms/pg-restore/shell";
import { type FakeHost, fakeHost, shSyntax } from "./fixtures/fake-catalogue";

const STAMP = "20261207T021500Z";
const DUMP = "/var/backups/delphi/delphi-20261207T020000Z.dump";
const ARCHIVE = `/var/backups/delphi/pre-restore-${STAMP}.dump`;
const TABLES = ["conversations", "tools", "billing_records"];

let host: FakeHost;
let db: DbTarget;
beforeAll(() => {
  host = fakeHost();
  db = { dir: host.dir, container: "voiceai-postgres", user: "delphi", name: "delphi" };
});
afterAll(() => host.cleanup());

const n = keptNames("delphi", STAMP);
const programs = () => host.calls().map((c) => c[0]);
/** The database every dropdb call named, in order. */
const dropped = () => host.calls().filter((c) => c[0] === "dropdb").map((c) => c.at(-1));
/** The SQL of every psql call. */
const sql = () => host.calls().filter((c) => c[0] === "psql").flatMap((c) => c.flatMap((a, i) => (a === "-c" ? [c[i + 1]] : [])));

describe("names", () => {
  it("the kept database is <db>_pre_restore_<stamp>; the restore goes into <db>_restored", () => {
    expect(keptNames("delphi", STAMP)).toEqual({ live: "delphi", restored: "delphi_restored", kept: `delphi_pre_restore_${STAMP}`, stamp: STAMP });
    expect(keptDatabaseName("delphi", STAMP)).toBe("delphi_pre_restore_20261207T021500Z");
  });

  it("a database name of 34 characters keeps a kept name within Postgres' 63 bytes", () => {
    expect(keptDatabaseName("d".repeat(34), STAMP)).toHaveLength(63);
  });

  it("a stamp is yyyymmddThhmmssZ, or refused", () => {
    expect(checkedStamp(STAMP)).toBe(STAMP);
    for (const bad of ["<UTC>", "20261207T021500", "2026-12-07T02:15:00Z", `${STAMP}; rm -rf /`, ""]) expect(() => checkedStamp(bad), bad).toThrow(/not a UTC stamp/);
  });

  it("the background snapshot's lock and log are on the db host's /tmp, named for the file", () => {
    expect(snapshotJobFiles(ARCHIVE)).toEqual({ lock: `/tmp/delphi-restore-pre-restore-${STAMP}.dump.lock`, log: `/tmp/delphi-restore-pre-restore-${STAMP}.dump.log` });
    expect(waitForSnapshotLines(ARCHIVE)).toEqual([`if [ -e /tmp/delphi-restore-pre-restore-${STAMP}.dump.lock ]; then flock /tmp/delphi-restore-pre-restore-${STAMP}.dump.lock true; fi`]);
  });

  it("the removal each kind of kept data takes, in words", () => {
    expect(removalWords("database", n.kept)).toBe(`dropdb ${n.kept}`);
    expect(removalWords("subvolume", "/srv/pg-volume/data.pre-restore-x")).toBe("btrfs subvolume delete /srv/pg-volume/data.pre-restore-x");
    expect(removalWords("directory", "/srv/postgres/it's")).toBe("rm -rf '/srv/postgres/it'\\''s'");
  });
});

describe("quoting: database names are SQL identifiers and literals, and single shell words", () => {
  // Config allows only lower-case identifiers; the builders quote anyway.
  const odd = `de"lphi'; touch PWNED; $(touch PWNED)`;
  const m = keptNames(odd, STAMP);

  it("a switch with such a name renames exactly those databases and runs nothing of the name", () => {
    host.set({ dbs: { [m.live]: "", [m.restored]: COMMENTS.restored(STAMP) }, files: [] });
    const r = host.run(switchKeeping(db, m));
    expect(r.status, r.stderr).toBe(0);
    // Identifiers double-quoted (the stamp's T and Z are upper case), quotes doubled; literals single-quoted.
    expect(sql()).toContain(`alter database "de""lphi'; touch PWNED; $(touch PWNED)" rename to "de""lphi'; touch PWNED; $(touch PWNED)_pre_restore_${STAMP}"`);
    expect(sql().find((q) => q.includes("shobj_description"))).toContain(`'de"lphi''; touch PWNED; $(touch PWNED)_restored'`);
    expect(Object.keys(host.get().dbs).sort()).toEqual([m.live, m.kept].sort());
    expect(host.get().dbs[m.kept]).toBe(COMMENTS.kept(STAMP));
    expect(existsSync(join(host.work, "PWNED"))).toBe(false);
    expect(r.stdout).toContain(`kept-database=${m.kept}`);
  });
});

describe("restoreIntoFresh: a fresh <db>_restored beside the live database", () => {
  const fresh = () => restoreIntoFresh(db, quote(DUMP), n, 4);

  it("creates it from template0 with the live database's owner, encoding and locale, restores without --clean, and marks it complete", () => {
    host.set({ dbs: { delphi: "" }, files: [DUMP] });
    const r = host.run(fresh());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`dump=${DUMP}`);
    const calls = host.calls();
    expect(calls.find((c) => c[0] === "createdb")).toEqual(["createdb", "-U", "delphi", "-T", "template0", "-O", "delphi", "-E", "UTF8", "--lc-collate=en_US.UTF-8", "--lc-ctype=en_US.UTF-8", "delphi_restored"]);
    expect(calls.find((c) => c[0] === "pg_restore" && c.includes("-d"))).toEqual(["pg_restore", "--no-owner", "--exit-on-error", "--jobs=4", "-U", "delphi", "-d", "delphi_restored", DUMP]);
    expect(calls.flat()).not.toContain("--clean");
    expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: COMMENTS.restored(STAMP) });
    expect(dropped()).toEqual([]);
    // The comment says "restoring" while pg_restore runs: a run cut short is recognisable.
    expect(sql().filter((q) => q.startsWith("comment on"))).toEqual([
      `comment on database "delphi_restored" is '${COMMENTS.restoring(STAMP)}'`,
      `comment on database "delphi_restored" is '${COMMENTS.restored(STAMP)}'`,
    ]);
  });

  it("--jobs only above 1", () => {
    expect(restoreIntoFresh(db, quote(DUMP), n, 1)).not.toContain("--jobs");
  });

  it("refuses a <db>_restored this tool did not make (no or another comment), and never drops it", () => {
    for (const comment of ["", "the DBA's copy", `delphi-restore: restored 20261101T000000Z`]) {
      host.set({ dbs: { delphi: "", delphi_restored: comment }, files: [DUMP] });
      const r = host.run(fresh());
      expect(r.status, comment).toBe(1);
      expect(r.stderr).toContain("database delphi_restored exists and is not an unfinished restore of this tool");
      expect(r.stderr).toContain("Nothing was changed.");
      expect(programs(), comment).not.toContain("dropdb");
      expect(programs()).not.toContain("createdb");
      expect(host.calls().filter((c) => c[0] === "pg_restore" && c.includes("-d"))).toEqual([]);
      expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: comment });
    }
  });

  it("makes again a <db>_restored a cut-short run of this tool left (comment: restoring)", () => {
    host.set({ dbs: { delphi: "", delphi_restored: COMMENTS.restoring(STAMP) }, files: [DUMP] });
    const r = host.run(fresh());
    expect(r.status, r.stderr).toBe(0);
    expect(dropped()).toEqual(["delphi_restored"]);
    expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: COMMENTS.restored(STAMP) });
  });

  it("does not repeat a restore of this run that completed", () => {
    host.set({ dbs: { delphi: "", delphi_restored: COMMENTS.restored(STAMP) }, files: [DUMP] });
    const r = host.run(fresh());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`delphi_restored already holds this restore (${STAMP}), complete; not restored again`);
    expect(programs()).not.toContain("createdb");
    expect(programs()).not.toContain("dropdb");
  });

  it("after the live database was renamed (a switch cut in half), takes owner and locale from the kept one", () => {
    host.set({ dbs: { [n.kept]: "" }, files: [DUMP] });
    const r = host.run(fresh());
    expect(r.status, r.stderr).toBe(0);
    expect(sql().find((q) => q.includes("pg_get_userbyid"))).toContain(`datname = '${n.kept}'`);
    expect(host.get().dbs[n.kept]).toBe("");
  });

  it("refuses when neither the live nor the kept database exists", () => {
    host.set({ dbs: {}, files: [DUMP] });
    const r = host.run(fresh());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`neither delphi nor ${n.kept} exists`);
    expect(host.get().dbs).toEqual({});
  });

  it("an unreadable dump creates nothing; a pg_restore that fails leaves the restore marked unfinished, the live database untouched", () => {
    host.set({ dbs: { delphi: "" }, files: [] });
    const unreadable = host.run(fresh());
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toContain(`dump ${DUMP} is not a readable pg_dump archive`);
    expect(host.get().dbs).toEqual({ delphi: "" });
    host.set({ dbs: { delphi: "" }, files: [DUMP] });
    const cut = host.run(fresh(), { DOCKER_FAIL: "pg_restore:--exit-on-error" });
    expect(cut.status).not.toBe(0);
    expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: COMMENTS.restoring(STAMP) });
  });

  it("a missing dump fails before anything runs in the container", () => {
    host.set({ dbs: { delphi: "" }, files: [] });
    const r = host.run(restoreIntoFresh(db, "''", n, 2));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no dump to restore");
    expect(host.calls()).toEqual([]);
  });
});

describe("switchKeeping: the live database kept under the stamp, the restore under the live name", () => {
  const complete = COMMENTS.restored(STAMP);

  it("renames live to kept (commented) and restored to live; ends client sessions only; prints the kept name", () => {
    host.set({ dbs: { delphi: "", delphi_restored: complete }, files: [] });
    const r = host.run(switchKeeping(db, n));
    expect(r.status, r.stderr).toBe(0);
    expect(host.get().dbs).toEqual({ delphi: complete, [n.kept]: COMMENTS.kept(STAMP) });
    expect(sql().filter((q) => q.startsWith("alter"))).toEqual([`alter database "delphi" rename to "${n.kept}"`, `alter database "delphi_restored" rename to "delphi"`]);
    expect(sql().find((q) => q.includes("pg_terminate_backend"))).toMatch(/datname = 'delphi' and pid <> pg_backend_pid\(\) and backend_type = 'client backend'$/);
    expect(r.stdout).toMatch(/^switched-at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`kept-database=${n.kept}`);
    expect(dropped()).toEqual([]);
    // Inside the downtime: one listing and two psql calls, not an exec per question.
    expect(host.calls()).toHaveLength(3);
  });

  it("a re-run after a switch cut in half (live already renamed) finishes it", () => {
    host.set({ dbs: { [n.kept]: "", delphi_restored: complete }, files: [] });
    const r = host.run(switchKeeping(db, n));
    expect(r.status, r.stderr).toBe(0);
    expect(host.get().dbs).toEqual({ delphi: complete, [n.kept]: "" });
    expect(sql().filter((q) => q.startsWith("alter"))).toEqual([`alter database "delphi_restored" rename to "delphi"`]);
  });

  it("a re-run after a complete switch says so and renames nothing", () => {
    host.set({ dbs: { delphi: complete, [n.kept]: COMMENTS.kept(STAMP) }, files: [] });
    const r = host.run(switchKeeping(db, n));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`already switched: delphi is the restored database and ${n.kept} the kept one`);
    expect(sql().filter((q) => q.startsWith("alter"))).toEqual([]);
    expect(host.get().dbs).toEqual({ delphi: complete, [n.kept]: COMMENTS.kept(STAMP) });
  });

  it("refuses a <db>_restored that is not this run's complete restore; nothing is renamed", () => {
    for (const comment of ["", COMMENTS.restoring(STAMP), COMMENTS.restored("20261101T000000Z")]) {
      host.set({ dbs: { delphi: "", delphi_restored: comment }, files: [] });
      const r = host.run(switchKeeping(db, n));
      expect(r.status, comment).toBe(1);
      expect(r.stderr).toContain(`delphi_restored is not the complete restore of this run (${STAMP}); refusing to switch it in. Nothing was changed.`);
      expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: comment });
    }
  });

  it("never renames over a kept database", () => {
    host.set({ dbs: { delphi: "", delphi_restored: complete, [n.kept]: "older" }, files: [] });
    const r = host.run(switchKeeping(db, n));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`both delphi and ${n.kept} exist; refusing to rename over a kept database`);
    expect(host.get().dbs).toEqual({ delphi: "", delphi_restored: complete, [n.kept]: "older" });
  });

  it("refuses when there is neither a restore nor a kept database", () => {
    host.set({ dbs: { delphi: "" }, files: [] });
    const r = host.run(switchKeeping(db, n));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nothing to switch. Nothing was changed.");
    expect(host.get().dbs).toEqual({ delphi: "" });
  });

  // src/shell/kept.ts: the beforeRestore restore command is restoreIntoFresh && capture &&
  // switchKeeping; after a complete switch, restoreIntoFresh does not recognise that the live
  // database is this run's restore (its comment says `restored <stamp>`) and restores a second
  // copy into <db>_restored, and switchKeeping then refuses ("both ... exist"), on every re-run.
  it("a re-run of the whole beforeRestore restore command after a complete switch repeats nothing and succeeds", () => {
    const whole = andThen(restoreIntoFresh(db, quote(DUMP), n, 4), script(captureRestored(db, n.restored, "delphi_restore_diff", TABLES, "tenant_id", STAMP)), switchKeeping(db, n));
    host.set({ dbs: { delphi: "" }, files: [DUMP] });
    expect(host.run(whole).status).toBe(0);
    expect(host.get().dbs).toMatchObject({ delphi: COMMENTS.restored(STAMP), [n.kept]: COMMENTS.kept(STAMP) });
    host.set({ dbs: host.get().dbs, files: [DUMP] });
    const again = host.run(whole);
    expect(host.calls().filter((c) => c[0] === "pg_restore" && c.includes("-d"))).toEqual([]);
    expect(again.status, again.stderr).toBe(0);
  });
});

describe("renameBack: rollback before sign-off, two renames", () => {
  const undone = `delphi_undone_${STAMP}`;

  it("puts what the restore made aside as <db>_undone_<stamp> and the kept database back under the live name", () => {
    host.set({ dbs: { delphi: COMMENTS.restored(STAMP), [n.kept]: COMMENTS.kept(STAMP) }, files: [] });
    const r = host.run(renameBack(db, n));
    expect(r.status, r.stderr).toBe(0);
    expect(host.get().dbs).toEqual({ delphi: COMMENTS.kept(STAMP), [undone]: COMMENTS.undone(STAMP) });
    expect(r.stdout).toContain(`undone=${undone}`);
    expect(r.stdout).toContain(`rolled-back-to=${n.kept}`);
    expect(dropped()).toEqual([]);
  });

  it("a re-run after it finished changes nothing and says the same", () => {
    host.set({ dbs: { delphi: "", [undone]: "" }, files: [] });
    const r = host.run(renameBack(db, n));
    expect(r.status, r.stderr).toBe(0);
    expect(sql().filter((q) => q.startsWith("alter"))).toEqual([]);
    expect(r.stdout).toContain(`undone=${undone}`);
  });

  it("refuses without the kept database (signed off), and never renames over an undone one", () => {
    host.set({ dbs: { delphi: "" }, files: [] });
    const gone = host.run(renameBack(db, n));
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain(`the kept database ${n.kept} does not exist (signed off and removed?)`);
    host.set({ dbs: { delphi: "", [n.kept]: "", [undone]: "" }, files: [] });
    const both = host.run(renameBack(db, n));
    expect(both.status).toBe(1);
    expect(host.get().dbs).toEqual({ delphi: "", [n.kept]: "", [undone]: "" });
  });
});

describe("the kept side: how the notice, the after-snapshot and sign-off read the kept data", () => {
  it("a kept database of the live server needs no opening", () => {
    expect(keptDatabaseSide(n.kept)).toEqual({ what: `the kept database ${n.kept}`, open: [], close: [], conn: ["-d", n.kept] });
  });

  it("a kept data directory: a temporary read-only Postgres on its own port and socket, no TCP, archiving off; stopped on close", () => {
    const side = keptDataDirSide(db, "/srv/pg-volume/data.pre-restore-x/");
    const open = side.open.join("\n");
    expect(open).toContain("pg_ctl -D /srv/pg-volume/data.pre-restore-x -w -t 300");
    expect(open).toContain(`-p ${KEPT_SERVER.port} -c listen_addresses= -c unix_socket_directories=${KEPT_SERVER.socketDir} -c archive_mode=off -c default_transaction_read_only=on`);
    expect(side.close).toEqual([`docker compose exec -T voiceai-postgres pg_ctl -D /srv/pg-volume/data.pre-restore-x -m fast -w stop >/dev/null 2>&1 || true`]);
    expect(side.conn).toEqual(["-h", KEPT_SERVER.socketDir, "-p", String(KEPT_SERVER.port), "-d", "delphi"]);
  });

  it("a pre-restore dump (snapshot: before) is loaded into a scratch database, only the counted tables and keys, and only that scratch is dropped", () => {
    const side = keptDumpSide(db, quote(ARCHIVE), "delphi_restore_src", ["conversations", "tools"]);
    expect(side.conn).toEqual(["-d", "delphi_restore_src"]);
    expect(side.open.join("\n")).toContain(`grep -E ' (TABLE|TABLE DATA|CONSTRAINT) public conversations | (TABLE|TABLE DATA|CONSTRAINT) public tools '`);
    expect(side.open.join("\n")).toContain("grep -v ' FK CONSTRAINT '");
    const drops = [...side.open, ...side.close].join("\n").match(/dropdb[^\n]*/g) ?? [];
    expect(drops.length).toBe(2);
    for (const d of drops) expect(d).toMatch(/dropdb --if-exists -U delphi delphi_restore_src( |$)/);
  });
});

describe("captureRestored and compareWithKept: the exact difference for the notice", () => {
  const scratch = "delphi_restore_diff";

  it("the capture makes the scratch database (this tool's, by its comment) and one keyed table per counted table", () => {
    host.set({ dbs: { delphi_restored: "" }, files: [] });
    const r = host.run(script(captureRestored(db, "delphi_restored", scratch, TABLES, "tenant_id", STAMP)));
    expect(r.status, r.stderr).toBe(0);
    expect(host.get().dbs).toEqual({ delphi_restored: "", [scratch]: COMMENTS.captured(STAMP) });
    expect(sql().filter((q) => q.startsWith("create table"))).toEqual(TABLES.map((t) => `create table "r_${t}" (pk text primary key, tenant text, h jsonb)`));
    // Rows are read from the restored database, keyed by primary key, with the tenant column.
    const copies = host.calls().filter((c) => c[0] === "psql" && c.includes("delphi_restored") && String(c.at(-1)).startsWith("\\copy"));
    expect(copies).toHaveLength(3);
    for (const c of copies) expect(c.at(-1)).toMatch(/^\\copy \(select .* s\.j ->> 'tenant_id' as tenant, .*i\.indisprimary\) to '\/tmp\/delphi-restore-diff\/r_\w+\.tsv'$/);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("captured=conversations,tools,billing_records");
  });

  it("a re-run after this restore's capture keeps it (the restored side may be switched in or written to by then)", () => {
    host.set({ dbs: { delphi: COMMENTS.restored(STAMP), [scratch]: COMMENTS.captured(STAMP) }, files: [] });
    const r = host.run(script(captureRestored(db, "delphi_restored", scratch, TABLES, "tenant_id", STAMP)));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`captured already (${STAMP})`);
    expect(dropped()).toEqual([]);
  });

  it("a scratch database left by an earlier run is made again; one this tool did not make is refused", () => {
    host.set({ dbs: { delphi_restored: "", [scratch]: COMMENTS.diff }, files: [] });
    expect(host.run(script(captureRestored(db, "delphi_restored", scratch, TABLES, "tenant_id", STAMP))).status).toBe(0);
    expect(dropped()).toEqual([scratch]);
    host.set({ dbs: { delphi_restored: "", [scratch]: "" }, files: [] });
    const r = host.run(script(captureRestored(db, "delphi_restored", scratch, TABLES, "tenant_id", STAMP)));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`database ${scratch} exists and is not this tool's scratch database`);
    expect(host.get().dbs[scratch]).toBe("");
    expect(dropped()).toEqual([]);
  });

  it("the comparison reads the kept side, prints what parseLostWrites reads, then drops only the scratch database", () => {
    host.set({ dbs: { [n.kept]: COMMENTS.kept(STAMP), [scratch]: COMMENTS.diff }, files: [] });
    const printed = "count\tconversations\tten_acme\tinserted\t2\nkey\tconversations\tten_acme\tinserted\tconv_1\nkey\tconversations\tten_acme\tinserted\tconv_2\n";
    const r = host.run(compareWithKept(db, keptDatabaseSide(n.kept), scratch, ["conversations"], "tenant_id"), { COMPARE_OUT: printed });
    expect(r.status, r.stderr).toBe(0);
    expect(parseLostWrites(r.stdout)).toEqual([{ table: "conversations", tenant: "ten_acme", change: "inserted", count: 2, keys: ["conv_1", "conv_2"] }]);
    expect(host.calls().some((c) => c[0] === "psql" && c.includes(n.kept) && c.at(-1)?.includes("k_conversations.tsv"))).toBe(true);
    expect(dropped()).toEqual([scratch]);
    expect(host.get().dbs).toEqual({ [n.kept]: COMMENTS.kept(STAMP) });
  });

  it("without the captured side, the comparison refuses and opens nothing", () => {
    host.set({ dbs: { [n.kept]: "" }, files: [] });
    const r = host.run(compareWithKept(db, keptDatabaseSide(n.kept), scratch, ["conversations"], "tenant_id"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the restored side was not captured (no scratch database ${scratch})`);
    expect(dropped()).toEqual([]);
  });

  it("the comparison: full join by key, inserted / deleted / updated on the columns both sides have, exact counts, keys capped", () => {
    host.set({ dbs: { [n.kept]: "", [scratch]: COMMENTS.diff }, files: [] });
    expect(host.run(compareWithKept(db, keptDatabaseSide(n.kept), scratch, ["tools"], "tenant_id")).status).toBe(0);
    const call = host.calls().find((c) => c[0] === "psql" && c.at(-1)?.startsWith("with cc as")) ?? [];
    expect(call.slice(0, 12)).toEqual(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-U", "delphi", "-d", scratch, "-c"]);
    const q = call.at(-1) ?? "";
    expect(q).toContain(`("k_tools" k full join "r_tools" r on k.pk = r.pk)`);
    expect(q).toContain("case when r.pk is null then 'inserted' when k.pk is null then 'deleted' else 'updated' end");
    expect(q).toContain(`select jsonb_object_keys((select h from "k_tools" limit 1)) intersect select jsonb_object_keys((select h from "r_tools" limit 1))`);
    expect(q).toContain("count(*) over (partition by tenant, change) as total");
    expect(q).toContain(`select 'count', 'tools', tenant, change, total::text from n where rn = 1 union all select 'key', 'tools', tenant, change, pk from n where rn <= ${KEYS_PRINTED}`);
    expect(KEYS_PRINTED).toBeGreaterThanOrEqual(1000);
  });
});

describe("snapshotAfter and dumpKeptLines: the pre-restore snapshot from the kept data", () => {
  it("is written under a temporary name, read back in full, then renamed", () => {
    const lines = dumpKeptLines(db, keptDatabaseSide(n.kept), ARCHIVE).join("\n");
    const order = ["pg_dump -Fc -U delphi -d " + n.kept + ' -f "$p"', 'pg_restore --list "$p"', 'pg_restore -f /dev/null "$p"', 'mv "$p" "$f"'].map((x) => lines.indexOf(x));
    expect(order.every((i) => i >= 0), lines).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("one already written is not written again, and nothing runs in the background", () => {
    host.set({ dbs: { [n.kept]: "" }, files: [ARCHIVE] });
    const r = host.run(snapshotAfter(db, keptDatabaseSide(n.kept), ARCHIVE));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([`snapshot=${ARCHIVE}`, "snapshot-state=written"]);
    expect(programs()).toEqual(["test"]);
  });

  it("otherwise runs in the background under a lock, says where its log is, and the log ends with snapshot-done", async () => {
    const file = `/var/backups/delphi/pre-restore-unit-${process.pid}-${Date.now()}.dump`;
    const { lock, log } = snapshotJobFiles(file);
    try {
      host.set({ dbs: { [n.kept]: "" }, files: [] });
      const r = host.run(snapshotAfter(db, keptDatabaseSide(n.kept), file));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`snapshot=${file}`);
      expect(r.stdout).toContain(`snapshot-state=writing in the background (log on the db host: ${log})`);
      for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, "utf8").includes("snapshot-")); i++) await new Promise((res) => setTimeout(res, 100));
      expect(readFileSync(log, "utf8").trim().split("\n").at(-1)).toBe(`snapshot-done=${file}`);
      expect(host.get().files).toEqual([file]);
      expect(dropped()).toEqual([]);
    } finally {
      rmSync(lock, { force: true });
      rmSync(log, { force: true });
    }
  });
});

describe("signoffKept: archive, prove the archive reads in full, only then remove the kept data", () => {
  const signoff = () => signoffKept(db, keptDatabaseSide(n.kept), "database", n.kept, ARCHIVE);

  it("writes the archive (no snapshot yet), reads it back in full, then drops exactly the kept database", () => {
    host.set({ dbs: { delphi: "", [n.kept]: "" }, files: [] });
    const r = host.run(signoff());
    expect(r.status, r.stderr).toBe(0);
    const calls = host.calls().map((c) => c.slice(0, 2).join(" "));
    const at = (x: string) => calls.indexOf(x);
    expect(at("pg_dump -Fc")).toBeGreaterThanOrEqual(0);
    expect(at("pg_restore --list")).toBeGreaterThan(at("pg_dump -Fc"));
    expect(at("pg_restore -f")).toBeGreaterThan(at("pg_restore --list"));
    expect(at("dropdb -U")).toBeGreaterThan(at("pg_restore -f"));
    expect(dropped()).toEqual([n.kept]);
    expect(host.get()).toEqual({ dbs: { delphi: "" }, files: [ARCHIVE] });
    expect(r.stdout).toContain(`archive-written=${ARCHIVE}`);
    expect(r.stdout).toContain(`removed=${n.kept}`);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(`archive=${ARCHIVE}`);
  });

  it("verifies an archive already there (the after-snapshot) instead of writing another", () => {
    host.set({ dbs: { delphi: "", [n.kept]: "" }, files: [ARCHIVE] });
    const r = host.run(signoff());
    expect(r.status, r.stderr).toBe(0);
    expect(programs()).not.toContain("pg_dump");
    expect(r.stdout).toContain(`archive-verified=${ARCHIVE}`);
    expect(dropped()).toEqual([n.kept]);
  });

  it("an archive that does not read in full (either check) fails the step and leaves the kept database", () => {
    for (const fail of ["pg_restore:--list", "pg_restore:/dev/null"]) {
      host.set({ dbs: { delphi: "", [n.kept]: "" }, files: [ARCHIVE] });
      const r = host.run(signoff(), { DOCKER_FAIL: fail });
      expect(r.status, fail).toBe(1);
      expect(r.stderr).toContain(`the kept data ${n.kept} stays`);
      expect(dropped(), fail).toEqual([]);
      expect(host.get().dbs).toEqual({ delphi: "", [n.kept]: "" });
    }
  });

  it("an archive that cannot be written or read back leaves the kept database, saying so", () => {
    for (const fail of ["pg_dump", "pg_restore:--list", "pg_restore:/dev/null"]) {
      host.set({ dbs: { delphi: "", [n.kept]: "" }, files: [] });
      const r = host.run(signoff(), { DOCKER_FAIL: fail });
      expect(r.status, fail).toBe(1);
      expect(r.stderr, fail).toContain(`the kept data ${n.kept} stays`);
      expect(dropped(), fail).toEqual([]);
      expect(host.get().files, fail).not.toContain(ARCHIVE);
    }
  });

  it("a re-run after the removal finds the archive and says so; with neither, it fails", () => {
    host.set({ dbs: { delphi: "" }, files: [ARCHIVE] });
    const again = host.run(signoff());
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`already signed off: ${n.kept} is gone and its archive exists`);
    expect(dropped()).toEqual([]);
    host.set({ dbs: { delphi: "" }, files: [] });
    const none = host.run(signoff());
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`neither the kept data ${n.kept} nor its archive ${ARCHIVE} exists`);
  });

  it("a kept subvolume is deleted with btrfs, and a kept directory with rm -rf, only after the archive reads in full", () => {
    for (const kind of ["subvolume", "directory"] as const) {
      const kept = join(host.work, `data.pre-restore-${STAMP}`);
      mkdirSync(kept, { recursive: true });
      const s = signoffKept(db, keptDataDirSide(db, kept), kind, kept, ARCHIVE);
      host.set({ dbs: {}, files: [ARCHIVE] });
      const bad = host.run(s, { DOCKER_FAIL: "pg_restore:/dev/null" });
      expect(bad.status, kind).toBe(1);
      expect(existsSync(kept), kind).toBe(true);
      host.set({ dbs: {}, files: [ARCHIVE] });
      const r = host.run(s);
      expect(r.status, `${kind}: ${r.stderr}`).toBe(0);
      expect(existsSync(kept), kind).toBe(false);
      expect(host.hostCalls()).toEqual(kind === "subvolume" ? [`btrfs subvolume delete ${kept}`] : []);
      // The temporary server on the kept data was started, and stopped before the removal.
      const ctl = host.calls().filter((c) => c[0] === "pg_ctl").map((c) => c.at(-1));
      expect(ctl.slice(-2), kind).toEqual(["start", "stop"]);
      expect(dropped()).toEqual([]);
    }
  });
});

describe("no builder drops the live or the kept database", () => {
  const scripts = (): [string, string][] => [
    ["restoreIntoFresh", restoreIntoFresh(db, quote(DUMP), n, 4)],
    ["switchKeeping", switchKeeping(db, n)],
    ["renameBack", renameBack(db, n)],
    ["captureRestored", script(captureRestored(db, n.restored, "delphi_restore_diff", TABLES, "tenant_id", STAMP))],
    ["compareWithKept (database)", compareWithKept(db, keptDatabaseSide(n.kept), "delphi_restore_diff", TABLES, "tenant_id")],
    ["compareWithKept (data directory)", compareWithKept(db, keptDataDirSide(db, "/srv/postgres/data.pre-restore-x"), "delphi_restore_diff", TABLES, "tenant_id")],
    ["compareWithKept (dump)", compareWithKept(db, keptDumpSide(db, quote(ARCHIVE), "delphi_restore_src", TABLES), "delphi_restore_diff", TABLES, "tenant_id")],
    ["snapshotAfter (database)", snapshotAfter(db, keptDatabaseSide(n.kept), ARCHIVE)],
    ["snapshotAfter (data directory)", snapshotAfter(db, keptDataDirSide(db, "/srv/pg-volume/data.pre-restore-x"), ARCHIVE)],
  ];

  it("dropdb only ever names <db>_restored (after its comment said it is an unfinished restore) or a scratch database", () => {
    for (const [name, s] of scripts()) {
      const targets = [...s.matchAll(/dropdb (?:--if-exists )?-U delphi ([^\s;]+)/g)].map((m) => m[1]);
      for (const t of targets) expect(["delphi_restored", "delphi_restore_diff", "delphi_restore_src"], `${name} drops ${t}`).toContain(t);
    }
    expect(restoreIntoFresh(db, quote(DUMP), n, 4)).toMatch(/'\\''delphi-restore: restoring '\\''\*\) docker compose exec -T voiceai-postgres dropdb -U delphi delphi_restored;;/);
  });

  it("none removes a subvolume or data folder (only sign-off does)", () => {
    for (const [name, s] of scripts()) {
      expect(s, name).not.toMatch(/btrfs subvolume delete/);
      for (const rm of s.match(/rm -rf [^\s;]+/g) ?? []) expect(["rm -rf /tmp/delphi-restore-diff", 'rm -rf "$tmp"'], `${name}: ${rm}`).toContain(rm);
    }
  });

  it("sign-off drops the kept database only after the archive checks", () => {
    const s = signoffKept(db, keptDatabaseSide(n.kept), "database", n.kept, ARCHIVE);
    const drop = s.indexOf(`dropdb -U delphi ${n.kept}`);
    expect(drop).toBeGreaterThan(s.lastIndexOf("pg_restore -f /dev/null"));
    expect(s.match(/dropdb/g)).toHaveLength(1);
  });

  it("every script is valid sh, and so is every script nested in it", () => {
    const all = [
      ...scripts(),
      ["signoffKept (database)", signoffKept(db, keptDatabaseSide(n.kept), "database", n.kept, ARCHIVE)],
      ["signoffKept (subvolume)", signoffKept(db, keptDataDirSide(db, "/srv/pg-volume/data.pre-restore-x"), "subvolume", "/srv/pg-volume/data.pre-restore-x", ARCHIVE)],
      ["signoffKept (directory)", signoffKept(db, keptDataDirSide(db, "/srv/postgres/data.pre-restore-x"), "directory", "/srv/postgres/data.pre-restore-x", ARCHIVE)],
    ] as [string, string][];
    for (const [name, s] of all) expect(shSyntax(s), name).toEqual([]);
  });
});
