// The pure plan: step order per mode, one command per host and service, the restore point and
// window, and the markers later steps read from earlier steps' output.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { dataLossWindow, markers, parseLostWrites, PREVIEW_VALUES, restoreKey, restorePointFrom, restorePointFromName, resumedAtFrom, snapshotPathFrom, stampFrom, stampOfKept, writesStoppedFrom } from "../../src/runbook";
import { planPgRestore } from "../../src/mechanisms/pg-restore/plan";
import { pgConfig } from "./fixtures/pg-config";

const plan = (top: Record<string, unknown> = {}) => planPgRestore(parseConfig(pgConfig(top)));
const CONSUMERS = ["web", "api", "voice", "ops", "media"];
const STAMP = "20261123T031000Z";
const RT = { ...PREVIEW_VALUES, stamp: STAMP };
const KEPT = `delphi_pre_restore_${STAMP}`;
const rendered = (p: ReturnType<typeof plan>, step: string, rt = RT) => p.steps.find((s) => s.step === step)?.commands.map((c) => c.render(rt)).join("\n") ?? "";

describe("step order", () => {
  it("beforeRestore (the runbook's order): precheck, quiesce, confirm still stopped, restore, reconcile, resume, verify, report, then the snapshot", () => {
    expect(plan().steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(plan().restoreTarget).toBe("delphi_restored");
    expect(plan().keptOldDatabase).toBe("delphi_pre_restore_<UTC>");
    expect(plan().downtime).toMatch(/^restore time: .*into a fresh database \(the live one is kept, renamed\)/);
  });

  it("snapshot before: the live database is dumped after quiesce and overwritten; nothing is kept", () => {
    const p = plan({ snapshot: "before" });
    expect(p.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "snapshot", "confirm", "restore", "reconcile", "resume", "verify", "report"]);
    expect(p.restoreTarget).toBe("delphi");
    expect(p.keptOldDatabase).toBeUndefined();
    expect(p.downtime).toMatch(/plus the pre-restore pg_dump/);
    const [dump] = p.steps.find((s) => s.step === "snapshot")?.commands ?? [];
    expect([dump?.name, dump?.host, dump?.needs]).toEqual(["pg-dump", "db", ["stamp"]]);
    expect(dump?.render(RT)).toContain(`f=/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(dump?.render(RT)).toContain("pg_dump -Fc -U delphi -d delphi -f");
  });

  it("right before the destructive step, every consumer project is checked still stopped, on its own host", () => {
    for (const order of ["beforeRestore", "beforeSwitch"]) {
      const steps = plan({ order }).steps.map((s) => s.step);
      expect(steps.indexOf("confirm"), order).toBe(steps.indexOf(order === "beforeRestore" ? "restore" : "repoint") - 1);
      const confirm = plan({ order }).steps.find((s) => s.step === "confirm");
      expect(confirm?.commands.map((c) => c.host)).toEqual(CONSUMERS);
      expect(confirm?.commands[0]?.render(PREVIEW_VALUES)).toContain("docker compose ps --status running --services");
    }
  });

  it("beforeSwitch: restore into a new database while services run, then quiesce and switch", () => {
    const p = plan({ order: "beforeSwitch" });
    expect(p.steps.map((s) => s.step)).toEqual(["precheck", "restore", "quiesce", "confirm", "repoint", "reconcile", "resume", "verify", "report", "snapshot"]);
    expect(p.restoreTarget).toBe("delphi_restored");
    expect(p.keptOldDatabase).toBe("delphi_pre_restore_<UTC>");
    const restore = rendered(p, "restore");
    expect(restore).toContain("-d delphi_restored");
    // The restore renames nothing while the services run; the switch does, after quiesce.
    expect(restore).not.toContain("alter database");
    const [repoint] = p.steps.find((s) => s.step === "repoint")?.commands ?? [];
    expect([repoint?.name, repoint?.needs]).toEqual(["switch-database", ["stamp"]]);
    expect(repoint?.render(RT)).toContain(`alter database "delphi" rename to "${KEPT}"`);
    expect(repoint?.render(RT)).toContain(`alter database "delphi_restored" rename to "delphi"`);
    expect(p.downtime).toMatch(/^switch time/);
  });

  it("beforeSwitch with reconcile.beforeStop: TelWeb's migrations run against the restored database before anything stops; TelWeb then starts with the rest", () => {
    const p = plan({ order: "beforeSwitch", reconcile: { service: "voiceai-telweb", timeoutSeconds: 300, beforeStop: true, databaseEnv: "PGDATABASE" } });
    expect(p.steps.map((s) => s.step)).toEqual(["precheck", "restore", "reconcile", "quiesce", "confirm", "repoint", "resume", "verify", "report", "snapshot"]);
    const [early] = p.steps.find((s) => s.step === "reconcile")?.commands ?? [];
    expect([early?.host, early?.name]).toEqual(["web", "web-voiceai-telweb-against-delphi_restored"]);
    const run = early?.render(RT) ?? "";
    expect(run).toContain("docker compose run --rm --no-deps -T --entrypoint sh voiceai-telweb -c");
    expect(run).toContain("sh PGDATABASE delphi_restored npx prisma migrate deploy");
    expect(run).not.toContain("up -d");
    const resume = p.steps.find((s) => s.step === "resume")?.commands ?? [];
    expect(resume.map((c) => c.host)).toEqual(CONSUMERS);
    // web's project starts TelWeb first and waits for its lines; the other hosts start at once.
    expect(resume[0]?.render(RT)).toMatch(/docker compose up -d voiceai-telweb[\s\S]*migrate deploy[\s\S]*baseline-seed[\s\S]*&& cd \/opt\/services\/web && docker compose up -d$/);
    for (const c of resume.slice(1)) expect(c.render(RT)).not.toContain("voiceai-telweb");
    // Without it, the runbook's order: TelWeb alone after the switch.
    expect(plan({ order: "beforeSwitch" }).steps.find((s) => s.step === "resume")?.commands[0]?.render(RT)).not.toContain("voiceai-telweb");
  });

  it("the precheck comes first in every mode, and the stamp is its first command", () => {
    for (const top of [{}, { order: "beforeSwitch" }, { snapshot: "before" }, { snapshot: "none" }]) {
      const first = plan(top).steps[0];
      expect(first?.step, JSON.stringify(top)).toBe("precheck");
      expect(first?.commands[0]?.name).toBe("stamp");
      expect(first?.commands[0]?.render(PREVIEW_VALUES)).toBe('cd /opt/services/postgres && echo "stamp=$(docker compose exec -T voiceai-postgres date -u +%Y%m%dT%H%M%SZ)"');
    }
  });

  it("snapshot after (default): the snapshot is a pg_dump of the kept database, off the critical path", () => {
    const [dump] = plan().steps.at(-1)?.commands ?? [];
    expect([dump?.name, dump?.host, dump?.needs]).toEqual(["pg-dump-kept", "db", ["stamp"]]);
    const cmd = dump?.render(RT) ?? "";
    expect(cmd).toContain(`/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(cmd).toContain(`pg_dump -Fc -U delphi -d ${KEPT}`);
  });
});

describe("commands per host", () => {
  it("stops and starts every consumer host's compose project, never the database host's", () => {
    const p = plan();
    const quiesce = p.steps.find((s) => s.step === "quiesce")?.commands ?? [];
    const resume = p.steps.find((s) => s.step === "resume")?.commands ?? [];
    expect(quiesce.map((c) => c.host)).toEqual(CONSUMERS);
    expect(resume.map((c) => c.host)).toEqual(CONSUMERS);
    for (const c of quiesce) expect(c.render(PREVIEW_VALUES)).toContain(`cd /opt/services/${c.host} && docker compose stop`);
    for (const c of resume) expect(c.render(PREVIEW_VALUES)).toContain(`cd /opt/services/${c.host} && docker compose up -d`);
    expect(p.stops.map((s) => s.host)).not.toContain("db");
  });

  it("Voice is guarded by the active-calls command unless forceStop", () => {
    const voice = (top = {}) => plan(top).steps.find((s) => s.step === "quiesce")?.commands.find((c) => c.host === "voice");
    expect(voice()?.render(PREVIEW_VALUES)).toContain("refusing to stop Voice");
    expect(voice()?.description).toContain("refused while Voice has active calls");
    const forced = voice({ voice: { activeCallsCommand: ["voiceai-calls", "active"], forceStop: true } });
    expect(forced?.render(PREVIEW_VALUES)).not.toContain("refusing to stop Voice");
    expect(forced?.description).toContain("forced");
  });

  it("Voice's active calls are asked before anything stops, in the precheck with the dump's check, unless forceStop", () => {
    const pre = plan().steps[0]?.commands ?? [];
    expect(pre.map((c) => [c.name, c.host])).toEqual([["stamp", "db"], ["dump-reads-in-full", "db"], ["voice-voice-active-calls", "voice"]]);
    expect(pre[2]?.render(PREVIEW_VALUES)).toContain("refusing to stop Voice");
    expect(plan({ voice: { activeCallsCommand: ["voiceai-calls", "active"], forceStop: true } }).steps[0]?.commands.map((c) => c.name)).toEqual(["stamp", "dump-reads-in-full"]);
  });

  it("the dump is read in full before anything stops (refused otherwise), and nothing is written by the precheck", () => {
    const check = plan().steps[0]?.commands.find((c) => c.name === "dump-reads-in-full");
    const cmd = check?.render(PREVIEW_VALUES) ?? "";
    expect(cmd).toContain("pg_restore -f /dev/null");
    expect(cmd).toContain("/var/backups/delphi/delphi-20261123T020000Z.dump");
    expect(cmd).toContain("the restore is refused; nothing was stopped or changed");
    expect(cmd).not.toMatch(/pg_dump|createdb|dropdb|alter database/);
  });

  it("reconcile starts only TelWeb on the web host and waits for both log lines", () => {
    const [c] = plan().steps.find((s) => s.step === "reconcile")?.commands ?? [];
    expect(c?.host).toBe("web");
    const cmd = c?.render(PREVIEW_VALUES) ?? "";
    expect(cmd).toContain("docker compose up -d voiceai-telweb");
    expect(cmd).toContain("migrate deploy");
    expect(cmd).toContain("baseline-seed");
  });

  it("the restore step restores the named dump into a fresh database (no --clean), captures it, then switches it in keeping the live one", () => {
    const [c] = plan().steps.find((s) => s.step === "restore")?.commands ?? [];
    expect([c?.name, c?.host, c?.needs]).toEqual(["pg-restore", "db", ["stamp"]]);
    const cmd = c?.render(RT) ?? "";
    expect(cmd).toContain('pg_restore --no-owner --exit-on-error --jobs=4 -U delphi -d delphi_restored "$d"');
    expect(cmd).not.toContain("--clean");
    expect(cmd).toContain("/var/backups/delphi/delphi-20261123T020000Z.dump");
    // Restore, then capture, then the switch, each only if the one before succeeded.
    const [restore, capture, sw] = [cmd.indexOf("pg_restore --no-owner"), cmd.indexOf("delphi_restore_diff"), cmd.indexOf("rename to")];
    expect(restore).toBeGreaterThan(0);
    expect(capture).toBeGreaterThan(restore);
    expect(sw).toBeGreaterThan(capture);
    expect(cmd).toContain(`kept-database=${KEPT}`);
    expect(c?.description).toContain(`then rename delphi to delphi_pre_restore_<UTC> (kept) and delphi_restored to delphi`);
  });

  it("snapshot before: the restore runs pg_restore --clean over the live database, then captures it", () => {
    const [c] = plan({ snapshot: "before" }).steps.find((s) => s.step === "restore")?.commands ?? [];
    const cmd = c?.render(RT) ?? "";
    expect(cmd).toContain("pg_restore --clean --if-exists --no-owner --exit-on-error --jobs=4 -U delphi -d delphi");
    // The capture reads the restored rows with \copy, in a script inside the container (quoted deeper).
    expect(cmd).toMatch(/-d delphi -c '[\\']*\\copy/);
    expect(cmd).not.toContain("alter database");
    // The capture is marked with the restore's stamp, so a re-run does not capture again.
    expect(c?.needs).toEqual(["stamp"]);
  });

  it("without a named dump the restore takes the newest non-snapshot dump on the host", () => {
    const [c] = plan({ dump: undefined }).steps.find((s) => s.step === "restore")?.commands ?? [];
    expect(c?.render(PREVIEW_VALUES)).toMatch(/ls -1t .*grep -v .*\/pre-restore-/s);
    expect(plan({ dump: undefined }).restorePoint).toBeUndefined();
  });

  it("verify: health, login (password on stdin), spot checks, telemetry since the resume", () => {
    const v = plan().steps.find((s) => s.step === "verify")?.commands ?? [];
    expect(v.map((c) => c.name)).toEqual(["telweb-health", "admin-login", "sql-known-conversation", "telemetry"]);
    expect(v.find((c) => c.name === "admin-login")?.stdinSecret).toBe("adminPassword");
    expect(v.find((c) => c.name === "telemetry")?.needs).toEqual(["resumedAt"]);
    expect(v.find((c) => c.name === "telemetry")?.render({ ...PREVIEW_VALUES, resumedAt: "2026-11-23T03:10:00Z" })).toContain("2026-11-23T03:10:00Z");
  });

  it("the report compares the kept database with the restored rows captured before any service started, by primary key", () => {
    const [c] = plan().steps.find((s) => s.step === "report")?.commands ?? [];
    expect([c?.name, c?.host, c?.needs]).toEqual(["count-lost-writes", "db", ["stamp"]]);
    const cmd = c?.render(RT) ?? "";
    expect(cmd).toContain(`-d ${KEPT}`);
    expect(cmd).toContain("delphi_restore_diff");
    expect(cmd).toContain("compared=conversations,tools,billing_records");
    expect(cmd).toContain('from "billing_records" x');
  });

  it("snapshot before: the report reads the kept side from the pre-restore snapshot, after it exists", () => {
    const [c] = plan({ snapshot: "before" }).steps.find((s) => s.step === "report")?.commands ?? [];
    expect(c?.needs).toEqual(["snapshotPath"]);
    const cmd = c?.render({ ...RT, snapshotPath: `/var/backups/delphi/pre-restore-${STAMP}.dump` }) ?? "";
    expect(cmd).toContain(`snap=/var/backups/delphi/pre-restore-${STAMP}.dump`);
    expect(cmd).toContain("-d delphi_restore_src");
    expect(cmd).toContain('from "billing_records" x');
  });

  it("rollback (phase rollback, with kept): two renames back, no restore, snapshot or report", () => {
    const p = plan({ phase: "rollback", kept: KEPT });
    expect(p.steps.map((s) => s.step)).toEqual(["precheck", "quiesce", "confirm", "restore", "reconcile", "resume", "verify"]);
    const [c] = p.steps.find((s) => s.step === "restore")?.commands ?? [];
    expect(c?.name).toBe("rename-kept-back");
    const cmd = c?.render(PREVIEW_VALUES) ?? "";
    expect(cmd).toContain(`alter database "delphi" rename to "delphi_undone_${STAMP}"`);
    expect(cmd).toContain(`alter database "${KEPT}" rename to "delphi"`);
    expect(cmd).not.toMatch(/pg_restore|dropdb/);
    expect(p.source).toBe("kept data");
    expect(p.restoreTarget).toBe(`delphi (what the restore put there is kept as delphi_undone_${STAMP})`);
  });

  it("another snapshot mode or a rollback is a new restore (every command runs again); a re-run is not", () => {
    const key = (top: Record<string, unknown> = {}) => restoreKey(parseConfig(pgConfig(top)));
    expect(key()).toBe(key());
    expect(key({ snapshot: "none" })).not.toBe(key());
    expect(key({ phase: "rollback", kept: KEPT })).not.toBe(key());
    expect(key({ phase: "rollback", kept: KEPT })).not.toBe(key({ phase: "rollback", kept: "delphi_pre_restore_20261124T031000Z" }));
  });
});

