// Pure: the Markdown notice for tenant admins. Written to be pasted as-is into an e-mail or
// status page, so it states the window in UTC and counts what each tenant lost, per table.
import type { LostRows } from "./plan";

export interface ReportInput {
  deployment: string;
  restorePoint: string;
  window: { from: string; to: string };
  lost: LostRows[];
  contact: string;
  tables: string[];
  generatedAt: string;
  /** Why lost rows were not counted (AWS: it needs SQL on the old database); replaces the counts. */
  lostRowsUnavailable?: string;
}

const HUMAN_TABLE: Record<string, string> = {
  conversations: "conversations",
  tools: "tool changes",
  billing_records: "billing records",
};

export function reportFileName(deployment: string, restorePoint: string): string {
  return `restore-${deployment}-${restorePoint.replace(/[-:]/g, "").replace(/\.\d+/, "")}.md`;
}

export function renderReport(r: ReportInput): string {
  const tenants = [...new Set(r.lost.map((l) => l.tenant))].sort();
  const total = r.lost.reduce((n, l) => n + l.count, 0);
  const lines = [
    `# Database restore of ${r.deployment}: what was lost`,
    "",
    `We restored the ${r.deployment} database to its state at **${r.restorePoint}** (UTC).`,
    `Every change written between **${r.window.from}** and **${r.window.to}** (UTC) is lost: new conversations, settings and tool changes, billing records.`,
    "",
    r.lostRowsUnavailable
      ? r.lostRowsUnavailable
      : total === 0
      ? "No tenant had rows newer than the restore point in the tables we count."
      : `${total} row${total === 1 ? "" : "s"} across ${tenants.length} tenant${tenants.length === 1 ? "" : "s"} were written after the restore point and are gone:`,
    "",
  ];
  if (total > 0 && !r.lostRowsUnavailable) {
    lines.push(`| tenant | ${r.tables.map((t) => HUMAN_TABLE[t] ?? t).join(" | ")} |`);
    lines.push(`|---|${r.tables.map(() => "---:").join("|")}|`);
    for (const t of tenants) {
      const counts = r.tables.map((tb) => String(r.lost.find((l) => l.tenant === t && l.table === tb)?.count ?? 0));
      lines.push(`| ${t} | ${counts.join(" | ")} |`);
    }
    lines.push("");
  }
  lines.push(
    "What to do: re-create anything your team changed in that window. Calls placed in the window were",
    "handled, but their conversation records are not in the restored database.",
    "",
    `Questions: ${r.contact}.`,
    "",
    `_Generated ${r.generatedAt} by delphi-restore. A snapshot of the database as it was before the restore is kept for investigation._`,
    "",
  );
  return lines.join("\n");
}
