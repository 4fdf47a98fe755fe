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
  key text PRIMARY KEY,
  next_slot_at double precision NOT NULL
);
CREATE TABLE IF NOT EXISTS ${schema}.bulk_batch (
  id uuid PRIMARY KEY,
  label text,
  total integer NOT NULL DEFAULT 0,
  submitted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
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
  verification_id text,
  verification_status text,
  error_code text,
  finished_at timestamptz,
  PRIMARY KEY (batch_id, position)
);
CREATE INDEX IF NOT EXISTS bulk_item_state ON ${schema}.bulk_item (batch_id, state);
`,
  },
]
