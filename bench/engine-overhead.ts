// What the Pulumi engine adds to a restore, measured side by side in one run on one sandbox: the
// same plan run by hand over SSH (bench/by-hand.ts) against `delphi-restore up --yes` (preflight,
// preview, then the update through the engine with the host-command resource). Rounds alternate so
// drift on the machine hits both alike; every engine round is a new restore (another restore
// point), so every command runs. Also measured: an `up` with nothing to do (the engine's fixed
// cost). Run: npm run bench:engine [-- --rounds N]
import Table from "cli-table3";
import { Command } from "commander";
import { COMPACT } from "../src/cli/table-style";
import { SshRunner } from "../src/cli/ssh";
import { planPgRestore } from "../src/mechanisms/pg-restore/plan";
import { sandboxRestoreConfig } from "../src/sandbox";
import { median } from "./figures";
import { runBench, secs, withBenchSandbox } from "./support";
import { runByHand } from "./by-hand";

async function main(): Promise<void> {
  const opts = new Command().option("--rounds <n>", "restores per side", "3").parse().opts<{ rounds: string }>();
  await withBenchSandbox("bench-engine", async (dir, info) => {
    // The driver's modules read the project folder when they load: point them at the temp folder first.
    process.env.DELPHI_RESTORE_PROJECT_DIR = dir;
    const { config, secrets } = sandboxRestoreConfig(info);
    const ws = await import("../src/cli/workspace");
    const commands = await import("../src/cli/commands");
    const stack = await ws.openStack("sandbox");
    await stack.setConfig("delphi-restore:sshPrivateKey", { value: secrets.sshPrivateKey, secret: true });
    await stack.setConfig("delphi-restore:adminPassword", { value: secrets.adminPassword, secret: true });
    const ssh = new SshRunner(secrets.sshPrivateKey);
    const plan = planPgRestore(config);
    const planned = plan.steps.reduce((n, s) => n + s.commands.length, 0) + 1; // + the notice, written locally
    const rows: { side: string; round: number; wholeMs: number; updateMs?: number; commands: number }[] = [];
    const engineUp = async (): Promise<{ wholeMs: number; updateMs: number; commands: number }> => {
      let doc: { ok?: boolean; seconds?: number; commandsRun?: number; error?: string } = {};
      const t0 = performance.now();
      const code = await commands.up({ stack: "sandbox", json: true, yes: true }, { log: () => undefined, json: (d) => (doc = d as typeof doc) });
      if (code !== 0) throw new Error(`delphi-restore up exited ${code}: ${JSON.stringify(doc).slice(0, 2000)}`);
      return { wholeMs: performance.now() - t0, updateMs: (doc.seconds ?? NaN) * 1000, commands: doc.commandsRun ?? 0 };
    };
    for (let round = 1; round <= Number(opts.rounds); round++) {
      let t0 = performance.now();
      await runByHand(config, plan, ssh, secrets);
      rows.push({ side: "by hand (SSH)", round, wholeMs: performance.now() - t0, commands: planned });
      // A new restore point makes a new restore: every command runs again.
      await stack.setConfig("delphi-restore:restorePoint", { value: `2026-01-0${round}T00:00:00Z` });
      t0 = performance.now();
      const e = await engineUp();
      rows.push({ side: "delphi-restore up", round, ...e });
    }
    const noop = await engineUp();
    rows.push({ side: "up, nothing to do", round: 0, ...noop });
    const t = new Table({ ...COMPACT, head: ["side", "round", "whole s", "engine update s", "commands run"] });
    for (const r of rows) t.push([r.side, r.round || "-", secs(r.wholeMs), r.updateMs === undefined ? "-" : secs(r.updateMs), r.commands]);
    const hand = median(rows.filter((r) => r.side === "by hand (SSH)").map((r) => r.wholeMs));
    const whole = median(rows.filter((r) => r.side === "delphi-restore up").map((r) => r.wholeMs));
    const update = median(rows.filter((r) => r.side === "delphi-restore up").map((r) => r.updateMs ?? NaN));
    t.push(["median by hand", "", secs(hand), "", planned]);
    t.push(["median delphi-restore up", "", secs(whole), secs(update), planned]);
    process.stdout.write(`${t.toString()}\n`);
    process.stdout.write(`whole up (preflight + preview + update) / by hand = ${(whole / hand).toFixed(2)}\n`);
    process.stdout.write(`engine update alone / by hand = ${(update / hand).toFixed(2)}\n`);
    process.stdout.write(`engine fixed cost (an up with nothing to do, update part) = ${secs(noop.updateMs)} s\n`);
    process.stdout.write(`engine cost per command ((update - by hand - fixed) / ${planned} commands) = ${((update - hand - noop.updateMs) / planned).toFixed(0)} ms\n`);
  });
}

runBench(main);
