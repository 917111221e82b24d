// Pure: the SQL of a single-tenant recovery. The tenant's rows of the source are exported from the
// scratch (or kept) database to CSV files; in the live database one psql session loads them into
// temporary tables and compares them with the live rows by primary key. `compute` only reads (it
// ends in ROLLBACK); `apply` writes in one REPEATABLE READ transaction: conflicts refused, a
// pre-change copy of the tenant's rows written, inserts parents first, every other tenant's rows
// proven unchanged by a checksum taken before and after inside the same snapshot; `undo` puts the
// tenant's rows back from that copy the same way.
import { ident, lit } from "../shell/kept";
import type { Mode } from "./request";
import type { OwnedTable } from "./catalog";

const q = (t: string) => `public.${ident(t)}`;

/** The tenant that owns the row `alias` of `table`, as an SQL expression (a chain of lookups through parents). */
export function ownerExpr(table: OwnedTable, alias: string, tables: OwnedTable[]): string {
  const o = table.owner;
  if (o.kind !== "parent") return `${alias}.${ident(o.column)}`;
  const parent = tables.find((t) => t.name === o.fk.refTable);
  if (!parent) throw new Error(`${table.name}: its parent ${o.fk.refTable} is not among the recovered tables`);
  const p = `${alias}p`;
  const on = o.fk.refColumns.map((rc, i) => `${p}.${ident(rc)} = ${alias}.${ident(o.fk.columns[i] as string)}`).join(" and ");
  return `(select ${ownerExpr(parent, p, tables)} from ${q(parent.name)} ${p} where ${on})`;
}

const join = (t: OwnedTable, a: string, b: string) => t.pk.map((c) => `${a}.${ident(c)} = ${b}.${ident(c)}`).join(" and ");
const cols = (t: OwnedTable, alias?: string) => t.columns.map((c) => (alias ? `${alias}.${ident(c)}` : ident(c))).join(", ");
const differs = (t: OwnedTable) => `row(${t.columns.map((c) => `s.${ident(c)}::text`).join(", ")}) is distinct from row(${t.columns.map((c) => `l.${ident(c)}::text`).join(", ")})`;
const pkText = (t: OwnedTable, alias: string) => `concat_ws(',', ${t.pk.map((c) => `${alias}.${ident(c)}::text`).join(", ")})`;

/** The file of table number `i` in a recovery's folder (by number: table names need not be path-safe). */
export const fileOf = (dir: string, kind: "source" | "before" | "inserted" | "updated", i: number) => `${dir}/${kind}_${i}.csv`;

/** Export the tenant's rows of every table from the source database (psql meta-commands, one per line). */
export function exportSql(tables: OwnedTable[], tenant: string, dir: string): string[] {
  return tables.map((t, i) => `\\copy (select ${cols(t, "x")} from ${q(t.name)} x where ${ownerExpr(t, "x", tables)} = ${lit(tenant)}) to '${fileOf(dir, "source", i)}' with (format csv)`);
}

/** The tenants the source knows (for the refusal of an unknown one), from its tables that carry the column or key. */
export function tenantsSql(tables: OwnedTable[]): string {
  const direct = tables.filter((t) => t.owner.kind !== "parent");
  if (direct.length === 0) return "select ''";
  const union = direct.map((t) => `select ${ident((t.owner as { column: string }).column)}::text as t from ${q(t.name)}`).join(" union ");
  return `select coalesce(string_agg(t, ',' order by t), '') from (select t from (${union}) u where t is not null order by t limit 20) v`;
}

/** Load the exported rows into temporary tables s_<i>, with the live tables' column types. */
function loadSql(tables: OwnedTable[], dir: string): string[] {
  return tables.flatMap((t, i) => [`create temp table s_${i} as select ${cols(t)} from ${q(t.name)} with no data;`, `\\copy s_${i} (${cols(t)}) from '${fileOf(dir, "source", i)}' with (format csv)`]);
}

/** One line per table: plan, table, to insert, differing (updated in replace mode), conflicts, source rows. */
function planSql(tables: OwnedTable[], tenant: string): string[] {
  return tables.map((t, i) => {
    const l0 = `l.${ident(t.pk[0] as string)}`;
    const owner = ownerExpr(t, "l", tables);
    return (
      `select 'plan', ${lit(t.name)}, count(*) filter (where ${l0} is null), count(*) filter (where ${l0} is not null and ${owner} is not distinct from ${lit(tenant)} and ${differs(t)}), ` +
      `count(*) filter (where ${l0} is not null and ${owner} is distinct from ${lit(tenant)}), count(*) from s_${i} s left join ${q(t.name)} l on ${join(t, "s", "l")};`
    );
  });
}

