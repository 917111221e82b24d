// The tenant-admin notice: restore point, window, per-tenant counts, contact; ready to paste.
import { describe, expect, it } from "vitest";
import { renderReport, reportFileName, type ReportInput } from "../../src/report";

const base: ReportInput = {
  deployment: "delphi-prod-eu1",
  restorePoint: "2026-11-23T02:00:00Z",
  window: { from: "2026-11-23T02:00:00Z", to: "2026-11-23T03:11:00Z" },
  lost: [
    { table: "conversations", tenant: "ten_globex", count: 2 },
    { table: "conversations", tenant: "ten_acme", count: 4 },
    { table: "billing_records", tenant: "ten_acme", count: 1 },
  ],
  contact: "oncall@delphi.example",
  tables: ["conversations", "tools", "billing_records"],
  generatedAt: "2026-11-23T03:25:00Z",
};

describe("renderReport", () => {
  it("states the restore point, the window and the contact", () => {
    const md = renderReport(base);
    expect(md).toContain("# Database restore of delphi-prod-eu1: what was lost");
    expect(md).toContain("**2026-11-23T02:00:00Z** (UTC)");
    expect(md).toContain("between **2026-11-23T02:00:00Z** and **2026-11-23T03:11:00Z**");
    expect(md).toContain("Questions: oncall@delphi.example.");
  });

  it("counts per tenant (sorted) and table, with zeros where nothing was lost", () => {
    const md = renderReport(base);
    expect(md).toContain("7 rows across 2 tenants were written after the restore point and are gone:");
    expect(md).toContain("| tenant | conversations | tool changes | billing records |");
    const rows = md.split("\n").filter((l) => l.startsWith("| ten_"));
    expect(rows).toEqual(["| ten_acme | 4 | 0 | 1 |", "| ten_globex | 2 | 0 | 0 |"]);
  });

  it("says so when nothing was lost, and explains when rows could not be counted", () => {
    expect(renderReport({ ...base, lost: [] })).toContain("No tenant had rows newer than the restore point");
    const aws = renderReport({ ...base, lostRowsUnavailable: "Lost rows are not counted for AWS restores." });
    expect(aws).toContain("Lost rows are not counted for AWS restores.");
    expect(aws).not.toContain("| tenant |");
  });
});

describe("reportFileName", () => {
  it("is safe as a file name and names the deployment and restore point", () => {
    expect(reportFileName("delphi-prod-eu1", "2026-11-23T02:00:00Z")).toBe("restore-delphi-prod-eu1-20261123T020000Z.md");
    expect(reportFileName("delphi-prod-eu1", "2026-11-23T02:00:00.123Z")).toBe("restore-delphi-prod-eu1-20261123T020000Z.md");
  });
});
