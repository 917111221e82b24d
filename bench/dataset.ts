// The benchmarks' dataset: the sandbox's seeded database grown to a size, never committed. Grown as
// a real deployment's data is spread: one large table (half the size) and many smaller ones, each
// with a secondary index, so a restore's work splits into parts that `pg_restore --jobs` can run
// side by side (P5, and the restore inside P1, P2 and P6).

const MB = 1024 * 1024;
/** The large table and the smaller ones. */
export const LARGE = "bench_payload";
export const SMALL_TABLES = 11;
const smallName = (i: number) => `bench_part_${String(i + 1).padStart(2, "0")}`;

/** Add incompressible-ish rows (random md5 text) until the database holds `mb` MiB; its size in bytes. */
export function growTo(sql: (q: string) => string, mb: number): number {
  const tables = [LARGE, ...Array.from({ length: SMALL_TABLES }, (_, i) => smallName(i))];
  for (const t of tables) {
    sql(`create table if not exists ${t} (id bigserial primary key, tenant_id text not null, created_at timestamptz not null, payload text not null)`);
    sql(`create index if not exists ${t}_tenant_created on ${t} (tenant_id, created_at)`);
  }
  const size = () => Number(sql("select pg_database_size(current_database())"));
  const start = size();
  // Half of what is added goes to the large table, the rest shared out among the small ones.
  const share = (t: string) => (t === LARGE ? 0.5 : 0.5 / SMALL_TABLES);
  for (const t of tables) {
    const target = start + (mb * MB - start) * (tables.indexOf(t) === 0 ? share(t) : 0.5 + (share(t) * tables.indexOf(t)));
    // ~400 bytes a row on disk with its indexes: batches sized so each table overshoots by little.
    for (let s = size(); s < target; s = size()) {
      const rows = Math.max(1000, Math.min(500_000, Math.ceil((target - s) / 400)));
      sql(`insert into ${t} (tenant_id, created_at, payload)
        select (array['ten_acme','ten_globex','ten_initech'])[1 + g % 3], now() - interval '2 hours',
               md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) ||
               md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)
        from generate_series(1, ${rows}) g`);
    }
  }
  // Per table, without parallel workers: the sandbox's Postgres runs in a container whose /dev/shm
  // (64 MB) is smaller than a parallel vacuum's shared memory.
  for (const t of tables) sql(`vacuum (analyze, parallel 0) ${t}`);
  return size();
}
