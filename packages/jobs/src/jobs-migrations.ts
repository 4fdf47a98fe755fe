import type { Migration } from '@openkyc/postgres'

/**
 * The tables `@openkyc/jobs` keeps beside pg-boss's own, in their own schema (default
 * `openkyc_jobs`), applied by {@link migrateJobs} through `@openkyc/postgres`'s migration runner.
 * Versions are consecutive from 1 and never edited once released; every statement is idempotent.
 * Append a new entry to change the schema.
 */
export const jobsMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'rate limiter, bulk batches and items',
    up: (schema) => `
CREATE TABLE IF NOT EXISTS ${schema}.rate_limit (
  key text PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS ${schema}.rate_limit_slot (
  key text NOT NULL,
  slot_at double precision NOT NULL,
  claimed boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS rate_limit_slot_key_slot_at ON ${schema}.rate_limit_slot (key, slot_at);
-- One call per request start, serialised per key by the key row's lock across every process, timed by
-- the database clock. Starts ("claimed" slots) never exceed p_requests in any window of p_interval_ms
-- + p_margin_ms. Without p_reserved_at: starts now when that holds counting every slot, claimed or
-- reserved (so nobody jumps the queue), otherwise reserves the earliest slot that keeps it and
-- returns the wait. With p_reserved_at (the caller slept until its slot): starts now when the claimed
-- starts of the trailing window leave room, however late the caller woke; otherwise gives the slot
-- up and reserves again.
CREATE OR REPLACE FUNCTION ${schema}.rate_limit_acquire(
  p_key text, p_requests integer, p_interval_ms double precision, p_margin_ms double precision,
  p_reserved_at double precision
) RETURNS TABLE (wait_ms double precision, reserved_at double precision) LANGUAGE plpgsql AS $body$
DECLARE
  now_ms double precision;
  own tid;
  started integer;
  nth_latest double precision;
  slot double precision;
BEGIN
  INSERT INTO ${schema}.rate_limit (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${schema}.rate_limit WHERE key = p_key FOR UPDATE;
  now_ms := extract(epoch FROM clock_timestamp()) * 1000;
  IF p_reserved_at IS NOT NULL THEN
    IF now_ms < p_reserved_at THEN
      RETURN QUERY SELECT p_reserved_at - now_ms, p_reserved_at;
      RETURN;
    END IF;
    SELECT ctid INTO own FROM ${schema}.rate_limit_slot
      WHERE key = p_key AND slot_at = p_reserved_at AND NOT claimed LIMIT 1;
    SELECT count(*) INTO started FROM ${schema}.rate_limit_slot
      WHERE key = p_key AND claimed AND slot_at > now_ms - p_interval_ms - p_margin_ms;
    IF own IS NOT NULL AND started < p_requests THEN
      UPDATE ${schema}.rate_limit_slot SET slot_at = now_ms, claimed = true WHERE ctid = own;
      RETURN QUERY SELECT 0::double precision, now_ms;
      RETURN;
    END IF;
    IF own IS NOT NULL THEN
      DELETE FROM ${schema}.rate_limit_slot WHERE ctid = own;
    END IF;
  END IF;
  DELETE FROM ${schema}.rate_limit_slot
    WHERE key = p_key AND slot_at <= now_ms - 2 * (p_interval_ms + p_margin_ms);
  SELECT s.slot_at INTO nth_latest FROM ${schema}.rate_limit_slot s
    WHERE s.key = p_key ORDER BY s.slot_at DESC OFFSET p_requests - 1 LIMIT 1;
  slot := greatest(now_ms, coalesce(nth_latest + p_interval_ms + p_margin_ms, now_ms));
  INSERT INTO ${schema}.rate_limit_slot (key, slot_at, claimed) VALUES (p_key, slot, slot = now_ms);
  RETURN QUERY SELECT slot - now_ms, slot;
END
$body$;
-- Gives up a reserved slot nobody will use (the caller was aborted while it waited).
CREATE OR REPLACE FUNCTION ${schema}.rate_limit_release(p_key text, p_reserved_at double precision)
RETURNS void LANGUAGE sql AS $body$
  DELETE FROM ${schema}.rate_limit_slot WHERE ctid = (
    SELECT ctid FROM ${schema}.rate_limit_slot WHERE key = p_key AND slot_at = p_reserved_at AND NOT claimed LIMIT 1);
$body$;
CREATE TABLE IF NOT EXISTS ${schema}.bulk_batch (
  id uuid PRIMARY KEY,
  label text,
  total integer NOT NULL DEFAULT 0,
  submitted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${schema}.bulk_item (
  batch_id uuid NOT NULL REFERENCES ${schema}.bulk_batch (id) ON DELETE CASCADE,
  position integer NOT NULL,
  provider text NOT NULL,
  subject_reference text NOT NULL,
  request jsonb NOT NULL,
  idempotency_key text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  call_started boolean NOT NULL DEFAULT false,
  verification_id text,
  verification_status text,
  verification_reference jsonb,
  session_url text,
  error_code text,
  finished_at timestamptz,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX IF NOT EXISTS bulk_item_state ON ${schema}.bulk_item (batch_id, state);
`,
  },
]
