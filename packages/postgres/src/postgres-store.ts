import {
  type AppliedVerification,
  type AuditChainReport,
  type AuditEntry,
  type AuditQuery,
  applyVerificationUpdate,
  auditChainFor,
  chainAuditEntry,
  type InboxClaim,
  type InboxClaimResult,
  type JsonValue,
  type KeyValueStore,
  KycConfigurationError,
  type KycStore,
  KycStoreConflictError,
  type KycStoreTransaction,
  parseAuditEntryInput,
  parseClaimRequest,
  parseKeyValueName,
  parseKeyValueWrite,
  parseStoredAuditEntry,
  parseStoredVerification,
  parseTransactionClaimRequest,
  parseVerificationQuery,
  parseVerificationUpdate,
  type RawArchiveStore,
  splitChainedAuditSerialization,
  type TransactionClaimResult,
  type Verification,
  type VerificationKey,
  type VerificationPage,
  verificationProgressKey,
  verifyAuditChain,
} from '@openkyc/core'
import { raceAbort } from '@openkyc/core/http'
import { corruptRowError, storeName } from './errors.js'
import type { SqlExecutor, SqlValue } from './executor.js'
import { assertMigrated } from './migrations.js'
import { createPostgresRawArchive } from './postgres-raw-archive.js'
import { quoteIdentifier, statements } from './sql.js'
import { createWrittenVerifications, type WrittenVerification } from './written-verifications.js'

/**
 * What the application's handler gets as `transaction.handle`: run your own SQL in the event's
 * transaction, so your rows commit or roll back with the inbox mark, the state and the audit entry.
 * The same on PGlite and on a server.
 */
