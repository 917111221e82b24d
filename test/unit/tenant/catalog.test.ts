import { describe, expect, it } from "vitest";
import { type Catalog, fkOrder, ownership } from "../../../src/tenant/catalog";
import { ownerExpr } from "../../../src/tenant/sql";

const t = (name: string, columns: string[], pk = ["id"]) => ({ name, columns, pk });
const fk = (table: string, columns: string[], refTable: string, refColumns = ["id"]) => ({ table, columns, refTable, refColumns });

// The sandbox's shape: tenants, tables with tenant_id, turns reached through conversations.
const source: Catalog = {
  tables: [
    t("tenants", ["id", "name"]),
    t("conversations", ["id", "tenant_id", "title"]),
    t("conversation_turns", ["id", "conversation_id", "body"]),
    t("turn_notes", ["id", "turn_id", "note"]),
    t("setup_registry", ["key", "value"], ["key"]),
    t("audit", ["at", "what"], []),
  ],
  fks: [fk("conversations", ["tenant_id"], "tenants"), fk("conversation_turns", ["conversation_id"], "conversations"), fk("turn_notes", ["turn_id"], "conversation_turns")],
};
const live: Catalog = { ...source, tables: source.tables.map((x) => (x.name === "conversations" ? { ...x, columns: [...x.columns, "channel"] } : x)) };

describe("ownership: what belongs to a tenant, from the backup's catalog", () => {
  it("finds the tenant column's tables, the tenants table by key, and children through foreign keys, parents first", () => {
    const o = ownership(source, live, "tenant_id");
    expect(o.problems).toEqual([]);
    expect(o.tables.map((x) => [x.name, x.owner.kind])).toEqual([
      ["tenants", "key"],
      ["conversations", "column"],
      ["conversation_turns", "parent"],
      ["turn_notes", "parent"],
    ]);
    expect(o.leftAlone).toEqual([
      { name: "audit", why: "no primary key" },
      { name: "setup_registry", why: "no tenant_id column and no foreign key to a tenant's table" },
    ]);
  });

  it("takes the columns both sides have and names those a migration added since", () => {
    const conv = ownership(source, live, "tenant_id").tables.find((x) => x.name === "conversations");
    expect(conv).toMatchObject({ columns: ["id", "tenant_id", "title"], defaulted: ["channel"], dropped: [] });
  });

  it("leaves alone a table the live database lacks, and the children that hang from it", () => {
    const o = ownership(source, { ...live, tables: live.tables.filter((x) => x.name !== "conversation_turns") }, "tenant_id");
    expect(o.tables.map((x) => x.name)).toEqual(["tenants", "conversations"]);
    expect(o.leftAlone.map((l) => l.name)).toEqual(["audit", "conversation_turns", "setup_registry", "turn_notes"]);
  });

  it("--tables: only those; a child without its parent, or a table that belongs to no tenant, is a problem", () => {
    expect(ownership(source, live, "tenant_id", ["conversations", "conversation_turns"]).tables.map((x) => x.name)).toEqual(["conversations", "conversation_turns"]);
    expect(ownership(source, live, "tenant_id", ["conversation_turns"]).problems).toEqual(["table conversation_turns belongs to a tenant through conversations: add conversations to --tables"]);
    expect(ownership(source, live, "tenant_id", ["setup_registry"]).problems[0]).toMatch(/^table setup_registry: no tenant_id column/);
  });

  it("names a cycle of foreign keys instead of guessing an order", () => {
    const a = { name: "a", pk: ["id"], owner: { kind: "column" as const, column: "tenant_id" }, columns: [], defaulted: [], dropped: [] };
    const b = { ...a, name: "b" };
    expect(fkOrder([a, b], [fk("a", ["b_id"], "b"), fk("b", ["a_id"], "a")])).toMatch(/form a cycle/);
  });

  it("the owner of a grandchild row is a chain of lookups through its parents", () => {
    const { tables } = ownership(source, live, "tenant_id");
    const notes = tables.find((x) => x.name === "turn_notes");
    expect(notes && ownerExpr(notes, "l", tables)).toBe(
      '(select (select lpp."tenant_id" from public."conversations" lpp where lpp."id" = lp."conversation_id") from public."conversation_turns" lp where lp."id" = l."turn_id")',
    );
  });
});
