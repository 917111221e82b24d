// Pure: the notice for the tenant's admin after a single-tenant recovery, and its summary lines.
import type { LeftAlone, OwnedTable } from "./catalog";

export interface NoticeInput {
  deployment: string;
  tenant: string;
  source: string;
  sourceTime?: string;
  mode: "missing" | "replace";
  applied: { table: string; inserted: number; updated: number }[];
  tables: OwnedTable[];
  leftAlone: LeftAlone[];
  contact: string;
  generatedAt: string;
}

export function noticeFileName(tenant: string, stamp: string): string {
  return `tenant-${tenant.replace(/[^A-Za-z0-9_.-]/g, "-")}-${stamp}.md`;
}

export function renderNotice(n: NoticeInput): string {
  const total = n.applied.reduce((s, a) => s + a.inserted + a.updated, 0);
  const lines = [
    `# Data recovered for ${n.tenant} on ${n.deployment}`,
    "",
    `${total} row${total === 1 ? "" : "s"} of your data ${total === 1 ? "was" : "were"} brought back from the backup of ${n.sourceTime ?? "(unknown time)"} (${n.source}).`,
    n.mode === "replace" ? "Rows that differed from the backup were set back to the backup's values." : "Only rows that were missing were brought back; rows you have changed or written since were left as they are.",
    "No service was stopped, and no other tenant's data was touched.",
    "",
    "| table | rows brought back | rows set back to the backup |",
    "|---|---|---|",
    ...n.applied.map((a) => `| ${a.table} | ${a.inserted} | ${a.updated} |`),
    "",
  ];
  const defaulted = n.tables.filter((t) => t.defaulted.length > 0);
  if (defaulted.length > 0) {
    lines.push("Fields added since the backup were set to their defaults on the rows brought back:", ...defaulted.map((t) => `- ${t.name}: ${t.defaulted.join(", ")}`), "");
  }
  lines.push(`Questions: ${n.contact}. Generated ${n.generatedAt}.`, "");
  return lines.join("\n");
}
