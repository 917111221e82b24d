// The sandbox's programmatic API: startSandbox / stopSandbox / sandboxStatus, used by the CLI
// (`delphi-restore sandbox up|down`) and the e2e tests, plus the tests' hooks re-exported.
// The public entry of src/sandbox/: ./engine (the Docker engine), ./hosts (sshd, compose projects,
// the services), ./postgres (cluster, seed, WAL, volume), ./faults (fault hooks), ./images (the
// service images); the root holds the layout, state, ports, processes and stack config they share.
// Imports of the restore: src/config and src/shell only (and the WAL segment names).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinaries, findVolumeBinaries, type Binaries, type VolumeBinaries } from "./binaries";
import { dbContainerState, startDatabase } from "./postgres/db-container";
import { startEventRecorder } from "./engine/events";
import { ensureEngine, engineLayout, engineRunning } from "./engine";
import { sandboxId } from "./hosts/compose-files";
import { prepareHosts, writeComposeFiles } from "./hosts/host-docker";
import { composeInputs, startHttp, startServices, waitForTelweb } from "./hosts/services";
import { ensureImages } from "./images";
import { ADMIN_EMAIL, DB_NAME, DB_USER, layout, sandboxHostNames, sandboxHostSpecs, STACK_NAME, type Layout, type SandboxHostSpec } from "./layout";
import { randomPassword } from "./postgres/password";
import { freePorts, LOOPBACK } from "./ports";
import { createRole, currentUser, initCluster } from "./postgres";
import { cmdline, readPid, running } from "./processes";
import { installMigrations, pendingMigration, seedDatabase, takeNightlyBackup } from "./postgres/seed";
import { keygen, startSshHost } from "./hosts/ssh-hosts";
import { writeStackConfig } from "./stack-config";
import { stopSandbox } from "./stop";

export { stopSandbox, type StopResult } from "./stop";
import { readState, writeState, type SandboxHost, type SandboxInfo, type SandboxVolume, type SandboxWal } from "./state";
import { createVolume, listSnapshots, mountedAt, releaseVolumes, requireRootForVolume, snapshotData, type VolumeKind, type VolumeSnapshot, type VolumeSnapshotEntry } from "./postgres/volume";
import { baseBackup, prepareWalDirs, walArchiveConf } from "./postgres/wal";

export { ADMIN_EMAIL, SANDBOX_HOSTS, MAX_SANDBOX_HOSTS, layout } from "./layout";
export { sandboxRestoreConfig } from "./stack-config";
export type { SandboxHost, SandboxInfo, SandboxVolume, SandboxWal } from "./state";
export { takeBaseBackup, switchWal, listArchive, type BaseBackup } from "./postgres/wal";
export type { VolumeKind, VolumeSnapshot, VolumeSnapshotEntry } from "./postgres/volume";
export { readEngineOps, parseEngineEvents, type EngineOp } from "./engine/events";
export { dbContainerName } from "./postgres/db-container";
export { engineLayout, engineRunning, dockerEnv } from "./engine";
export { injectFault, clearFaults, hostDown, hostUp, addMigration, removeMigration, holdAt, waitUntilHeld, release, standIn, clearStandIns, dropConnections, revokeClientKey, restoreClientKey, rebootHost } from "./faults";
export { setActiveCalls } from "./hosts/active-calls";
export { writePostBackupRows, TENANTS, type PostBackupRows, type PostBackupRow } from "./postgres/post-backup";
export { MissingProgramError } from "./binaries";


export interface StartOptions {
  /** The project folder; the sandbox goes into <projectDir>/.sandbox. */
  projectDir: string;
  /** Tear down a running sandbox and make a new one (default: report the running one). */
  recreate?: boolean;
  /** How many hosts (default six: web, api, voice, ops, media, db); more are API hosts api2, api3, ... */
  hosts?: number;
  /**
   * "btrfs": the db host's data directory is a subvolume of a btrfs volume on a loop device, with
   * read-only snapshots (a nightly one at start). Needs root. Default: a plain folder.
   */
  volume?: VolumeKind;
  /**
   * Archive WAL into the db host's backup/wal and take a base backup into backup/base at start:
   * the material of a point-in-time restore. Postgres then runs durable. Combines with `volume`.
   */
  walArchive?: boolean;
  /** Progress lines (the CLI sends them to stderr). */
  log?: (line: string) => void;
}

