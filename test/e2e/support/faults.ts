// Shared by the fault e2e tests: start a new restore (or resume one) through the operator's
// command, in the foreground or in the background (to act while it runs, or send it Ctrl-C),
// and prove the pre-restore snapshot restores to what the database held before the run.
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { expect } from "vitest";
import { holdAt, release, waitUntilHeld, type StartResult } from "../../../src/sandbox";
import { BIN, cliIn, pulumiIn, TOOLS_PATH } from "./cli";
import { CONSUMERS, lastVerbs } from "./runbook-order";
import { sql } from "./sandbox";

export interface UpDoc {
  ok: boolean;
  error?: string;
  interrupted?: boolean;
  inFlight?: { resource: string; host?: string; state: string }[];
  failed?: { resource: string; step?: string; host?: string }[];
  commandsRun?: number;
  resumed?: { kept: number; keptSteps: string[]; from?: string };
}

export interface Run {
  code: number | undefined;
  doc: UpDoc;
  /** When the run started (ISO), to read the engine's events (readEngineOps) from. */
  since: string;
  seconds: number;
}

export interface Background {
  since: string;
  /** The driver's pid; it leads its own process group, as a shell's foreground job does. */
  pid: number;
  /** Resolves once the driver printed a line matching `re` (on stdout or stderr). */
  printed(re: RegExp, timeoutMs?: number): Promise<void>;
  done(): Promise<Run>;
}

const TABLES = ["conversations", "tools", "billing_records", "tenants"];

