import { KycStoreIntegrityError } from '@openkyc/core'
import type { SqlExecutor } from './executor.js'
import { quoteIdentifier, statements } from './sql.js'

/** One schema change shipped with the package. Versions are consecutive from 1 and never edited once released. */
export type Migration = {
  readonly version: number
  readonly name: string
  /** The SQL, given the quoted schema name. Each runs in its own transaction. */
  readonly up: (schema: string) => string
}

/**
 * The migrations, in order. Every statement is idempotent (`IF NOT EXISTS`, `OR REPLACE`, `ON CONFLICT
 * DO NOTHING`), so re-running a migration whose record was lost changes nothing.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'webhook inbox, verification state, audit log, key-value',
    up: (schema) => `
CREATE TABLE IF NOT EXISTS ${schema}.webhook_inbox (
  provider text NOT NULL,
  event_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('claimed', 'completed')),
  claim_token uuid,
  lease_expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 1,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX IF NOT EXISTS webhook_inbox_expires_at ON ${schema}.webhook_inbox (expires_at);

-- progress is verificationProgressKey() of @openkyc/core: its byte order is the forward-only order.
CREATE TABLE IF NOT EXISTS ${schema}.verification (
  provider text NOT NULL,
  id text NOT NULL,
  progress text COLLATE "C" NOT NULL,
  document jsonb NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, id)
);

-- entry is the whole AuditEntry (hash included); provider and verification_id repeat two of its
-- fields for lookups. audit_head is the chain head, locked by every append so the chain never forks.
CREATE TABLE IF NOT EXISTS ${schema}.audit_log (
  sequence bigint PRIMARY KEY,
  provider text NOT NULL,
  verification_id text NOT NULL,
  entry jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_verification ON ${schema}.audit_log (provider, verification_id, sequence);
CREATE TABLE IF NOT EXISTS ${schema}.audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  sequence bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO ${schema}.audit_head (singleton, sequence, hash)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000')
ON CONFLICT (singleton) DO NOTHING;

-- Append-only: rows cannot be changed or removed through SQL. (The owner can still disable the
-- trigger; the hash chain and verifyAuditChain() catch that.)
CREATE OR REPLACE FUNCTION ${schema}.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $reject$
BEGIN
  RAISE EXCEPTION 'the OpenKYC audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$reject$;
DROP TRIGGER IF EXISTS audit_log_append_only ON ${schema}.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ${schema}.audit_log
  FOR EACH ROW EXECUTE FUNCTION ${schema}.reject_audit_change();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON ${schema}.audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ${schema}.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.reject_audit_change();

CREATE TABLE IF NOT EXISTS ${schema}.key_value (
  namespace text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  expires_at timestamptz,
  PRIMARY KEY (namespace, key)
);
`,
  },
  {
    version: 2,
    name: 'audit log as interleaved hash chains',
    up: (schema) => `
-- One head per chain (chain = auditChainFor(verification id, chains) of @openkyc/core), so appends to
-- different chains lock different rows and commit at once. The store creates the rows it needs.
CREATE TABLE IF NOT EXISTS ${schema}.audit_chain_head (
  chain integer PRIMARY KEY CHECK (chain >= 0),
  chain_sequence bigint NOT NULL,
  hash text NOT NULL
);
-- The store-wide read cursor of chained entries (audit_log.sequence), drawn under the chain's lock so
-- it ascends within each chain. Continues after the rows of the one chain kept so far.
CREATE SEQUENCE IF NOT EXISTS ${schema}.audit_log_sequence AS bigint MINVALUE 1;
SELECT setval('${schema}.audit_log_sequence',
  greatest((SELECT coalesce(max(sequence), 0) FROM ${schema}.audit_log), (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${schema}.audit_log_sequence)) + 1,
  false);
`,
  },
  {
    version: 3,
    name: 'opt-in encrypted raw archive',
    up: (schema) => `
-- Vendor payloads encrypted by @openkyc/core's createRawArchive (AES-256-GCM; the database never sees
-- a key or the plaintext), filed by the ids needed to find and erase them, deleted after expires_at.
CREATE TABLE IF NOT EXISTS ${schema}.raw_archive (
  sequence bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  provider text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('webhook_delivery', 'retrieval_response')),
  received_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  verification_ids text[] NOT NULL,
  event_ids text[] NOT NULL,
  key_id text NOT NULL,
  iv text NOT NULL,
  ciphertext text NOT NULL
);
CREATE INDEX IF NOT EXISTS raw_archive_expires_at ON ${schema}.raw_archive (expires_at);
CREATE INDEX IF NOT EXISTS raw_archive_verification_ids ON ${schema}.raw_archive USING gin (verification_ids);
CREATE INDEX IF NOT EXISTS raw_archive_event_ids ON ${schema}.raw_archive USING gin (event_ids);
`,
  },
  {
    version: 4,
    name: 'verification lookup by subject',
    up: (schema) => `
-- verifications.find filters the stored document; erasure looks up every verification of one
-- subjectReference, which was a scan of the whole table.
CREATE INDEX IF NOT EXISTS verification_subject_reference
  ON ${schema}.verification ((document->>'subjectReference'));
`,
  },
  {
    version: 5,
    name: 'verification document as json',
    up: (schema) => `
-- The verification document is written whole on every event and read back whole; nothing queries
-- inside it but ->> lookups, which json has too. jsonb parsed each ~11 kB write into its binary form
-- (about 1 ms of server CPU per write); json only checks the text's syntax. Rewrites the table once;
-- the subject index is rebuilt on the same expression.
DO $document_as_json$
BEGIN
  IF (SELECT atttypid FROM pg_attribute
      WHERE attrelid = '${schema}.verification'::regclass AND attname = 'document') = 'jsonb'::regtype THEN
    ALTER TABLE ${schema}.verification ALTER COLUMN document TYPE json USING document::json;
  END IF;
END
$document_as_json$;
`,
  },
  {
    version: 6,
    name: 'verification subject as a column',
    up: (schema) => `
-- Migration 4 indexed an expression over document, so every write of a new document (one per event)
-- also had to insert into that index and the primary key: no write could be a heap-only (HOT)
-- update. The subject reference is now a column of its own, written with the document and unchanged
-- by later states, so the index over it no longer blocks HOT updates. Backfilled from the document.
ALTER TABLE ${schema}.verification ADD COLUMN IF NOT EXISTS subject_reference text;
UPDATE ${schema}.verification SET subject_reference = document->>'subjectReference'
  WHERE subject_reference IS NULL AND document->>'subjectReference' IS NOT NULL;
DROP INDEX IF EXISTS ${schema}.verification_subject_reference;
CREATE INDEX verification_subject_reference ON ${schema}.verification (subject_reference);
`,
  },
  {
    version: 7,
    name: 'verification document compressed with lz4',
    up: (schema) => `
-- Every event writes the whole ~11 kB document, and a value that large is compressed before it is
-- stored: lz4 costs the server about half the CPU of the default pglz per write (0.09-0.11 against
-- 0.17-0.19 ms, measured on PostgreSQL 15). Applies to values written from now on; older ones stay
-- readable as they are. A server built without lz4 (and PGlite) keeps pglz.
DO $document_lz4$
BEGIN
  ALTER TABLE ${schema}.verification ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$document_lz4$;
`,
  },
  {
    version: 8,
    name: 'audit chain head keeps the hash it replaced',
    up: (schema) => `
-- An append to a chain was a SELECT ... FOR UPDATE of the chain's head, then an UPDATE of it joined
-- to that read: two visits to the row, a row-lock WAL record and a hash join, once per event. The
-- append is now one UPDATE whose SET computes the new hash from the old one and keeps the old one
-- here, so its RETURNING can give the entry its previousHash. Written by every append; read by
-- nothing else (the chain is checked from audit_log).
ALTER TABLE ${schema}.audit_chain_head ADD COLUMN IF NOT EXISTS previous_hash text;
`,
  },
]

/** The migration version this copy of the package needs. */
export const latestMigrationVersion = migrations[migrations.length - 1]?.version ?? 0

