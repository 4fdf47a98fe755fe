import { KycStoreConflictError } from '../errors.js'
import { raceAbort } from '../http/abort.js'
import { applyVerificationUpdate } from '../model/apply-update.js'
import type { Verification } from '../model/verification.js'
import {
  type AuditChainHead,
  type AuditEntry,
  auditChainFor,
  chainAuditEntry,
  parseAuditEntryInput,
} from './audit-entry.js'
import { createMemoryRawArchiveStore } from './memory-raw-archive-store.js'
import type { RawArchiveStore } from './raw-archive-store.js'
import type {
  AppliedVerification,
  AuditQuery,
  InboxClaim,
  InboxClaimResult,
  JsonValue,
  KeyValueStore,
  KycStore,
  KycStoreTransaction,
  VerificationKey,
  VerificationPage,
} from './types.js'
import {
  parseClaimRequest,
  parseKeyValueName,
  parseKeyValueWrite,
  parseVerificationUpdate,
} from './validate.js'
import {
  compareVerificationKeys,
  matchesVerificationQuery,
  parseVerificationQuery,
  type VerificationQueryFields,
} from './verification-query.js'

/** Options for {@link createMemoryStore}. */
export type MemoryStoreOptions = {
  /**
   * The most inbox entries, and separately the most verification states and key-value entries, kept;
   * the least recently used go first. Default 10,000. A verification evicted is treated as unknown, so
   * a very late event for it is applied as the first one seen.
   */
  maxEntries?: number
  /** The most audit entries kept; the oldest go first (see {@link MemoryStore.auditStart}). Default 100,000. */
  maxAuditEntries?: number
  /**
   * The audit log's interleaved hash chains (a verification's entries go to chain
   * `auditChainFor(verificationId, auditChains)`). Default 1: one chain, entries without `chain`.
   * Transactions of this store run one at a time anyway; set it to exercise a several-chain log.
   */
  auditChains?: number
  /** How long a completed event stays deduplicated. Default 24 hours, longer than providers retry a delivery. */
  ttlMs?: number
  /** The current time in milliseconds. Default `Date.now`; inject one for deterministic tests and leases. */
  now?: () => number
}

/**
 * The memory store: a {@link KycStore} plus what only memory can tell. Its handle is `undefined`:
 * write the application's own test rows through `transaction.keyValue`, which commits or rolls back
 * with the rest.
 */
export type MemoryStore = KycStore<undefined> & {
  /** The raw archive's storage, in memory (at most `maxEntries` payloads). */
  readonly archive: RawArchiveStore
  /**
   * The last audit entry dropped to respect `maxAuditEntries`, or `undefined` when none was: pass it
   * as `verifyAuditChain(store.audit.read(), { startAfter: store.auditStart() })`.
   */
  auditStart(): AuditChainHead
  /**
   * The last audit entry dropped of each chain (empty when none was): pass it as
   * `verifyAuditChain(store.audit.read(), { startAfter: store.auditStarts() })` in a several-chain log.
   */
  auditStarts(): NonNullable<AuditChainHead>[]
}

/** An audit entry as validated by the store (`parseAuditEntryInput`). */
type ParsedAuditEntryInput = ReturnType<typeof parseAuditEntryInput>
type InboxEntry = { token: string | undefined; leaseExpiresAt: number; completedUntil: number | undefined }
/** A key-value entry's JSON text; with its expiry when it has one (most have none: no object kept for them). */
type StoredValue = string | { text: string; expiresAt: number }
/**
 * A verification state kept as its JSON text, so nothing the store hands out or takes in shares an
 * object with what it keeps (as with a database: every read is a fresh copy), in one object with the
 * fields `find` filters on and when a commit last moved it (`storedAt`, the store's clock; set at
 * commit). One small object per state: what every kept state costs the garbage collector.
 */
type StoredVerification = VerificationQueryFields & { text: string; storedAt: number }

/**
 * `text` as one flat string. V8 returns a long `JSON.stringify` result as a tree of string pieces; kept
 * as it is, each piece is one more object every young-generation collection copies (a 350-character
 * verification kept 536 bytes instead of 396). Converting a string to a number makes V8 flatten it in
 * place, and the next collection drops the pieces; in other engines it is a cheap no-op.
 */
function flatText(text: string): string {
  Number(text)
  return text
}

