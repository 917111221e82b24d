-- Usage billing, one row per invoiced item.
CREATE TABLE billing_records (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id),
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX billing_records_tenant_created ON billing_records (tenant_id, created_at);
