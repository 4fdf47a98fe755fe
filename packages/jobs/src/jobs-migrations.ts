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
  {
    version: 2,
    name: 'rate limiter: evenly spaced starts; a refused claim keeps its place',
    up: (schema) => `
-- Version 1 let a full budget start at once and then made everyone wait for the window to pass: bursts
-- of p_requests starts, and waits of almost a whole window (longer than an item's timeout). Now starts
-- are also spaced by (p_interval_ms + p_margin_ms) / p_requests (GCRA's emission interval), so the
-- vendor sees a steady rate with no burst, and a waiter waits about (callers ahead) × spacing. The
-- sliding window of claimed starts stays the hard rule, checked at every claim on the database clock;
-- a claim it refuses (the caller before woke late) keeps its reservation, moved to the moment the
-- window has room, instead of queueing again at the back.
CREATE OR REPLACE FUNCTION ${schema}.rate_limit_acquire(
  p_key text, p_requests integer, p_interval_ms double precision, p_margin_ms double precision,
  p_reserved_at double precision
) RETURNS TABLE (wait_ms double precision, reserved_at double precision) LANGUAGE plpgsql AS $body$
DECLARE
  now_ms double precision;
  span double precision := p_interval_ms + p_margin_ms;
  spacing double precision := (p_interval_ms + p_margin_ms) / p_requests;
  own tid;
  window_full_until double precision;
  latest double precision;
  nth_latest double precision;
  slot double precision;
BEGIN
  INSERT INTO ${schema}.rate_limit (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${schema}.rate_limit WHERE key = p_key FOR UPDATE;
  now_ms := extract(epoch FROM clock_timestamp()) * 1000;
  IF p_reserved_at IS NOT NULL THEN
    SELECT ctid INTO own FROM ${schema}.rate_limit_slot
      WHERE key = p_key AND slot_at = p_reserved_at AND NOT claimed LIMIT 1;
    IF own IS NOT NULL THEN
      IF now_ms < p_reserved_at THEN
        RETURN QUERY SELECT p_reserved_at - now_ms, p_reserved_at;
        RETURN;
      END IF;
      -- The window is full while p_requests starts lie in (now - span, now]: until the oldest of them leaves.
      SELECT s.slot_at + span INTO window_full_until FROM ${schema}.rate_limit_slot s
        WHERE s.key = p_key AND s.claimed AND s.slot_at > now_ms - span
        ORDER BY s.slot_at DESC OFFSET p_requests - 1 LIMIT 1;
      IF window_full_until IS NULL THEN
        UPDATE ${schema}.rate_limit_slot SET slot_at = now_ms, claimed = true WHERE ctid = own;
        RETURN QUERY SELECT 0::double precision, now_ms;
        RETURN;
      END IF;
      UPDATE ${schema}.rate_limit_slot SET slot_at = window_full_until WHERE ctid = own;
      RETURN QUERY SELECT window_full_until - now_ms, window_full_until;
      RETURN;
    END IF;
    -- The reservation is gone (given back, or dropped after a stall of two windows): reserve again.
  END IF;
  DELETE FROM ${schema}.rate_limit_slot
    WHERE key = p_key AND slot_at <= now_ms - 2 * span;
  SELECT max(s.slot_at) INTO latest FROM ${schema}.rate_limit_slot s WHERE s.key = p_key;
  SELECT s.slot_at INTO nth_latest FROM ${schema}.rate_limit_slot s
    WHERE s.key = p_key ORDER BY s.slot_at DESC OFFSET p_requests - 1 LIMIT 1;
  slot := greatest(now_ms, coalesce(latest + spacing, now_ms), coalesce(nth_latest + span, now_ms));
  INSERT INTO ${schema}.rate_limit_slot (key, slot_at, claimed) VALUES (p_key, slot, slot = now_ms);
  RETURN QUERY SELECT slot - now_ms, slot;
END
$body$;
`,
  },
  {
    version: 3,
    name: 'bulk items: evidence upload progress',
    up: (schema) => `
-- How many of an API-channel item's evidence pieces are uploaded; with verification_id (now set as soon
-- as the verification exists) a retried item resumes where it stopped instead of creating another.
ALTER TABLE ${schema}.bulk_item ADD COLUMN IF NOT EXISTS uploaded integer NOT NULL DEFAULT 0;
`,
  },
  {
    version: 4,
    name: 'rate limiter: a start claimed with its request slot; a stale claim is checked again',
    up: (schema) => `
-- Two things versions 1 and 2 could not do. (1) Claim a slot in two budgets at one instant: a bulk run's
-- inquiry creation is one of the creation quota's starts and one of the request budget's. Taken one
-- after the other, the wait for the request slot delayed the creation past its slot and creations reached
-- the vendor bunched. The start budget schedules (reserves the next spaced slot, as in version 2); the
-- request budget (checked_only) is only checked, at the claim, by its sliding window: reserving request
-- slots far ahead would push the request budget's other callers behind every queued start. (2) Check a
-- claim again (p_recheck): a caller that learns of its claim long after it was made (a stalled event
-- loop) would send late, bunched with the starts after it; it hands the claim back as a reservation at
-- the same moment and claims again under the same sliding-window rule. The keys' rows are locked in key
-- order, so callers with overlapping keys cannot deadlock.
-- p_budgets: [{ "key", "requests", "interval_ms", "margin_ms", "checked_only" }, …], one entry per key.
CREATE OR REPLACE FUNCTION ${schema}.rate_limit_take(
  p_budgets jsonb, p_reserved_at double precision, p_recheck boolean
) RETURNS TABLE (wait_ms double precision, reserved_at double precision) LANGUAGE plpgsql AS $body$
DECLARE
  keys text[];
  limits integer[];
  spans double precision[];
  checked_only boolean[];
  budgets integer;
  now_ms double precision;
  owns tid[];
  own tid;
  held boolean := true;
  full_until double precision;
  window_full_until double precision;
  latest double precision;
  nth_latest double precision;
  slot double precision;
BEGIN
  SELECT array_agg(b ->> 'key' ORDER BY n), array_agg((b ->> 'requests')::integer ORDER BY n),
      array_agg((b ->> 'interval_ms')::double precision + (b ->> 'margin_ms')::double precision ORDER BY n),
      array_agg(coalesce((b ->> 'checked_only')::boolean, false) ORDER BY n)
    INTO keys, limits, spans, checked_only
    FROM jsonb_array_elements(p_budgets) WITH ORDINALITY AS budget (b, n);
  budgets := array_length(keys, 1);
  owns := array_fill(NULL::tid, ARRAY[budgets]);
  INSERT INTO ${schema}.rate_limit (key) SELECT DISTINCT unnest(keys) ORDER BY 1 ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${schema}.rate_limit WHERE key = ANY (keys) ORDER BY key FOR UPDATE;
  now_ms := extract(epoch FROM clock_timestamp()) * 1000;
  IF p_reserved_at IS NOT NULL THEN
    -- Our rows: a reservation in each scheduling budget; after a claim (p_recheck), a start in every budget.
    FOR i IN 1..budgets LOOP
      own := NULL;
      SELECT ctid INTO own FROM ${schema}.rate_limit_slot
        WHERE key = keys[i] AND slot_at = p_reserved_at AND (p_recheck OR NOT claimed) LIMIT 1;
      owns[i] := own;
      IF own IS NULL AND (p_recheck OR NOT checked_only[i]) THEN
        held := false;
      END IF;
    END LOOP;
    IF held THEN
      IF now_ms < p_reserved_at THEN
        RETURN QUERY SELECT p_reserved_at - now_ms, p_reserved_at;
        RETURN;
      END IF;
      -- A budget's window is full while its limit of starts other than ours lie in (now - span, now].
      window_full_until := NULL;
      FOR i IN 1..budgets LOOP
        full_until := NULL;
        SELECT s.slot_at + spans[i] INTO full_until FROM ${schema}.rate_limit_slot s
          WHERE s.key = keys[i] AND s.claimed AND s.slot_at > now_ms - spans[i]
            AND (owns[i] IS NULL OR s.ctid <> owns[i])
          ORDER BY s.slot_at DESC OFFSET limits[i] - 1 LIMIT 1;
        window_full_until := greatest(window_full_until, full_until);
      END LOOP;
      IF window_full_until IS NULL THEN
        FOR i IN 1..budgets LOOP
          IF owns[i] IS NULL THEN
            INSERT INTO ${schema}.rate_limit_slot (key, slot_at, claimed) VALUES (keys[i], now_ms, true);
          ELSE
            UPDATE ${schema}.rate_limit_slot SET slot_at = now_ms, claimed = true WHERE ctid = owns[i];
          END IF;
        END LOOP;
        RETURN QUERY SELECT 0::double precision, now_ms;
        RETURN;
      END IF;
      FOR i IN 1..budgets LOOP
        IF owns[i] IS NOT NULL AND checked_only[i] THEN
          DELETE FROM ${schema}.rate_limit_slot WHERE ctid = owns[i];
        ELSIF owns[i] IS NOT NULL THEN
          UPDATE ${schema}.rate_limit_slot SET slot_at = window_full_until, claimed = false WHERE ctid = owns[i];
        END IF;
      END LOOP;
      RETURN QUERY SELECT window_full_until - now_ms, window_full_until;
      RETURN;
    END IF;
    -- Part of it is gone (dropped after a stall of two windows): give the rest back and reserve again.
    DELETE FROM ${schema}.rate_limit_slot WHERE ctid = ANY (owns);
  END IF;
  slot := now_ms;
  FOR i IN 1..budgets LOOP
    DELETE FROM ${schema}.rate_limit_slot WHERE key = keys[i] AND slot_at <= now_ms - 2 * spans[i];
    IF checked_only[i] THEN
      full_until := NULL;
      SELECT s.slot_at + spans[i] INTO full_until FROM ${schema}.rate_limit_slot s
        WHERE s.key = keys[i] AND s.claimed AND s.slot_at > now_ms - spans[i]
        ORDER BY s.slot_at DESC OFFSET limits[i] - 1 LIMIT 1;
      slot := greatest(slot, full_until);
    ELSE
      latest := NULL;
      nth_latest := NULL;
      SELECT max(s.slot_at) INTO latest FROM ${schema}.rate_limit_slot s WHERE s.key = keys[i];
      SELECT s.slot_at INTO nth_latest FROM ${schema}.rate_limit_slot s
        WHERE s.key = keys[i] ORDER BY s.slot_at DESC OFFSET limits[i] - 1 LIMIT 1;
      slot := greatest(slot, latest + spans[i] / limits[i], nth_latest + spans[i]);
    END IF;
  END LOOP;
  -- Starting now takes every budget at once; a later slot is reserved in the scheduling budgets only.
  INSERT INTO ${schema}.rate_limit_slot (key, slot_at, claimed)
    SELECT keys[i], slot, slot = now_ms FROM generate_subscripts(keys, 1) AS i
    WHERE slot = now_ms OR NOT checked_only[i];
  RETURN QUERY SELECT slot - now_ms, slot;
END
$body$;
-- Gives up a reserved (unclaimed) slot of each key in p_keys (a JSON array of keys): the caller was
-- aborted while it waited.
CREATE OR REPLACE FUNCTION ${schema}.rate_limit_give_back(p_keys jsonb, p_reserved_at double precision)
RETURNS void LANGUAGE sql AS $body$
  DELETE FROM ${schema}.rate_limit_slot WHERE ctid IN (
    SELECT DISTINCT ON (key) ctid FROM ${schema}.rate_limit_slot
    WHERE key IN (SELECT jsonb_array_elements_text(p_keys)) AND slot_at = p_reserved_at AND NOT claimed);
$body$;
`,
  },
]
