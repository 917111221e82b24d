// Downtime of the two orders, measured side by side in one run on one sandbox: `beforeRestore`
// (the runbook: stop everything, then pg_restore) against `beforeSwitch` (pg_restore into a new
// database while services run, then stop, swap, start). The plan's commands run over real SSH
// (bench/by-hand.ts); downtime is read from the Docker engine's own events, from the first service
// container's stop to the last one's start. Run: npm run bench:downtime [-- --rows N --rounds N]
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import Table from "cli-table3";
import { Command } from "commander";
import { COMPACT } from "../src/cli/table-style";
import { SshRunner } from "../src/cli/ssh";
import type { RestoreConfig } from "../src/config";
import { planPgRestore } from "../src/mechanisms/pg-restore/plan";
import { sandboxRestoreConfig, type StartResult } from "../src/sandbox";
import { median } from "./figures";
import { clearSnapshots, downtimeMs, runBench, secs, withBenchSandbox } from "./support";
import { runByHand } from "./by-hand";

interface Sample {
  order: RestoreConfig["order"];
  round: number;
  downtimeMs: number;
  totalMs: number;
}

const psql = (info: StartResult, sql: string, db = info.databaseUrl) => execFileSync(join(info.database.pgBin, "psql"), ["-X", "-At", "-v", "ON_ERROR_STOP=1", db, "-c", sql], { encoding: "utf8", env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } }).trim();

/** Grow the database so pg_restore takes a measurable time, and dump it as the newest nightly. */
function growAndDump(info: StartResult, rows: number): string {
  psql(info, `insert into conversations (id, tenant_id, title, created_at)
    select 'bench_' || g, (array['ten_acme','ten_globex','ten_initech'])[1 + g % 3], repeat('call transcript ', 8) || g, now() - interval '2 hours'
    from generate_series(1, ${rows}) g`);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const file = join(info.backupDir, `delphi-${stamp}.dump`);
  execFileSync(join(info.database.pgBin, "pg_dump"), ["-Fc", "-f", file, info.databaseUrl]);
  return file;
}

async function main(): Promise<void> {
  const opts = new Command().option("--rows <n>", "conversations to add before the dump", "400000").option("--rounds <n>", "restores per order", "3").parse().opts<{ rows: string; rounds: string }>();
  await withBenchSandbox("bench", async (dir, info) => {
    const { config, secrets } = sandboxRestoreConfig(info);
    const ssh = new SshRunner(secrets.sshPrivateKey);
    const dump = growAndDump(info, Number(opts.rows));
    const size = psql(info, "select pg_size_pretty(pg_database_size('delphi'))");
    process.stdout.write(`sandbox database: ${size} (${opts.rows} extra conversations), dump ${dump.split("/").at(-1)}\n`);
    const samples: Sample[] = [];
    // Alternate the orders so drift on the machine (cache, load) hits both alike.
    for (let round = 1; round <= Number(opts.rounds); round++) {
      for (const order of ["beforeRestore", "beforeSwitch"] as const) {
        // Each restore keeps the database it replaced (<db>_pre_restore_<UTC>): drop them between rounds.
        const admin = info.databaseUrl.replace(/\/delphi$/, "/postgres");
        for (const n of psql(info, "select datname from pg_database where datname ~ '^delphi_(pre_restore|undone)_'", admin).split("\n").filter(Boolean))
          psql(info, `drop database if exists "${n}" with (force)`, admin);
        const c: RestoreConfig = { ...config, order };
        const since = new Date().toISOString();
        const started = performance.now();
        await runByHand(c, planPgRestore(c), ssh, secrets);
        const down = downtimeMs(dir, since);
        if (down === undefined) throw new Error("no container stop and start of a service in the engine's events");
        samples.push({ order, round, downtimeMs: down, totalMs: performance.now() - started });
        // Pre-restore snapshots pile up in the backup folder; the next round must pick the bench dump.
        clearSnapshots(info);
      }
    }
    const t = new Table({ ...COMPACT, head: ["order", "round", "downtime s", "whole restore s"] });
    for (const s of samples) t.push([s.order, s.round, secs(s.downtimeMs), secs(s.totalMs)]);
    const med = (order: Sample["order"], k: "downtimeMs" | "totalMs") => median(samples.filter((s) => s.order === order).map((s) => s[k]));
    t.push(["median beforeRestore", "", secs(med("beforeRestore", "downtimeMs")), secs(med("beforeRestore", "totalMs"))]);
    t.push(["median beforeSwitch", "", secs(med("beforeSwitch", "downtimeMs")), secs(med("beforeSwitch", "totalMs"))]);
    process.stdout.write(`${t.toString()}\n`);
    process.stdout.write(`downtime ratio beforeSwitch / beforeRestore = ${(med("beforeSwitch", "downtimeMs") / med("beforeRestore", "downtimeMs")).toFixed(2)}\n`);
    process.stdout.write(`whole-restore ratio beforeSwitch / beforeRestore = ${(med("beforeSwitch", "totalMs") / med("beforeRestore", "totalMs")).toFixed(2)}\n`);
  });
}

runBench(main);