export type PostgresTransactionHandle = {
  /** `pglite` or `server`. */
  readonly kind: 'pglite' | 'server'
  /** The schema the store's tables live in (unquoted), for applications that keep their rows beside them. */
  readonly schema: string
  /** Runs one parameterised statement (`$1`, `$2`…) in the transaction and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, values?: readonly SqlValue[]): Promise<Row[]>
}

/** Options for {@link createPostgresStore}. */
export type PostgresStoreOptions = {
  /** The database, from `openDatabase()` (PGlite or a server). Run `migrate()` on it first. */
  database: SqlExecutor
  /** The schema the tables live in. Default `openkyc`. */
  schema?: string
  /**
   * How long a completed event stays deduplicated, in milliseconds. Default 7 days, longer than any
   * provider keeps redelivering. Expired marks are removed by `purgeExpired()`.
   */
  ttlMs?: number
  /** Close the database when the store is closed. Default false (you opened it, you close it). */
  closeDatabase?: boolean
  /**
   * The audit log's interleaved hash chains: a verification's entries go to chain
   * `auditChainFor(verificationId, auditChains)`, and each chain has its own head, so transactions
   * on different chains commit at once instead of one after another. Default 16. `1` keeps the one
   * chain of migration 1 (entries without `chain`, sequences 1, 2, 3…). Every instance on one schema
   * should use the same value (a different one stays verifiable, but spreads a verification's entries).
   */
  auditChains?: number
  /**
   * How many verification states this process wrote are remembered (least recently used first out),
   * so the next event of such a verification does not read its ~10 kB document back: the row lock
   * still checks the row's version, and the server sends the document whenever it holds another
   * version (another instance or a hand wrote it). Each entry holds the document's JSON text.
   * Default 1,000; 0 remembers none.
   */
  cachedVerifications?: number
}

/** The PostgreSQL store: a `KycStore` plus what only a database can do. */
export type PostgresStore = KycStore<PostgresTransactionHandle> & {
  /** The database the store runs on. */
  readonly database: SqlExecutor
  /**
   * Checks the whole audit log with core's `verifyAuditChain`, against the head the database
   * recorded (so removed rows at the end are found too). Reads rows as stored: a changed, removed,
   * inserted or foreign row makes it report `valid: false` with the sequence, never throw.
   */
  verifyAuditChain(): Promise<AuditChainReport>
  /** The committed audit log as JSON Lines, one entry (with `sequence` and `hash`) per line, oldest first. */
  exportAudit(query?: Omit<AuditQuery, 'limit'>): AsyncIterable<string>
  /** Deletes expired inbox marks and key-values, at most `limit` of each (default 10,000). */
  purgeExpired(options?: { limit?: number }): Promise<{ inbox: number; keyValues: number }>
  /** The opt-in raw archive's table (migration 3): give it to `createRawArchive` to archive payloads. */
  readonly archive: RawArchiveStore
  /** Closes the store (and the database when `closeDatabase` was set). */
  close(): Promise<void>
}

const defaultTtlMs = 7 * 24 * 60 * 60 * 1000
const defaultAuditChains = 16
const defaultCachedVerifications = 1_000
const pageSize = 500
/** How many verifications' audit chains a store remembers at most (see `chainOf`). */
const chainsRemembered = 10_000

/** What `parseAuditEntryInput` returns. */
type AuditEntryInputParsed = ReturnType<typeof parseAuditEntryInput>

type AuditRow = { sequence: string; provider: string; verification_id: string; entry: unknown }

/**
 * The durable `KycStore` over PostgreSQL (PGlite or a server): the webhook inbox with claims and
 * leases, verification states moved forward-only under a row lock with the order checked in SQL,
 * the hash-chained append-only audit log (chained by core's `chainAuditEntry`, so every store's chain
 * verifies alike) and a key-value table for adapters. Throws a `KycStoreIntegrityError` naming what to
 * do when `migrate()` has not been run for this version of the package.
 *
 * @example
 * ```ts
 * const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.openkyc/db' })
 * await migrate(database)
 * const store = await createPostgresStore({ database })
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { database } = options
  const schemaName = options.schema ?? 'openkyc'
  const schema = quoteIdentifier(schemaName)
  const ttlMs = options.ttlMs ?? defaultTtlMs
  if (!Number.isInteger(ttlMs) || ttlMs < 1)
    throw new RangeError('createPostgresStore: ttlMs must be a positive integer')
  const auditChains = options.auditChains ?? defaultAuditChains
  if (!Number.isInteger(auditChains) || auditChains < 1 || auditChains > 1024)
    throw new RangeError('createPostgresStore: auditChains must be an integer from 1 to 1024')
  await assertMigrated(database, { schema: schemaName })
  if (auditChains > 1) {
    await database.query(statements.insertAuditChainHeads(schema, auditChains))
    await database.query(statements.advanceAuditSequence(schema))
  } else if ((await database.query(statements.selectAuditChainHeads(schema))).length > 0) {
    // One chain numbers its entries 1, 2, 3… itself: after chained entries it would collide with them.
    throw new KycConfigurationError({
      provider: storeName,
      message: `The audit log of schema ${schema} keeps several hash chains already; open the store with auditChains greater than 1 (default 16).`,
    })
  }
  const cachedVerifications = options.cachedVerifications ?? defaultCachedVerifications
  if (!Number.isInteger(cachedVerifications) || cachedVerifications < 0)
    throw new RangeError('createPostgresStore: cachedVerifications must be a non-negative integer')
  const written = createWrittenVerifications({ maxEntries: cachedVerifications })
  let closed = false

  const readVerification = async (executor: SqlExecutor, key: VerificationKey) => {
    const [row] = await executor.query<{ document: unknown }>(
      statements.selectVerification(schema, key.provider, key.id),
    )
    return row === undefined ? undefined : parseStoredVerification(row.document, key)
  }

  /**
   * The state in a row this transaction locked: the state this process wrote when the row still holds
   * the version it left (`known`: the server then sent no document), else the document as stored,
   * validated (a corrupt or foreign row is a typed error). `undefined` when there is no row.
   */
  const lockedState = (
    key: VerificationKey,
    row: { version: string | null; document: unknown } | undefined,
    known: WrittenVerification | undefined,
    knownVerification?: Verification,
  ): LockedState | undefined => {
    if (row?.version === undefined || row.version === null) return undefined
    if (row.document === null && known?.version === row.version) {
      return {
        version: row.version,
        verification: knownVerification ?? (JSON.parse(known.document) as Verification),
      }
    }
    // Written by someone else since: what this process remembers is out of date.
    if (known !== undefined) written.delete(key)
    return { version: row.version, verification: parseStoredVerification(row.document, key) }
  }

  /** Locks a verification's row and reads its state (see {@link lockedState}). */
  const readLockedVerification = async (executor: SqlExecutor, key: VerificationKey) => {
    const known = written.get(key)
    const [row] = await executor.query<{ version: string; document: unknown }>(
      statements.selectVerificationForUpdate(schema, key.provider, key.id, known?.version ?? null),
    )
    return lockedState(key, row, known)
  }

  const keyValueOn = (executor: SqlExecutor): KeyValueStore => ({
    async get(namespace, key) {
      parseKeyValueName(namespace, key)
      const [row] = await executor.query<{ value: JsonValue }>(
        statements.selectKeyValue(schema, namespace, key),
      )
      return row?.value
    },
    async set(namespace, key, value, setOptions) {
      const text = parseKeyValueWrite(namespace, key, value, setOptions)
      await executor.query(statements.upsertKeyValue(schema, namespace, key, text, setOptions?.ttlMs ?? null))
    },
    async setIfAbsent(namespace, key, value, setOptions) {
      const text = parseKeyValueWrite(namespace, key, value, setOptions)
      // A value removed between our insert attempt and our read: try again (a handful of times at most).
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const [written] = await executor.query<{ value: JsonValue }>(
          statements.insertKeyValueIfAbsent(schema, namespace, key, text, setOptions?.ttlMs ?? null),
        )
        if (written !== undefined) return written.value
        const [existing] = await executor.query<{ value: JsonValue }>(
          statements.selectKeyValue(schema, namespace, key),
        )
        if (existing !== undefined) return existing.value
      }
      throw new KycStoreConflictError({
        message:
          'setIfAbsent kept racing with concurrent writers of the same key; nothing was written. Retry.',
      })
    },
    async delete(namespace, key) {
      parseKeyValueName(namespace, key)
      await executor.query(statements.deleteKeyValue(schema, namespace, key))
    },
  })

  /** A locked row's version and the state in it. */
  type LockedState = { version: string; verification: Verification }

  /**
   * A verification this transaction holds locked (claimed with its event, read under lock, or
   * written), with its state as of the transaction's own last write: a later claim or apply of it in
   * the same transaction neither locks nor reads it again.
   */
  type HeldVerification = {
    readonly key: VerificationKey
    /** The row's state; `undefined` when there is no row. During `pending`, `version` is the one written over. */
    state: LockedState | undefined
    /** This transaction's last write until its answer (with the row's new version) has come. */
    pending: Promise<void> | undefined
    /** The JSON text this transaction wrote last, remembered in {@link written} once it commits. */
    writtenDocument: string | undefined
    /** An update the claim wrote already, and what that did: its `applyVerification` is answered with it. */
    appliedWithClaim: { update: unknown; result: AppliedVerification } | undefined
  }

  /** A transaction's held verifications, by {@link heldName}. */
  type HeldVerifications = Map<string, HeldVerification>
  const heldName = (key: VerificationKey) => `${key.provider}\u0000${key.id}`
  const holdVerification = (
    holds: HeldVerifications,
    key: VerificationKey,
    state: LockedState | undefined,
  ): HeldVerification => {
    const held: HeldVerification = {
      key: { provider: key.provider, id: key.id },
      state,
      pending: undefined,
      writtenDocument: undefined,
      appliedWithClaim: undefined,
    }
    holds.set(heldName(key), held)
    return held
  }

  /** The row the store writes for a state: the document as JSON text and its indexed columns. */
  const verificationRow = (key: VerificationKey, verification: Verification) => ({
    provider: key.provider,
    id: key.id,
    progress: verificationProgressKey(verification),
    document: JSON.stringify(verification),
    subjectReference: verification.subjectReference ?? null,
  })

  /**
   * Applies an update forward-only under the verification's row lock, taken by this call or held
   * already (see {@link HeldVerification}). With `sendWithoutWaiting`, the write to a row already
   * locked (which cannot miss: the lock holds and the update is ahead) is sent without waiting for
   * its answer, so it travels with the next statement; the transaction settles it before committing.
   */
  const applyVerification = async (
    executor: SqlExecutor,
    update: unknown,
    holds: HeldVerifications,
    sendWithoutWaiting?: (write: Promise<unknown>) => void,
  ): Promise<AppliedVerification> => {
    const parsed = parseVerificationUpdate(update)
    const key = { provider: parsed.provider, id: parsed.id }
    let held = holds.get(heldName(key))
    if (held !== undefined) {
      const withClaim = held.appliedWithClaim
      held.appliedWithClaim = undefined
      // Written with the claim, in the same statement.
      if (withClaim !== undefined && withClaim.update === update) return withClaim.result
      await held.pending
    }
    for (;;) {
      held ??= holdVerification(holds, key, await readLockedVerification(executor, key))
      const stored = held.state
      const previous = stored?.verification
      const verification = applyVerificationUpdate(previous, parsed)
      if (verification === previous) return { previous, verification, applied: false }
      const row = verificationRow(key, verification)
      if (stored === undefined) {
        const [inserted] = await executor.query<{ version: string }>(
          statements.insertVerification(schema, row),
        )
        if (inserted !== undefined) {
          held.state = { version: inserted.version, verification }
          held.writtenDocument = row.document
          return { previous, verification, applied: true }
        }
        // Another transaction inserted it first and has committed: read it under lock and merge again.
        held = undefined
        continue
      }
      const state = { version: stored.version, verification }
      const holding = held
      holding.state = state
      holding.writtenDocument = row.document
      const advance: Promise<void> = executor
        .query<{ version: string }>(
          statements.advanceVerification(schema, { ...row, fromVersion: stored.version }),
        )
        .then(([advanced]) => {
          if (advanced === undefined) {
            // The row is locked by us, still the version we read, and the update is ahead of it, so
            // SQL must agree; if it does not, the stored progress key does not match its document
            // (or the transaction's own SQL changed the row since).
            throw corruptRowError({
              table: 'verification',
              key: `verification ${key.id}`,
              problem: 'its progress column disagrees with its document',
            })
          }
          state.version = advanced.version
          if (holding.pending === advance) holding.pending = undefined
        })
      if (sendWithoutWaiting === undefined) await advance
      else {
        holding.pending = advance
        sendWithoutWaiting(advance)
      }
      return { previous, verification, applied: true }
    }
  }

  /**
   * Claims an event in the transaction (see `claimInboxEventInTransaction`) and locks the verification
   * it names, unless the transaction holds it already. With an `update` and a state to write it over
   * (the one this transaction holds, or the one this process wrote last), the claim writes the next
   * state in the same statement when the row still holds that version, and the `applyVerification`
   * of that update is then answered without another write.
   */
  const claimEventInTransaction = async (
    executor: SqlExecutor,
    request: unknown,
    holds: HeldVerifications,
  ): Promise<TransactionClaimResult> => {
    const { provider, eventId, verification = null, update } = parseTransactionClaimRequest(request)
    const held = verification === null ? undefined : holds.get(heldName(verification))
    const known = verification === null || held !== undefined ? undefined : written.get(verification)
    // The state the update would be written over: the transaction's own (once its version is known:
    // the claim does not wait for a write still on its way), else the one this process wrote.
    const base =
      held !== undefined
        ? held.pending === undefined
          ? held.state
          : undefined
        : update !== undefined && known !== undefined
          ? { version: known.version, verification: JSON.parse(known.document) as Verification }
          : undefined
    const next =
      update === undefined || base === undefined
        ? undefined
        : applyVerificationUpdate(base.verification, update)
    const row =
      verification === null || base === undefined || next === undefined || next === base.verification
        ? undefined
        : verificationRow(verification, next)
    const claim = {
      schemaName,
      provider,
      eventId,
      ttlMs,
      // A verification this transaction holds needs no lock, unless the claim writes it.
      verification: held === undefined || row !== undefined ? verification : null,
      knownVersion: base?.version ?? known?.version ?? null,
    }
    const [answer] = await executor.query<{
      held: boolean
      claimed: boolean
      advanced_version: string | null
      version: string | null
      document: unknown
    }>(
      row === undefined || verification === null || base === undefined
        ? statements.claimInboxEventInTransaction(schema, claim)
        : statements.claimInboxEventAndAdvanceVerification(
            schema,
            { ...claim, verification, knownVersion: base.version },
            row,
          ),
    )
    if (answer?.claimed === true) {
      if (verification === null) return { status: 'claimed' }
      if (row !== undefined && next !== undefined && answer.advanced_version !== null) {
        const holding = held ?? holdVerification(holds, verification, undefined)
        holding.state = { version: answer.advanced_version, verification: next }
        holding.writtenDocument = row.document
        holding.appliedWithClaim = {
          update: (request as { update?: unknown }).update,
          result: { previous: base?.verification, verification: next, applied: true },
        }
      } else if (held === undefined) {
        const state = lockedState(verification, answer, known, base?.verification)
        holdVerification(holds, verification, state)
      }
      return { status: 'claimed' }
    }
    if (answer?.held !== true) return { status: 'busy' }
    // Not taken although no other transaction claims it: completed, or held by a live
    // `inbox.claim` lease. A fresh statement sees rows committed since this one began.
    const [existing] = await executor.query<{ state: string; live: boolean }>(
      statements.selectInboxEvent(schema, provider, eventId),
    )
    return { status: existing?.state === 'completed' && existing.live ? 'completed' : 'busy' }
  }

  /**
   * The head this store last appended. Appends chain onto it optimistically (one statement, which
   * saves a round trip while the head's lock is held); when another instance moved the head
   * meanwhile, the statement writes nothing and the append locks and reads the head instead. An entry
   * may chain onto a head not committed yet: its statement waits for that transaction and succeeds
   * only if it committed.
   */
  let knownHead: { sequence: number; hash: string } | undefined

  /** Reads the chain head and locks it until the transaction ends. */
  const lockAuditHead = async (executor: SqlExecutor) => {
    const [row] = await executor.query<{ sequence: string; hash: string }>(statements.lockAuditHead(schema))
    if (row === undefined) {
      throw corruptRowError({ table: 'audit_head', key: 'the head row', problem: 'it is missing' })
    }
    return { sequence: Number(row.sequence), hash: row.hash }
  }

  /** Chains the entry onto `head` and appends it if `head` is still the head; `undefined` when it moved. */
  const appendAfter = async (
    executor: SqlExecutor,
    input: AuditEntryInputParsed,
    head: { sequence: number; hash: string },
  ): Promise<AuditEntry | undefined> => {
    const entry = chainAuditEntry(input, head.sequence === 0 ? undefined : head, new Date())
    const [appended] = await executor.query(
      statements.appendAuditEntryAfter(schema, head, {
        sequence: entry.sequence,
        provider: entry.provider,
        verificationId: entry.verificationId,
        hash: entry.hash,
        document: JSON.stringify(entry),
      }),
    )
    if (appended === undefined) return undefined
    knownHead = { sequence: entry.sequence, hash: entry.hash }
    return entry
  }

  /**
   * The chain of a verification's entries, remembered: `auditChainFor` hashes the id with SHA-256, and
   * a verification's events come in runs. Bounded: emptied when it holds {@link chainsRemembered} ids.
   */
  const chains = new Map<string, number>()
  const chainOf = (verificationId: string) => {
    let chain = chains.get(verificationId)
    if (chain === undefined) {
      chain = auditChainFor(verificationId, auditChains)
      if (chains.size >= chainsRemembered) chains.clear()
      chains.set(verificationId, chain)
    }
    return chain
  }

  /** Appends to the entry's chain of several: one statement that locks the head, hashes and moves it. */
  const appendToChain = async (executor: SqlExecutor, input: AuditEntryInputParsed): Promise<AuditEntry> => {
    const chain = chainOf(input.verificationId)
    const recordedAt = new Date().toISOString()
    const { prefix, suffix } = splitChainedAuditSerialization({ ...input, chain, recordedAt })
    const [row] = await executor.query<{
      sequence: string
      chain_sequence: string
      previous_hash: string
      hash: string
    }>(
      statements.appendAuditEntryAtChainHead(schema, {
        chain,
        prefix,
        suffix,
        provider: input.provider,
        verificationId: input.verificationId,
        // The place and hashes are added in SQL, under the head's lock.
        document: JSON.stringify({ ...input, chain, recordedAt }),
      }),
    )
    if (row === undefined) {
      throw corruptRowError({ table: 'audit_chain_head', key: `chain ${chain}`, problem: 'it is missing' })
    }
    return {
      ...input,
      sequence: Number(row.sequence),
      chain,
      chainSequence: Number(row.chain_sequence),
      recordedAt,
      previousHash: row.previous_hash,
      hash: row.hash,
    }
  }

  const appendAudit = async (executor: SqlExecutor, input: unknown): Promise<AuditEntry> => {
    const parsed = parseAuditEntryInput(input)
    if (auditChains > 1) return appendToChain(executor, parsed)
    if (knownHead !== undefined) {
      const entry = await appendAfter(executor, parsed, knownHead)
      if (entry !== undefined) return entry
    }
    // No head known, or another instance moved it: lock the head, then the append cannot miss.
    const entry = await appendAfter(executor, parsed, await lockAuditHead(executor))
    if (entry !== undefined) return entry
    throw corruptRowError({ table: 'audit_head', key: 'the head row', problem: 'it could not be moved' })
  }

  async function* auditRows(query: AuditQuery): AsyncGenerator<AuditRow> {
    let after = query.afterSequence ?? 0
    let remaining = query.limit ?? Number.POSITIVE_INFINITY
    while (remaining > 0) {
      const rows = await database.query<AuditRow>(
        statements.selectAuditPage(schema, {
          afterSequence: after,
          provider: query.provider ?? null,
          verificationId: query.verificationId ?? null,
          limit: Math.min(pageSize, remaining),
        }),
      )
      for (const row of rows) yield row
      if (rows.length < Math.min(pageSize, remaining)) return
      remaining -= rows.length
      after = Number(rows[rows.length - 1]!.sequence)
    }
  }

  /** A stored row as an entry, checked against the columns it was filed under (a foreign row fails). */
  const toAuditEntry = (row: AuditRow): AuditEntry => {
    const entry = parseStoredAuditEntry(row.entry)
    if (
      entry.sequence !== Number(row.sequence) ||
      entry.provider !== row.provider ||
      entry.verificationId !== row.verification_id
    ) {
      throw corruptRowError({
        table: 'audit_log',
        key: `sequence ${row.sequence}`,
        problem: 'the entry does not match the sequence, provider or verification it is filed under',
      })
    }
    return entry
  }

  const ensureOpen = () => {
    if (closed) throw new TypeError('@openkyc/postgres: the store is closed')
  }

  return {
    database,
    inbox: {
      async claim(request): Promise<InboxClaimResult> {
        ensureOpen()
        const { provider, eventId, leaseMs } = parseClaimRequest(request)
        // Each pass either returns or saw the row change between its two statements; a few suffice.
        for (let attempt = 0; attempt < 5; attempt += 1) {
          const token = crypto.randomUUID()
          const [claimed] = await database.query<{ lease_expires_ms: number }>(
            statements.claimInboxEvent(schema, { provider, eventId, token, leaseMs, ttlMs }),
          )
          if (claimed !== undefined) {
            const claim: InboxClaim = {
              provider,
              eventId,
              token,
              leaseExpiresAt: new Date(claimed.lease_expires_ms).toISOString(),
            }
            return { status: 'claimed', claim }
          }
          const [row] = await database.query<{
            state: string
            live: boolean
            lease_expires_ms: number | null
          }>(statements.selectInboxEvent(schema, provider, eventId))
          // Released, purged or expired between the two statements: claim again.
          if (row === undefined || !row.live) continue
          if (row.state === 'completed') return { status: 'completed' }
          if (row.lease_expires_ms === null) continue
          return { status: 'busy', leaseExpiresAt: new Date(row.lease_expires_ms).toISOString() }
        }
        throw new KycStoreConflictError({
          provider,
          message: `The inbox row of event ${eventId} kept changing while it was claimed; nothing was claimed. Retry.`,
        })
      },
      async release(claim) {
        await database.query(statements.releaseInboxEvent(schema, claim))
      },
    },
    verifications: {
      get: (key) => readVerification(database, key),
      async find(query): Promise<VerificationPage> {
        ensureOpen()
        const parsed = parseVerificationQuery(query)
        const rows = await database.query<{ provider: string; id: string; document: unknown }>(
          statements.selectVerificationPage(schema, {
            provider: parsed.provider ?? null,
            subjectReference: parsed.subjectReference ?? null,
            statuses: parsed.statuses === undefined ? null : JSON.stringify(parsed.statuses),
            outcomes: parsed.outcomes === undefined ? null : JSON.stringify(parsed.outcomes),
            redacted: parsed.redacted ?? null,
            unchangedForMs: parsed.unchangedForMs ?? null,
            settledBefore: parsed.settledBefore ?? null,
            afterProvider: parsed.after?.provider ?? null,
            afterId: parsed.after?.id ?? null,
            limit: parsed.limit,
          }),
        )
        const page = rows.slice(0, parsed.limit)
        const last = page.at(-1)
        return {
          verifications: page.map((row) => parseStoredVerification(row.document, row)),
          next:
            rows.length > parsed.limit && last !== undefined
              ? { provider: last.provider, id: last.id }
              : undefined,
        }
      },
    },
    audit: {
      async *read(query = {}) {
        for await (const row of auditRows(query)) yield toAuditEntry(row)
      },
      async head() {
        const [last] = await database.query<AuditRow>(statements.selectLastAuditEntry(schema))
        return last === undefined ? undefined : toAuditEntry(last)
      },
    },
    keyValue: keyValueOn(database),
    archive: createPostgresRawArchive(database, schema),
    async transaction(work, transactionOptions = {}) {
      ensureOpen()
      const { signal } = transactionOptions
      signal?.throwIfAborted()
      // The transaction's signal: the caller's, when given (the pipeline gives one); else one of its
      // own, aborted when the transaction fails. With the caller's, a failure after the work has
      // returned tells nothing more: the work is done, as after a commit.
      const abandon = signal === undefined ? new AbortController() : undefined
      const transactionSignal = signal ?? (abandon as AbortController).signal
      // Writes sent without waiting for their answer, and how the first of them failed: the
      // statements after a failed one only see an aborted transaction, so its error says what happened.
      const unanswered: Promise<unknown>[] = []
      const failures: unknown[] = []
      const holds: HeldVerifications = new Map()
      const sendWithoutWaiting = (write: Promise<unknown>) => {
        write.catch((error: unknown) => failures.push(error))
        unanswered.push(write)
      }
      const run = database.transaction(async (executor) => {
        // The caller gave up while we waited for a connection or PGlite's turn: run nothing.
        transactionSignal.throwIfAborted()
        let open = true
        const guard = <T>(operation: () => Promise<T>) => {
          if (!open) {
            return Promise.reject(
              new KycStoreConflictError({
                message: 'This transaction has ended; do not use it after its work returned.',
              }),
            )
          }
          return operation()
        }
        const keyValue = keyValueOn(executor)
        // On a server, writes whose answer nothing waits for travel with the next statement (one
        // round trip less each); all are settled before the commit. PGlite has no round trips.
        const pipelined = executor.kind === 'server'
        const auditAtCommit: AuditEntryInputParsed[] = []
        const transaction: KycStoreTransaction<PostgresTransactionHandle> = {
          handle: {
            kind: executor.kind,
            schema: schemaName,
            query: (text, values = []) =>
              guard(() => executor.query({ name: 'application statement', text, values })),
          },
          signal: transactionSignal,
          keyValue: {
            get: (namespace, key) => guard(() => keyValue.get(namespace, key)),
            set: (namespace, key, value, setOptions) =>
              guard(() => keyValue.set(namespace, key, value, setOptions)),
            setIfAbsent: (namespace, key, value, setOptions) =>
              guard(() => keyValue.setIfAbsent(namespace, key, value, setOptions)),
            delete: (namespace, key) => guard(() => keyValue.delete(namespace, key)),
          },
          getVerification: (key) => guard(() => readVerification(executor, key)),
          applyVerification: (update) =>
            guard(() =>
              applyVerification(executor, update, holds, pipelined ? sendWithoutWaiting : undefined),
            ),
          appendAudit: (entry) => guard(() => appendAudit(executor, entry)),
          appendAuditAtCommit(entry) {
            if (!open) {
              throw new KycStoreConflictError({
                message: 'This transaction has ended; do not use it after its work returned.',
              })
            }
            auditAtCommit.push(parseAuditEntryInput(entry))
          },
          claimEvent: (request) => guard(() => claimEventInTransaction(executor, request, holds)),
          completeClaim: (claim) =>
            guard(async () => {
              const [completed] = await executor.query(statements.completeInboxEvent(schema, claim, ttlMs))
              if (completed === undefined) {
                throw new KycStoreConflictError({
                  provider: claim.provider,
                  message: `The claim on event ${claim.eventId} is no longer held (its lease expired and another delivery took it, or it completed); this transaction was rolled back.`,
                })
              }
            }),
        }
        try {
          const result = await (signal === undefined
            ? work(transaction)
            : raceAbort(work(transaction), signal))
          open = false
          await Promise.all(unanswered)
          for (const entry of auditAtCommit) {
            const append = appendAudit(executor, entry)
            // An append to one of several chains is one statement that cannot miss: on a server it
            // is sent without waiting (the last travels with the commit, which rolls back if any
            // failed). With one chain, an append may need a second try: answered before the commit.
            if (pipelined && auditChains > 1) sendWithoutWaiting(append)
            else await append
          }
          return result
        } catch (error) {
          throw failures.length > 0 ? failures[0] : error
        } finally {
          open = false
        }
      })
      try {
        const result = await (signal === undefined ? run : raceAbort(run, signal))
        // Settled already (the commit came after them); a failure means the commit rolled back.
        await Promise.all(unanswered)
        for (const held of holds.values()) {
          if (held.state !== undefined && held.writtenDocument !== undefined) {
            written.set(held.key, { version: held.state.version, document: held.writtenDocument })
          }
        }
        return result
      } catch (error) {
        // Rolled back, or its outcome is unknown: what it wrote is not remembered, and what was
        // remembered before stays (the row still holds that version, or the version check finds out).
        abandon?.abort(error)
        run.catch(() => undefined)
        throw failures.length > 0 ? failures[0] : error
      }
    },
    async verifyAuditChain() {
      const [head] = await database.query<{ sequence: string; hash: string }>(
        statements.selectAuditHead(schema),
      )
      const chainHeads = await database.query<{ chain: number; chain_sequence: string; hash: string }>(
        statements.selectAuditChainHeads(schema),
      )
      // The heads the database recorded: the one chain's (migration 1) and each chain's. A chain
      // head is matched by its hash, which covers the chain and the place in it.
      const chainTails = new Map(chainHeads.map((row) => [row.hash, row]))
      const expected: { sequence: number; hash: string }[] = []
      const headSequence = Number(head?.sequence ?? 0)
      if (head !== undefined && headSequence > 0) expected.push({ sequence: headSequence, hash: head.hash })
      const found = new Map<string, number>()
      const rows = async function* () {
        for await (const row of auditRows({})) {
          // As stored, not parsed: the chain check reports a bad row instead of throwing. A row whose
          // columns disagree with its entry (filed under another verification) is reported as invalid.
          const entry = row.entry as Partial<AuditEntry> | null
          const filedRight =
            entry !== null &&
            typeof entry === 'object' &&
            entry.sequence === Number(row.sequence) &&
            entry.provider === row.provider &&
            entry.verificationId === row.verification_id
          if (filedRight && typeof entry.hash === 'string') {
            const tail = chainTails.get(entry.hash)
            if (tail !== undefined && tail.chain === entry.chain) found.set(entry.hash, Number(row.sequence))
          }
          yield filedRight ? entry : { sequence: Number(row.sequence) }
        }
      }
      const report = await verifyAuditChain(rows(), { expectedHead: expected })
      if (!report.valid) return report
      // A chain whose recorded head was never read lost its tail (or the head row was changed).
      const missing = chainHeads.find((row) => !found.has(row.hash))
      if (missing !== undefined) {
        return { valid: false, count: report.count, sequence: undefined, problem: 'head_mismatch' }
      }
      return report
    },
    async *exportAudit(query = {}) {
      for await (const row of auditRows(query)) yield `${JSON.stringify(toAuditEntry(row))}\n`
    },
    async purgeExpired(purgeOptions = {}) {
      const limit = purgeOptions.limit ?? 10_000
      const inbox = await database.query(statements.deleteExpiredInboxEvents(schema, limit))
      const keyValues = await database.query(statements.deleteExpiredKeyValues(schema, limit))
      return { inbox: inbox.length, keyValues: keyValues.length }
    },
    async close() {
      if (closed) return
      closed = true
      if (options.closeDatabase === true) await database.close()
    },
  }
}
