// Rows written after the nightly backup: what a restore to that backup loses, and what the
// tenant notice must count. Tests write them, restore, and check they are gone (and counted).
import { layout } from "../layout";
import { delphiSql } from ".";
import { readState } from "../state";

export interface PostBackupRow {
  table: "conversations" | "tools" | "billing_records";
  tenant: string;
  id: string;
}

export interface PostBackupRows {
  /** When they were written (all rows have created_at at or after this moment). */
  writtenAt: string;
  rows: PostBackupRow[];
  /** table -> tenant -> count, the shape of the "lost rows" report. */
  counts: Record<string, Record<string, number>>;
}

export const TENANTS = ["ten_acme", "ten_globex", "ten_initech"] as const;

/** Insert `perTenant` new conversations, tools and billing records for every tenant. */
export async function writePostBackupRows(projectDir: string, perTenant = 2): Promise<PostBackupRows> {
  const L = layout(projectDir);
  const state = readState(L);
  if (!state) throw new Error("the sandbox is not up (no state file); run `delphi-restore sandbox up` first");
  const writtenAt = new Date().toISOString();
  const tag = Date.now().toString(36);
  const rows: PostBackupRow[] = [];
  const sql: string[] = ["BEGIN;"];
  for (const tenant of TENANTS) {
    const t = tenant.slice(4);
    for (let i = 1; i <= perTenant; i++) {
      const conv = `conv_post_${t}_${tag}_${i}`;
      const tool = `tool_post_${t}_${tag}_${i}`;
      const bill = `bill_post_${t}_${tag}_${i}`;
      rows.push({ table: "conversations", tenant, id: conv }, { table: "tools", tenant, id: tool }, { table: "billing_records", tenant, id: bill });
      sql.push(
        `INSERT INTO conversations (id, tenant_id, title, created_at) VALUES ('${conv}', '${tenant}', 'Call after the nightly backup #${i}', clock_timestamp());`,
        `INSERT INTO tools (id, tenant_id, name, created_at) VALUES ('${tool}', '${tenant}', 'post-backup-tool-${i}', clock_timestamp());`,
        `INSERT INTO billing_records (id, tenant_id, amount_cents, created_at) VALUES ('${bill}', '${tenant}', ${1000 + i}, clock_timestamp());`,
      );
    }
  }
  sql.push("COMMIT;");
  await delphiSql(L, state.database.pgBin, state.database.port, sql.join("\n"));
  const counts: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    counts[r.table] ??= {};
    counts[r.table][r.tenant] = (counts[r.table][r.tenant] ?? 0) + 1;
  }
  return { writtenAt, rows, counts };
}
