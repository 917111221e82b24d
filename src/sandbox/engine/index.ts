// src/sandbox/engine/: the sandbox's Docker engine (this file) and its event record (./events.ts).
// Imports the sandbox's root files (binaries, processes) and the compose labels of ../hosts.
//
// The sandbox's own Docker engine: a dockerd started by hand with its data and exec roots, socket,
// pid file and config under the per-user cache (never the machine's default socket, never a
// systemd unit), no bridge and no iptables rules (every container uses the host's network, so all
// traffic stays on loopback). Images persist in its data root across checkouts. Sandboxes register
// as its users; the last one to go down stops it and unmounts what it left.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { MissingProgramError } from "../binaries";
import { cmdline, readPid, running, waitGone } from "../processes";

/** The per-user cache scripts/setup.sh uses (Pulumi CLI, compose plugin, images). */
export function cacheDir(): string {
  return process.env.DELPHI_RESTORE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "delphi-restore");
}

/** The compose plugin version scripts/setup.sh builds (toolchain/compose/VERSION). */
export function composeVersion(): string {
  return readFileSync(resolve(__dirname, "..", "..", "..", "toolchain", "compose", "VERSION"), "utf8").trim();
}

export interface Engine {
  dir: string;
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST. */
  host: string;
  /** DOCKER_CONFIG: holds cli-plugins/docker-compose, and nothing of the user's own config. */
  config: string;
  /** The docker CLI (Debian's docker.io, the engine's own version). */
  cli: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  log: string;
  users: string;
}

export function engineLayout(): Engine {
  const dir = join(cacheDir(), "docker-engine");
  const socket = join(dir, "docker.sock");
  return {
    dir,
    socket,
    host: `unix://${socket}`,
    config: join(dir, "config"),
    cli: "/usr/bin/docker",
    dataRoot: join(dir, "data"),
    execRoot: join(dir, "exec"),
    pidFile: join(dir, "dockerd.pid"),
    log: join(dir, "dockerd.log"),
    users: join(dir, "users"),
  };
}

/** The environment every docker CLI call of the sandbox runs with. */
export function dockerEnv(E: Engine = engineLayout()): Record<string, string> {
  return { DOCKER_HOST: E.host, DOCKER_CONFIG: E.config, DOCKER_BUILDKIT: "0", DOCKER_CLI_HINTS: "false" };
}

