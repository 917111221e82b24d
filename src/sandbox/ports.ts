// Free TCP ports on 127.0.0.1. The kernel picks them (bind to port 0), so two sandboxes or a
// busy machine do not collide on a hard-coded range; `taken` keeps one run's ports distinct.
import { createServer } from "node:net";

export const LOOPBACK = "127.0.0.1";

function onePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error("could not read the port the kernel picked"))));
    });
  });
}

/** `count` distinct free ports (not guaranteed to stay free, but the window is milliseconds). */
export async function freePorts(count: number, taken: Set<number> = new Set()): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < count && tries < count * 20; tries++) {
    const p = await onePort();
    if (!taken.has(p)) {
      taken.add(p);
      out.push(p);
    }
  }
  if (out.length < count) throw new Error(`could not find ${count} free TCP ports on ${LOOPBACK}`);
  return out;
}