/** The first conflicting keys per table: the key and the tenant it belongs to now. */
function conflictSql(tables: OwnedTable[], tenant: string): string[] {
  return tables.map((t, i) => {
    const owner = ownerExpr(t, "l", tables);
    return `select 'conflict', ${lit(t.name)}, ${pkText(t, "s")}, coalesce((${owner})::text, '(no tenant)') from s_${i} s join ${q(t.name)} l on ${join(t, "s", "l")} where ${owner} is distinct from ${lit(tenant)} order by 3 limit 20;`;
  });
}

/** Every other tenant's rows of every recovered table, as one checksum per table. */
function othersSql(tables: OwnedTable[], tenant: string): string {
  return tables
    .map((t) => `select ${lit(t.name)}::text as tbl, count(*) as n, md5(coalesce(string_agg(md5(l::text), '' order by md5(l::text)), '')) as h from ${q(t.name)} l where ${ownerExpr(t, "l", tables)} is distinct from ${lit(tenant)}`)
    .join(" union all ");
}

const checkOthers = (tables: OwnedTable[], tenant: string) =>
  `do $$ begin if exists (select 1 from others_before b full join (${othersSql(tables, tenant)}) a using (tbl) where a.h is distinct from b.h) then raise exception 'another tenant''s rows would change; nothing was changed'; end if; end $$;`;

const header = ["\\set ON_ERROR_STOP 1", "\\pset format unaligned", "\\pset tuples_only on", "\\pset fieldsep '\\t'"];

/** The read-only comparison (preview and the compute step): plan and conflict lines, then ROLLBACK. */
export function computeSession(tables: OwnedTable[], tenant: string, dir: string): string {
  return [...header, "begin isolation level repeatable read;", ...loadSql(tables, dir), ...planSql(tables, tenant), ...conflictSql(tables, tenant), "rollback;"].join("\n");
}

/** The change: one transaction, refused on conflicts, with the pre-change copy written first. */
export function applySession(tables: OwnedTable[], tenant: string, dir: string, mode: Mode): string {
  const lines = [...header, "begin isolation level repeatable read;", ...loadSql(tables, dir)];
  tables.forEach((t, i) => {
    const owner = ownerExpr(t, "l", tables);
    lines.push(
      `do $$ begin if exists (select 1 from s_${i} s join ${q(t.name)} l on ${join(t, "s", "l")} where ${owner} is distinct from ${lit(tenant)}) then raise exception ${lit(`${t.name}: rows of tenant ${tenant} in the source have keys that belong to another tenant now (see tenant preview); nothing was changed`)}; end if; end $$;`,
    );
  });
  lines.push(`create temp table others_before as ${othersSql(tables, tenant)};`);
  tables.forEach((t, i) => {
    const owner = ownerExpr(t, "l", tables);
    lines.push(
      `\\copy (select l.* from ${q(t.name)} l where ${owner} = ${lit(tenant)}) to '${fileOf(dir, "before", i)}' with (format csv, header true)`,
      `create temp table ins_${i} as select ${t.pk.map((c) => `s.${ident(c)}`).join(", ")} from s_${i} s where not exists (select 1 from ${q(t.name)} l where ${join(t, "s", "l")});`,
      mode === "replace"
        ? `create temp table upd_${i} as select ${t.pk.map((c) => `s.${ident(c)}`).join(", ")} from s_${i} s join ${q(t.name)} l on ${join(t, "s", "l")} where ${owner} = ${lit(tenant)} and ${differs(t)};`
        : `create temp table upd_${i} as select ${t.pk.map((c) => `s.${ident(c)}`).join(", ")} from s_${i} s where false;`,
      `\\copy ins_${i} to '${fileOf(dir, "inserted", i)}' with (format csv, header true)`,
      `\\copy upd_${i} to '${fileOf(dir, "updated", i)}' with (format csv, header true)`,
    );
  });
  // Parents first, so every foreign key holds at the end of each statement.
  tables.forEach((t, i) => lines.push(`insert into ${q(t.name)} (${cols(t)}) select ${cols(t, "s")} from s_${i} s join ins_${i} k on ${join(t, "s", "k")};`));
  tables.forEach((t, i) => {
    const set = t.columns.filter((c) => !t.pk.includes(c)).map((c) => `${ident(c)} = s.${ident(c)}`);
    if (set.length > 0) lines.push(`update ${q(t.name)} l set ${set.join(", ")} from s_${i} s join upd_${i} k on ${join(t, "s", "k")} where ${join(t, "l", "s")};`);
  });
  tables.forEach((t, i) =>
    lines.push(`do $$ begin if exists (select 1 from s_${i} s left join ${q(t.name)} l on ${join(t, "s", "l")} where l.${ident(t.pk[0] as string)} is null) then raise exception ${lit(`${t.name}: a recovered row is not there after the change; nothing was changed`)}; end if; end $$;`),
  );
  lines.push(checkOthers(tables, tenant));
  tables.forEach((t, i) => lines.push(`select 'applied', ${lit(t.name)}, (select count(*) from ins_${i}), (select count(*) from upd_${i});`));
  lines.push("select 'others', tbl, n, h from others_before order by tbl;", "commit;");
  return lines.join("\n");
}