const toStoredVerification = (verification: Verification): StoredVerification => ({
  provider: verification.provider,
  id: verification.id,
  status: verification.status,
  updatedAt: verification.updatedAt,
  subjectReference: verification.subjectReference,
  decision: verification.decision === undefined ? undefined : { outcome: verification.decision.outcome },
  redactedAt: verification.redactedAt,
  completedAt: verification.completedAt,
  text: flatText(JSON.stringify(verification)),
  storedAt: 0,
})

/** A fresh copy of a kept state: the caller may change it freely. */
const toVerification = (kept: StoredVerification): Verification => JSON.parse(kept.text) as Verification

/**
 * Freezes a kept audit entry and everything in it, once, when it is hashed: what `audit.read`,
 * `audit.head` and `appendAudit` hand out is the kept entry itself, so a caller cannot change the
 * stored log in place (an assignment throws in strict code). Cheaper than a copy per read: an entry
 * is frozen once and read many times. Audit entries hold plain objects, arrays and primitives only.
 */
function deepFreeze<Value>(value: Value): Value {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  for (const inner of Object.values(value)) deepFreeze(inner)
  return Object.freeze(value)
}

/** Test hook: the audit log a memory store keeps, by store (see {@link memoryStoreAuditLog}). */
const keptAuditLogs = new WeakMap<MemoryStore, () => AuditEntry[]>()

/**
 * Internal, for tests only (not exported from the package): the array of hashed entries `store` keeps,
 * after hashing what is pending, so a test can replace a row as a database UPDATE would and check
 * that verification finds it. The entries themselves are frozen; replace one with a changed copy.
 */
export function memoryStoreAuditLog(store: MemoryStore): AuditEntry[] {
  const read = keptAuditLogs.get(store)
  if (read === undefined) throw new TypeError('memoryStoreAuditLog: not a memory store')
  return read()
}

const defaultTtlMs = 24 * 60 * 60 * 1000
const neverAborted = new AbortController().signal
const compositeKey = (first: string, second: string) => `${first}\u0000${second}`

/**
 * One live key iterator per map, kept between evictions. A Map keeps deleted entries as holes until
 * it rehashes, and a fresh `map.keys()` walks over every hole before the first live key: evicting
 * with a fresh iterator cost about 9 µs per write at 10,000 entries and 50 µs at 100,000. A live
 * iterator resumes where it stopped, skips what was deleted, and reaches re-inserted keys at their
 * new place, so it always yields the least recently used key.
 */
const evictionCursors = new WeakMap<Map<string, unknown>, Iterator<string>>()

function evictOldest(map: Map<string, unknown>): boolean {
  let cursor = evictionCursors.get(map)
  let oldest = cursor?.next()
  if (cursor === undefined || oldest === undefined || oldest.done === true) {
    cursor = map.keys()
    evictionCursors.set(map, cursor)
    oldest = cursor.next()
  }
  if (oldest.done === true) return false
  map.delete(oldest.value)
  return true
}

/** Re-inserting on use keeps Map insertion order least-recently-used first. */
function touch<Value>(map: Map<string, Value>, key: string, value: Value, maxEntries: number): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > maxEntries) if (!evictOldest(map)) break
}