export interface StartResult extends SandboxInfo {
  /** True when the sandbox was already up and was left as it was. */
  alreadyUp: boolean;
}

export interface SandboxStatus {
  up: boolean;
  info?: SandboxInfo;
  /** What is missing or dead when the sandbox folder exists but is not (fully) up. */
  problems: string[];
}


export function sandboxStatus(projectDir: string): SandboxStatus {
  const L = layout(projectDir);
  const info = readState(L);
  if (!info) return { up: false, problems: existsSync(L.dir) ? ["the sandbox folder exists but has no state file (an interrupted `up`?)"] : [] };
  const problems: string[] = [];
  const alive = (pid: number | undefined, mention: string) => pid !== undefined && running(pid) && cmdline(pid).includes(mention);
  if (info.volume && !mountedAt(L.volume.mount)) problems.push(`the data volume is not mounted at ${L.volume.mount}`);
  if (!engineRunning()) problems.push("the sandbox's Docker engine is not running");
  else if (!dbContainerState(L).running) problems.push("the voiceai-postgres container is not running");
  if (!alive(readPid(L.http.pid), L.dir)) problems.push("the HTTP endpoints are not running");
  for (const h of sandboxHostNames(L)) if (!alive(readPid(L.host(h).sshdPid), L.host(h).sshdConfig)) problems.push(`sshd of host ${h} is not running`);
  return { up: problems.length === 0, info, problems };
}

async function startSshHosts(L: Layout, bins: Binaries, specs: SandboxHostSpec[], ports: number[], user: string): Promise<void> {
  await keygen(bins, L.clientKey, "delphi-restore-sandbox");
  const pub = readFileSync(`${L.clientKey}.pub`, "utf8");
  const lines = await Promise.all(specs.map((h, i) => startSshHost(L, bins, h, ports[i], user, pub)));
  // Pinned host keys, so clients can check them (StrictHostKeyChecking=yes) instead of trusting blindly.
  writeFileSync(L.knownHosts, `${lines.map((l) => l.line).join("\n")}\n`);
}

