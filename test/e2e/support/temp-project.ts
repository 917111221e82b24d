// A temp project folder for a sandbox (tests and benchmarks); no test framework here, so the
// benchmarks can import it.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function tempProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `delphi-${prefix}-e2e-`));
  chmodSync(dir, 0o755); // the postgres OS user must reach the data dir inside it
  return dir;
}

