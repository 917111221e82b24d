// How this project runs one command on one host: the OpenSSH client (the operator's own ssh, with
// their ssh_config, ProxyJump and agent), batch mode, the host key pinned to exactly the one in
// config, a connect timeout and keepalives; or `/bin/sh -c` for a host marked local. Preflight
// (src/cli/ssh.ts) and the host-command resource (./host-command.ts) both call runOnHost.
//
// SELF-CONTAINED ON PURPOSE: Pulumi serialises the dynamic provider's functions, and every
// function they call, into the stack's state (`__provider`) and runs that text in its provider
// host, which may not see this checkout. So this file imports nothing at run time (types only),
// requires Node built-ins inside the functions, and captures no secret: keys and passwords are
// arguments, never module state.

export interface HostTarget {
  /** The host's name in config (`hosts.<name>`): used in messages and as the host-key alias. */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Run through /bin/sh on this machine instead of over SSH. */
  local: boolean;
  /** The host's public key, `<type> <base64>` (as in known_hosts or `<key>.pub`); required over SSH. */
  hostKey?: string;
}

export interface ExecOptions {
  /** The private key (OpenSSH/PEM text). Without it, ssh uses the agent and ssh_config's identities. */
  privateKey?: string;
  /** Fed to the command's standard input (secrets go here, never on a command line). */
  stdin?: string;
  /** Kill the command after this many seconds (0 = never). */
  timeoutSeconds?: number;
  /** Seconds to wait for the TCP connection and the SSH handshake. */
  connectTimeoutSeconds?: number;
  /** Every chunk of standard output as it arrives (a long output read as a stream; only the tail is kept in the result). */
  onStdout?: (chunk: Buffer) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  startedAt: string;
  endedAt: string;
  timedOut: boolean;
}

/** Output kept per stream: the tail, since markers are printed last and state stays small. */
const KEEP_BYTES = 256 * 1024;

/** The ssh host-key alias of a config host: known_hosts is keyed by it, not by address:port. */
export function hostKeyAlias(name: string): string {
  return `delphi-restore-${name}`;
}

/** The one known_hosts line a connection trusts. */
export function knownHostsLine(target: HostTarget): string {
  return `${hostKeyAlias(target.name)} ${(target.hostKey ?? "").trim().split(/\s+/).slice(0, 2).join(" ")}\n`;
}

/** `SHA256:...` as `ssh-keygen -lf` prints it, from a `<type> <base64>` public key. */
export function hostKeyFingerprint(hostKey: string): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const [type, b64] = hostKey.trim().split(/\s+/);
  const digest = createHash("sha256").update(Buffer.from(b64 ?? "", "base64")).digest("base64").replace(/=+$/, "");
  return `${type} SHA256:${digest}`;
}

/** Seconds a shared connection stays open after its last command (OpenSSH ControlPersist). */
export const SHARE_SECONDS = 120;

/**
 * The folder for shared connections' sockets: private to this user (0700, owned, not a link),
 * or undefined when it cannot be made so; commands then connect one by one, as before.
 * DELPHI_RESTORE_SSH_SHARING=off turns sharing off.
 */
