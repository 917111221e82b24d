// `sandbox events`: what the sandbox's Docker engine recorded for its containers (stops, starts,
// the commands exec'd in them), oldest first. After a restore it shows the runbook's order as the
// engine saw it: the pre-restore pg_dump inside voiceai-postgres, every stop, the pg_restore,
// TelWeb alone, every other start, the verify queries.
import Table from "cli-table3";
import type { EngineOp } from "../sandbox";
import { COMPACT } from "./table-style";

/** What happened, in an operator's words, or undefined for the engine's bookkeeping (exits, stop ends, creates). */
function what(op: EngineOp): string | undefined {
  if (op.verb === "stop" && op.event === "start") return "stop";
  if (op.verb === "start") return "start";
  if (op.verb === "exec" && op.event === "start") return `exec ${op.detail}`;
  if (op.verb === "exec" && op.event === "failed") return `exec failed: ${op.detail}`;
  if (op.verb === "die" && op.event === "failed") return `exited (${op.detail})`;
  return undefined;
}

/** The operator's view of the record: one row per stop, start and exec (a failed one too). */
export function eventRows(ops: EngineOp[], since = ""): { ts: string; host: string; service: string; what: string }[] {
  return ops.flatMap((op) => {
    const w = op.ts > since ? what(op) : undefined;
    return w === undefined ? [] : [{ ts: op.ts, host: op.host, service: op.service, what: w }];
  });
}

export function eventsTable(rows: ReturnType<typeof eventRows>, width = 100): string {
  const t = new Table({ head: ["time (UTC)", "host", "container", "what"], ...COMPACT, wordWrap: true, colWidths: [null, null, null, Math.max(30, width - 52)] });
  for (const r of rows) t.push([r.ts.slice(11, 23), r.host, r.service, r.what]);
  return t.toString();
}
