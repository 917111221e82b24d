// The e2e suite's global set-up: the sandbox's Docker engine started once, before any file, and
// held by the suite as one more user until every file is done. Files then run side by side
// (vitest.e2e.config.mts) without racing each other to start the engine, or one file's last
// `sandbox down` stopping it under another's start. DELPHI_E2E_OWN_ENGINE=1 leaves the engine to
// the files themselves: the sandbox test runs that way, to see the last user stop it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const USER = "e2e-suite";

export async function setup(): Promise<() => Promise<void>> {
  if (process.env.DELPHI_E2E_OWN_ENGINE === "1") return async () => undefined;
  const engine = await import("../../../src/sandbox/engine");
  // A user's folder must exist for the engine to count it (engineUsers).
  const dir = mkdtempSync(join(tmpdir(), "delphi-e2e-suite-"));
  await engine.ensureEngine({ id: USER, dir });
  return async () => {
    await engine.releaseEngine(USER);
    rmSync(dir, { recursive: true, force: true });
  };
}
