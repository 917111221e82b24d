// The number of live calls Voice reports (`docker compose exec -T voiceai-voice voiceai-calls
// active` on the voice host). Quiesce must refuse to stop Voice while it is above 0.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { layout } from "../layout";

export function setActiveCalls(projectDir: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`active calls must be a whole number >= 0, got ${n}`);
  // Mounted into voiceai-voice at /state, where its voiceai-calls reads it.
  const dir = join(layout(projectDir).host("voice").projectDir, "state");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "active-calls"), `${n}\n`);
}
