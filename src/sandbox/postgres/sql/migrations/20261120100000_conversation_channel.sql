-- Shipped with the TelWeb image deployed AFTER the nightly backup: a database restored from that
-- backup lacks it, and TelWeb's `prisma migrate deploy` on start applies it again.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS channel text NOT NULL DEFAULT 'voice';
