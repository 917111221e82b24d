// The demo's restore when the engine cannot run remote commands here (docs/toolchain.md): the
// plan's exact commands, over plain SSH, step by step (bench/by-hand.ts), against the sandbox in
// the checkout. It is labelled as such; it is not the engine (no state, no diff, no resume).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Table from "cli-table3";
import { runByHand, StepFailed } from "../bench/by-hand";
import { COMPACT } from "../src/cli/table-style";
import { SshRunner } from "../src/cli/ssh";
import { PROJECT_DIR } from "../src/cli/workspace";
import { sandboxRestoreConfig } from "../src/sandbox";
import { dataLossWindow, parseLostRows, planPgRestore } from "../src/plan";
import { renderReport, reportFileName } from "../src/report";

async function main(): Promise<number> {
  const { config, secrets } = sandboxRestoreConfig({ configFile: join(PROJECT_DIR, "Pulumi.sandbox.yaml"), secretsFile: join(PROJECT_DIR, ".sandbox", "secrets.json") });
  const plan = planPgRestore(config);
  const ssh = new SshRunner(secrets.sshPrivateKey);
  try {
    const started = Date.now();
    const { timings, runtime, writesStoppedAt } = await runByHand(config, plan, ssh, secrets);
    const table = new Table({ ...COMPACT, head: ["step", "seconds", "commands (hosts in parallel)"] });
    for (const t of timings) table.push([t.step, ((t.endedAt - t.startedAt) / 1000).toFixed(1), Object.keys(t.stdout).join(", ")]);
    process.stdout.write(`${table.toString()}\nRestore finished in ${((Date.now() - started) / 1000).toFixed(1)}s; every verify check passed.\n`);
    process.stdout.write(`Pre-restore snapshot: ${runtime.snapshotPath}\n`);
    const counts = Object.values(timings.find((t) => t.step === "report")?.stdout ?? {})[0] ?? "";
    const markdown = renderReport({
      deployment: config.deployment,
      restorePoint: runtime.restorePoint,
      window: dataLossWindow(runtime.restorePoint, writesStoppedAt),
      lost: parseLostRows(counts),
      contact: config.report.contact,
      tables: config.report.tables,
      generatedAt: runtime.resumedAt,
    });
    const dir = join(PROJECT_DIR, config.report.dir);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, reportFileName(config.deployment, runtime.restorePoint));
    writeFileSync(file, markdown);
    process.stdout.write(`\nTenant-admin notice (${file}):\n\n${markdown}\n`);
    return 0;
  } catch (e) {
    if (e instanceof StepFailed) {
      process.stderr.write(`The restore stopped: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    ssh.close();
  }
}

main().then((code) => (process.exitCode = code));
