// Pure: what belongs to a tenant, found from the catalog of the backup's schema. Tables with the
// tenant column belong to it by that column; the table that column references (the tenants
// table) by its key; tables without the column through a foreign key to a table that belongs,
// followed as far as it goes. They are ordered so every foreign key's parent comes first. The
// rest is listed with the reason it is left alone.
import { z } from "zod";

export interface ForeignKey {
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
}

export interface CatalogTable {
  name: string;
  columns: string[];
  pk: string[];
}

export interface Catalog {
  tables: CatalogTable[];
  fks: ForeignKey[];
}

const catalogSchema = z.object({
  tables: z.array(z.object({ name: z.string(), columns: z.array(z.string()).nullable().transform((c) => c ?? []), pk: z.array(z.string()).nullable().transform((p) => p ?? []) })),
  fks: z.array(z.object({ table: z.string(), columns: z.array(z.string()), refTable: z.string(), refColumns: z.array(z.string()) })),
});

/** The catalog as one JSON line: every ordinary table of schema public, its columns, key and foreign keys. */
export const CATALOG_SQL = [
  "select json_build_object(",
  "'tables', coalesce((select json_agg(json_build_object('name', c.relname,",
  "'columns', (select json_agg(a.attname order by a.attnum) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),",
  "'pk', (select json_agg(a.attname order by k.ord) from pg_index i cross join unnest(i.indkey) with ordinality as k(attnum, ord) join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum where i.indrelid = c.oid and i.indisprimary)",
  ") order by c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind in ('r', 'p')), '[]'),",
  "'fks', coalesce((select json_agg(json_build_object('table', cl.relname,",
  "'columns', (select json_agg(a.attname order by k.ord) from unnest(co.conkey) with ordinality as k(attnum, ord) join pg_attribute a on a.attrelid = co.conrelid and a.attnum = k.attnum),",
  "'refTable', rc.relname,",
  "'refColumns', (select json_agg(a.attname order by k.ord) from unnest(co.confkey) with ordinality as k(attnum, ord) join pg_attribute a on a.attrelid = co.confrelid and a.attnum = k.attnum)",
  ") order by cl.relname, co.conname) from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_class rc on rc.oid = co.confrelid join pg_namespace n on n.oid = cl.relnamespace",
  "where co.contype = 'f' and n.nspname = 'public'), '[]'))",
].join(" ");

export function parseCatalog(json: string): Catalog {
  return catalogSchema.parse(JSON.parse(json));
}

/** How a table's rows are tied to a tenant. */
export type Owner =
  | { kind: "column"; column: string }
  | { kind: "key"; column: string }
  | { kind: "parent"; fk: ForeignKey };

export interface OwnedTable {
  name: string;
  pk: string[];
  owner: Owner;
  /** The columns both the backup and the live database have: what is compared and written. */
  columns: string[];
  /** Live columns the backup lacks (a migration added them since): left at their defaults. */
  defaulted: string[];
  /** Backup columns the live database no longer has: not brought back. */
  dropped: string[];
}

export interface LeftAlone {
  name: string;
  why: string;
}

