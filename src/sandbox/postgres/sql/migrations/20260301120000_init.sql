-- Delphi's first schema: tenants, their users and conversations, and the setup registry
-- TelWeb's first-run wizard fills.
CREATE TABLE tenants (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            text PRIMARY KEY,
  tenant_id     text REFERENCES tenants (id),
  email         text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'owner', 'member')),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
  id         text PRIMARY KEY,
  tenant_id  text NOT NULL REFERENCES tenants (id),
  title      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_tenant_created ON conversations (tenant_id, created_at);

-- A conversation's turns: no tenant column of their own, they belong to a tenant through their
-- conversation (what a single-tenant recovery follows by foreign key).
CREATE TABLE conversation_turns (
  id              text PRIMARY KEY,
  conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  speaker         text NOT NULL CHECK (speaker IN ('caller', 'agent')),
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_turns_conversation ON conversation_turns (conversation_id);

CREATE TABLE setup_registry (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