describe("restore point, window and markers", () => {
  it("takes the restore point from the dump's name, or the config", () => {
    expect(plan().restorePoint).toBe("2026-11-23T02:00:00Z");
    expect(plan({ restorePoint: "2026-11-22T23:00:00Z" }).restorePoint).toBe("2026-11-22T23:00:00Z");
    expect(restorePointFromName("delphi-20261123T020000Z.dump")).toBe("2026-11-23T02:00:00Z");
    expect(restorePointFromName("delphi-20261399T020000Z.dump")).toBeUndefined();
    expect(restorePointFromName("nightly.dump")).toBeUndefined();
  });

  it("reads the restore point from the restore step's dump= line when the dump was not named", () => {
    const p = plan({ dump: undefined });
    expect(restorePointFrom(p, "dump=/var/backups/delphi/delphi-20261124T020000Z.dump\nrestored")).toBe("2026-11-24T02:00:00Z");
    expect(restorePointFrom(p, "")).toContain("unknown");
  });

  it("the window runs from the restore point to the last service stop", () => {
    expect(dataLossWindow("2026-11-23T02:00:00Z", ["2026-11-23T03:01:00Z", "2026-11-23T03:02:00Z", ""])).toEqual({ from: "2026-11-23T02:00:00Z", to: "2026-11-23T03:02:00Z" });
    expect(dataLossWindow("2026-11-23T02:00:00Z", []).to).toBe("the switch");
  });

  it("parses the markers commands print", () => {
    expect(markers("a\nsnapshot=/x.dump\nsnapshot=/y.dump", "snapshot")).toEqual(["/x.dump", "/y.dump"]);
    expect(snapshotPathFrom("0\nsnapshot=/b/pre-restore-1.dump\n")).toBe("/b/pre-restore-1.dump");
    expect(writesStoppedFrom(["stopped-at=2026-11-23T03:01:00Z", "x\nstopped-at=2026-11-23T03:02:00Z"])).toEqual(["2026-11-23T03:01:00Z", "2026-11-23T03:02:00Z"]);
    expect(resumedAtFrom(["resumed-at=2026-11-23T03:20:00Z", "resumed-at=2026-11-23T03:19:00Z"])).toBe("2026-11-23T03:19:00Z");
  });

  it("reads the stamp the precheck printed, and refuses anything that is not one", () => {
    expect(stampFrom(`dump-verified=/b/x.dump\nstamp=${STAMP}\n0 active calls`)).toBe(STAMP);
    for (const bad of ["", "stamp=", "stamp=<UTC>", "stamp=20261123T0310Z", `stamp=${STAMP}; rm -rf /`]) expect(() => stampFrom(bad), bad).toThrow(/printed no UTC stamp/);
  });

  it("reads the stamp of a kept name, and a placeholder for anything else", () => {
    expect(stampOfKept(KEPT)).toBe(STAMP);
    expect(stampOfKept(`data.pre-restore-${STAMP}`)).toBe(STAMP);
    expect(stampOfKept(`delphi_undone_${STAMP}`)).toBe(STAMP);
    expect(stampOfKept("delphi")).toBe("<UTC>");
  });

  it("parses the comparison: exact counts and keys per table, tenant and change; ignores anything else", () => {
    const out = [
      "count\tconversations\tten_acme\tinserted\t3",
      "key\tconversations\tten_acme\tinserted\tconv_1",
      "key\tconversations\tten_acme\tinserted\tconv_2",
      "noise",
      "count\ttools\tten_globex\tdeleted\t1",
      "key\ttools\tten_globex\tdeleted\t7,2",
      "count\tconversations\tten_acme\tupdated\t1",
      "key\tconversations\tten_acme\tupdated\tconv_0",
      "count\tconversations\t\tinserted\t1",
      "count\tconversations\tten_acme\tmoved\t9",
      "count\tconversations\tten_acme\tinserted\tmany",
      "conversations\tten_acme\t3",
      "compared=conversations,tools",
    ].join("\n");
    expect(parseLostWrites(out)).toEqual([
      { table: "conversations", tenant: "", change: "inserted", count: 1, keys: [] },
      { table: "conversations", tenant: "ten_acme", change: "inserted", count: 3, keys: ["conv_1", "conv_2"] },
      { table: "conversations", tenant: "ten_acme", change: "updated", count: 1, keys: ["conv_0"] },
      { table: "tools", tenant: "ten_globex", change: "deleted", count: 1, keys: ["7,2"] },
    ]);
    expect(parseLostWrites("")).toEqual([]);
  });
});