/**
 * A {@link KycStore} in one process's memory, bounded (least-recently-used eviction, a time to live on
 * completed events). Transactions run one at a time and stage their writes, which become visible
 * together at commit or vanish on failure, so it keeps every promise of the contract within one
 * process. Everything is lost on restart and nothing is shared between instances: use
 * `@openkyc/postgres` for that.
 *
 * The audit hash chain is computed off the request path: an entry appended with
 * `appendAuditAtCommit` (the router and the webhook pipeline use it) gets its `sequence` and
 * `recordedAt` at commit, and its `previousHash` and `hash` when the log is next read (`audit.read`,
 * `audit.head`, `auditStart`, an `appendAudit` that needs the head's hash), in append order, so the
 * chain is exactly the one an eager store computes. Entries are kept as they were validated until
 * then; the log never holds more than `maxAuditEntries` entries, hashed or not (reaching the bound
 * hashes what is pending, then drops the oldest). `appendAudit` still hashes at once: it returns the
 * entry with its hash.
 *
 * @example
 * ```ts
 * const kyc = createKyc({ adapters: { persona: () => createPersona() }, store: createMemoryStore() })
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 10_000
  const maxAuditEntries = options.maxAuditEntries ?? 100_000
  const ttlMs = options.ttlMs ?? defaultTtlMs
  const now = options.now ?? Date.now
  const auditChains = options.auditChains ?? 1
  for (const [name, value] of [
    ['auditChains', auditChains],
    ['maxEntries', maxEntries],
    ['maxAuditEntries', maxAuditEntries],
    ['ttlMs', ttlMs],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`createMemoryStore: ${name} must be a positive integer`)
    }
  }

  const inbox = new Map<string, InboxEntry>()
  const verifications = new Map<string, StoredVerification>()
  const values = new Map<string, StoredValue>()
  /**
   * The kept audit log is `audit` from index `auditFirst` on. Dropping the oldest entry moves the
   * index instead of shifting the array (`shift` moves every entry once a large array cannot be
   * trimmed in place: about 50 µs per commit at 100,000 entries); the dropped slots at the front are
   * cleared and cut off together once they are a quarter of the bound, so a drop costs O(1) amortized
   * and no dropped entry stays reachable.
   */
  const audit: (AuditEntry | undefined)[] = []
  let auditFirst = 0
  const compactAfter = Math.ceil(maxAuditEntries / 4)
  /**
   * Committed entries appended with `appendAuditAtCommit` and not hashed yet, in sequence order, all
   * after `audit`'s (see `finalizeAudit`): each as it was validated, with its commit's time at the same
   * index of `pendingRecordedAt` (numbers kept unboxed), and the sequence after the entry before it.
   * No wrapper object per entry: every object kept until the log is read is copied by the young
   * generation's collections.
   */
  let pendingAudit: ParsedAuditEntryInput[] = []
  let pendingRecordedAt: number[] = []
  let auditStart: AuditChainHead
  /** Several chains: the last committed entry of each chain, and the last dropped one. */
  const chainHeads = new Map<number, AuditEntry>()
  const chainStarts = new Map<number, NonNullable<AuditChainHead>>()
  /** Whether a transaction holds the turn; those waiting for it are in `waiting`, first come first. */
  let busy = false
  const waiting: (() => void)[] = []

  const liveValue = (stored: StoredValue | undefined): JsonValue | undefined => {
    if (stored === undefined) return undefined
    if (typeof stored === 'string') return JSON.parse(stored) as JsonValue
    return stored.expiresAt <= now() ? undefined : (JSON.parse(stored.text) as JsonValue)
  }

  // The last slot is never a dropped one: the bound is at least 1.
  const auditHead = (): AuditEntry | undefined => audit.at(-1)

  /** Cuts the cleared slots of dropped entries off the front of `audit`. */
  const compactAudit = () => {
    if (auditFirst === 0) return
    audit.splice(0, auditFirst)
    auditFirst = 0
  }

  /** Keeps a hashed entry at the end of the log, dropping the oldest beyond `maxAuditEntries`. */
  const keepAudit = (entry: AuditEntry) => {
    audit.push(deepFreeze(entry))
    if (entry.chain !== undefined) chainHeads.set(entry.chain, entry)
    while (audit.length - auditFirst > maxAuditEntries) {
      const dropped = audit[auditFirst]
      if (dropped === undefined) break
      audit[auditFirst] = undefined
      auditFirst += 1
      if (auditFirst >= compactAfter) compactAudit()
      auditStart = Object.freeze({ sequence: dropped.sequence, hash: dropped.hash })
      if (dropped.chain !== undefined) {
        chainStarts.set(
          dropped.chain,
          Object.freeze({
            sequence: dropped.sequence,
            hash: dropped.hash,
            chain: dropped.chain,
            chainSequence: dropped.chainSequence,
          }),
        )
      }
    }
  }

  /**
   * Hashes the pending entries in append order, each after its chain's head: synchronous, so no
   * commit interleaves, and the result is the chain `appendAudit` would have built one by one.
   */
  const finalizeAudit = () => {
    if (pendingAudit.length === 0) return
    const pending = pendingAudit
    const recordedAt = pendingRecordedAt
    pendingAudit = []
    pendingRecordedAt = []
    for (const [index, input] of pending.entries()) {
      const time = new Date(recordedAt[index] as number)
      if (auditChains === 1) {
        keepAudit(chainAuditEntry(input, auditHead() ?? auditStart, time))
        continue
      }
      const chain = auditChainFor(input.verificationId, auditChains)
      const head = chainHeads.get(chain) ?? chainStarts.get(chain)
      keepAudit(chainAuditEntry(input, head, time, { chain, sequence: lastAuditSequence() + 1 }))
    }
  }

  /** The sequence of the last committed entry, hashed or pending (0 for an empty log). */
  const lastAuditSequence = (): number =>
    (auditHead()?.sequence ?? auditStart?.sequence ?? 0) + pendingAudit.length

  const committedKeyValue: KeyValueStore = {
    async get(namespace, key) {
      parseKeyValueName(namespace, key)
      return liveValue(values.get(compositeKey(namespace, key)))
    },
    async set(namespace, key, value, setOptions) {
      const text = parseKeyValueWrite(namespace, key, value, setOptions)
      touch(values, compositeKey(namespace, key), toStored(text, setOptions?.ttlMs), maxEntries)
    },
    async setIfAbsent(namespace, key, value, setOptions) {
      const text = parseKeyValueWrite(namespace, key, value, setOptions)
      const existing = liveValue(values.get(compositeKey(namespace, key)))
      if (existing !== undefined) return existing
      touch(values, compositeKey(namespace, key), toStored(text, setOptions?.ttlMs), maxEntries)
      return JSON.parse(text) as JsonValue
    },
    async delete(namespace, key) {
      parseKeyValueName(namespace, key)
      values.delete(compositeKey(namespace, key))
    },
  }

  const toStored = (text: string, ttl: number | undefined): StoredValue =>
    ttl === undefined ? text : { text, expiresAt: now() + ttl }

  const claimHeld = (claim: InboxClaim): boolean => {
    const entry = inbox.get(compositeKey(claim.provider, claim.eventId))
    return (
      entry !== undefined &&
      entry.completedUntil === undefined &&
      entry.token === claim.token &&
      entry.leaseExpiresAt > now()
    )
  }

  /** Hands the turn to the first transaction waiting, or marks the store idle. */
  const passTurn = () => {
    const next = waiting.shift()
    if (next === undefined) busy = false
    else next()
  }

  /** Runs `work` in the turn this caller holds, commits, and passes the turn on, whatever happens. */
  const runTransaction = async <Result>(
    work: (transaction: KycStoreTransaction<undefined>) => Promise<Result>,
    signal: AbortSignal | undefined,
  ): Promise<Result> => {
    // The caller's signal is the only way a memory transaction is abandoned.
    const transactionSignal = signal ?? neverAborted
    const stagedVerifications = new Map<string, StoredVerification>()
    const stagedAudit: AuditEntry[] = []
    const stagedAuditAtCommit: ParsedAuditEntryInput[] = []
    const stagedValues = new Map<string, StoredValue | null>()
    const stagedClaims: InboxClaim[] = []
    const stagedAbsent = new Set<string>()
    let open = true
    const ensureOpen = () => {
      if (!open)
        throw new KycStoreConflictError({
          message: 'This memory-store transaction has ended; do not use it after its work returned.',
        })
    }
    const readVerification = (key: string): Verification | undefined => {
      const kept = stagedVerifications.get(key) ?? verifications.get(key)
      return kept === undefined ? undefined : toVerification(kept)
    }
    const readValue = (key: string) =>
      stagedValues.has(key) ? (stagedValues.get(key) ?? undefined) : values.get(key)

    const keyValue: KeyValueStore = {
      async get(namespace, key) {
        ensureOpen()
        parseKeyValueName(namespace, key)
        return liveValue(readValue(compositeKey(namespace, key)))
      },
      async set(namespace, key, value, setOptions) {
        ensureOpen()
        const text = parseKeyValueWrite(namespace, key, value, setOptions)
        stagedValues.set(compositeKey(namespace, key), toStored(text, setOptions?.ttlMs))
      },
      async setIfAbsent(namespace, key, value, setOptions) {
        ensureOpen()
        const text = parseKeyValueWrite(namespace, key, value, setOptions)
        const existing = liveValue(readValue(compositeKey(namespace, key)))
        if (existing !== undefined) return existing
        const stagedKey = compositeKey(namespace, key)
        // Absent from the committed values: re-checked at commit, since writes outside may land meanwhile.
        if (!stagedValues.has(stagedKey)) stagedAbsent.add(stagedKey)
        stagedValues.set(stagedKey, toStored(text, setOptions?.ttlMs))
        return JSON.parse(text) as JsonValue
      },
      async delete(namespace, key) {
        ensureOpen()
        parseKeyValueName(namespace, key)
        stagedValues.set(compositeKey(namespace, key), null)
      },
    }

    const transaction: KycStoreTransaction<undefined> = {
      handle: undefined,
      signal: transactionSignal,
      keyValue,
      async getVerification(key: VerificationKey) {
        ensureOpen()
        return readVerification(compositeKey(key.provider, key.id))
      },
      async applyVerification(update): Promise<AppliedVerification> {
        ensureOpen()
        const parsed = parseVerificationUpdate(update)
        const key = compositeKey(parsed.provider, parsed.id)
        const previous = readVerification(key)
        const verification = applyVerificationUpdate(previous, parsed)
        const applied = verification !== previous
        // Kept as text: changing `update`, `previous` or `verification` later changes nothing stored.
        if (applied) stagedVerifications.set(key, toStoredVerification(verification))
        return { previous, verification, applied }
      },
      async appendAudit(entry) {
        ensureOpen()
        const input = parseAuditEntryInput(entry)
        // The entry is returned with its hash: the committed head's hash must be known.
        finalizeAudit()
        const last = stagedAudit.at(-1) ?? auditHead() ?? auditStart
        if (auditChains === 1) {
          // Frozen now: the caller holds it while it is staged, and it is kept as it is at commit.
          const appended = deepFreeze(chainAuditEntry(input, last, new Date(now())))
          stagedAudit.push(appended)
          return appended
        }
        const chain = auditChainFor(input.verificationId, auditChains)
        const head =
          stagedAudit.findLast((staged) => staged.chain === chain) ??
          chainHeads.get(chain) ??
          chainStarts.get(chain)
        const appended = deepFreeze(
          chainAuditEntry(input, head, new Date(now()), {
            chain,
            sequence: (last?.sequence ?? 0) + 1,
          }),
        )
        stagedAudit.push(appended)
        return appended
      },
      appendAuditAtCommit(entry) {
        ensureOpen()
        // Validated now (nothing staged when invalid); placed at commit, hashed when the log is read.
        stagedAuditAtCommit.push(parseAuditEntryInput(entry))
      },
      async completeClaim(claim) {
        ensureOpen()
        if (!claimHeld(claim)) throw claimLost(claim)
        stagedClaims.push(claim)
      },
    }

    const commit = () => {
      // Synchronous from the checks to the last write: nothing can interleave in one JavaScript thread.
      for (const claim of stagedClaims) if (!claimHeld(claim)) throw claimLost(claim)
      for (const key of stagedAbsent) {
        if (liveValue(values.get(key)) !== undefined) {
          throw new KycStoreConflictError({
            message:
              'A value this transaction set only if absent was set meanwhile outside it; the transaction was rolled back.',
          })
        }
      }
      const time = now()
      for (const claim of stagedClaims) {
        touch(
          inbox,
          compositeKey(claim.provider, claim.eventId),
          { token: undefined, leaseExpiresAt: 0, completedUntil: time + ttlMs },
          maxEntries,
        )
      }
      for (const [key, staged] of stagedVerifications) {
        staged.storedAt = time
        touch(verifications, key, staged, maxEntries)
      }
      for (const [key, stored] of stagedValues) {
        if (stored === null) values.delete(key)
        else touch(values, key, stored, maxEntries)
      }
      // `appendAudit` hashed everything pending before its staged entries were built on the head.
      for (const entry of stagedAudit) keepAudit(entry)
      for (const input of stagedAuditAtCommit) {
        pendingAudit.push(input)
        pendingRecordedAt.push(time)
      }
      if (audit.length - auditFirst + pendingAudit.length > maxAuditEntries) finalizeAudit()
    }

    try {
      // Without a caller's signal nothing can abandon the work: no abort listener to add and remove.
      const result = await raceAbort(work(transaction), signal)
      ensureOpen()
      commit()
      return result
    } finally {
      open = false
      passTurn()
    }
  }

  /** Resolves when the turn passes to this caller; rejects, leaving the line, when `signal` aborts first. */
  const waitForTurn = (signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = waiting.indexOf(start)
        if (index !== -1) waiting.splice(index, 1)
        reject(signal?.reason)
      }
      const start = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      waiting.push(start)
      signal?.addEventListener('abort', onAbort, { once: true })
    })

  const store: MemoryStore = {
    inbox: {
      async claim(request): Promise<InboxClaimResult> {
        const { provider, eventId, leaseMs } = parseClaimRequest(request)
        const key = compositeKey(provider, eventId)
        const time = now()
        const entry = inbox.get(key)
        if (entry?.completedUntil !== undefined && entry.completedUntil > time) {
          touch(inbox, key, entry, maxEntries)
          return { status: 'completed' }
        }
        if (
          entry?.completedUntil === undefined &&
          entry?.token !== undefined &&
          entry.leaseExpiresAt > time
        ) {
          return { status: 'busy', leaseExpiresAt: new Date(entry.leaseExpiresAt).toISOString() }
        }
        const claim: InboxClaim = {
          provider,
          eventId,
          token: crypto.randomUUID(),
          leaseExpiresAt: new Date(time + leaseMs).toISOString(),
        }
        touch(
          inbox,
          key,
          { token: claim.token, leaseExpiresAt: time + leaseMs, completedUntil: undefined },
          maxEntries,
        )
        return { status: 'claimed', claim }
      },
      async release(claim) {
        if (!claimHeld(claim)) return
        inbox.delete(compositeKey(claim.provider, claim.eventId))
      },
    },
    verifications: {
      async get(key) {
        const stored = verifications.get(compositeKey(key.provider, key.id))
        if (stored === undefined) return undefined
        touch(verifications, compositeKey(key.provider, key.id), stored, maxEntries)
        return toVerification(stored)
      },
      async find(query): Promise<VerificationPage> {
        const parsed = parseVerificationQuery(query)
        const time = now()
        const { after } = parsed
        const matches = [...verifications.values()]
          .filter(
            (stored) =>
              (after === undefined || compareVerificationKeys(stored, after) > 0) &&
              matchesVerificationQuery(stored, stored.storedAt, time, parsed),
          )
          .sort(compareVerificationKeys)
        const page = matches.slice(0, parsed.limit)
        const last = page.at(-1)
        return {
          verifications: page.map(toVerification),
          next:
            matches.length > parsed.limit && last !== undefined
              ? { provider: last.provider, id: last.id }
              : undefined,
        }
      },
    },
    audit: {
      async *read(query: AuditQuery = {}) {
        let remaining = query.limit ?? Number.POSITIVE_INFINITY
        finalizeAudit()
        // A snapshot: entries committed while the caller iterates are not included.
        for (const entry of audit.slice(auditFirst) as AuditEntry[]) {
          if (remaining <= 0) return
          if (query.afterSequence !== undefined && entry.sequence <= query.afterSequence) continue
          if (query.provider !== undefined && entry.provider !== query.provider) continue
          if (query.verificationId !== undefined && entry.verificationId !== query.verificationId) continue
          remaining -= 1
          yield entry
        }
      },
      async head() {
        finalizeAudit()
        return auditHead()
      },
    },
    keyValue: committedKeyValue,
    archive: createMemoryRawArchiveStore(now, maxEntries),
    transaction(work, transactionOptions = {}) {
      const { signal } = transactionOptions
      if (signal?.aborted === true) return Promise.reject(signal.reason)
      // Idle: start at once, with no turn to wait for. Busy: wait in line (leaving it on abort).
      if (!busy) {
        busy = true
        return runTransaction(work, signal)
      }
      return waitForTurn(signal).then(() => runTransaction(work, signal))
    },
    auditStart: () => {
      finalizeAudit()
      return auditStart
    },
    auditStarts: () => {
      finalizeAudit()
      return auditChains === 1 ? (auditStart === undefined ? [] : [auditStart]) : [...chainStarts.values()]
    },
  }
  keptAuditLogs.set(store, () => {
    finalizeAudit()
    // From index 0 on, every slot holds an entry: a test replaces rows by their place in the log.
    compactAudit()
    return audit as AuditEntry[]
  })
  return store
}

function claimLost(claim: InboxClaim): KycStoreConflictError {
  return new KycStoreConflictError({
    provider: claim.provider,
    message: `The claim on event ${claim.eventId} is no longer held (its lease expired and another delivery took it, or it completed); this transaction was rolled back.`,
  })
}
