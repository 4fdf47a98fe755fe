import {
  type KycEvent,
  type Verification,
  VerificationSchema,
  type VerificationUpdate,
  verificationStatusRank,
} from '@openkyc/core'
import {
  type AuditChainReport,
  type AuditEntry,
  AuditEntrySchema,
  type AuditRecord,
  canonicalJson,
  type StoredAuditRow,
  verifyAuditRows,
} from './audit.js'
import { corruptRowError } from './errors.js'
import type { SqlExecutor } from './executor.js'
import { assertMigrated } from './migrations.js'
import { quoteIdentifier, statements } from './sql.js'

/** Options for {@link createPostgresStore}. */
export type PostgresStoreOptions = {
  /** The database, from `openDatabase()` (PGlite or a server). Run `migrate()` on it first. */
  database: SqlExecutor
  /** The schema the tables live in. Default `openkyc`. */
  schema?: string
  /** How long a processed event id is remembered for dedupe. Default 7 days, longer than any provider retries. */
  inboxTtlMs?: number
  /** How long a claim holds before another delivery may take the event over. Default 60 s. */
  leaseMs?: number
}

/** The result of claiming an event in the inbox. */
export type InboxClaim =
  /** The caller holds the event now and must complete or release it. */
  | 'claimed'
  /** The event was processed already: a redelivery, skip it. */
  | 'processed'
  /** Another delivery holds a live claim on it; answer so that the provider retries later. */
  | 'busy'

/** What applying one update did to the stored verification. */
export type AppliedVerification = {
  /** The stored state after the update (the state already held when the update was behind). */
  verification: Verification
  /** The stored state before the update, if any. */
  previous: Verification | undefined
  /** True when the update moved the stored state forward. */
  changed: boolean
}

/** Store operations, on the database directly or bound to one transaction. */
export type PostgresStoreOperations = {
  /** Claims an event id (atomic across instances; an expired lease is taken over). */
  claimEvent(provider: string, eventId: string, options?: { leaseMs?: number }): Promise<InboxClaim>
  /** Marks a claimed event processed: later deliveries are duplicates until the dedupe lifetime ends. */
  completeEvent(provider: string, eventId: string): Promise<void>
  /** Drops a claim so the next delivery is processed. Processed events are left as they are. */
  releaseEvent(provider: string, eventId: string): Promise<void>
  /** The latest stored state of a verification, validated; a corrupt or foreign row throws a `KycInvalidStateError`. */
  getVerification(provider: string, id: string): Promise<Verification | undefined>
  /** Applies an update forward-only, in SQL; see {@link AppliedVerification}. */
  applyVerification(update: VerificationUpdate): Promise<AppliedVerification>
  /** Appends an audit entry to the hash chain. */
  appendAudit(entry: AuditEntry): Promise<AuditRecord>
  /** Reads a key (`undefined` when absent or expired). */
  getValue<T = unknown>(namespace: string, key: string): Promise<T | undefined>
  /** Writes a JSON value, optionally for a limited time. */
  setValue(namespace: string, key: string, value: unknown, options?: { ttlMs?: number }): Promise<void>
  /** Removes a key. */
  deleteValue(namespace: string, key: string): Promise<void>
}

/** Operations bound to one transaction, plus the transaction itself for the application's own SQL. */
export type PostgresStoreTransaction = PostgresStoreOperations & {
  /** Run your own statements here: they commit or roll back with the store's. */
  readonly sql: SqlExecutor
}

/** What one event did, as handed to the application's handler inside the transaction. */
export type PersistedEvent = {
  event: KycEvent
  /** `undefined` for events without a verification. */
  applied: AppliedVerification | undefined
}

/** The outcome of {@link PostgresStore.processEvent}. */
export type ProcessEventResult =
  | { status: 'processed'; applied: AppliedVerification | undefined }
  | { status: 'duplicate' }
  | { status: 'busy' }

/** The durable store. */
export type PostgresStore = PostgresStoreOperations & {
  readonly database: SqlExecutor
  /** Runs `work` in one transaction with operations bound to it. */
  transaction<T>(work: (transaction: PostgresStoreTransaction) => Promise<T>): Promise<T>
  /**
   * One event, one transaction: claim the id, apply the verification forward-only, append the audit
   * row, run the application's handler with the transaction, mark the event processed, commit. If
   * anything throws, nothing is written and the error is rethrown, so the redelivery is processed.
   */
  processEvent(
    event: KycEvent,
    handler?: (persisted: PersistedEvent, transaction: PostgresStoreTransaction) => Promise<void> | void,
  ): Promise<ProcessEventResult>
  /** The audit entries of one verification, oldest first. */
  listAudit(provider: string, verificationId: string): Promise<AuditRecord[]>
  /** Every audit entry as JSON Lines (one canonical entry with `sequence` and `hash` per line), oldest first. */
  exportAudit(options?: { pageSize?: number }): AsyncIterable<string>
  /** Recomputes the hash chain; reports the first changed, removed or foreign row. */
  verifyAuditChain(options?: { pageSize?: number }): Promise<AuditChainReport>
  /** Deletes expired inbox records and key-values, at most `limit` of each. Returns how many. */
  purgeExpired(options?: { limit?: number }): Promise<{ inbox: number; keyValues: number }>
}

