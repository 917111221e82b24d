// Pure: the Markdown notice for tenant admins. Written to be pasted as-is into an e-mail or
// status page: it states the window in UTC and, per tenant, exactly which rows of which table were
// inserted, updated or deleted after the restore point (compared by primary key with the kept
// data), with the keys, so an admin knows what to re-enter.
import type { LostWrites } from "./markers";

export interface ReportInput {
  deployment: string;
  restorePoint: string;
  window: { from: string; to: string };
  lost: LostWrites[];
  contact: string;
  tables: string[];
  generatedAt: string;
  /** Why lost rows were not counted (AWS: it needs SQL on the old database); replaces the counts. */
  lostRowsUnavailable?: string;
  /** Where the replaced data is kept (a database, a data subvolume or directory), if it is. */
  kept?: string;
  /** The file beside the notice with every key (tenant, table, change, key). */
  keysFile?: string;
}

const HUMAN_TABLE: Record<string, string> = {
  conversations: "conversations",
  tools: "tools",
  billing_records: "billing records",
};

/** Keys listed per tenant, table and change in the notice itself; the keys file has them all. */
export const KEYS_IN_NOTICE = 20;

export function reportFileName(deployment: string, restorePoint: string): string {
  return `restore-${deployment}-${restorePoint.replace(/[-:]/g, "").replace(/\.\d+/, "")}.md`;
}

/** The keys file beside the notice: one line per key, tab-separated, with a header. */
export function keysFileText(lost: LostWrites[]): string {
  return ["tenant\ttable\tchange\tkey", ...lost.flatMap((l) => l.keys.map((k) => `${l.tenant}\t${l.table}\t${l.change}\t${k}`))].join("\n") + "\n";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function renderReport(r: ReportInput): string {
  const tenants = [...new Set(r.lost.map((l) => l.tenant))].sort();
  const total = r.lost.reduce((n, l) => n + l.count, 0);
  const count = (t: string, tb: string, ch: LostWrites["change"]) => r.lost.find((l) => l.tenant === t && l.table === tb && l.change === ch)?.count ?? 0;
  const lines = [
    `# Database restore of ${r.deployment}: what was lost`,
    "",
    `We restored the ${r.deployment} database to its state at **${r.restorePoint}** (UTC).`,
    `Every change written between **${r.window.from}** and **${r.window.to}** (UTC) is not in the restored database: new conversations, settings and tool changes, billing records, and deletions.`,
    "",
    r.lostRowsUnavailable
      ? r.lostRowsUnavailable
      : total === 0
        ? "No tenant's rows differ between the restored database and the data as it was when the services stopped, in the tables we compare."
        : `${plural(total, "row")} across ${plural(tenants.length, "tenant")} were written after the restore point and are not in the restored database (compared row by row, by primary key, with the data as it was when the services stopped):`,
    "",
  ];
  if (total > 0 && !r.lostRowsUnavailable) {
    lines.push("| tenant | table | inserted | updated | deleted |", "|---|---|---:|---:|---:|");
    for (const t of tenants)
      for (const tb of r.tables) {
        const [i, u, d] = (["inserted", "updated", "deleted"] as const).map((ch) => count(t, tb, ch));
        if (i + u + d > 0) lines.push(`| ${t} | ${HUMAN_TABLE[tb] ?? tb} | ${i} | ${u} | ${d} |`);
      }
    lines.push("");
    for (const t of tenants) {
      lines.push(`## ${t}`, "");
      for (const l of r.lost.filter((x) => x.tenant === t)) {
        const shown = l.keys.slice(0, KEYS_IN_NOTICE);
        const more = l.count - shown.length;
        const what = l.change === "inserted" ? "added" : l.change === "updated" ? "changed" : "deleted";
        // The keys file holds every key the comparison printed (at most KEYS_PRINTED of a kind).
        const where = r.keysFile ? ` (${l.keys.length < l.count ? `the first ${l.keys.length} are` : "all are"} in ${r.keysFile})` : "";
        lines.push(`- ${HUMAN_TABLE[l.table] ?? l.table} ${what} (${l.count}): ${shown.map((k) => `\`${k}\``).join(", ")}${more > 0 ? `, and ${more} more${where}` : ""}`);
      }
      lines.push("");
    }
    lines.push(
      "What to do: re-enter what your team added or changed in that window, and delete again what was deleted in it (the keys above name each row).",
      "Calls placed in the window were handled, but their conversation records are not in the restored database.",
      "",
    );
  } else {
    lines.push("What to do: re-create anything your team changed in that window.", "");
  }
  lines.push(
    `Questions: ${r.contact}.`,
    "",
    `_Generated ${r.generatedAt} by delphi-restore. ${r.kept ? `The data as it was when the services stopped is kept (${r.kept}) until the operators sign off.` : "A snapshot of the database as it was before the restore is kept for investigation."}_`,
    "",
  );
  return lines.join("\n");
}
