// The benchmarks' dataset: the sandbox's seeded database grown to a size, never committed.

const MB = 1024 * 1024;

/** Add incompressible-ish rows (random md5 text) until the database holds `mb` MiB; its size in bytes. */
export function growTo(sql: (q: string) => string, mb: number): number {
  sql("create table if not exists bench_payload (id bigserial primary key, tenant_id text not null, created_at timestamptz not null, payload text not null)");
  const size = () => Number(sql("select pg_database_size(current_database())"));
  // ~330 bytes a row on disk: batches sized so the last one overshoots by at most ~5%.
  for (let s = size(); s < mb * MB; s = size()) {
    const rows = Math.max(1000, Math.min(500_000, Math.ceil((mb * MB - s) / 330)));
    sql(`insert into bench_payload (tenant_id, created_at, payload)
      select (array['ten_acme','ten_globex','ten_initech'])[1 + g % 3], now() - interval '2 hours',
             md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) ||
             md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text)
      from generate_series(1, ${rows}) g`);
  }
  sql("vacuum analyze bench_payload");
  return size();
}