export function shareDir(): string | undefined {
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  if (process.env.DELPHI_RESTORE_SSH_SHARING === "off") return undefined;
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `delphi-restore-ssh-${uid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch {
    // It exists (checked below) or cannot be made.
  }
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The socket of the connection shared by every command to one host with one identity: named for
 * the address, port, user, pinned host key and private key (hashed), so a changed key in config
 * never rides on a connection made with the old one.
 */
export function sharePath(dir: string, target: HostTarget, privateKey = ""): string {
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const id = createHash("sha256").update(JSON.stringify([target.address, target.port, target.user, target.hostKey ?? "", privateKey])).digest("hex").slice(0, 24);
  return `${dir}/${id}`;
}

/** The ssh argv (without the program) for a target, given the files runOnHost wrote. */
export function sshArgs(target: HostTarget, files: { knownHosts: string; identity?: string; share?: string }, command: string, connectTimeoutSeconds = 10): string[] {
  return [
    "-T",
    "-p", String(target.port),
    "-l", target.user,
    ...(files.identity ? ["-i", files.identity, "-o", "IdentitiesOnly=yes"] : []),
    "-o", "BatchMode=yes",
    // Exactly the pinned key: no trust on first use, no user or system known_hosts, no updates.
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${files.knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `HostKeyAlias=${hostKeyAlias(target.name)}`,
    "-o", "UpdateHostKeys=no",
    "-o", `ConnectTimeout=${connectTimeoutSeconds}`,
    // A dead peer is noticed within a minute instead of hanging an incident for hours.
    "-o", "ServerAliveInterval=15",
    "-o", "ServerAliveCountMax=4",
    "-o", "LogLevel=ERROR",
    // Connection sharing: the first command to a host opens a connection that later ones use
    // (quiesce, confirm and resume of 20 hosts pay one handshake each, not one per command).
    ...(files.share ? ["-o", "ControlMaster=auto", "-o", `ControlPath=${files.share}`, "-o", `ControlPersist=${SHARE_SECONDS}`] : []),
    target.address,
    "--",
    command,
  ];
}

/** Why ssh itself failed (exit 255), in words an operator can act on; undefined when it did not. */
export function explainSshFailure(target: HostTarget, exitCode: number, stderr: string): string | undefined {
  if (target.local || exitCode !== 255) return undefined;
  const where = `host ${target.name} (${target.user}@${target.address}:${target.port})`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key .* differs|No .* host key is known/i.test(stderr))
    return `${where} presented a host key that differs from hosts.${target.name}.hostKey (${target.hostKey ? hostKeyFingerprint(target.hostKey) : "none set"}); nothing was run on it. If the host was really re-keyed, check the new key out of band and update hosts.${target.name}.hostKey`;
  if (/Permission denied|Too many authentication failures/i.test(stderr)) return `${where} refused the SSH key (is its public key in the user's authorized_keys?)`;
  const last = stderr.trim().split("\n").at(-1) ?? "";
  // Dropped after the command started: it may run on there; a re-run waits for it (oneAtATime).
  if (/closed by remote host|Connection reset|Broken pipe|Timeout, server .* not responding|client_loop/i.test(stderr))
    return `${where} dropped the SSH connection while the command ran (${last}); the command may still be running there, and a re-run waits for it to end before running it again`;
  if (/Connection refused|timed out|No route to host|Could not resolve|Network is unreachable|Connection closed/i.test(stderr)) return `${where} cannot be reached over SSH (${last})`;
  return undefined;
}

/** Exit code of oneAtATime when an earlier run still held the command's lock after the wait. */
export const STILL_RUNNING_EXIT = 197;

/**
 * The command wrapped so that the same command never runs twice at once on a host. An SSH
 * connection that drops (or a client-side timeout) ends the client, not the command: it runs on
 * on the host. A re-run of that command then waits (flock on a lock file named for it) until the
 * earlier one ended, instead of running beside it: two pg_restore --clean at once would corrupt
 * the restore. The command gets the lock through its own process tree only (flock -o): a service
 * it starts in the background does not keep the lock.
 */
export function oneAtATime(label: string, command: string, waitSeconds: number): string {
  const q = (s: string) => `'${s.replace(/'/g, `'"'"'`)}'`;
  const lock = `/tmp/delphi-restore.${label.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`;
  return [
    `command -v flock >/dev/null 2>&1 || { echo ${q("flock is not installed on this host (Debian/Ubuntu: util-linux): it keeps a re-run from overlapping a command that is still running; nothing was run")} >&2; exit 127; }`,
    `flock -n ${q(lock)} true || echo ${q(`waiting: an earlier run of ${label} is still running on this host (its SSH connection dropped or it timed out); this run starts when it ends`)} >&2`,
    `exec flock -o${waitSeconds > 0 ? ` -w ${waitSeconds}` : ""} -E ${STILL_RUNNING_EXIT} ${q(lock)} sh -c ${q(command)}`,
  ].join("\n");
}

/** Run one command on a host; resolves with its exit code and output (it never rejects on a non-zero exit). */
export function runOnHost(target: HostTarget, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const fs = require("node:fs") as typeof import("node:fs");
  const os = require("node:os") as typeof import("node:os");
  const path = require("node:path") as typeof import("node:path");
  const startedAt = new Date().toISOString();
  let dir: string | undefined;
  let share: string | undefined;
  let program = "/bin/sh";
  let args = ["-c", command];
  if (!target.local) {
    if (!target.hostKey) return Promise.reject(new Error(`host ${target.name} has no pinned host key (hosts.${target.name}.hostKey); refusing to connect`));
    // A private folder per call: the key is written 0600, used once and removed.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "delphi-restore-ssh-"));
    const knownHosts = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHosts, knownHostsLine(target), { mode: 0o600 });
    let identity: string | undefined;
    if (opts.privateKey) {
      identity = path.join(dir, "id");
      fs.writeFileSync(identity, opts.privateKey.endsWith("\n") ? opts.privateKey : `${opts.privateKey}\n`, { mode: 0o600 });
    }
    program = "ssh";
    const shares = shareDir();
    share = shares && sharePath(shares, target, opts.privateKey);
    args = sshArgs(target, { knownHosts, identity, share }, command, opts.connectTimeoutSeconds ?? 10);
  }
  const cleanup = () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };
  return new Promise<ExecResult>((resolve, reject) => {
    // Its own process group: a timeout kills the command's children too (not only the shell), and
    // an operator's Ctrl-C reaches the engine, which lets running commands finish.
    const child = spawn(program, args, { stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"], detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    };
    const keep = (acc: Buffer[], chunk: Buffer) => {
      acc.push(chunk);
      let total = acc.reduce((n, b) => n + b.length, 0);
      while (total > KEEP_BYTES && acc.length > 1) total -= (acc.shift() as Buffer).length;
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => {
      opts.onStdout?.(c);
      keep(out, c);
    });
    child.stderr?.on("data", (c: Buffer) => keep(err, c));
    if (opts.stdin !== undefined && child.stdin) {
      child.stdin.on("error", () => undefined); // a command that does not read its stdin is fine
      child.stdin.end(opts.stdin);
    }
    let timedOut = false;
    const timer = opts.timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          killGroup("SIGTERM");
          setTimeout(() => killGroup("SIGKILL"), 5000).unref();
        }, opts.timeoutSeconds * 1000)
      : undefined;
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      cleanup();
      reject(new Error(`cannot run ${program} for host ${target.name}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      cleanup();
      const text = (acc: Buffer[]) => Buffer.concat(acc).toString("utf8").slice(-KEEP_BYTES);
      let stderr = text(err);
      // A shared connection that drops ends its commands with 255 and no word (the connection's
      // own process says it, to no one). Its socket then answers no more: say what ssh says.
      if (code === 255 && share && !/\S/.test(stderr)) {
        const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
        if (spawnSync("ssh", ["-O", "check", "-o", `ControlPath=${share}`, target.address], { stdio: "ignore", timeout: 5000 }).status !== 0) stderr = `Connection to ${target.address} closed by remote host.\n`;
      }
      resolve({
        exitCode: code ?? (signal ? 128 + os.constants.signals[signal] : 1),
        stdout: text(out),
        stderr,
        startedAt,
        endedAt: new Date().toISOString(),
        timedOut,
      });
    });
  });
}
