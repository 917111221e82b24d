// Stopping a sandbox: its containers (`docker compose down` of every host's project), every
// process it started (HTTP, an sshd per host, the events recorder, strays), the Docker engine when
// no other sandbox uses it, its volume's mounts and loop devices, then its folder and the stack
// config it wrote.
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sandboxId } from "./hosts/compose-files";
import { compose } from "./postgres/db-container";
import { engineRunning, releaseEngine } from "./engine";
import { stopEventRecorder } from "./engine/events";
import { layout, sandboxHostNames, type Layout } from "./layout";
import { cmdline, readPid, stopProcessTree } from "./processes";
import { stopSshHost } from "./hosts/ssh-hosts";
import { releaseVolumes } from "./postgres/volume";

/** The first line of a stack config the sandbox wrote (so down removes only its own). */
export const CONFIG_MARKER = "# The `sandbox` stack: a local Delphi deployment made by `delphi-restore sandbox up`";

/** Processes still running from inside the sandbox folder (a safety net after the orderly stops). */
function strayPids(L: Layout): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (cmdline(Number(entry)).includes(`${L.dir}/`)) out.push(Number(entry));
  }
  return out;
}

export interface StopResult {
  /** False when there was nothing to stop. */
  wasUp: boolean;
  stopped: string[];
}

/** Stop every sandbox process (HTTP, an sshd per host, postgres), then remove .sandbox and the stack config. */
export async function stopSandbox(projectDir: string, opts: { log?: (line: string) => void } = {}): Promise<StopResult> {
  const log = opts.log ?? (() => undefined);
  const L = layout(projectDir);
  const stopped: string[] = [];
  const ownConfig = existsSync(L.configFile) && readFileSync(L.configFile, "utf8").startsWith(CONFIG_MARKER);
  if (!existsSync(L.dir)) {
    if (ownConfig) rmSync(L.configFile, { force: true });
    // A loop device can outlive its folder (a killed sandbox whose folder was removed by hand).
    const released = await releaseVolumes(L).catch(() => []);
    if (released.length) log(`sandbox: ${released.join(", ")}`);
    return { wasUp: false, stopped };
  }
  const httpPid = readPid(L.http.pid);
  const sshStops = sandboxHostNames(L).map(async (h) => ((await stopSshHost(L, h)) ? stopped.push(`sshd ${h}`) : undefined));
  const httpStop = httpPid !== undefined ? stopProcessTree(httpPid, L.dir).then((ok) => (ok ? stopped.push("http endpoints") : undefined)) : Promise.resolve();
  // Every container of the sandbox, the database's last (its clients stop first, as on a host).
  const downTask = (async () => {
    if (!engineRunning()) return;
    const hosts = sandboxHostNames(L).filter((h) => existsSync(join(L.host(h).projectDir, "compose.yaml")));
    const down = (h: string) =>
      compose(L, h, ["down", "--volumes", "--timeout", "20"]).then(
        () => stopped.push(`containers of ${h}`),
        (e: Error) => log(`sandbox: docker compose down on ${h} failed: ${e.message}`),
      );
    await Promise.all(hosts.filter((h) => h !== "db").map(down));
    if (hosts.includes("db")) await down("db");
  })();
  await Promise.all([...sshStops, httpStop, downTask]);
  if (await stopEventRecorder(L)) stopped.push("engine events recorder");
  stopped.push(...(await releaseEngine(sandboxId(L))));
  for (const pid of strayPids(L)) if (await stopProcessTree(pid, L.dir, 2000)) stopped.push(`stray process ${pid}`);
  // Only with nothing mounted under it may the folder go: rm would otherwise delete a live volume's files.
  stopped.push(...(await releaseVolumes(L)));
  rmSync(L.dir, { recursive: true, force: true });
  if (ownConfig) rmSync(L.configFile, { force: true });
  log(`sandbox: down (${stopped.length ? `stopped ${stopped.join(", ")}` : "nothing was running"}); removed ${L.dir}`);
  return { wasUp: true, stopped };
}