/** Run the docker CLI against the sandbox's engine; throws with its stderr on failure. */
export async function docker(args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const E = engineLayout();
  const r = await execa(E.cli, args, { env: dockerEnv(E), cwd: opts.cwd, input: opts.input, stdin: opts.input === undefined ? "ignore" : undefined, reject: false, timeout: opts.timeoutMs ?? 600_000 });
  if (r.exitCode !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim().split("\n").slice(-6).join(" / ")}`);
  return String(r.stdout);
}

function dockerdPid(E: Engine): number | undefined {
  const pid = readPid(E.pidFile);
  return pid !== undefined && running(pid) && cmdline(pid).includes(E.dataRoot) ? pid : undefined;
}

/** The engine answers on its socket (GET /_ping). */
export function ping(E: Engine = engineLayout(), timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ socketPath: E.socket, path: "/_ping", timeout: timeoutMs }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on("error", () => done(false));
    req.on("timeout", () => {
      req.destroy();
      done(false);
    });
    req.end();
  });
}

export function engineRunning(E: Engine = engineLayout()): boolean {
  return dockerdPid(E) !== undefined;
}

function requireEngineParts(E: Engine): { dockerd: string; plugin: string } {
  if (process.getuid?.() !== 0) throw new Error("the sandbox runs its services on a Docker engine of its own, which needs root: run `sandbox up` as root");
  const dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].find((p) => existsSync(p));
  if (!dockerd) throw new MissingProgramError("dockerd", "docker.io", "the sandbox runs every host's services as real compose projects on a Docker engine");
  if (!existsSync(E.cli)) throw new MissingProgramError("docker", "docker.io", "the sandbox's hosts run the docker CLI");
  const plugin = join(cacheDir(), `compose-v${composeVersion()}`, "docker-compose");
  if (!existsSync(plugin)) throw new Error(`the docker compose plugin v${composeVersion()} is not built (${plugin}); run scripts/setup.sh, which builds it from the Go module proxy`);
  return { dockerd, plugin };
}

/** Paths mounted under the engine's roots (overlay layers, a netns file), deepest first. */
export function mountsUnder(roots: string[], mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): string[] {
  const points = mountinfo
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => typeof p === "string" && p !== "")
    // mountinfo escapes spaces and the like as \040 (octal).
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => roots.some((r) => p === r || p.startsWith(`${r}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

async function unmountLeftovers(E: Engine): Promise<string[]> {
  const left = mountsUnder([E.dataRoot, E.execRoot]);
  for (const p of left) await execa("umount", ["-l", p], { reject: false });
  return left;
}

/**
 * Start the engine unless one this cache started answers. Registers `user` (a sandbox folder) so
 * `releaseEngine` knows when the last user has gone. Returns true when it was started now.
 */
export async function ensureEngine(user: { id: string; dir: string }, log: (line: string) => void = () => undefined): Promise<boolean> {
  const E = engineLayout();
  const { dockerd, plugin } = requireEngineParts(E);
  mkdirSync(join(E.config, "cli-plugins"), { recursive: true });
  const link = join(E.config, "cli-plugins", "docker-compose");
  rmSync(link, { force: true });
  symlinkSync(plugin, link);
  mkdirSync(E.users, { recursive: true });
  writeFileSync(join(E.users, user.id), `${user.dir}\n`);
  if (dockerdPid(E) !== undefined && (await ping(E))) return false;
  if (dockerdPid(E) === undefined) {
    // A killed engine leaves its layers and netns mounted: dockerd would trip over them.
    const cleaned = await unmountLeftovers(E);
    if (cleaned.length) log(`sandbox: unmounted ${cleaned.length} mounts a stopped engine left`);
    mkdirSync(E.dataRoot, { recursive: true });
    mkdirSync(E.execRoot, { recursive: true });
    // An empty config file of our own: /etc/docker/daemon.json (the machine's) must not apply.
    const daemonJson = join(E.dir, "daemon.json");
    writeFileSync(daemonJson, "{}\n");
    const out = openSync(E.log, "a");
    const child = spawn(
      dockerd,
      [
        `--config-file=${daemonJson}`,
        `--data-root=${E.dataRoot}`,
        `--exec-root=${E.execRoot}`,
        `--pidfile=${E.pidFile}`,
        `--host=${E.host}`,
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
        "--userland-proxy=false",
        "--log-level=warn",
      ],
      { detached: true, stdio: ["ignore", out, out], cwd: "/" },
    );
    closeSync(out);
    child.unref();
  }
  const end = Date.now() + 60_000;
  while (!(await ping(E))) {
    if (Date.now() > end) {
      const tail = existsSync(E.log) ? readFileSync(E.log, "utf8").trim().split("\n").slice(-5).join(" / ") : "";
      throw new Error(`the sandbox's Docker engine did not answer on ${E.socket} within 60s: ${tail || "no output"}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`sandbox: Docker engine started (${E.socket})`);
  return true;
}

/** Sandboxes registered as users whose folder still exists (a removed folder's entry is stale). */
export function engineUsers(E: Engine = engineLayout()): string[] {
  let ids: string[] = [];
  try {
    ids = readdirSync(E.users);
  } catch {
    return [];
  }
  return ids.filter((id) => {
    const dir = readFileSync(join(E.users, id), "utf8").trim();
    // The folder, not its state file: a sandbox still starting has no state file yet.
    return dir !== "" && existsSync(dir);
  });
}

/**
 * Unregister a sandbox; when no other uses the engine, stop it (TERM, then KILL after 20 s) and
 * unmount what it leaves under its roots. Returns what was stopped, for `sandbox down`'s line.
 */
export async function releaseEngine(userId: string): Promise<string[]> {
  const E = engineLayout();
  rmSync(join(E.users, userId), { force: true });
  if (engineUsers(E).length > 0) return [];
  const pid = dockerdPid(E);
  const stopped: string[] = [];
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    if ((await waitGone([pid], 20_000)).length) process.kill(pid, "SIGKILL");
    await waitGone([pid], 5000);
    stopped.push("docker engine");
  }
  const cleaned = await unmountLeftovers(E);
  if (cleaned.length) stopped.push(`${cleaned.length} engine mounts`);
  return stopped;
}
