// `delphi-restore sandbox up|down`: the local Delphi deployment for the demo and the e2e tests.
// With --json, stdout carries exactly one JSON object; progress always goes to stderr.
import { resolve } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { MAX_SANDBOX_HOSTS, readEngineOps, SANDBOX_HOSTS, sandboxStatus, startSandbox, stopSandbox, takeBaseBackup, takeVolumeSnapshot, type StartResult, type VolumeKind } from "../sandbox";
import { eventRows, eventsTable } from "./sandbox-events";
import { EXIT } from "./exit-codes";

/** The checkout; DELPHI_RESTORE_PROJECT_DIR points the sandbox elsewhere (tests use a temp folder). */
function projectDir(): string {
  return resolve(process.env.DELPHI_RESTORE_PROJECT_DIR || resolve(__dirname, "..", ".."));
}

// A closed stderr (`... 2>&1 | head`) must not kill a half-started sandbox: drop the lines instead.
process.stderr.on("error", () => undefined);
const progress = (line: string) => {
  if (!process.stderr.destroyed) process.stderr.write(`${line}\n`);
};

function summary(info: StartResult): string {
  const lines = [
    info.alreadyUp ? `The Delphi sandbox is already up (since ${info.startedAt}); nothing was changed. Recreate it with: delphi-restore sandbox up --recreate` : `The Delphi sandbox is up (${info.upSeconds}s).`,
    `  database      ${info.databaseUrl.replace(/:[^:@/]+@/, ":***@")}`,
    `  backups       ${info.backupDir} (nightly: ${info.nightlyDump.split("/").at(-1)})`,
    ...(info.volume
      ? [`  volume        ${info.volume.filesystem} on ${info.volume.device} at ${info.volume.mount}: data in subvolume ${info.volume.dataSubvolume}, snapshots in ${info.volume.snapshotsDir}/ (nightly: ${info.volume.nightlySnapshot})`]
      : []),
    ...(info.wal ? [`  wal archive   ${info.wal.archiveDir}; base backups in ${info.wal.baseBackupsDir} (first: ${info.wal.firstBaseBackup}); data directory ${info.wal.dataDir}`] : []),
    `  hosts         ${info.hosts.map((h) => `${h.name}=${h.address}:${h.port}`).join("  ")}  (user ${info.hosts[0]?.user}, key ${info.sshKeyFile})`,
    `  telweb        ${info.telwebUrl}  login ${info.loginUrl} as ${info.adminUser}`,
    `  telemetry     ${info.telemetryUrl}`,
    `  stack config  ${info.configFile}  (secrets in ${info.secretsFile})`,
    `Try: ssh -i ${info.sshKeyFile} -p ${info.hosts[0]?.port} ${info.hosts[0]?.user}@${info.hosts[0]?.address} 'cd ${info.hosts[0]?.servicesRoot}/web && docker compose ps'`,
    "Stop it with: delphi-restore sandbox down",
  ];
  return lines.join("\n");
}

function hostCount(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < SANDBOX_HOSTS.length || n > MAX_SANDBOX_HOSTS) throw new InvalidArgumentError(`must be a whole number from ${SANDBOX_HOSTS.length} to ${MAX_SANDBOX_HOSTS}`);
  return n;
}

/**
 * A sandbox command that makes one thing (a snapshot, a base backup) and reports it: the object as
 * JSON with --json, else one line; a failure as {ok:false,error} or a progress line, exit 1.
 */
async function take<T>(what: string, json: boolean | undefined, make: () => Promise<T>, line: (made: T) => string): Promise<void> {
  try {
    const made = await make();
    process.stdout.write(json ? `${JSON.stringify(made, null, 2)}\n` : `${line(made)}\n`);
    process.exitCode = EXIT.OK;
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
    else progress(`sandbox ${what} failed: ${message}`);
    process.exitCode = EXIT.FAILED;
  }
}

