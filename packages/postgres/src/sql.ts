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

/** One verification state as the store writes it: the document as JSON text, and its indexed columns. */
type VerificationRow = {
  provider: string
  id: string
  /** `verificationProgressKey()` of the document: the forward-only order. */
  progress: string
  document: string
  subjectReference: string | null
}

/** What a claim inside the caller's transaction binds (`$1`…`$7`). */
type TransactionClaim = {
  schemaName: string
  provider: string
  eventId: string
  ttlMs: number
  verification: { provider: string; id: string } | null
  knownVersion: string | null
}

const transactionClaimValues = (claim: TransactionClaim): SqlValue[] => [
  claim.schemaName,
  claim.provider,
  claim.eventId,
  claim.ttlMs,
  claim.verification?.provider ?? null,
  claim.verification?.id ?? null,
  claim.knownVersion,
]

/** The first steps of a claim inside a transaction: the event's advisory lock (`lock`) and its inbox mark (`claimed`). */
const claimInTransactionSteps = (schema: string) => `lock AS (
  SELECT pg_try_advisory_xact_lock(hashtextextended('openkyc inbox ' || $1 || ' ' || $2 || ' ' || $3, 0)) AS held
), claimed AS (
  INSERT INTO ${schema}.webhook_inbox AS inbox (provider, event_id, state, completed_at, expires_at)
  SELECT $2, $3, 'completed', clock_timestamp(), clock_timestamp() + make_interval(secs => $4::float8 / 1000)
  FROM lock WHERE lock.held
  ON CONFLICT (provider, event_id) DO UPDATE
    SET state = 'completed', claim_token = NULL, lease_expires_at = NULL, completed_at = excluded.completed_at,
        expires_at = excluded.expires_at, attempts = inbox.attempts + 1
    WHERE (inbox.state = 'claimed' AND inbox.lease_expires_at <= clock_timestamp())
       OR (inbox.state = 'completed' AND inbox.expires_at <= clock_timestamp())
  RETURNING 1 AS claimed
)`

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
   * Claims an event: a new row, a takeover of a claim whose lease ran out, or of a completed mark
   * whose dedupe lifetime ended; each time with the caller's fresh token. Returns one row when the
   * caller now holds the claim, none otherwise.
   */
  claimInboxEvent: (
    schema: string,
    claim: { provider: string; eventId: string; token: string; leaseMs: number; ttlMs: number },
  ) =>
    statement(
      'claim inbox event',
      `INSERT INTO ${schema}.webhook_inbox AS inbox
  (provider, event_id, state, claim_token, lease_expires_at, expires_at)
VALUES ($1, $2, 'claimed', $3::uuid, clock_timestamp() + make_interval(secs => $4::float8 / 1000),
        clock_timestamp() + make_interval(secs => ($4::float8 + $5::float8) / 1000))
ON CONFLICT (provider, event_id) DO UPDATE
  SET state = 'claimed', claim_token = excluded.claim_token, lease_expires_at = excluded.lease_expires_at,
      expires_at = excluded.expires_at, attempts = inbox.attempts + 1, completed_at = NULL
  WHERE (inbox.state = 'claimed' AND inbox.lease_expires_at <= clock_timestamp())
     OR (inbox.state = 'completed' AND inbox.expires_at <= clock_timestamp())
RETURNING (extract(epoch FROM inbox.lease_expires_at) * 1000)::float8 AS lease_expires_ms`,
      [claim.provider, claim.eventId, claim.token, claim.leaseMs, claim.ttlMs],
    ),
  /**
   * Claims an event inside the caller's transaction and marks it completed there, so the mark commits
   * with the event's work or not at all. A transaction-scoped advisory lock on the event makes a
   * concurrent claim answer at once instead of waiting (`held` false: busy); the insert takes a new
   * event, a claim whose lease ran out, or a completed mark whose dedupe lifetime ended (`claimed`).
   * When claimed, the verification `$5`/`$6` (may be null) is locked in the same round trip and its
   * row version (`xmin`) returned; its document only when that version is not `$7`, the version this
   * process wrote last (null: unknown), so a state the process wrote itself is not sent back.
   */
  claimInboxEventInTransaction: (schema: string, claim: TransactionClaim) =>
    statement(
      'claim inbox event in transaction',
      `WITH ${claimInTransactionSteps(schema)}, locked AS (
  SELECT xmin::text AS version, CASE WHEN xmin::text = $7::text THEN NULL ELSE document END AS document
  FROM ${schema}.verification
  WHERE provider = $5 AND id = $6 AND EXISTS (SELECT 1 FROM claimed) FOR UPDATE
)
SELECT (SELECT held FROM lock) AS held, EXISTS (SELECT 1 FROM claimed) AS claimed,
  NULL::text AS advanced_version, (SELECT version FROM locked) AS version, (SELECT document FROM locked) AS document`,
      transactionClaimValues(claim),
    ),
  /**
   * {@link statements.claimInboxEventInTransaction} that also writes the verification's next state
   * when claimed, saving the separate write: the forward-only write of
   * {@link statements.advanceVerification} from version `$7` (the state the caller computed the next
   * one from), returning the new version as `advanced_version`. When the row no longer holds `$7` (or
   * its progress is not behind), nothing is written and the row is locked and read as the plain claim
   * does (`version`, and `document` unless the version is `$7`).
   */
  claimInboxEventAndAdvanceVerification: (
    schema: string,
    claim: TransactionClaim & { verification: { provider: string; id: string }; knownVersion: string },
    row: Pick<VerificationRow, 'progress' | 'document' | 'subjectReference'>,
  ) =>
    statement(
      'claim inbox event and advance verification',
      `WITH ${claimInTransactionSteps(schema)}, advanced AS (
  UPDATE ${schema}.verification
  SET progress = $8, document = $9::text::json, subject_reference = $10, stored_at = now()
  WHERE provider = $5 AND id = $6 AND progress < $8 AND xmin::text = $7::text AND EXISTS (SELECT 1 FROM claimed)
  RETURNING xmin::text AS version
), locked AS (
  SELECT xmin::text AS version, CASE WHEN xmin::text = $7::text THEN NULL ELSE document END AS document
  FROM ${schema}.verification
  WHERE provider = $5 AND id = $6 AND EXISTS (SELECT 1 FROM claimed) AND NOT EXISTS (SELECT 1 FROM advanced)
  FOR UPDATE
)
SELECT (SELECT held FROM lock) AS held, EXISTS (SELECT 1 FROM claimed) AS claimed,
  (SELECT version FROM advanced) AS advanced_version, (SELECT version FROM locked) AS version,
  (SELECT document FROM locked) AS document`,
      [...transactionClaimValues(claim), row.progress, row.document, row.subjectReference],
    ),
  selectInboxEvent: (schema: string, provider: string, eventId: string) =>
    statement(
      'select inbox event',
      `SELECT state, (extract(epoch FROM lease_expires_at) * 1000)::float8 AS lease_expires_ms,
  CASE WHEN state = 'completed' THEN expires_at > clock_timestamp() ELSE lease_expires_at > clock_timestamp() END AS live
FROM ${schema}.webhook_inbox WHERE provider = $1 AND event_id = $2`,
      [provider, eventId],
    ),
  /** Completes a claim, inside the event's transaction, only while the caller's token and lease hold. */
  completeInboxEvent: (
    schema: string,
    claim: { provider: string; eventId: string; token: string },
    ttlMs: number,
  ) =>
    statement(
      'complete inbox event',
      `UPDATE ${schema}.webhook_inbox
SET state = 'completed', completed_at = clock_timestamp(), claim_token = NULL, lease_expires_at = NULL,
    expires_at = clock_timestamp() + make_interval(secs => $4::float8 / 1000)
WHERE provider = $1 AND event_id = $2 AND state = 'claimed' AND claim_token = $3::uuid
  AND lease_expires_at > clock_timestamp()
RETURNING 1 AS completed`,
      [claim.provider, claim.eventId, claim.token, ttlMs],
    ),
  releaseInboxEvent: (schema: string, claim: { provider: string; eventId: string; token: string }) =>
    statement(
      'release inbox event',
      `DELETE FROM ${schema}.webhook_inbox
WHERE provider = $1 AND event_id = $2 AND state = 'claimed' AND claim_token = $3::uuid`,
      [claim.provider, claim.eventId, claim.token],
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
  /**
   * Locks a verification's row until the transaction ends and reads its row version (`xmin`), and its
   * document unless the version is `knownVersion` (the state this process wrote last; null: unknown).
   */
  selectVerificationForUpdate: (schema: string, provider: string, id: string, knownVersion: string | null) =>
    statement(
      'select verification for update',
      `SELECT xmin::text AS version, CASE WHEN xmin::text = $3::text THEN NULL ELSE document END AS document
FROM ${schema}.verification WHERE provider = $1 AND id = $2 FOR UPDATE`,
      [provider, id, knownVersion],
    ),
  selectVerification: (schema: string, provider: string, id: string) =>
    statement(
      'select verification',
      `SELECT document FROM ${schema}.verification WHERE provider = $1 AND id = $2`,
      [provider, id],
    ),
  /**
   * Inserts a first state and returns its row version; returns no row when a concurrent transaction
   * inserted it first.
   */
  insertVerification: (schema: string, row: VerificationRow) =>
    statement(
      'insert verification',
      `INSERT INTO ${schema}.verification (provider, id, progress, document, subject_reference)
VALUES ($1, $2, $3, $4::text::json, $5)
ON CONFLICT (provider, id) DO NOTHING
RETURNING xmin::text AS version`,
      [row.provider, row.id, row.progress, row.document, row.subjectReference],
    ),
  /**
   * The forward-only write: the row changes only when the new progress key is ahead of the stored
   * one, compared in SQL on the row itself, so no writer (another instance, a stale process, a bug)
   * can move a verification backwards; and only while the row is still the version the new state was
   * computed from (`$5`), so no state is written over one its writer never saw. Returns the new version.
   */
  advanceVerification: (schema: string, row: VerificationRow & { fromVersion: string }) =>
    statement(
      'advance verification',
      `UPDATE ${schema}.verification
SET progress = $3, document = $4::text::json, subject_reference = $6, stored_at = now()
WHERE provider = $1 AND id = $2 AND progress < $3 AND xmin::text = $5::text
RETURNING xmin::text AS version`,
      [row.provider, row.id, row.progress, row.document, row.fromVersion, row.subjectReference],
    ),

  /**
   * One page of verifications for `verifications.find`, in (provider, id) code-unit order; `null`
   * filters match everything, lists travel as JSON text. Asks for one row more than the page, so the
   * caller knows whether another page follows. The subject has an index (migration 6); the other
   * filters read the stored document (a scan).
   */
  selectVerificationPage: (
    schema: string,
    query: {
      provider: string | null
      subjectReference: string | null
      statuses: string | null
      outcomes: string | null
      redacted: boolean | null
      unchangedForMs: number | null
      settledBefore: string | null
      afterProvider: string | null
      afterId: string | null
      limit: number
    },
  ) =>
    statement(
      'select verification page',
      `SELECT provider, id, document FROM ${schema}.verification
WHERE ($1::text IS NULL OR provider = $1)
  AND ($2::text IS NULL OR subject_reference = $2)
  AND ($3::text IS NULL OR document->>'status' IN (SELECT jsonb_array_elements_text($3::text::jsonb)))
  AND ($4::text IS NULL OR document->'decision'->>'outcome' IN (SELECT jsonb_array_elements_text($4::text::jsonb)))
  AND ($5::boolean IS NULL OR (document->>'redactedAt' IS NOT NULL) = $5::boolean)
  AND ($6::float8 IS NULL OR stored_at <= clock_timestamp() - make_interval(secs => $6::float8 / 1000))
  AND ($7::text IS NULL
       OR coalesce(document->>'completedAt', document->>'updatedAt')::timestamptz < $7::text::timestamptz)
  AND ($8::text IS NULL OR provider COLLATE "C" > $8 OR (provider = $8 AND id COLLATE "C" > $9::text))
ORDER BY provider COLLATE "C", id COLLATE "C"
LIMIT $10::integer + 1`,
      [
        query.provider,
        query.subjectReference,
        query.statuses,
        query.outcomes,
        query.redacted,
        query.unchangedForMs,
        query.settledBefore,
        query.afterProvider,
        query.afterId,
        query.limit,
      ],
    ),

  // — audit log —
  /** Reads the chain head and locks it until the transaction ends (the append path under contention). */
  lockAuditHead: (schema: string) =>
    statement(
      'lock audit head',
      `SELECT sequence::text AS sequence, hash FROM ${schema}.audit_head WHERE singleton FOR UPDATE`,
    ),
  selectAuditHead: (schema: string) =>
    statement(
      'select audit head',
      `SELECT sequence::text AS sequence, hash FROM ${schema}.audit_head WHERE singleton`,
    ),
  selectLastAuditEntry: (schema: string) =>
    statement(
      'select last audit entry',
      `SELECT sequence::text AS sequence, provider, verification_id, entry FROM ${schema}.audit_log
ORDER BY audit_log.sequence DESC LIMIT 1`,
    ),
  /**
   * Appends an entry chained onto the head the caller believes is current, in one statement: the
   * head moves only if it still is `expected` (else nothing is written and the caller retries), and
   * the row lock it takes orders appends across instances until the transaction ends. Saves the
   * separate lock-and-read round trip while the lock is held.
   */
  appendAuditEntryAfter: (
    schema: string,
    expected: { sequence: number; hash: string },
    entry: { sequence: number; provider: string; verificationId: string; hash: string; document: string },
  ) =>
    statement(
      'append audit entry',
      `WITH moved AS (
  UPDATE ${schema}.audit_head SET sequence = $1, hash = $4
  WHERE singleton AND sequence = $6 AND hash = $7
  RETURNING sequence
)
INSERT INTO ${schema}.audit_log (sequence, provider, verification_id, entry)
SELECT moved.sequence, $2, $3, $5::text::jsonb FROM moved
RETURNING 1 AS appended`,
      [
        entry.sequence,
        entry.provider,
        entry.verificationId,
        entry.hash,
        entry.document,
        expected.sequence,
        expected.hash,
      ],
    ),
  /** Creates the head rows of chains 0 … chains − 1 that do not exist yet (empty chains). */
  insertAuditChainHeads: (schema: string, chains: number) =>
    statement(
      'insert audit chain heads',
      `INSERT INTO ${schema}.audit_chain_head (chain, chain_sequence, hash)
SELECT chain, 0, '0000000000000000000000000000000000000000000000000000000000000000'
FROM generate_series(0, $1::integer - 1) AS chain
ON CONFLICT (chain) DO NOTHING`,
      [chains],
    ),
  /**
   * Moves the cursor of chained entries past every row (one-chain entries appended since migration 2
   * number themselves); only ever forward.
   */
  advanceAuditSequence: (schema: string) =>
    statement(
      'advance audit sequence',
      `SELECT setval('${schema}.audit_log_sequence', newest.sequence, true)::text AS sequence
FROM (SELECT max(sequence) AS sequence FROM ${schema}.audit_log) AS newest
WHERE newest.sequence >= (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
                          FROM ${schema}.audit_log_sequence)`,
    ),
  selectAuditChainHeads: (schema: string) =>
    statement(
      'select audit chain heads',
      `SELECT chain, chain_sequence::text AS chain_sequence, hash FROM ${schema}.audit_chain_head
WHERE chain_sequence > 0 ORDER BY chain`,
    ),
  /**
   * Appends an entry at the head of its chain in one statement that cannot miss: one UPDATE of the
   * chain's head row (which locks it) moves it on and hashes the entry in SQL from the head it
   * replaces (`prefix`, the next chain sequence, the head's hash and `suffix` are the entry's
   * canonical serialization, see core's `splitChainedAuditSerialization`), keeping the replaced hash
   * in `previous_hash` (migration 8) so the statement can return it; the store-wide cursor is drawn
   * under the lock, and the row is inserted. A concurrent append on the chain waits for the lock and
   * then chains onto the entry it waited for (the UPDATE re-reads the newest head). Returns the
   * entry's place and hashes.
   */
  appendAuditEntryAtChainHead: (
    schema: string,
    entry: {
      chain: number
      prefix: string
      suffix: string
      provider: string
      verificationId: string
      document: string
    },
  ) =>
    statement(
      'append audit entry at chain head',
      `WITH moved AS (
  UPDATE ${schema}.audit_chain_head
  SET chain_sequence = chain_sequence + 1, previous_hash = hash,
    hash = encode(sha256(convert_to($2 || (chain_sequence + 1)::text || ',"' || hash || '",' || $3, 'UTF8')), 'hex')
  WHERE chain = $1
  RETURNING chain_sequence, previous_hash, hash, nextval('${schema}.audit_log_sequence') AS sequence
)
INSERT INTO ${schema}.audit_log (sequence, provider, verification_id, entry)
SELECT moved.sequence, $4, $5, $6::text::jsonb || jsonb_build_object(
  'sequence', moved.sequence, 'chainSequence', moved.chain_sequence,
  'previousHash', moved.previous_hash, 'hash', moved.hash)
FROM moved
RETURNING sequence::text AS sequence, (entry ->> 'chainSequence') AS chain_sequence,
  entry ->> 'previousHash' AS previous_hash, entry ->> 'hash' AS hash`,
      [entry.chain, entry.prefix, entry.suffix, entry.provider, entry.verificationId, entry.document],
    ),
  /** One page of the log in ascending sequence; `null` filters match everything. */
  selectAuditPage: (
    schema: string,
    query: { afterSequence: number; provider: string | null; verificationId: string | null; limit: number },
  ) =>
    statement(
      'select audit page',
      `SELECT sequence::text AS sequence, provider, verification_id, entry FROM ${schema}.audit_log
WHERE sequence > $1 AND ($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR verification_id = $3)
ORDER BY audit_log.sequence LIMIT $4`,
      [query.afterSequence, query.provider, query.verificationId, query.limit],
    ),

  // — key-value —
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
  /** Writes only over nothing or an expired value; returns the row when it wrote. */
  insertKeyValueIfAbsent: (
    schema: string,
    namespace: string,
    key: string,
    value: string,
    ttlMs: number | null,
  ) =>
    statement(
      'insert key-value if absent',
      `INSERT INTO ${schema}.key_value AS stored (namespace, key, value, expires_at)
VALUES ($1, $2, $3::text::jsonb,
        CASE WHEN $4::float8 IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $4::float8 / 1000) END)
ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
  WHERE stored.expires_at IS NOT NULL AND stored.expires_at <= clock_timestamp()
RETURNING value`,
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
