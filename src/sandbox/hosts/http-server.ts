// Entry point of the detached HTTP process: `node ... http-server.ts <config.json>`. It writes
// its ports to the sandbox once it listens (the parent waits for that file) and exits on TERM.
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { layout } from "../layout";
import { serveEndpoints, type HttpConfig } from "./http-endpoints";

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2], "utf8")) as HttpConfig;
  const L = layout(cfg.projectDir);
  const { ports, close } = await serveEndpoints(cfg);
  // Written whole, then renamed: the parent polls for this file and must never read it half-written.
  writeFileSync(`${L.http.ports}.tmp`, JSON.stringify(ports));
  renameSync(`${L.http.ports}.tmp`, L.http.ports);
  const stop = () => void close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox http endpoints failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
