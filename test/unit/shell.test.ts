// The shell builders, run through a real /bin/sh: hostile values must arrive as single argv
// words (recorded by a stand-in `docker` on PATH) and never run as code.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as sh from "../../src/shell";

// Each tries to create the file PWNED in the working folder if it were ever run as code.
const HOSTILE = [
  "x; touch PWNED",
  "$(touch PWNED)",
  "`touch PWNED`",
  "a\ntouch PWNED",
  "a && touch PWNED",
  "a | touch PWNED",
  "it's; touch PWNED",
  "'; touch PWNED; '",
  '"; touch PWNED; "',
  "* ?",
  "$HOME ${PATH}",
  "ünïcödé ✓",
  "-rf",
  "",
];

let work: string;
let log: string;

/** Runs a command line in a real sh with the recording `docker` first on PATH. */
function run(command: string, stdin = "", env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("/bin/sh", ["-c", command], { cwd: work, input: stdin, encoding: "utf8", env: { ...process.env, PATH: `${join(work, "bin")}:${process.env.PATH}`, DOCKER_LOG: log, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The argv of every `docker` call so far, one array per call. */
function dockerCalls(): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").split("\u0001\n").filter(Boolean).map((c) => c.split("\u0000").slice(0, -1));
}

/**
 * The stand-in `docker`: records its argv NUL-separated, one call per record; prints 0 so guards
 * and checks go on. With DOCKER_FAIL set, a call that has that argument fails the way a cut-short
 * dump does; with DOCKER_QUIET set, it prints nothing (`ps` finds nothing running).
 */
const RECORDING_DOCKER =
  `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done >> "$DOCKER_LOG"\nprintf '\\001\\n' >> "$DOCKER_LOG"\n` +
  `for a in "$@"; do [ -n "$DOCKER_FAIL" ] && [ "$a" = "$DOCKER_FAIL" ] && { echo 'pg_restore: error: could not read from input file: end of file' >&2; exit 1; }; done\n[ -n "$DOCKER_QUIET" ] || echo 0\n`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "delphi-shell-"));
  log = join(work, "docker.log");
  mkdirSync(join(work, "bin"));
  writeFileSync(join(work, "bin", "docker"), RECORDING_DOCKER);
  chmodSync(join(work, "bin", "docker"), 0o755);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function reset(): void {
  rmSync(log, { force: true });
  rmSync(join(work, "PWNED"), { force: true });
}

describe("quote", () => {
  it.each(HOSTILE)("round-trips %j through sh unchanged", (word) => {
    const r = run(`printf '%s' ${sh.quote(word)}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(word);
    expect(existsSync(join(work, "PWNED"))).toBe(false);
  });

  it("leaves plain words bare and refuses NUL", () => {
    expect(sh.quote("voiceai-postgres")).toBe("voiceai-postgres");
    expect(sh.quote("/var/backups/delphi")).toBe("/var/backups/delphi");
    expect(sh.quote("")).toBe("''");
    expect(() => sh.quote("a\0b")).toThrow(/NUL/);
  });

  it("argv keeps every word whole", () => {
    const r = run(`for a in ${sh.argv(HOSTILE)}; do printf '[%s]' "$a"; done`);
    expect(r.stdout).toBe(HOSTILE.map((w) => `[${w}]`).join(""));
  });
});

describe("builders: hostile values reach docker as single words and never run", () => {
  const dirFor = (name: string) => {
    const d = join(work, "proj", name.replace(/\//g, "_") || "empty");
    mkdirSync(d, { recursive: true });
    return d;
  };

  it.each(HOSTILE.filter((w) => w !== ""))("compose stop/up/exec with %j", (word) => {
    const dir = dirFor(word);
    reset();
    expect(run(sh.composeStop(dir, [word])).status).toBe(0);
    expect(run(sh.composeUp(dir, [word])).status).toBe(0);
    expect(run(sh.composeExec(dir, word, [word, "--flag"])).status).toBe(0);
    expect(dockerCalls()).toEqual([
      ["compose", "stop", word],
      ["compose", "up", "-d", word],
      ["compose", "exec", "-T", word, word, "--flag"],
    ]);
    expect(existsSync(join(work, "PWNED"))).toBe(false);
  });

  it.each(HOSTILE.filter((w) => w !== ""))("pre-restore snapshot, restore and spot check with %j as container, user and database", (word) => {
    const db: sh.DbTarget = { dir: dirFor(word), container: word, user: word, name: word };
    reset();
    const snap = run(sh.preRestoreSnapshot(db, "/backups"));
    expect(snap.status, snap.stderr).toBe(0);
    const calls = dockerCalls();
    expect(calls[0]?.slice(0, 10)).toEqual(["compose", "exec", "-T", word, "pg_dump", "-Fc", "-U", word, "-d", word]);
    // Written under a temporary name, read back, then renamed: a cut-short snapshot never looks whole.
    expect(calls[0]?.[11]).toMatch(/^\/backups\/pre-restore-\d{8}T\d{6}Z\.dump\.partial$/);
    expect(calls[1]?.slice(0, 6)).toEqual(["compose", "exec", "-T", word, "pg_restore", "--list"]);
    expect(calls[2]?.slice(0, 5)).toEqual(["compose", "exec", "-T", word, "mv"]);
    expect(calls[2]?.slice(5)).toEqual([calls[0]?.[11], calls[0]?.[11]?.replace(/\.partial$/, "")]);
    expect(calls).toHaveLength(3); // no clean-up call once the snapshot is whole
    expect(snap.stdout.trim().split("\n").at(-1)).toMatch(/^snapshot=\/backups\/pre-restore-\d{8}T\d{6}Z\.dump$/);
    reset();
    // With the dump to restore: it is read through completely first (every table's data).
    const checked = run(sh.preRestoreSnapshot(db, "/backups", sh.quote(`/backups/${word}.dump`)));
    expect(checked.status, checked.stderr).toBe(0);
    expect(dockerCalls()[0]).toEqual(["compose", "exec", "-T", word, "pg_restore", "-f", "/dev/null", `/backups/${word}.dump`]);
    expect(dockerCalls()[1]?.slice(4, 6)).toEqual(["pg_dump", "-Fc"]);
    reset();
    expect(run(sh.pgRestore(db, sh.quote(`/backups/${word}.dump`), { jobs: 4 })).status).toBe(0);
    expect(dockerCalls()[1]).toEqual(["compose", "exec", "-T", word, "pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", "--jobs=4", "-U", word, "-d", word, `/backups/${word}.dump`]);
    reset();
    const spot = run(sh.spotCheck(db, word, `select '${word}'`, "0"));
    expect(spot.status, spot.stderr).toBe(0);
    expect(dockerCalls()[0]?.at(-1)).toBe(`select '${word}'`);
    expect(existsSync(join(work, "PWNED"))).toBe(false);
  });
});

describe("builders: the runbook's flags and behaviour", () => {
  const db: sh.DbTarget = { dir: "/opt/services/postgres", container: "voiceai-postgres", user: "delphi", name: "delphi" };

  it("a dump that cannot be read in full is refused with its path and pg_restore's reason, before pg_dump writes anything", () => {
    reset();
    const r = run(sh.preRestoreSnapshot({ ...db, dir: work }, "/backups", sh.quote("/backups/cut.dump")), "", { DOCKER_FAIL: "/dev/null" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("dump /backups/cut.dump cannot be read in full: pg_restore: error: could not read from input file: end of file");
    expect(r.stderr).toContain("the restore is refused; nothing was stopped or changed");
    expect(dockerCalls().map((c) => c[4])).toEqual(["pg_restore"]);
  });

  it("pg_restore uses the runbook flags, --jobs only above 1, and a restored-into database when asked", () => {
    expect(sh.pgRestore(db, "/b/x.dump", { jobs: 1 })).not.toContain("--jobs");
    expect(sh.pgRestore(db, "/b/x.dump", { jobs: 1 })).toContain("--clean --if-exists --no-owner --exit-on-error");
    const into = sh.pgRestore(db, "/b/x.dump", { jobs: 2, intoDatabase: "delphi_restored" });
    expect(into).toContain("createdb");
    expect(into).toContain("-d delphi_restored");
  });

  it("a missing dump fails the restore before pg_restore runs", () => {
    reset();
    const r = run(sh.pgRestore({ ...db, dir: work }, "''", { jobs: 2 }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no dump to restore");
    expect(dockerCalls()).toEqual([]);
  });

  it("the active-calls guard refuses when calls are active, unless forced", () => {
    writeFileSync(join(work, "calls"), "#!/bin/sh\necho 3\n");
    chmodSync(join(work, "calls"), 0o755);
    const busy = run(sh.activeCallsGuard(work, [join(work, "calls")], false));
    expect(busy.status).not.toBe(0);
    expect(busy.stderr).toContain("3 active calls; refusing to stop Voice");
    expect(run(sh.activeCallsGuard(work, [join(work, "calls")], true)).status).toBe(0);
    reset();
    expect(run(sh.activeCallsGuard(work, ["docker", "compose", "exec", "-T", "voiceai-voice", "voiceai-calls", "active"], false)).stdout).toContain("0 active calls");
  });

  it("the login check reads the password from stdin: it is not in the command", () => {
    const cmd = sh.loginCheck("http://127.0.0.1:1/api/auth/login", "admin@delphi.example", 1);
    expect(cmd).toContain("pw=$(cat)");
    expect(cmd).not.toMatch(/hunter2/);
  });

  it("the reconcile wait fails fast on the failure pattern", () => {
    writeFileSync(join(work, "bin", "docker"), `#!/bin/sh\ncase "$2" in logs) echo 'Error: P3009 migrate found failed migrations';; esac\n`);
    try {
      const r = run(sh.startAndWaitForLogLines(work, "voiceai-telweb", ["migrate deploy", "baseline-seed"], "P3009", 30));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("migration failed");
    } finally {
      writeFileSync(join(work, "bin", "docker"), RECORDING_DOCKER);
    }
  });

  it("the switch ends client sessions only: the rename itself ends autovacuum workers, which the application role may not signal", () => {
    expect(sh.switchDatabases(db, "delphi_restored", "delphi_pre_restore")).toMatch(/pg_terminate_backend.* and backend_type = \S+client backend/);
  });

  it("every generated script is valid sh", () => {
    const scripts = [
      sh.preRestoreSnapshot(db, "/b"),
      sh.pgRestore(db, sh.newestDumpExpr(db, "/b"), { jobs: 4, intoDatabase: "delphi_restored" }),
      sh.switchDatabases(db, "delphi_restored", "delphi_pre_restore"),
      sh.startAndWaitForLogLines("/opt/web", "voiceai-telweb", ["migrate deploy", "baseline-seed"], "P3009", 60),
      sh.runAgainstDatabase("/opt/web", "voiceai-telweb", "DATABASE_URL", "delphi_restored", ["npx", "prisma", "migrate", "deploy"], "failed"),
      sh.activeCallsGuard("/opt/voice", ["voiceai-calls", "active"], false),
      sh.httpCheck("telweb-health", "https://telweb.example/health", 60),
      sh.loginCheck("https://telweb.example/api/auth/login", "a@b.c", 60),
      sh.telemetryCheck("https://signoz.example/api", ["voiceai-api"], "'2026-01-01T00:00:00Z'", 60),
      sh.spotCheck(db, "known", "select 1", "1"),
      sh.countLostRows(db, "'/b/pre.dump'", "2026-01-01T00:00:00Z", ["conversations", "tools"], "delphi_lost_rows"),
    ];
    for (const s of scripts) {
      // Each is `sh -c '<script>'`: check the inner script's syntax with sh -n.
      const inner = run(`printf '%s' ${s.replace(/^sh -c /, "")}`).stdout;
      const r = spawnSync("/bin/sh", ["-n", "-c", inner], { encoding: "utf8" });
      expect(r.status, `${r.stderr}\n${inner}`).toBe(0);
    }
  });
});

describe("runAgainstDatabase: the one-off container's own shell points its database variable at the restored database", () => {
  // Stands in for `docker compose run ... --entrypoint sh <service> <args>`: runs sh with <args>,
  // in this environment, as the container would with the service's.
  const ONE_OFF = `#!/bin/sh\nshift 7\nshift\nexec sh "$@"\n`;
  const against = (env: Record<string, string>, database = "delphi_restored") => {
    writeFileSync(join(work, "bin", "docker"), ONE_OFF);
    try {
      return run(sh.runAgainstDatabase(work, "voiceai-telweb", "DATABASE_URL", database, ["printenv", "DATABASE_URL"], "the migrations failed before anything stopped"), "", env);
    } finally {
      writeFileSync(join(work, "bin", "docker"), RECORDING_DOCKER);
    }
  };

  it("a URL keeps its scheme, credentials, host and query; only its path changes", () => {
    expect(against({ DATABASE_URL: "postgresql://telweb:p%40ss@10.0.1.20:5432/delphi" }).stdout.trim()).toBe("postgresql://telweb:p%40ss@10.0.1.20:5432/delphi_restored");
    expect(against({ DATABASE_URL: "postgresql://telweb:pw@db/delphi?schema=public&sslmode=require" }).stdout.trim()).toBe("postgresql://telweb:pw@db/delphi_restored?schema=public&sslmode=require");
  });

  it("a bare name is replaced; a URL without a database, or no variable at all, fails with the failure's words and never prints the URL", () => {
    expect(against({ DATABASE_URL: "delphi" }).stdout.trim()).toBe("delphi_restored");
    const noPath = against({ DATABASE_URL: "postgresql://telweb:secret-pw@db" });
    expect(noPath.status).not.toBe(0);
    expect(noPath.stderr).toContain("DATABASE_URL names no database");
    expect(noPath.stderr).toContain("the migrations failed before anything stopped");
    expect(noPath.stdout + noPath.stderr).not.toContain("secret-pw");
    expect(against({ DATABASE_URL: "" }).stderr).toContain("DATABASE_URL is not set");
  });

  it("hostile database names arrive as one word and never run", () => {
    for (const v of HOSTILE.filter(Boolean)) {
      const r = against({ DATABASE_URL: "postgresql://u@h/delphi" }, v);
      expect(r.stdout.replace(/\n$/, ""), JSON.stringify(v)).toBe(`postgresql://u@h/${v}`);
      expect(existsSync(join(work, "PWNED")), v).toBe(false);
    }
  });
});

describe("confirmStopped: right before the restore, nothing of a quiesced project runs again", () => {
  const project = () => {
    const d = join(work, "confirm", "api");
    mkdirSync(d, { recursive: true });
    return d;
  };

  it("nothing running: passes, and stops nothing", () => {
    reset();
    const r = run(sh.confirmStopped(project(), "api"), "", { DOCKER_QUIET: "1" });
    expect([r.status, r.stdout.trim()]).toEqual([0, "still-stopped"]);
    expect(dockerCalls()).toEqual([["compose", "ps", "--status", "running", "--services"]]);
  });

  it("a service running again (a rebooted host): stops it again and fails, naming host, folder and service", () => {
    reset();
    const r = run(sh.confirmStopped(project(), "api"));
    expect(r.status).toBe(1);
    expect(dockerCalls()).toEqual([["compose", "ps", "--status", "running", "--services"], ["compose", "stop"]]);
    expect(r.stderr).toContain(`on host api in ${project()}, running again since quiesce: 0 (the host rebooted, or someone started it). Stopped it again; the restore did not start.`);
  });
});

describe("dumpReadsInFull with a dump read before", () => {
  const db: sh.DbTarget = { dir: "/srv", container: "voiceai-postgres", user: "delphi", name: "delphi" };
  const check = (known: string) => run(sh.script(sh.dumpReadsInFull(db, sh.quote("/b/x.dump"), "nothing was changed", { skipIfUnchanged: known })));

  it("the same path, size and mtime: not read again, said so", () => {
    reset();
    const r = check("/b/x.dump 0"); // the recording docker prints 0 for stat
    expect([r.status, r.stdout.trim().split("\n").at(-1)]).toEqual([0, "dump-unchanged=/b/x.dump"]);
    expect(dockerCalls()).toEqual([["compose", "exec", "-T", "voiceai-postgres", "stat", "-c", "%s %Y", "/b/x.dump"]]);
  });

  it("another identity (or none known): read in full, and its identity printed for next time", () => {
    for (const known of ["/b/x.dump 1", "/b/other.dump 0", ""]) {
      reset();
      const r = check(known);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("dump-identity=/b/x.dump 0");
      expect(r.stdout.trim().split("\n").at(-1)).toBe("dump-verified=/b/x.dump");
      expect(dockerCalls()[1]).toEqual(["compose", "exec", "-T", "voiceai-postgres", "pg_restore", "-f", "/dev/null", "/b/x.dump"]);
    }
  });
});