export function faultKit(sandbox: { dir: string; info: StartResult }) {
  let round = 0;
  const dir = () => sandbox.dir;
  const info = () => sandbox.info;

  async function configSet(key: string, value: string): Promise<void> {
    const r = await pulumiIn(dir(), ["config", "set", "--stack", "sandbox", "--path", key, value]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
  }

  /** A new restore point, so every step runs again (and the secrets in place). */
  async function prepareNewRestore(): Promise<void> {
    round++;
    const set = await cliIn(dir(), ["secrets", "--stack", "sandbox", "--file", info().secretsFile]);
    expect(set.exitCode).toBe(0);
    await configSet("delphi-restore:restorePoint", `2026-01-01T00:${String(Math.floor(round / 60)).padStart(2, "0")}:${String(round % 60).padStart(2, "0")}Z`);
  }

  function start(): Background {
    const since = new Date().toISOString();
    const t0 = Date.now();
    const child: ResultPromise = execa(BIN, ["up", "--stack", "sandbox", "--yes", "--json"], {
      reject: false,
      cwd: dir(),
      stdin: "ignore",
      detached: true,
      env: { DELPHI_RESTORE_PROJECT_DIR: dir(), PATH: TOOLS_PATH },
    });
    let text = "";
    const waiters: { re: RegExp; resolve: () => void }[] = [];
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      for (const w of waiters.filter((x) => x.re.test(text))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    return {
      since,
      pid: child.pid as number,
      printed: (re, timeoutMs = 60_000) =>
        re.test(text)
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`the driver did not print ${re} within ${timeoutMs / 1000}s:\n${text.slice(-2000)}`)), timeoutMs);
              waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
            }),
      done: async () => {
        const r = await child;
        let doc: UpDoc;
        try {
          doc = JSON.parse(String(r.stdout)) as UpDoc;
        } catch {
          throw new Error(`up printed no JSON object (exit ${r.exitCode}):\n${String(r.stdout)}\n${String(r.stderr)}`);
        }
        return { code: r.exitCode, doc, since, seconds: (Date.now() - t0) / 1000 };
      },
    };
  }

  async function newRestore(): Promise<Run> {
    await prepareNewRestore();
    return start().done();
  }

  async function counts(db?: string): Promise<Record<string, string>> {
    const url = db ? info().databaseUrl.replace(/\/delphi$/, `/${db}`) : info().databaseUrl;
    const out: Record<string, string> = {};
    for (const t of TABLES) out[t] = (await execa(join(info().database.pgBin, "psql"), ["-X", "-At", url, "-c", `select count(*) from ${t}`])).stdout.trim();
    return out;
  }

  return {
    configSet,
    counts,
    /** A new restore in the background: act on the hosts while it runs. */
    async startNewRestore(): Promise<Background> {
      await prepareNewRestore();
      return start();
    },
    /** `up` again with the same config (after a failure: resume), in the background. */
    startResume: start,
    newRestore,
    /** A new restore with a cause in place (`cause`), removed again (`undo`) once it ended. */
    async newRestoreWith(cause: () => unknown, undo: () => unknown): Promise<Run> {
      await cause();
      try {
        return await newRestore();
      } finally {
        await undo();
      }
    },
    resume: (): Promise<Run> => start().done(),

    /**
     * A new restore with `name` held on `host`: `act` runs while the restore waits there (a
     * command in flight; it gets the run's start time), then it goes on; `undo` runs once it
     * ended, whatever happened.
     */
    async newRestoreActingAt(host: string, name: string, act: (since: string) => unknown, undo?: () => unknown): Promise<Run> {
      holdAt(dir(), host, name);
      await prepareNewRestore();
      const bg = start();
      try {
        await waitUntilHeld(dir(), host, name);
        await act(bg.since);
      } finally {
        release(dir(), host, name);
      }
      try {
        return await bg.done();
      } finally {
        await undo?.();
      }
    },

    /**
     * `up` again once the cause is gone: it finishes (going on from step `from`, when given), every
     * consumer's container was last started; the time it took is printed for the closing note.
     */
    async expectResumeFinishes(fault: string, from?: string): Promise<Run> {
      const again = await start().done();
      expect(again.code, again.doc.error).toBe(0);
      if (from) expect(again.doc.resumed?.from).toBe(from);
      expect(lastVerbs(dir(), again.since)).toEqual(CONSUMERS.map(() => "start"));
      recovered(fault, again);
      return again;
    },

    /**
     * The data as it was before the run `since` is kept: in the live database when the run stopped
     * before its switch, else in the database it kept (`delphi_pre_restore_<its stamp>`).
     */
    async expectOldDataKept(expected: Record<string, string>, since: string): Promise<void> {
      const floor = Math.floor(Date.parse(since) / 1000) * 1000;
      const stampTime = (n: string) => Date.parse(n.slice(-16).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
      const kept = (await sql(info(), "select datname from pg_database where datname like 'delphi\\_pre\\_restore\\_%' order by 1 desc")).split("\n").filter((n) => n && stampTime(n) >= floor);
      expect(await counts(kept[0]), `the data before the run, in ${kept[0] ?? "the live database"}`).toEqual(expected);
    },

    /** The newest pre-restore snapshot (snapshot: before), restored into a scratch database, holds `expected`. */
    async expectSnapshotRestores(expected: Record<string, string>): Promise<void> {
      const snap = (await execa("sh", ["-c", `ls -1t ${info().backupDir}/pre-restore-*.dump | head -n 1`])).stdout.trim();
      expect(snap, "a pre-restore snapshot").not.toBe("");
      await sql(info(), "drop database if exists delphi_fault_check");
      await sql(info(), "create database delphi_fault_check");
      try {
        await execa(join(info().database.pgBin, "pg_restore"), ["--no-owner", "--exit-on-error", "-d", info().databaseUrl.replace(/\/delphi$/, "/delphi_fault_check"), snap]);
        expect(await counts("delphi_fault_check")).toEqual(expected);
      } finally {
        await sql(info(), "drop database if exists delphi_fault_check");
      }
    },
  };
}

/** Ctrl-C as a terminal sends it: SIGINT to the driver's whole process group. */
export function ctrlC(run: Background): void {
  process.kill(-run.pid, "SIGINT");
}

/** How long the re-run took, for the closing note's table (printed in the test log). */
export function recovered(fault: string, run: Run): void {
  console.log(`recovery: ${fault}: re-run completed in ${run.seconds.toFixed(1)}s`);
}
