// Where everything of the sandbox lives. One function per path, so the TypeScript side, the
// compose files (which mount these paths) and the tests agree.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Role } from "../config/schema";

export interface SandboxHostSpec {
  name: string;
  role: Role;
  /** The compose project under the host's services root. */
  project: string;
  /** The compose services of that project. */
  services: readonly string[];
}

/** The six Delphi hosts the sandbox runs, with the compose project and service each one holds. */
export const SANDBOX_HOSTS: readonly SandboxHostSpec[] = [
  { name: "web", role: "web", project: "web", services: ["voiceai-telweb"] },
  { name: "api", role: "api", project: "api", services: ["voiceai-api"] },
  { name: "voice", role: "voice", project: "voice", services: ["voiceai-voice"] },
  { name: "ops", role: "ops", project: "ops", services: ["voiceai-ops"] },
  { name: "media", role: "media", project: "media", services: ["voiceai-media"] },
  { name: "db", role: "db", project: "postgres", services: ["voiceai-postgres"] },
];

/** The most hosts a sandbox starts (an sshd each): enough for the host-scale benchmark's 40 consumers and the db host. */
export const MAX_SANDBOX_HOSTS = 48;

/** The number of an extra API host (`api2` ... `api43`), a deployment scaled out as large ones are; undefined for any other name. */
function extraHostNumber(name: string): number | undefined {
  const m = /^api([1-9][0-9]*)$/.exec(name);
  const n = m ? Number(m[1]) : 0;
  return n >= 2 && n <= MAX_SANDBOX_HOSTS - SANDBOX_HOSTS.length + 1 ? n : undefined;
}

const extraHost = (name: string): SandboxHostSpec => ({ name, role: "api", project: "api", services: ["voiceai-api"] });

/** The hosts of a sandbox of `count` hosts: the six, then API hosts api2, api3, ... */
export function sandboxHostSpecs(count: number = SANDBOX_HOSTS.length): SandboxHostSpec[] {
  if (!Number.isInteger(count) || count < SANDBOX_HOSTS.length || count > MAX_SANDBOX_HOSTS)
    throw new Error(`a sandbox has ${SANDBOX_HOSTS.length} to ${MAX_SANDBOX_HOSTS} hosts (got ${count})`);
  return [...SANDBOX_HOSTS, ...Array.from({ length: count - SANDBOX_HOSTS.length }, (_, i) => extraHost(`api${i + 2}`))];
}

export const DB_NAME = "delphi";
export const DB_USER = "delphi";
export const ADMIN_EMAIL = "restore-check@delphi.example";
export const STACK_NAME = "sandbox";

export function hostSpec(name: string): SandboxHostSpec {
  const spec = SANDBOX_HOSTS.find((h) => h.name === name) ?? (extraHostNumber(name) !== undefined ? extraHost(name) : undefined);
  if (!spec) throw new Error(`unknown sandbox host '${name}' (known: ${SANDBOX_HOSTS.map((h) => h.name).join(", ")}, api2 ... api${MAX_SANDBOX_HOSTS - SANDBOX_HOSTS.length + 1})`);
  return spec;
}

/** The names of the hosts a sandbox folder holds (the six when it holds none yet), in start order. */
export function sandboxHostNames(L: { dir: string }): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(L.dir, "hosts"));
  } catch {
    return SANDBOX_HOSTS.map((h) => h.name);
  }
  // The six in their order, then the extra hosts by number; anything else is not a host.
  const rank = (n: string) => {
    const i = SANDBOX_HOSTS.findIndex((h) => h.name === n);
    return i >= 0 ? i : SANDBOX_HOSTS.length + (extraHostNumber(n) ?? Number.NaN);
  };
  return names.filter((n) => !Number.isNaN(rank(n))).sort((a, b) => rank(a) - rank(b));
}

/** All sandbox paths for one project checkout. */
export function layout(projectDir: string) {
  const root = resolve(projectDir);
  const dir = join(root, ".sandbox");
  const host = (name: string) => {
    const hdir = join(dir, "hosts", name);
    const servicesRoot = join(hdir, "opt", "services");
    const spec = hostSpec(name);
    return {
      dir: hdir,
      bin: join(hdir, "bin"),
      servicesRoot,
      projectDir: join(servicesRoot, spec.project),
      faults: join(hdir, "faults"),
      holds: join(hdir, "holds"),
      standins: join(hdir, "standins"),
      sshdConfig: join(hdir, "sshd_config"),
      hostKey: join(hdir, "ssh_host_ed25519_key"),
      authorizedKeys: join(hdir, "authorized_keys"),
      sshdPid: join(hdir, "sshd.pid"),
      sshdLog: join(hdir, "sshd.log"),
      session: join(hdir, "session"),
    };
  };
  // The db host's volume folder: the mount point of the btrfs volume in volume mode, a plain
  // folder otherwise. The data directory is `data` in it either way, so every path to it (the
  // database container's mount, postgres.ts, the restore's commands) is the same in both modes.
  const volumeMount = join(host("db").dir, "volume");
  // The nightly dumps' folder; in WAL mode the archive and the base backups sit beside them.
  const backupDir = join(host("db").dir, "backup");
  return {
    projectDir: root,
    dir,
    stateFile: join(dir, "state.json"),
    secretsFile: join(dir, "secrets.json"),
    configFile: join(root, `Pulumi.${STACK_NAME}.yaml`),
    reportsDir: join(dir, "reports"),
    keysDir: join(dir, "keys"),
    clientKey: join(dir, "keys", "id_ed25519"),
    knownHosts: join(dir, "keys", "known_hosts"),
    pg: {
      dir: join(dir, "pg"),
      data: join(volumeMount, "data"),
      socketDir: join(dir, "pg", "run"),
      passFile: join(dir, "pg", "pgpass"),
    },
    volume: {
      mount: volumeMount,
      /** Where the read-only snapshots of `data` go (a plain folder on the volume). */
      snapshots: join(volumeMount, "snapshots"),
      /** The backing image and the loop device it is attached to, outside the mount. */
      dir: join(dir, "volume"),
      image: join(dir, "volume", "pg-volume.img"),
      deviceFile: join(dir, "volume", "device"),
    },
    /** The hosts' shared fault and hold hooks, which every host's `docker` runs before the real CLI. */
    hostDocker: {
      dir: join(dir, "host-docker"),
      hooks: join(dir, "host-docker", "hooks.sh"),
    },
    /** The engine's events for this sandbox's containers, streamed by `docker events` (engine-events.ts). */
    engineEvents: {
      file: join(dir, "engine-events.jsonl"),
      pid: join(dir, "engine-events.pid"),
    },
    telemetry: join(dir, "telemetry", "heartbeats.log"),
    http: {
      dir: join(dir, "http"),
      pid: join(dir, "http", "server.pid"),
      ports: join(dir, "http", "ports.json"),
      log: join(dir, "http", "server.log"),
    },
    /** WAL mode (`sandbox up --wal-archive`): where archive_command copies segments, and the base backups. */
    wal: {
      archive: join(backupDir, "wal"),
      baseBackups: join(backupDir, "base"),
    },
    host,
    backupDir,
    migrationsDir: join(host("web").projectDir, "migrations"),
  };
}

export type Layout = ReturnType<typeof layout>;
