-- TelWeb's baseline seed: setup-registry entries the application needs, re-created on every
-- start when missing (a restore can roll the registry back). Prints how many rows it added.
WITH added AS (
  INSERT INTO setup_registry (key, value, updated_at) VALUES
    ('platform.version', '0.9.11', now()),
    ('telweb.setup_complete', 'true', now()),
    ('voice.default_provider', 'sandbox-sip', now()),
    ('billing.currency', 'EUR', now())
  ON CONFLICT (key) DO NOTHING
  RETURNING 1
)
SELECT count(*) FROM added;
