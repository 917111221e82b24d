// The tenant-admin notice: restore point, window, per-tenant and per-table counts of what was
// inserted, updated and deleted after the restore point, the keys (the first few; all in the keys
// file), contact; ready to paste.
import { describe, expect, it } from "vitest";
import type { LostWrites } from "../../src/runbook";
import { KEYS_IN_NOTICE, keysFileText, renderReport, reportFileName, type ReportInput } from "../../src/runbook/notice";

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}_${String(i + 1).padStart(3, "0")}`);
const lost: LostWrites[] = [
  { table: "conversations", tenant: "ten_globex", change: "inserted", count: 2, keys: keys("conv_g", 2) },
  { table: "conversations", tenant: "ten_acme", change: "inserted", count: 4, keys: keys("conv_a", 4) },
  { table: "conversations", tenant: "ten_acme", change: "deleted", count: 1, keys: ["conv_old"] },
  { table: "billing_records", tenant: "ten_acme", change: "updated", count: 1, keys: ["bill_9"] },
];

const base: ReportInput = {
  deployment: "delphi-prod-eu1",
  restorePoint: "2026-11-23T02:00:00Z",
  window: { from: "2026-11-23T02:00:00Z", to: "2026-11-23T03:11:00Z" },
  lost,
  contact: "oncall@delphi.example",
  tables: ["conversations", "tools", "billing_records"],
  generatedAt: "2026-11-23T03:25:00Z",
};

describe("renderReport", () => {
  it("states the restore point, the window and the contact", () => {
    const md = renderReport(base);
    expect(md).toContain("# Database restore of delphi-prod-eu1: what was lost");
    expect(md).toContain("**2026-11-23T02:00:00Z** (UTC)");
    expect(md).toContain("between **2026-11-23T02:00:00Z** and **2026-11-23T03:11:00Z** (UTC) is not in the restored database");
    expect(md).toContain("Questions: oncall@delphi.example.");
  });

  it("counts per tenant (sorted) and table, inserted / updated / deleted, with a row only where something changed", () => {
    const md = renderReport(base);
    expect(md).toContain("8 rows across 2 tenants were written after the restore point and are not in the restored database (compared row by row, by primary key,");
    expect(md).toContain("| tenant | table | inserted | updated | deleted |");
    const rows = md.split("\n").filter((l) => l.startsWith("| ten_"));
    expect(rows).toEqual([
      "| ten_acme | conversations | 4 | 0 | 1 |",
      "| ten_acme | billing records | 0 | 1 | 0 |",
      "| ten_globex | conversations | 2 | 0 | 0 |",
    ]);
  });

  it("lists the keys per tenant, table and change, so an admin knows what to re-enter or delete again", () => {
    const md = renderReport(base);
    const acme = md.slice(md.indexOf("## ten_acme"), md.indexOf("## ten_globex"));
    expect(acme).toContain("- conversations added (4): `conv_a_001`, `conv_a_002`, `conv_a_003`, `conv_a_004`\n");
    expect(acme).toContain("- conversations deleted (1): `conv_old`\n");
    expect(acme).toContain("- billing records changed (1): `bill_9`\n");
    expect(md.slice(md.indexOf("## ten_globex"))).toContain("- conversations added (2): `conv_g_001`, `conv_g_002`\n");
    expect(md).toContain("re-enter what your team added or changed in that window, and delete again what was deleted in it");
  });

  it(`shows at most ${KEYS_IN_NOTICE} keys per list, then how many more and where they all are`, () => {
    const many: LostWrites[] = [{ table: "tools", tenant: "ten_acme", change: "inserted", count: 57, keys: keys("tool", 57) }];
    const md = renderReport({ ...base, lost: many, keysFile: "restore-delphi-prod-eu1-20261123T020000Z.keys.tsv" });
    const line = md.split("\n").find((l) => l.startsWith("- tools added")) ?? "";
    expect(line.match(/`tool_\d+`/g)).toEqual(keys("tool", KEYS_IN_NOTICE).map((k) => `\`${k}\``));
    expect(line).toMatch(/`tool_020`, and 37 more \(all are in restore-delphi-prod-eu1-20261123T020000Z\.keys\.tsv\)$/);
    // The count is exact even where the keys printed were capped.
    const capped: LostWrites[] = [{ table: "tools", tenant: "ten_acme", change: "deleted", count: 9000, keys: keys("tool", 30) }];
    expect(renderReport({ ...base, lost: capped })).toContain("- tools deleted (9000): ");
    expect(renderReport({ ...base, lost: capped })).toMatch(/, and 8980 more\n/);
    // Exactly the limit: no "more".
    const exact: LostWrites[] = [{ table: "tools", tenant: "ten_acme", change: "updated", count: KEYS_IN_NOTICE, keys: keys("tool", KEYS_IN_NOTICE) }];
    expect(renderReport({ ...base, lost: exact })).not.toContain("more");
  });

  it("says where the replaced data is kept, or that a snapshot is", () => {
    expect(renderReport({ ...base, kept: "delphi_pre_restore_20261123T031000Z" })).toContain("The data as it was when the services stopped is kept (delphi_pre_restore_20261123T031000Z) until the operators sign off.");
    expect(renderReport(base)).toContain("A snapshot of the database as it was before the restore is kept for investigation.");
  });

  it("says so when nothing was lost, and explains when rows could not be counted", () => {
    const none = renderReport({ ...base, lost: [] });
    expect(none).toContain("No tenant's rows differ between the restored database and the data as it was when the services stopped");
    expect(none).not.toContain("| tenant |");
    const aws = renderReport({ ...base, lostRowsUnavailable: "Lost rows are not counted for AWS restores." });
    expect(aws).toContain("Lost rows are not counted for AWS restores.");
    expect(aws).not.toContain("| tenant |");
    expect(aws).not.toContain("## ten_");
  });
});

describe("keysFileText", () => {
  it("one tab-separated line per key, with a header, every key", () => {
    expect(keysFileText(lost)).toBe(
      [
        "tenant\ttable\tchange\tkey",
        "ten_globex\tconversations\tinserted\tconv_g_001",
        "ten_globex\tconversations\tinserted\tconv_g_002",
        ...keys("conv_a", 4).map((k) => `ten_acme\tconversations\tinserted\t${k}`),
        "ten_acme\tconversations\tdeleted\tconv_old",
        "ten_acme\tbilling_records\tupdated\tbill_9",
      ].join("\n") + "\n",
    );
    expect(keysFileText([{ table: "tools", tenant: "t", change: "inserted", count: 57, keys: keys("tool", 57) }]).split("\n")).toHaveLength(59);
    expect(keysFileText([])).toBe("tenant\ttable\tchange\tkey\n");
  });
});

describe("reportFileName", () => {
  it("is safe as a file name and names the deployment and restore point", () => {
    expect(reportFileName("delphi-prod-eu1", "2026-11-23T02:00:00Z")).toBe("restore-delphi-prod-eu1-20261123T020000Z.md");
    expect(reportFileName("delphi-prod-eu1", "2026-11-23T02:00:00.123Z")).toBe("restore-delphi-prod-eu1-20261123T020000Z.md");
  });
});