export interface Ownership {
  tables: OwnedTable[];
  leftAlone: LeftAlone[];
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Which tables of the backup belong to tenants, and how, in an order that satisfies every foreign
 * key among them (parents first). `live` is the live database's catalog: a table it lacks, or
 * whose key differs, is left alone; columns are taken in common. `only` restricts to those tables
 * (each must belong to tenants, or the result says why in `problems`).
 */
export function ownership(source: Catalog, live: Catalog, column: string, only?: string[]): Ownership & { problems: string[] } {
  const byName = new Map(source.tables.map((t) => [t.name, t]));
  const liveByName = new Map(live.tables.map((t) => [t.name, t]));
  const owners = new Map<string, Owner>();
  const leftAlone: LeftAlone[] = [];
  for (const t of source.tables) if (t.columns.includes(column) && t.pk.length > 0) owners.set(t.name, { kind: "column", column });
  // The table the tenant column points at (tenants): its row whose key is the tenant's id.
  for (const fk of source.fks) {
    const parent = byName.get(fk.refTable);
    if (owners.get(fk.table)?.kind === "column" && sameList(fk.columns, [column]) && parent && !owners.has(parent.name) && sameList(parent.pk, fk.refColumns) && parent.pk.length === 1)
      owners.set(parent.name, { kind: "key", column: parent.pk[0] as string });
  }
  // Tables without the column, through a foreign key to a table that belongs (to a fixpoint).
  for (let changed = true; changed; ) {
    changed = false;
    for (const fk of source.fks) {
      const child = byName.get(fk.table);
      if (!child || owners.has(child.name) || child.pk.length === 0 || fk.refTable === fk.table || !owners.has(fk.refTable)) continue;
      owners.set(child.name, { kind: "parent", fk });
      changed = true;
    }
  }
  const problems: string[] = [];
  const tables: OwnedTable[] = [];
  for (const t of source.tables) {
    const owner = owners.get(t.name);
    if (!owner) {
      leftAlone.push({ name: t.name, why: t.pk.length === 0 ? "no primary key" : `no ${column} column and no foreign key to a tenant's table` });
      continue;
    }
    const l = liveByName.get(t.name);
    if (!l) {
      leftAlone.push({ name: t.name, why: "not in the live database" });
      continue;
    }
    if (!sameList(l.pk, t.pk)) {
      leftAlone.push({ name: t.name, why: `its primary key differs (backup ${t.pk.join(",")}, live ${l.pk.join(",") || "none"})` });
      continue;
    }
    const ownerCols = owner.kind === "parent" ? owner.fk.columns : [owner.column];
    const missingOwner = ownerCols.filter((c) => !l.columns.includes(c));
    if (missingOwner.length > 0) {
      leftAlone.push({ name: t.name, why: `the live database lacks ${missingOwner.join(", ")}` });
      continue;
    }
    tables.push({ name: t.name, pk: t.pk, owner, columns: t.columns.filter((c) => l.columns.includes(c)), defaulted: l.columns.filter((c) => !t.columns.includes(c)), dropped: t.columns.filter((c) => !l.columns.includes(c)) });
  }
  // A child whose parent was left alone cannot be tied to a tenant either.
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of [...tables]) {
      if (t.owner.kind !== "parent") continue;
      const parent = t.owner.fk.refTable;
      if (tables.some((x) => x.name === parent)) continue;
      tables.splice(tables.indexOf(t), 1);
      leftAlone.push({ name: t.name, why: `it belongs to a tenant through ${parent}, which is left alone` });
      changed = true;
    }
  }
  let chosen = tables;
  if (only) {
    for (const name of only) {
      if (!chosen.some((t) => t.name === name)) problems.push(`table ${name}: ${leftAlone.find((l) => l.name === name)?.why ?? "not in the backup"}; it cannot be recovered for one tenant`);
    }
    for (const t of chosen) {
      if (t.owner.kind === "parent" && only.includes(t.name) && !only.includes(t.owner.fk.refTable))
        problems.push(`table ${t.name} belongs to a tenant through ${t.owner.fk.refTable}: add ${t.owner.fk.refTable} to --tables`);
    }
    const skipped = chosen.filter((t) => !only.includes(t.name));
    chosen = chosen.filter((t) => only.includes(t.name));
    leftAlone.push(...skipped.map((t) => ({ name: t.name, why: "not in --tables" })));
  }
  const ordered = fkOrder(chosen, source.fks);
  if (typeof ordered === "string") problems.push(ordered);
  return { tables: typeof ordered === "string" ? chosen : ordered, leftAlone: leftAlone.sort((a, b) => a.name.localeCompare(b.name)), problems };
}

/** Parents before children along every foreign key among `tables` (self-references aside); a cycle is named. */
export function fkOrder(tables: OwnedTable[], fks: ForeignKey[]): OwnedTable[] | string {
  const names = new Set(tables.map((t) => t.name));
  const parents = new Map(tables.map((t) => [t.name, new Set(fks.filter((f) => f.table === t.name && f.refTable !== t.name && names.has(f.refTable)).map((f) => f.refTable))]));
  const out: OwnedTable[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const next = tables.filter((t) => !placed.has(t.name) && [...(parents.get(t.name) ?? [])].every((p) => placed.has(p)));
    if (next.length === 0) {
      const left = tables.filter((t) => !placed.has(t.name)).map((t) => t.name);
      return `the foreign keys among ${left.join(", ")} form a cycle; no insert order satisfies them (name fewer --tables)`;
    }
    for (const t of next) {
      out.push(t);
      placed.add(t.name);
    }
  }
  return out;
}
