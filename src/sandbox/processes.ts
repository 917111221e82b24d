// Stopping the sandbox's own daemons by pid. A pid file can outlive its process and the pid be
// reused, so a pid is only signalled when its command line still names what we started.
import { readdirSync, readFileSync } from "node:fs";

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A background pre-restore snapshot (`snapshot: after`) is running on a sandbox db host: a `flock`
 * holding its lock (the host's /tmp is this machine's). For the bench and the tests, which must
 * not drop or fingerprint the data it is still reading.
 */
export function preRestoreSnapshotRunning(): boolean {
  return readdirSync("/proc").some((p) => /^\d+$/.test(p) && /^flock \S*delphi-restore-pre-restore-/.test(cmdline(Number(p))));
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Alive and not a zombie (a zombie holds no port and only waits for its parent to reap it). */
export function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Children, grandchildren... of pid, read from /proc (sshd's per-session processes, for one). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended while we read the table.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift() as number;
    for (const [child, parent] of parentOf) if (parent === p && !out.includes(child)) (out.push(child), queue.push(child));
  }
  return out;
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").split("\n")[0].trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  let left = pids.filter(running);
  while (left.length && Date.now() < end) {
    await sleep(50);
    left = left.filter(running);
  }
  return left;
}

/**
 * TERM the process and its descendants when its command line contains `mustMention`, then KILL
 * whatever is left after the grace period. Returns false when the pid was not ours.
 */
export async function stopProcessTree(pid: number, mustMention: string, graceMs = 5000): Promise<boolean> {
  if (!running(pid) || !cmdline(pid).includes(mustMention)) return false;
  const all = [...descendants(pid), pid];
  for (const p of all) {
    try {
      process.kill(p, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  const left = await waitGone(all, graceMs);
  for (const p of left) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  await waitGone(left, 2000);
  return true;
}
