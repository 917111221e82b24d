// Who holds a stack's update lock, read from the local (file://) backend's lock files, so a second
// operator is told who runs an update and since when, and a lock left by a killed driver (its
// process gone) is told apart from a live one. Other backends report locks through the engine.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface StackLock {
  file: string;
  pid: number;
  username: string;
  hostname: string;
  timestamp: string;
  /** False when the holder ran on this machine and its process is gone (a killed driver). */
  alive: boolean;
}

/** The lock files of a stack in a file:// backend (the only kind whose files we can read). */
export function stackLocks(backendUrl: string | undefined, project: string, stack: string): StackLock[] {
  if (!backendUrl?.startsWith("file://")) return [];
  const dir = join(fileURLToPath(backendUrl), ".pulumi", "locks", "organization", project, stack);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => {
      try {
        const l = JSON.parse(readFileSync(join(dir, f), "utf8")) as { pid: number; username: string; hostname: string; timestamp: string };
        return [{ file: join(dir, f), ...l, alive: l.hostname !== hostname() || processAlive(l.pid) }];
      } catch {
        return [];
      }
    });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process whose parent died too may linger unreaped (a zombie): it is not running.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
  } catch {
    return true;
  }
}

export function describeLock(l: StackLock): string {
  return `${l.username}@${l.hostname} (pid ${l.pid}) since ${l.timestamp.replace(/\.\d+Z$/, "Z")}${l.alive ? "" : " - that process is gone (killed?)"}`;
}

/** Remove a lock whose process is gone; a live one is never touched. */
export function removeStaleLock(l: StackLock): void {
  if (l.alive) throw new Error(`refusing to remove a live lock: ${describeLock(l)}`);
  rmSync(l.file, { force: true });
}