/** Options for {@link migrate} and {@link assertMigrated}. */
export type MigrateOptions = {
  /** The schema the tables live in. Default `openkyc`. */
  schema?: string
  /**
   * The migrations to apply or check. Default: this package's own ({@link migrations}). Another
   * package keeping its own tables in its own schema (`@openkyc/jobs`) passes its list here and
   * reuses the same runner, lock and migration table.
   */
  migrations?: readonly Migration[]
}

/** What {@link migrate} did. */
export type MigrateResult = {
  /** Versions applied by this call, in order (empty when the database was up to date). */
  applied: number[]
  /** The version the database is at now. */
  version: number
}

type MigrationState = { version: number; count: number }

async function readMigrationState(
  executor: SqlExecutor,
  schema: string,
): Promise<MigrationState | undefined> {
  const [table] = await executor.query<{ has_table: boolean }>(statements.selectMigrationTable(schema))
  if (table?.has_table !== true) return undefined
  const [row] = await executor.query<MigrationState>(statements.selectMigrationVersion(schema))
  return row ?? { version: 0, count: 0 }
}

/**
 * Brings the database up to this package's schema: creates the schema and applies each missing
 * migration in its own transaction, under an advisory lock so instances starting together apply
 * each migration once. Safe to call at every start.
 *
 * @example
 * ```ts
 * const database = await openDatabase({ url: process.env.DATABASE_URL })
 * const { applied, version } = await migrate(database)
 * ```
 */