export async function startSandbox(opts: StartOptions): Promise<StartResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const L = layout(opts.projectDir);
  const status = sandboxStatus(opts.projectDir);
  if (status.up && status.info && !opts.recreate) {
    log(`sandbox: already up since ${status.info.startedAt}; left as it is (use --recreate for a fresh one)`);
    if ((opts.volume ?? "none") !== (status.info.volume?.filesystem ?? "none"))
      log(`sandbox: note: the running sandbox has ${status.info.volume ? `a ${status.info.volume.filesystem} data volume` : "no data volume"}; --recreate makes one as asked`);
    if (Boolean(opts.walArchive) !== Boolean(status.info.wal))
      log(`sandbox: note: the running sandbox ${status.info.wal ? "archives WAL" : "does not archive WAL"}; --recreate makes one as asked`);
    return { ...status.info, alreadyUp: true };
  }
  // What this start needs is checked before a previous sandbox is removed for it.
  const specs = sandboxHostSpecs(opts.hosts);
  const bins = findBinaries();
  let vb: VolumeBinaries | undefined;
  if (opts.volume) {
    if (opts.volume !== "btrfs") throw new Error(`unknown volume kind '${String(opts.volume)}' (known: btrfs)`);
    requireRootForVolume();
    vb = findVolumeBinaries();
  }
  if (existsSync(L.dir)) {
    log(status.info && !opts.recreate ? `sandbox: found a broken sandbox (${status.problems.join("; ")}); removing it` : "sandbox: removing the previous sandbox");
    await stopSandbox(opts.projectDir);
  } else {
    // A loop device whose image went with a removed folder (a killed sandbox cleaned by hand).
    const released = await releaseVolumes(L).catch(() => []);
    if (released.length) log(`sandbox: released what a previous sandbox left: ${released.join(", ")}`);
  }
  mkdirSync(L.dir, { recursive: true, mode: 0o755 });
  const user = currentUser();
  const [pgPort, telwebPort, ...sshPorts] = await freePorts(2 + specs.length);
  const dbPassword = randomPassword();
  const adminPassword = randomPassword();
  let nightlyDump = "";
  let volume: SandboxVolume | undefined;
  let wal: SandboxWal | undefined;
  try {
    await ensureEngine({ id: sandboxId(L), dir: L.dir }, log);
    // The engine's record of this sandbox's containers, from before the first one starts.
    startEventRecorder(L);
    await prepareHosts(L, bins, specs);
    installMigrations(L);
    const httpTask = startHttp(L).then((h) => {
      log(`sandbox: telemetry on ${LOOPBACK}:${h.ports.telemetry}`);
      return h;
    });
    const imagesTask = ensureImages(bins.pgBin, log);
    // The slow parts run side by side: the images and the database chain, the SSH servers, the HTTP process.
    const database = (async () => {
      if (vb) {
        const device = await createVolume(L, vb);
        log(`sandbox: btrfs volume on ${device} mounted at ${L.volume.mount}`);
        volume = { filesystem: "btrfs", mount: L.volume.mount, dataSubvolume: "data", snapshotsDir: "snapshots", nightlySnapshot: "", device };
      }
      if (opts.walArchive) await prepareWalDirs(L);
      // Durable in WAL mode too: pg_basebackup and recovery need full page writes.
      await initCluster(L, bins, pgPort, { durable: vb !== undefined || opts.walArchive === true, conf: opts.walArchive ? walArchiveConf(L) : [] });
      const images = await imagesTask;
      const http = await httpTask;
      writeComposeFiles(L, specs, composeInputs(images, pgPort, telwebPort, http.ports.telemetry));
      await startDatabase(L, bins, pgPort);
      await createRole(L, bins, pgPort, dbPassword);
      log(`sandbox: voiceai-postgres on ${LOOPBACK}:${pgPort} (data in ${L.pg.data})`);
      await seedDatabase(L, bins.pgBin, pgPort, adminPassword);
      nightlyDump = await takeNightlyBackup(L, bins.pgBin, pgPort);
      log(`sandbox: seeded 3 tenants; nightly backup ${nightlyDump}`);
      if (vb && volume) {
        // The nightly job's snapshot, beside its dump: both predate the pending migration.
        volume.nightlySnapshot = (await snapshotData(L, vb, { kind: "nightly" })).name;
        log(`sandbox: nightly snapshot ${join(L.volume.snapshots, volume.nightlySnapshot)}`);
      }
      if (opts.walArchive) {
        // Like the dump, it predates the pending migration the services apply next.
        const base = await baseBackup(L, bins, pgPort);
        wal = { archiveDir: L.wal.archive, baseBackupsDir: L.wal.baseBackups, dataDir: L.pg.data, firstBaseBackup: base.name };
        log(`sandbox: WAL archived into ${L.wal.archive}; base backup ${base.path}`);
      }
      await startServices(L, specs.filter((h) => h.name !== "db"));
      await waitForTelweb(telwebPort);
      log(`sandbox: services started on every host (TelWeb applied ${pendingMigration()}); telweb on ${LOOPBACK}:${telwebPort}`);
    })();
    const ssh = startSshHosts(L, bins, specs, sshPorts, user).then(() => log(`sandbox: sshd for ${specs.map((h, i) => `${h.name}:${sshPorts[i]}`).join(" ")}`));
    // allSettled: never tear down while a sibling task is still starting processes.
    const [dbDone, sshDone, httpDone, imagesDone] = await Promise.allSettled([database, ssh, httpTask, imagesTask]);
    for (const r of [dbDone, sshDone, httpDone, imagesDone]) if (r.status === "rejected") throw r.reason;
    if (httpDone.status !== "fulfilled") throw new Error("the HTTP endpoints did not start");
    const http = httpDone.value;
    const { ports } = http;

    writeFileSync(L.secretsFile, `${JSON.stringify({ sshPrivateKey: readFileSync(L.clientKey, "utf8"), adminPassword }, null, 2)}\n`, { mode: 0o600 });
    const hosts: SandboxHost[] = specs.map((h, i) => ({
      name: h.name,
      address: LOOPBACK,
      port: sshPorts[i],
      user,
      role: h.role,
      servicesRoot: L.host(h.name).servicesRoot,
      services: [h.project],
      containers: [...h.services],
    }));
    const E = engineLayout();
    const sshd: Record<string, number> = {};
    for (const h of specs) sshd[h.name] = readPid(L.host(h.name).sshdPid) ?? 0;
    // Key order is the reading order of `sandbox up --json`: what to run against first.
    const info: SandboxInfo = {
      stack: STACK_NAME,
      configFile: L.configFile,
      secretsFile: L.secretsFile,
      databaseUrl: `postgres://${DB_USER}:${encodeURIComponent(dbPassword)}@${LOOPBACK}:${pgPort}/${DB_NAME}`,
      backupDir: L.backupDir,
      nightlyDump,
      hosts,
      sshKeyFile: L.clientKey,
      knownHostsFile: L.knownHosts,
      telwebUrl: `http://${LOOPBACK}:${telwebPort}/health`,
      loginUrl: `http://${LOOPBACK}:${telwebPort}/api/auth/login`,
      telemetryUrl: `http://${LOOPBACK}:${ports.telemetry}/api/v1/services`,
      adminUser: ADMIN_EMAIL,
      database: { host: LOOPBACK, port: pgPort, name: DB_NAME, user: DB_USER, pgBin: bins.pgBin },
      pendingMigration: pendingMigration(),
      reportsDir: L.reportsDir,
      projectDir: L.projectDir,
      stateDir: L.dir,
      ...(volume ? { volume } : {}),
      ...(wal ? { wal } : {}),
      engine: { dockerHost: E.host, dockerConfig: E.config, dataRoot: E.dataRoot },
      // Settled above without a rejection: this await only reads its value.
      images: await imagesTask,
      pids: { postgres: dbContainerState(L).pid, http: http.pid, sshd },
      startedAt: new Date(t0).toISOString(),
      upSeconds: Math.round((Date.now() - t0) / 100) / 10,
    };
    writeStackConfig(L, info);
    writeState(L, info);
    log(`sandbox: up in ${info.upSeconds}s; stack config ${info.configFile}`);
    return { ...info, alreadyUp: false };
  } catch (e) {
    log(`sandbox: start failed, cleaning up: ${(e as Error).message}`);
    await stopSandbox(opts.projectDir).catch(() => undefined);
    throw e;
  }
}