/** Undo: delete what the change inserted (children first) and put updated rows back, in one transaction. */
export function undoSession(tables: OwnedTable[], tenant: string, dir: string): string {
  const lines = [...header, "begin isolation level repeatable read;"];
  tables.forEach((t, i) => {
    const pk = t.pk.map(ident).join(", ");
    lines.push(
      `create temp table ins_${i} as select ${pk} from ${q(t.name)} with no data;`,
      `\\copy ins_${i} from '${fileOf(dir, "inserted", i)}' with (format csv, header true)`,
      `create temp table upd_${i} as select ${pk} from ${q(t.name)} with no data;`,
      `\\copy upd_${i} from '${fileOf(dir, "updated", i)}' with (format csv, header true)`,
      `create temp table b_${i} as select * from ${q(t.name)} with no data;`,
      `\\copy b_${i} from '${fileOf(dir, "before", i)}' with (format csv, header true)`,
    );
  });
  lines.push(`create temp table others_before as ${othersSql(tables, tenant)};`);
  [...tables.keys()].reverse().forEach((i) => {
    const t = tables[i] as OwnedTable;
    lines.push(`delete from ${q(t.name)} l using ins_${i} k where ${join(t, "l", "k")};`);
  });
  tables.forEach((t, i) => {
    const set = t.columns.filter((c) => !t.pk.includes(c)).map((c) => `${ident(c)} = b.${ident(c)}`);
    if (set.length > 0) lines.push(`update ${q(t.name)} l set ${set.join(", ")} from b_${i} b join upd_${i} k on ${join(t, "b", "k")} where ${join(t, "l", "b")};`);
  });
  lines.push(checkOthers(tables, tenant));
  tables.forEach((t, i) => lines.push(`select 'undone', ${lit(t.name)}, (select count(*) from ins_${i}), (select count(*) from upd_${i});`));
  lines.push("commit;");
  return lines.join("\n");
}

/** After the change: each recovered row is there (plan-style counts of what is present). */
export function verifySession(tables: OwnedTable[], tenant: string, dir: string): string {
  const lines = [...header, "begin isolation level repeatable read;", ...loadSql(tables, dir)];
  tables.forEach((t, i) => {
    const owner = ownerExpr(t, "l", tables);
    lines.push(`select 'verified', ${lit(t.name)}, count(*) filter (where l.${ident(t.pk[0] as string)} is not null and ${owner} = ${lit(tenant)}), count(*) from s_${i} s left join ${q(t.name)} l on ${join(t, "s", "l")};`);
  });
  lines.push("rollback;");
  return lines.join("\n");
}

export interface PlanLine {
  table: string;
  insert: number;
  differ: number;
  conflicts: number;
  sourceRows: number;
}

export interface Conflict {
  table: string;
  key: string;
  tenantNow: string;
}

/** The lines a session prints (tab-separated, first field the kind). */
export function parseSessionOutput(text: string): { plan: PlanLine[]; conflicts: Conflict[]; applied: { table: string; inserted: number; updated: number }[]; undone: { table: string; deleted: number; restored: number }[]; verified: { table: string; present: number; expected: number }[]; others: { table: string; rows: number; checksum: string }[] } {
  const out: ReturnType<typeof parseSessionOutput> = { plan: [], conflicts: [], applied: [], undone: [], verified: [], others: [] };
  for (const line of text.split("\n")) {
    const f = line.split("\t");
    const n = (i: number) => Number(f[i] ?? 0);
    if (f[0] === "plan" && f.length === 6) out.plan.push({ table: f[1] as string, insert: n(2), differ: n(3), conflicts: n(4), sourceRows: n(5) });
    else if (f[0] === "conflict" && f.length === 4) out.conflicts.push({ table: f[1] as string, key: f[2] as string, tenantNow: f[3] as string });
    else if (f[0] === "applied" && f.length === 4) out.applied.push({ table: f[1] as string, inserted: n(2), updated: n(3) });
    else if (f[0] === "undone" && f.length === 4) out.undone.push({ table: f[1] as string, deleted: n(2), restored: n(3) });
    else if (f[0] === "verified" && f.length === 4) out.verified.push({ table: f[1] as string, present: n(2), expected: n(3) });
    else if (f[0] === "others" && f.length === 4) out.others.push({ table: f[1] as string, rows: n(2), checksum: f[3] as string });
  }
  return out;
}