const defaultInboxTtlMs = 7 * 24 * 60 * 60 * 1000
const defaultLeaseMs = 60_000

function decisionRank(update: VerificationUpdate): number {
  if (update.decision === undefined) return 0
  return update.decision.outcome === 'review' ? 1 : 2
}

function parseAuditRecord(row: StoredAuditRow): AuditRecord {
  let entry: AuditEntry
  try {
    entry = AuditEntrySchema.parse(JSON.parse(row.entry))
  } catch (error) {
    throw corruptRowError({
      table: 'audit_log',
      key: `sequence ${row.sequence}`,
      problem: 'the entry is not a valid audit entry',
      cause: error,
    })
  }
  return { ...entry, sequence: row.sequence, hash: row.hash }
}

type RawAuditRow = { sequence: string; entry: string; hash: string }

function toStoredRow(row: RawAuditRow): StoredAuditRow {
  return { sequence: Number(row.sequence), entry: row.entry, hash: row.hash }
}

/**
 * Opens the durable store over a migrated database (PGlite or a server): the webhook inbox with
 * leases, the verification state with the forward-only rule applied in SQL, the hash-chained audit
 * log and a key-value table for adapters. Throws a `KycConfigurationError` when `migrate()` has not
 * been run for this version of the package.
 *
 * @example
 * ```ts
 * const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.openkyc/db' })
 * await migrate(database)
 * const store = await createPostgresStore({ database })
 * await store.processEvent(event, async ({ applied }, { sql }) => {
 *   if (applied?.changed) await sql.query({ name: 'record decision', text: 'INSERT INTO decisions …', values: [] })
 * })
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { database } = options
  const schemaName = options.schema ?? 'openkyc'
  const schema = quoteIdentifier(schemaName)
  const inboxTtlMs = options.inboxTtlMs ?? defaultInboxTtlMs
  const defaultLease = options.leaseMs ?? defaultLeaseMs
  if (!(inboxTtlMs > 0) || !(defaultLease > 0)) {
    throw new RangeError('createPostgresStore: inboxTtlMs and leaseMs must be positive')
  }
  await assertMigrated(database, { schema: schemaName })

  const readVerification = (
    row: { provider: string; id: string; document: unknown } | undefined,
    provider: string,
    id: string,
  ): Verification | undefined => {
    if (row === undefined) return undefined
    return parseVerificationDocument(row.document, provider, id)
  }

  const parseVerificationDocument = (document: unknown, provider: string, id: string): Verification => {
    const parsed = VerificationSchema.safeParse(document)
    const key = 'the stored row'
    if (!parsed.success) {
      throw corruptRowError({
        table: 'verification',
        key,
        problem: `the document is not a valid verification (at "${parsed.error.issues[0]?.path.join('.') ?? ''}")`,
      })
    }
    if (parsed.data.provider !== provider || parsed.data.id !== id) {
      throw corruptRowError({
        table: 'verification',
        key,
        problem: 'the document belongs to another verification',
      })
    }
    return parsed.data
  }

  const bind = (executor: SqlExecutor, inTransaction: boolean): PostgresStoreOperations => {
    const withinTransaction = <T>(work: (executor: SqlExecutor) => Promise<T>) =>
      inTransaction ? work(executor) : executor.transaction(work)
    return {
      async claimEvent(provider, eventId, claimOptions = {}) {
        const leaseMs = claimOptions.leaseMs ?? defaultLease
        const claimed = await executor.query(
          statements.claimInboxEvent(schema, provider, eventId, leaseMs, inboxTtlMs),
        )
        if (claimed.length > 0) return 'claimed'
        const [row] = await executor.query<{ state: string; lease_live: boolean | null; live: boolean }>(
          statements.selectInboxEvent(schema, provider, eventId),
        )
        // Gone between the two statements (released, purged): the next delivery claims it.
        if (row === undefined) return 'busy'
        return row.state === 'processed' ? 'processed' : 'busy'
      },
      async completeEvent(provider, eventId) {
        await executor.query(statements.completeInboxEvent(schema, provider, eventId))
      },
      async releaseEvent(provider, eventId) {
        await executor.query(statements.releaseInboxEvent(schema, provider, eventId))
      },
      async getVerification(provider, id) {
        const [row] = await executor.query<{ provider: string; id: string; document: unknown }>(
          statements.selectVerification(schema, provider, id),
        )
        return readVerification(row, provider, id)
      },
      applyVerification(update) {
        return withinTransaction(async (transaction) => {
          await transaction.query(statements.lockVerification(update.provider, update.id))
          const [row] = await transaction.query<{ previous: unknown; written: unknown }>(
            statements.upsertVerification(schema, {
              provider: update.provider,
              id: update.id,
              status: update.status,
              statusRank: verificationStatusRank[update.status],
              decisionRank: decisionRank(update),
              redacted: update.redactedAt !== undefined,
              updatedAtMs: Date.parse(update.updatedAt),
              document: JSON.stringify(update),
            }),
          )
          const previous =
            row?.previous === null || row?.previous === undefined
              ? undefined
              : parseVerificationDocument(row.previous, update.provider, update.id)
          if (row?.written !== null && row?.written !== undefined) {
            return {
              verification: parseVerificationDocument(row.written, update.provider, update.id),
              previous,
              changed: true,
            }
          }
          if (previous === undefined) {
            throw corruptRowError({
              table: 'verification',
              key: 'the stored row',
              problem: 'the upsert wrote nothing and read nothing',
            })
          }
          return { verification: previous, previous, changed: false }
        })
      },
      async appendAudit(entry) {
        const valid = AuditEntrySchema.parse(entry)
        const text = canonicalJson(valid)
        const [row] = await executor.query<{ sequence: string; hash: string }>(
          statements.appendAudit(schema, text, valid.provider, valid.verificationId ?? null),
        )
        if (row === undefined) {
          throw corruptRowError({ table: 'audit_head', key: 'the head row', problem: 'it is missing' })
        }
        return { ...valid, sequence: Number(row.sequence), hash: row.hash }
      },
      async getValue<T>(namespace: string, key: string) {
        const [row] = await executor.query<{ value: T }>(statements.selectKeyValue(schema, namespace, key))
        return row?.value
      },
      async setValue(namespace, key, value, valueOptions = {}) {
        const text = JSON.stringify(value)
        if (text === undefined) throw new TypeError('setValue: the value is not JSON-serializable')
        await executor.query(
          statements.upsertKeyValue(schema, namespace, key, text, valueOptions.ttlMs ?? null),
        )
      },
      async deleteValue(namespace, key) {
        await executor.query(statements.deleteKeyValue(schema, namespace, key))
      },
    }
  }

  const transaction = <T>(work: (transaction: PostgresStoreTransaction) => Promise<T>) =>
    database.transaction((executor) => work({ ...bind(executor, true), sql: executor }))

  async function* auditPages(pageSize: number): AsyncGenerator<StoredAuditRow[]> {
    let after = 0
    for (;;) {
      const rows = await database.query<RawAuditRow>(statements.selectAuditPage(schema, after, pageSize))
      if (rows.length === 0) return
      const page = rows.map(toStoredRow)
      yield page
      after = page[page.length - 1]!.sequence
      if (rows.length < pageSize) return
    }
  }

  return {
    ...bind(database, false),
    database,
    transaction,
    async processEvent(event, handler) {
      return transaction(async (bound) => {
        const claim = await bound.claimEvent(event.provider, event.id)
        if (claim === 'processed') return { status: 'duplicate' } as const
        if (claim === 'busy') return { status: 'busy' } as const
        let applied: AppliedVerification | undefined
        if (event.verification !== undefined) {
          applied = await bound.applyVerification(event.verification)
        }
        await handler?.({ event, applied }, bound)
        if (applied?.changed) {
          await bound.appendAudit({
            kind: 'state_change',
            provider: event.provider,
            verificationId: applied.verification.id,
            eventId: event.id,
            eventType: event.type,
            ...(applied.previous === undefined ? {} : { fromStatus: applied.previous.status }),
            toStatus: applied.verification.status,
            ...(applied.previous?.decision === undefined
              ? {}
              : { fromOutcome: applied.previous.decision.outcome }),
            ...(applied.verification.decision === undefined
              ? {}
              : {
                  toOutcome: applied.verification.decision.outcome,
                  reasons: applied.verification.decision.reasons.map((reason) => reason.code),
                }),
            actor: applied.verification.decision?.decidedBy === 'manual' ? 'manual' : 'provider',
            at: new Date().toISOString(),
          })
        }
        await bound.completeEvent(event.provider, event.id)
        return { status: 'processed', applied } as const
      })
    },
    async listAudit(provider, verificationId) {
      const rows = await database.query<RawAuditRow>(
        statements.selectAuditForVerification(schema, provider, verificationId),
      )
      return rows.map((row) => parseAuditRecord(toStoredRow(row)))
    },
    async *exportAudit(exportOptions = {}) {
      for await (const page of auditPages(exportOptions.pageSize ?? 1000)) {
        for (const row of page) {
          yield `${canonicalJson({ ...parseAuditRecord(row), sequence: row.sequence, hash: row.hash })}\n`
        }
      }
    },
    async verifyAuditChain(verifyOptions = {}) {
      const [head] = await database.query<{ sequence: string; hash: string }>(
        statements.selectAuditHead(schema),
      )
      if (head === undefined) {
        return { ok: false, entries: 0, sequence: 0, problem: 'the chain head row is missing' }
      }
      return verifyAuditRows(auditPages(verifyOptions.pageSize ?? 1000), {
        sequence: Number(head.sequence),
        hash: head.hash,
      })
    },
    async purgeExpired(purgeOptions = {}) {
      const limit = purgeOptions.limit ?? 10_000
      const inbox = await database.query(statements.deleteExpiredInboxEvents(schema, limit))
      const keyValues = await database.query(statements.deleteExpiredKeyValues(schema, limit))
      return { inbox: inbox.length, keyValues: keyValues.length }
    },
  }
}
