// What `sandbox up` reports and `sandbox down` needs: one JSON file in the sandbox folder (0600,
// it holds the database URL with its password), read back by later commands and the tests.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Layout } from "./layout";

export interface SandboxHost {
  name: string;
  address: string;
  port: number;
  user: string;
  role: string;
  /** Absolute path of the host's /opt/services (its compose projects' folders). */
  servicesRoot: string;
  /** Compose project folders under servicesRoot (one each in the sandbox). */
  services: string[];
  /** Compose services of those projects. */
  containers: string[];
}

/** The db host's btrfs data volume (volume mode, `sandbox up --volume btrfs`). */
export interface SandboxVolume {
  filesystem: "btrfs";
  /** The mount point: the db host's volume folder. */
  mount: string;
  /** The subvolume that is Postgres' data directory, relative to the mount. */
  dataSubvolume: "data";
  /** The folder of read-only snapshots, relative to the mount. */
  snapshotsDir: "snapshots";
  /** The read-only snapshot taken right after the nightly dump (a name in snapshotsDir). */
  nightlySnapshot: string;
  /** The loop device the volume's image file is attached to. */
  device: string;
}

/** WAL mode (`sandbox up --wal-archive`): what a point-in-time restore (mechanism wal-pitr) works from. */
export interface SandboxWal {
  /** Where archive_command copies every finished WAL segment (the db host's backup/wal). */
  archiveDir: string;
  /** The base backups, one folder each (pg_basebackup -Fp -X none; the db host's backup/base). */
  baseBackupsDir: string;
  /** Postgres' data directory, where a restore puts a base backup. */
  dataDir: string;
  /** The base backup taken at start, after the nightly dump (a folder name in baseBackupsDir). */
  firstBaseBackup: string;
}

export interface SandboxInfo {
  stack: string;
  projectDir: string;
  stateDir: string;
  /** The Pulumi stack config written for the sandbox (no secrets in it). */
  configFile: string;
  /** 0600 JSON with sshPrivateKey and adminPassword, to be set as Pulumi secrets. */
  secretsFile: string;
  databaseUrl: string;
  database: { host: string; port: number; name: string; user: string; pgBin: string };
  backupDir: string;
  /** The "nightly backup" taken right after seeding. */
  nightlyDump: string;
  /** The migration the nightly backup predates (applied again by reconcile after a restore). */
  pendingMigration: string;
  hosts: SandboxHost[];
  sshKeyFile: string;
  knownHostsFile: string;
  telwebUrl: string;
  loginUrl: string;
  telemetryUrl: string;
  adminUser: string;
  reportsDir: string;
  /** Present in volume mode only: then the data directory is the `data` subvolume of this volume. */
  volume?: SandboxVolume;
  /** Present in WAL mode only: the WAL archive and base backups. */
  wal?: SandboxWal;
  /** The images the containers run (built or reused by `sandbox up`). */
  images: { postgres: string; service: string };
  /** The sandbox's Docker engine: `DOCKER_HOST=<dockerHost> docker ps` shows its containers. */
  engine: { dockerHost: string; dockerConfig: string; dataRoot: string };
  /** postgres: the database container's init process (host pid). */
  pids: { postgres: number; http: number; sshd: Record<string, number> };
  startedAt: string;
  upSeconds: number;
}

export function writeState(L: Layout, info: SandboxInfo): void {
  writeFileSync(L.stateFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export function readState(L: Layout): SandboxInfo | undefined {
  if (!existsSync(L.stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(L.stateFile, "utf8")) as SandboxInfo;
  } catch {
    return undefined;
  }
}