export async function migrate(executor: SqlExecutor, options: MigrateOptions = {}): Promise<MigrateResult> {
  const schema = quoteIdentifier(options.schema ?? 'openkyc')
  const applied: number[] = []
  for (const migration of options.migrations ?? migrations) {
    const done = await executor.transaction(async (transaction) => {
      await transaction.query(statements.lockMigrations(schema))
      await transaction.execute(
        `CREATE SCHEMA IF NOT EXISTS ${schema};
CREATE TABLE IF NOT EXISTS ${schema}.migration (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`,
        'create migration table',
      )
      const [row] = await transaction.query(statements.selectMigration(schema, migration.version))
      if (row !== undefined) return false
      await transaction.execute(migration.up(schema), `migration ${migration.version}`)
      await transaction.query(statements.insertMigration(schema, migration.version, migration.name))
      return true
    })
    if (done) applied.push(migration.version)
  }
  const state = await readMigrationState(executor, schema)
  return { applied, version: state?.version ?? 0 }
}

/**
 * Throws a `KycStoreIntegrityError` naming what to do when the database is behind this package
 * (call `migrate()`) or ahead of it (upgrade `@openkyc/postgres`). The store calls it when it opens.
 */
export async function assertMigrated(executor: SqlExecutor, options: MigrateOptions = {}): Promise<void> {
  const schema = quoteIdentifier(options.schema ?? 'openkyc')
  const state = await readMigrationState(executor, schema)
  const version = state?.version
  const list = options.migrations ?? migrations
  const latest = list[list.length - 1]?.version ?? 0
  if (state !== undefined && state.count !== state.version) {
    throw new KycStoreIntegrityError({
      message: `The database schema ${schema} is missing a migration below version ${state.version} (${state.count} of ${state.version} recorded). Call migrate(database) to apply it (migrations are idempotent).`,
    })
  }
  if (version === undefined || version < latest) {
    throw new KycStoreIntegrityError({
      message: `The database schema ${schema} is at migration ${version ?? 'none'}, this @openkyc/postgres needs ${latest}. Call migrate(database) (or run "openkyc migrate") before opening the store.`,
    })
  }
  if (version > latest) {
    throw new KycStoreIntegrityError({
      message: `The database schema ${schema} is at migration ${version}, newer than this @openkyc/postgres knows (${latest}). Upgrade @openkyc/postgres in this application.`,
    })
  }
}
