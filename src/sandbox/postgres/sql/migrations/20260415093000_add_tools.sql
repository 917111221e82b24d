-- Tools a tenant's voice agents can call (calendar booking, CRM lookup, ...).
CREATE TABLE tools (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id),
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tools_tenant_created ON tools (tenant_id, created_at);
