/**
 * Every statement the store runs, written as SQL, parameterised, one named function each (the
 * pg-boss way): a reader sees the exact statement, and errors and traces name it. `schema` is
 * always an identifier already quoted by {@link quoteIdentifier}; values only ever travel as
 * parameters. JSON travels as text and is cast in SQL (`$1::text::jsonb`) so both drivers agree.
 */
import type { SqlStatement, SqlValue } from './executor.js'

/** Quotes a schema name after checking it is a plain lower-case identifier. */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new TypeError(
      `@openkyc/postgres: schema "${name}" must be a lower-case identifier ([a-z_][a-z0-9_]*)`,
    )
  }
  return `"${name}"`
}

function statement(name: string, text: string, values: readonly SqlValue[] = []): SqlStatement {
  return { name, text, values }
}

/** The named statements, each a function of the quoted schema and the values it binds. */
export const statements = {
  // — migrations —
  selectMigrationTable: (schema: string) =>
    statement('select migration table', `SELECT to_regclass($1) IS NOT NULL AS has_table`, [
      `${schema}.migration`,
    ]),
  selectMigrationVersion: (schema: string) =>
    statement(
      'select migration version',
      `SELECT coalesce(max(version), 0)::integer AS version, count(*)::integer AS count FROM ${schema}.migration`,
    ),
  lockMigrations: (schema: string) =>
    statement('lock migrations', `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked`, [
      `openkyc:migrate:${schema}`,
    ]),
  selectMigration: (schema: string, version: number) =>
    statement('select migration', `SELECT version FROM ${schema}.migration WHERE version = $1`, [version]),
  insertMigration: (schema: string, version: number, name: string) =>
    statement(
      'insert migration',
      `INSERT INTO ${schema}.migration (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING`,
      [version, name],
    ),

  // — webhook inbox —
  /**
   * Claims an event: a new row, or a takeover of a claim whose lease ran out, or of a record whose
   * dedupe lifetime ended. Returns one row when the caller now holds the claim, none otherwise.
   */
  claimInboxEvent: (schema: string, provider: string, eventId: string, leaseMs: number, ttlMs: number) =>
    statement(
      'claim inbox event',
      `INSERT INTO ${schema}.webhook_inbox AS inbox (provider, event_id, state, lease_expires_at, expires_at)
VALUES ($1, $2, 'claimed', clock_timestamp() + make_interval(secs => $3::float8 / 1000),
        clock_timestamp() + make_interval(secs => $4::float8 / 1000))
ON CONFLICT (provider, event_id) DO UPDATE
  SET state = 'claimed', lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at,
      attempts = inbox.attempts + 1, processed_at = NULL
  WHERE (inbox.state = 'claimed' AND inbox.lease_expires_at <= clock_timestamp())
     OR inbox.expires_at <= clock_timestamp()
RETURNING inbox.attempts`,
      [provider, eventId, leaseMs, ttlMs],
    ),
  selectInboxEvent: (schema: string, provider: string, eventId: string) =>
    statement(
      'select inbox event',
      `SELECT state, (lease_expires_at > clock_timestamp()) AS lease_live, (expires_at > clock_timestamp()) AS live
FROM ${schema}.webhook_inbox WHERE provider = $1 AND event_id = $2`,
      [provider, eventId],
    ),
  completeInboxEvent: (schema: string, provider: string, eventId: string) =>
    statement(
      'complete inbox event',
      `UPDATE ${schema}.webhook_inbox SET state = 'processed', processed_at = clock_timestamp(), lease_expires_at = NULL
WHERE provider = $1 AND event_id = $2 RETURNING event_id`,
      [provider, eventId],
    ),
  releaseInboxEvent: (schema: string, provider: string, eventId: string) =>
    statement(
      'release inbox event',
      `DELETE FROM ${schema}.webhook_inbox WHERE provider = $1 AND event_id = $2 AND state = 'claimed'`,
      [provider, eventId],
    ),
  deleteExpiredInboxEvents: (schema: string, limit: number) =>
    statement(
      'delete expired inbox events',
      `DELETE FROM ${schema}.webhook_inbox WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM ${schema}.webhook_inbox WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED))
RETURNING 1 AS deleted`,
      [limit],
    ),

  // — verification state —
  /** Serializes writers of one verification until the transaction ends (across every instance). */
  lockVerification: (provider: string, id: string) =>
    statement(
      'lock verification',
      `SELECT pg_advisory_xact_lock(hashtextextended(length($1)::text || ':' || $1 || $2, 0))::text AS locked`,
      [provider, id],
    ),
  selectVerification: (schema: string, provider: string, id: string) =>
    statement(
      'select verification',
      `SELECT provider, id, document FROM ${schema}.verification WHERE provider = $1 AND id = $2`,
      [provider, id],
    ),
  /**
   * The forward-only upsert. The row changes only when the update is ahead of it by (status rank,
   * decision rank, redaction, updatedAt), compared in SQL on the stored row, so two instances racing
   * can never move a verification backwards. Returns the document before and the one written (null
   * when the update was behind or equal).
   */
  upsertVerification: (
    schema: string,
    update: {
      provider: string
      id: string
      status: string
      statusRank: number
      decisionRank: number
      redacted: boolean
      updatedAtMs: number
      document: string
    },
  ) =>
    statement(
      'upsert verification',
      `WITH previous AS (
  SELECT document FROM ${schema}.verification WHERE provider = $1 AND id = $2 FOR UPDATE
), written AS (
  INSERT INTO ${schema}.verification AS stored
    (provider, id, status, status_rank, decision_rank, redacted, updated_at_ms, document)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)
  ON CONFLICT (provider, id) DO UPDATE SET
    status = excluded.status,
    status_rank = excluded.status_rank,
    decision_rank = excluded.decision_rank,
    redacted = stored.redacted OR excluded.redacted,
    updated_at_ms = excluded.updated_at_ms,
    document = ${schema}.merge_verification(stored.document, excluded.document),
    stored_at = now()
  WHERE (excluded.status_rank, excluded.decision_rank, excluded.redacted, excluded.updated_at_ms)
      > (stored.status_rank, stored.decision_rank, stored.redacted, stored.updated_at_ms)
  RETURNING stored.document
)
SELECT (SELECT document FROM previous) AS previous, (SELECT document FROM written) AS written`,
      [
        update.provider,
        update.id,
        update.status,
        update.statusRank,
        update.decisionRank,
        update.redacted,
        update.updatedAtMs,
        update.document,
      ],
    ),
  deleteVerification: (schema: string, provider: string, id: string) =>
    statement('delete verification', `DELETE FROM ${schema}.verification WHERE provider = $1 AND id = $2`, [
      provider,
      id,
    ]),

  // — audit log —
  /**
   * Appends one entry: moves the head (sequence + 1, hash = sha256(previous hash, newline, entry))
   * and inserts the row, in one statement. The head row's lock orders appends across instances.
   */
  appendAudit: (schema: string, entry: string, provider: string, verificationId: string | null) =>
    statement(
      'append audit entry',
      `WITH head AS (
  UPDATE ${schema}.audit_head
  SET sequence = sequence + 1,
      hash = encode(sha256(convert_to(hash || chr(10) || $1::text, 'UTF8')), 'hex')
  WHERE singleton
  RETURNING sequence, hash
)
INSERT INTO ${schema}.audit_log (sequence, entry, hash, provider, verification_id)
SELECT sequence, $1::text, hash, $2, $3 FROM head
RETURNING sequence::text AS sequence, hash`,
      [entry, provider, verificationId],
    ),
  selectAuditHead: (schema: string) =>
    statement(
      'select audit head',
      `SELECT sequence::text AS sequence, hash FROM ${schema}.audit_head WHERE singleton`,
    ),
  selectAuditPage: (schema: string, afterSequence: number, limit: number) =>
    statement(
      'select audit page',
      `SELECT sequence::text AS sequence, entry, hash FROM ${schema}.audit_log
WHERE sequence > $1 ORDER BY sequence LIMIT $2`,
      [afterSequence, limit],
    ),
  selectAuditForVerification: (schema: string, provider: string, verificationId: string) =>
    statement(
      'select audit for verification',
      `SELECT sequence::text AS sequence, entry, hash FROM ${schema}.audit_log
WHERE provider = $1 AND verification_id = $2 ORDER BY sequence`,
      [provider, verificationId],
    ),

  // — key-value for adapters —
  selectKeyValue: (schema: string, namespace: string, key: string) =>
    statement(
      'select key-value',
      `SELECT value FROM ${schema}.key_value
WHERE namespace = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > clock_timestamp())`,
      [namespace, key],
    ),
  upsertKeyValue: (schema: string, namespace: string, key: string, value: string, ttlMs: number | null) =>
    statement(
      'upsert key-value',
      `INSERT INTO ${schema}.key_value (namespace, key, value, expires_at)
VALUES ($1, $2, $3::text::jsonb,
        CASE WHEN $4::float8 IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $4::float8 / 1000) END)
ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [namespace, key, value, ttlMs],
    ),
  deleteKeyValue: (schema: string, namespace: string, key: string) =>
    statement('delete key-value', `DELETE FROM ${schema}.key_value WHERE namespace = $1 AND key = $2`, [
      namespace,
      key,
    ]),
  deleteExpiredKeyValues: (schema: string, limit: number) =>
    statement(
      'delete expired key-values',
      `DELETE FROM ${schema}.key_value WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM ${schema}.key_value WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED))
RETURNING 1 AS deleted`,
      [limit],
    ),
} as const
