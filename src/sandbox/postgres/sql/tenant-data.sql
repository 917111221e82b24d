-- Three tenants with a few weeks of history, plus the rows the restore's spot checks look for
-- (conv_known_0001, the tool 'calendar-booking', bill_known_0001). Every row is dated well
-- before the nightly backup, so none of them counts as "lost" after a restore.
-- psql variable: admin_hash (scrypt hash of the admin's random password).
INSERT INTO tenants (id, name, created_at) VALUES
  ('ten_acme', 'Acme Dental Group', now() - interval '120 days'),
  ('ten_globex', 'Globex Logistics', now() - interval '90 days'),
  ('ten_initech', 'Initech Support', now() - interval '60 days');

INSERT INTO users (id, tenant_id, email, password_hash, role, created_at) VALUES
  ('usr_admin', NULL, 'restore-check@delphi.example', :'admin_hash', 'admin', now() - interval '120 days'),
  ('usr_acme_owner', 'ten_acme', 'owner@acme.example', 'scrypt$disabled', 'owner', now() - interval '120 days'),
  ('usr_globex_owner', 'ten_globex', 'owner@globex.example', 'scrypt$disabled', 'owner', now() - interval '90 days'),
  ('usr_initech_owner', 'ten_initech', 'owner@initech.example', 'scrypt$disabled', 'owner', now() - interval '60 days');

INSERT INTO conversations (id, tenant_id, title, created_at) VALUES
  ('conv_known_0001', 'ten_acme', 'Appointment booking for a new patient', now() - interval '30 days');
INSERT INTO conversations (id, tenant_id, title, created_at)
SELECT format('conv_%s_%s', substr(t.id, 5), lpad(n::text, 4, '0')), t.id, format('Call %s for %s', n, t.name),
       now() - interval '2 days' - (n * interval '37 minutes')
FROM tenants t, generate_series(1, 40) AS n;

-- Two turns per conversation (caller, then agent).
INSERT INTO conversation_turns (id, conversation_id, speaker, body, created_at)
SELECT format('turn_%s_%s', substr(c.id, 6), n), c.id, CASE WHEN n = 1 THEN 'caller' ELSE 'agent' END,
       format('Turn %s of %s', n, c.title), c.created_at + n * interval '1 minute'
FROM conversations c, generate_series(1, 2) AS n;

INSERT INTO tools (id, tenant_id, name, created_at) VALUES
  ('tool_acme_calendar', 'ten_acme', 'calendar-booking', now() - interval '100 days'),
  ('tool_acme_crm', 'ten_acme', 'crm-lookup', now() - interval '100 days'),
  ('tool_globex_tracking', 'ten_globex', 'shipment-tracking', now() - interval '80 days'),
  ('tool_globex_crm', 'ten_globex', 'crm-lookup', now() - interval '80 days'),
  ('tool_initech_tickets', 'ten_initech', 'ticket-create', now() - interval '50 days');

INSERT INTO billing_records (id, tenant_id, amount_cents, created_at) VALUES
  ('bill_known_0001', 'ten_globex', 129900, now() - interval '31 days');
INSERT INTO billing_records (id, tenant_id, amount_cents, created_at)
SELECT format('bill_%s_%s', substr(t.id, 5), lpad(n::text, 3, '0')), t.id, 1000 * n + 99,
       now() - interval '1 day' - (n * interval '7 days')
FROM tenants t, generate_series(1, 6) AS n;