/** The running sandbox's volume, or why there is none. */
function volumeOf(projectDir: string): { L: Layout; vb: VolumeBinaries } {
  const L = layout(projectDir);
  const info = readState(L);
  if (!info) throw new Error(`no sandbox is up in ${L.projectDir} (delphi-restore sandbox up --volume btrfs)`);
  if (!info.volume) throw new Error("the sandbox has no btrfs data volume: start it with `delphi-restore sandbox up --recreate --volume btrfs`");
  requireRootForVolume();
  if (!mountedAt(L.volume.mount)) throw new Error(`the sandbox's data volume is not mounted at ${L.volume.mount}; recreate the sandbox`);
  return { L, vb: findVolumeBinaries() };
}

/**
 * A read-only snapshot of the running database's data subvolume, as an operator takes one
 * before a risky change: `manual-<yyyymmddThhmmssZ>` unless named. Names are one path segment of
 * A-Z a-z 0-9 _ . - (^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$); an existing name is refused.
 */
export async function takeVolumeSnapshot(projectDir: string, name?: string): Promise<VolumeSnapshot> {
  const { L, vb } = volumeOf(projectDir);
  return snapshotData(L, vb, { name, kind: "manual" });
}

/** The volume's snapshots, oldest first, with btrfs' creation time and read-only flag. */
export async function listVolumeSnapshots(projectDir: string): Promise<VolumeSnapshotEntry[]> {
  const { L, vb } = volumeOf(projectDir);
  return listSnapshots(L, vb);
}
