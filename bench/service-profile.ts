// `npm run bench:profile [-- --mb N] [--order beforeSwitch|beforeRestore]`: where P6's time to
// service goes. One restore through the engine on a dataset of N MiB (default 1024), and a
// timeline of what ran: preflight, then every command as the engine reported it (start offset from
// the start of `up`, its own run as the command measured it, the engine's part around it), and the
// downtime from the sandbox engine's events. Not a figure with a goal: the tool to find what to cut.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import Table from "cli-table3";
import { Command } from "commander";
import { COMPACT } from "../src/cli/table-style";
import type { StepProgress } from "../src/cli/progress";
import { sandboxRestoreConfig } from "../src/sandbox";
import { growTo } from "./dataset";
import { clearSnapshots, downtimeMs, runBench, withBenchSandbox } from "./support";

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const opts = new Command()
    .option("--mb <n>", "dataset size in MiB", "1024")
    .option("--order <order>", "beforeSwitch or beforeRestore", "beforeSwitch")
    .parse()
    .opts<{ mb: string; order: string }>();
  const log = (s: string) => process.stderr.write(`profile: ${s}\n`);
  await withBenchSandbox("profile", async (dir, info) => {
    process.env.DELPHI_RESTORE_PROJECT_DIR = dir;
    const ws = await import("../src/cli/workspace");
    const commands = await import("../src/cli/commands");
    const { secrets } = sandboxRestoreConfig(info);
    const stack = await ws.openStack("sandbox");
    await stack.setConfig("delphi-restore:sshPrivateKey", { value: secrets.sshPrivateKey, secret: true });
    await stack.setConfig("delphi-restore:adminPassword", { value: secrets.adminPassword, secret: true });
    await stack.setConfig("delphi-restore:order", { value: opts.order });
    await stack.setConfig("delphi-restore:reconcile.beforeStop", { value: String(opts.order === "beforeSwitch") }, true);
    await stack.setConfig("delphi-restore:snapshot", { value: "after" });
    await stack.setConfig("delphi-restore:restorePoint", { value: "2026-01-01T00:00:00Z" });
    const pg = (bin: string, args: string[]) => execFileSync(join(info.database.pgBin, bin), args, { encoding: "utf8", maxBuffer: 64 * MB }).trim();
    const sql = (q: string) => pg("psql", ["-X", "-At", "-v", "ON_ERROR_STOP=1", info.databaseUrl, "-c", q]);
    log(`growing the database to ${opts.mb} MiB`);
    const bytes = growTo(sql, Number(opts.mb));
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    pg("pg_dump", ["-Fc", "-f", join(info.backupDir, `delphi-${stamp}.dump`), info.databaseUrl]);
    log(`database ${(bytes / MB).toFixed(0)} MiB, dumped; up --yes (${opts.order}, snapshot: after)`);

    const since = new Date().toISOString();
    const t0 = Date.now();
    let doc: { seconds?: number; progress?: StepProgress[]; preview?: { preflightSeconds?: number } } = {};
    const code = await commands.up({ stack: "sandbox", json: true, yes: true }, { log: () => undefined, json: (d) => (doc = d as typeof doc) });
    const whole = (Date.now() - t0) / 1000;
    if (code !== 0) throw new Error(`up exited ${code}: ${JSON.stringify(doc).slice(0, 2000)}`);
    clearSnapshots(info);
    const resources = ((await stack.exportStack()).deployment?.resources ?? []) as { urn: string; outputs?: { startedAt?: string; endedAt?: string } }[];
    const own = new Map(resources.map((r) => [r.urn, r.outputs]));

    const table = new Table({ ...COMPACT, head: ["at (s)", "engine (s)", "own run (s)", "step", "host", "command"] });
    for (const p of [...(doc.progress ?? [])].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
      const o = p.urn ? own.get(p.urn) : undefined;
      const run = o?.startedAt && o.endedAt ? (Date.parse(o.endedAt) - Date.parse(o.startedAt)) / 1000 : Number.NaN;
      table.push([((Date.parse(p.startedAt) - t0) / 1000).toFixed(2), (p.seconds ?? Number.NaN).toFixed(2), Number.isNaN(run) ? "" : run.toFixed(2), p.step ?? p.type, p.host ?? "", p.command ?? p.resource]);
    }
    process.stdout.write(`${table.toString()}\n`);
    process.stdout.write(
      `whole up ${whole.toFixed(2)} s; preflight ${(doc.preview?.preflightSeconds ?? Number.NaN).toFixed(2)} s; engine update ${(doc.seconds ?? Number.NaN).toFixed(2)} s; downtime ${((downtimeMs(dir, since) ?? Number.NaN) / 1000).toFixed(2)} s (first stop to last start, the sandbox engine's events)\n`,
    );
  });
}

runBench(main);
