// Pure: the ten-second summary of a restore's blast radius as text (its data is
// src/runbook/summary.ts and each mechanism's summary.ts; `--json` prints that same data).
import Table from "cli-table3";
import { COMPACT } from "./table-style";
import type { Summary } from "../runbook/summary";

export type { Summary } from "../runbook/summary";

export function renderSummary(s: Summary): string {
  const head = new Table({ ...COMPACT, wordWrap: true, colWidths: [20, 86] });
  head.push(
    { "Stack / deployment": `${s.stack} / ${s.deployment}` },
    { Mechanism: `${s.mechanism} (order: ${s.order})` },
    { "Restore point": s.restorePoint },
    { "Data lost": `every write from ${s.dataLossWindow.from} to ${s.dataLossWindow.to}` },
    { [`From ${s.source}`]: s.dump },
    { "Restores into": s.restoreTarget + (s.keptOldDatabase ? ` (old database kept as ${s.keptOldDatabase})` : "") },
    { Downtime: s.downtime },
    { "Services stopped": s.stops.map((h) => `${h.host}: ${h.services.join(", ")}`).join("\n") },
  );
  const steps = new Table({ head: ["#", "step", "host", "what runs"], ...COMPACT, wordWrap: true, colWidths: [4, 22, 10, 70] });
  s.steps.forEach((st, i) => {
    st.commands.forEach((c, j) => steps.push([j === 0 ? String(i + 1) : "", j === 0 ? st.title : "", c.host, c.description]));
    if (st.commands.length === 0) steps.push([String(i + 1), st.title, "-", "(nothing configured)"]);
  });
  return `${head.toString()}\n${steps.toString()}`;
}