export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command("sandbox").description("a small, real Delphi deployment on this machine (127.0.0.1 only), for the demo and the tests; it lives in <project>/.sandbox (DELPHI_RESTORE_PROJECT_DIR overrides the project folder)");

  sandbox
    .command("up")
    .description("start the sandbox (a Docker engine of its own, six SSH hosts each with a real compose project: Postgres, TelWeb, API, Voice, Ops, Media; a telemetry endpoint) and write Pulumi.sandbox.yaml; when it is already up, report it unchanged")
    .option("--json", "print one JSON object describing the sandbox on stdout")
    .option("--recreate", "tear down a running sandbox and start a fresh one")
    .option("--hosts <n>", `how many hosts, ${SANDBOX_HOSTS.length} to ${MAX_SANDBOX_HOSTS}: beyond the six, API hosts api2, api3, ... (a scaled-out deployment)`, hostCount, SANDBOX_HOSTS.length)
    .addOption(
      new Option("--volume <filesystem>", "keep the db host's Postgres data on a snapshotting volume: a btrfs subvolume on a loop device, with a read-only nightly snapshot (needs root)").choices(["btrfs"]),
    )
    .option("--wal-archive", "archive the database's WAL into the db host's backup/wal and take a base backup into backup/base (the material of a point-in-time restore); combines with --volume")
    .action(async (o: { json?: boolean; recreate?: boolean; hosts: number; volume?: VolumeKind; walArchive?: boolean }) => {
      // Ctrl-C while starting: let the start settle (it takes seconds), then remove what it made,
      // so an interrupted `up` leaves no daemons behind.
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
        progress("sandbox: interrupted; cleaning up once the start settles...");
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const info = await startSandbox({ projectDir: projectDir(), recreate: o.recreate, hosts: o.hosts, volume: o.volume, walArchive: o.walArchive, log: progress }).finally(async () => {
          if (interrupted) {
            await stopSandbox(projectDir(), { log: progress });
            process.exit(EXIT.INTERRUPTED);
          }
        });
        if (o.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        else process.stdout.write(`${summary(info)}\n`);
        process.exitCode = EXIT.OK;
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        if (o.json) process.stdout.write(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
        else progress(`sandbox up failed: ${message}`);
        process.exitCode = EXIT.FAILED;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  sandbox
    .command("snapshot")
    .description("take a read-only snapshot of the database's data subvolume now (a sandbox started with --volume btrfs); named manual-<yyyymmddThhmmssZ> unless --name is given")
    .option("--name <name>", "the snapshot's name: A-Z a-z 0-9 _ . -, starting with a letter or digit, at most 101 characters; an existing name is refused")
    .option("--json", "print one JSON object (name, path, createdAt) on stdout")
    .action((o: { name?: string; json?: boolean }) =>
      take("snapshot", o.json, () => takeVolumeSnapshot(projectDir(), o.name), (snap) => `Snapshot ${snap.name} taken at ${snap.createdAt}: ${snap.path} (read-only)`),
    );

  sandbox
    .command("basebackup")
    .description("take a base backup of the database now (a sandbox started with --wal-archive): pg_basebackup -Fp -X none into the db host's backup/base/base-<yyyymmddThhmmssZ>, usable once it returns (its WAL is archived)")
    .option("--json", "print one JSON object (name, path, startedAt, endedAt) on stdout")
    .action((o: { json?: boolean }) =>
      take("basebackup", o.json, () => takeBaseBackup(projectDir()), (b) => `Base backup ${b.name} taken (${b.startedAt} to ${b.endedAt}): ${b.path}`),
    );

  sandbox
    .command("events")
    .description("what the sandbox's Docker engine recorded for its containers, oldest first: every stop, start and command exec'd in them (after a restore: the runbook's order as the engine saw it)")
    .option("--since <time>", "only what happened after this ISO 8601 time")
    .option("--json", "print one JSON object ({ events: [...] }) on stdout")
    .action((o: { since?: string; json?: boolean }) => {
      const dir = projectDir();
      if (!sandboxStatus(dir).info) {
        progress(`no sandbox is up in ${dir} (delphi-restore sandbox up)`);
        process.exitCode = EXIT.FAILED;
        return;
      }
      const since = o.since ? new Date(o.since) : undefined;
      if (since && Number.isNaN(since.getTime())) {
        progress(`--since must be an ISO 8601 time (e.g. 2026-11-25T02:30:00Z), got '${o.since}'`);
        process.exitCode = EXIT.USAGE;
        return;
      }
      const rows = eventRows(readEngineOps(dir), since?.toISOString());
      if (o.json) process.stdout.write(`${JSON.stringify({ events: rows }, null, 2)}\n`);
      else process.stdout.write(`${rows.length ? eventsTable(rows, process.stdout.columns ?? 100) : "(nothing recorded)"}\n`);
      process.exitCode = EXIT.OK;
    });

  sandbox
    .command("down")
    .description("stop every sandbox process and remove .sandbox and Pulumi.sandbox.yaml")
    .option("--json", "print one JSON object on stdout")
    .action(async (o: { json?: boolean }) => {
      const r = await stopSandbox(projectDir(), { log: progress });
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!r.wasUp) process.stdout.write("The Delphi sandbox was not up; nothing to do.\n");
      else process.stdout.write("The Delphi sandbox is down and its folder removed.\n");
      process.exitCode = EXIT.OK;
    });
}
