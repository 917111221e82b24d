// voiceai-postgres, the db host's database container: started the way the host's boot would
// (`docker compose up -d` in its project), waited for until it accepts connections, and asked
// whether it runs (the sandbox's status, a reboot).
import { join } from "node:path";
import { execa, execaSync } from "execa";
import type { Binaries } from "../binaries";
import { projectName } from "../hosts/compose-files";
import { docker, dockerEnv, engineLayout } from "../engine";
import type { Layout } from "../layout";

export const DB_SERVICE = "voiceai-postgres";

/** The container's name on the engine (compose's `<project>-<service>-1`). */
export function dbContainerName(L: Layout): string {
  return `${projectName(L, "db")}-${DB_SERVICE}-1`;
}

/** `docker compose <args>` in a host's project folder, on the sandbox's engine. */
export function compose(L: Layout, host: string, args: string[]): Promise<string> {
  return docker(["compose", ...args], { cwd: L.host(host).projectDir });
}

/** The container's state on the engine, synchronously (the status check is synchronous). */
export function dbContainerState(L: Layout): { running: boolean; pid: number } {
  const E = engineLayout();
  try {
    const r = execaSync(E.cli, ["inspect", "--format", "{{.State.Running}} {{.State.Pid}}", dbContainerName(L)], { env: dockerEnv(E), reject: false, stdin: "ignore", timeout: 10_000 });
    const [running, pid] = String(r.stdout).trim().split(" ");
    return r.exitCode === 0 ? { running: running === "true", pid: Number(pid) || 0 } : { running: false, pid: 0 };
  } catch {
    return { running: false, pid: 0 };
  }
}

/** Start the container and wait until the server accepts connections on its socket; a server that exits fails with its own log lines. */
export async function startDatabase(L: Layout, bins: Pick<Binaries, "pgBin">, port: number, timeoutMs = 60_000): Promise<void> {
  await compose(L, "db", ["up", "-d", DB_SERVICE]);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ready = await execa(join(bins.pgBin, "pg_isready"), ["-q", "-h", L.pg.socketDir, "-p", String(port)], { reject: false, stdin: "ignore" });
    if (ready.exitCode === 0) return;
    if (!dbContainerState(L).running || Date.now() > end) {
      const logs = await compose(L, "db", ["logs", "--no-color", "--tail", "10", DB_SERVICE]).catch((e: Error) => e.message);
      throw new Error(`${DB_SERVICE} ${Date.now() > end ? `did not accept connections within ${timeoutMs / 1000}s` : "exited"}: ${logs.trim().split("\n").slice(-5).join(" / ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
