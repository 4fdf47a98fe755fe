import type { VerificationUpdate } from '../model/apply-update.js'
import type { DecisionOutcome } from '../model/decision.js'
import type { VerificationStatus } from '../model/status.js'
import type { Verification } from '../model/verification.js'
import type { AuditEntry, AuditEntryInput } from './audit-entry.js'
import type { RawArchiveStore } from './raw-archive-store.js'

/**
 * The store contract: everything the webhook pipeline, the adapters and (later) routing keep state
 * in. One implementation per backend: `createMemoryStore` here (one process, tests), `@openkyc/postgres`
 * (PGlite or a PostgreSQL server), or your own (Redis, DynamoDB…). Prove an implementation with
 * `describeStoreConformance` from `@openkyc/testkit/store-conformance`.
 *
 * Shape of one webhook event's processing, which every store must make possible:
 *
 * 1. `inbox.claim()` (outside any transaction, committed at once so other instances see the lease);
 * 2. `transaction(async (transaction) => { applyVerification; the application's handler with
 *    `transaction.handle`; completeClaim; appendAudit })`: all of it commits, or none of it does
 *    (the pipeline appends the audit entry last, so a lock on the chain head is held briefly);
 * 3. on any failure, `inbox.release()` so the provider's redelivery is processed at once (if the
 *    process died instead, the lease expires and the redelivery reclaims the event).
 *
 * A store whose transactions have the optional `claimEvent` (and `appendAuditAtCommit`) lets the
 * pipeline do it in one transaction instead: `claimEvent` first (the mark commits with the rest; a
 * rollback or a dead process leaves it unmarked), then the steps of 2 without `completeClaim`, the
 * audit entry sent with the commit. Nothing to release: a rollback is the release.
 *
 * Errors: a store throws `KycInvalidRequestError` for input that breaks this contract (nothing is
 * written), `KycStoreUnavailableError` (retryable) when the backend cannot be reached, times out or
 * drops the connection, `KycStoreConflictError` (retryable) when a claim was lost, and
 * `KycStoreIntegrityError` when what it reads back is corrupt, foreign or from a schema it does not
 * know (for example a missing migration). Messages name what to do and never carry stored values.
 *
 * Personal data: verification states are the application's own records and may hold `identity`;
 * audit entries, inbox rows and claims never do.
 *
 * @typeParam Handle - the backend's own transaction handle given to the application's handler, so
 * its writes commit or roll back with ours (a `postgres` `TransactionSql`, a PGlite `Transaction`…).
 */
export type KycStore<Handle = unknown> = {
  /** Event-id deduplication with claims and leases. Calls here are not part of any transaction. */
  readonly inbox: WebhookInbox
  /** Committed verification states, read outside any transaction. */
  readonly verifications: VerificationStateReader
  /** The committed audit log, read outside any transaction. */
  readonly audit: AuditLogReader
  /** Small JSON values for adapters and routing, outside any transaction (each call commits on its own). */
  readonly keyValue: KeyValueStore
  /**
   * The opt-in raw archive's storage (encrypted vendor payloads, outside any transaction), when the
   * store has one. Optional: stores written before it keep conforming. See `createRawArchive`.
   */
  readonly archive?: RawArchiveStore
  /**
   * Runs `work` in one transaction and resolves to its result once committed. If `work` throws or
   * rejects, everything written through the transaction (including the application's writes through
   * `transaction.handle`) is rolled back and the same error is rethrown unchanged. Rolling back
   * must not throw over the original error.
   *
   * Isolation: concurrent transactions may run, but `applyVerification` on one verification and
   * `appendAudit` on one chain are serialized by the store (row locks, a lock on the chain head), so the outcome
   * equals some one-at-a-time order.
   *
   * `options.signal`: while waiting to begin (a pool connection, a lock, the memory store's turn)
   * an aborted signal makes `transaction` reject with the signal's reason without running `work`;
   * once `work` runs, the signal is also on `transaction.signal`, and a store may roll back and
   * reject as soon as it fires.
   */
  transaction<Result>(
    work: (transaction: KycStoreTransaction<Handle>) => Promise<Result>,
    options?: KycStoreTransactionOptions,
  ): Promise<Result>
  /** Releases connections and files. The store is unusable afterwards. Optional for stores that hold nothing. */
  close?(): Promise<void>
}

/** Options for {@link KycStore.transaction}. */
export type KycStoreTransactionOptions = {
  /** Gives up waiting to begin, or rolls back, when aborted. */
  signal?: AbortSignal
}

/**
 * One open transaction. Every method writes inside it; nothing is visible to other transactions
 * until it commits. Do not use it after the `work` function returned.
 */
export type KycStoreTransaction<Handle = unknown> = {
  /** The backend's own transaction handle: write the application's rows through it to commit with ours. */
  readonly handle: Handle
  /** Aborted when the transaction is being abandoned (caller aborted, timeout). Pass it to slow work. */
  readonly signal: AbortSignal
  /** Reads a verification's state as this transaction sees it (including its own writes). */
  getVerification(key: VerificationKey): Promise<Verification | undefined>
  /**
   * Applies an update forward-only, atomically: the stored state becomes exactly
   * `applyVerificationUpdate(previous, update)` where `previous` is the state committed or written
   * by this transaction, read under a lock held to the end of the transaction, so two concurrent
   * transactions applying updates to one verification serialize and neither moves it backwards.
   * A backend may compare in SQL with `verificationProgressKey` (same order as
   * `compareVerificationProgress`) and must then store the merged value `applyVerificationUpdate`
   * returns.
   *
   * Throws `KycInvalidRequestError` (nothing written) when `update` is not a valid `Verification` or
   * event verification.
   */
  applyVerification(update: VerificationUpdate): Promise<AppliedVerification>
  /**
   * Appends one audit entry at the end of its hash chain: the store's one chain, or in a store that
   * keeps several interleaved chains, chain `auditChainFor(entry.verificationId, chains)`. The store
   * assigns the next `sequence` (and `chain`/`chainSequence`), the current time as `recordedAt`, and
   * `previousHash`/`hash` with `chainAuditEntry` (read the chain's head under a lock held to the end
   * of the transaction, so chains never fork; transactions on other chains commit alongside). Throws
   * `KycInvalidRequestError` (nothing written) when `entry` fails `AuditEntryInputSchema`.
   */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>
  /**
   * Optional: appends `entry` like {@link appendAudit}, as this transaction's last write, sent with
   * the commit instead of in a round trip of its own (so a lock on the chain head is held only while
   * committing). Validates `entry` at once (throws `KycInvalidRequestError`, nothing queued); if the
   * append fails, the transaction rolls back and `transaction()` rejects with the append's error.
   * Returns nothing: the entry's place and hash are read from the log.
   */
  appendAuditAtCommit?(entry: AuditEntryInput): void
  /**
   * Marks the claimed event processed, inside this transaction: it counts as processed only if the
   * transaction commits. Throws `KycStoreConflictError` when the claim is no longer held (its lease
   * expired and another delivery reclaimed it, or it was completed already), so the caller rolls back
   * and the other holder's work is the one that counts.
   */
  completeClaim(claim: InboxClaim): Promise<void>
  /** The key-value store, inside this transaction. */
  readonly keyValue: KeyValueStore
  /**
   * Optional: claims an event inside this transaction, in place of `inbox.claim()` before it and
   * `completeClaim()` in it, so processing an event takes one commit instead of two. `claimed`: the
   * event is marked processed as part of this transaction (it counts only if the transaction commits;
   * a rollback, or a process that dies so the database ends its transaction, leaves it unmarked for
   * the redelivery). Until this transaction ends, another `claimEvent` on the event answers `busy`.
   * `completed`: it was processed already. `busy`: another delivery holds it (a transaction of its
   * own, or an `inbox.claim` lease). After `completed` or `busy` nothing was written for the event:
   * for `busy`, try again later. The transaction stays usable: the webhook pipeline claims several
   * events of one verification in one transaction, one after another, and goes on after either answer.
   *
   * `verification` names the verification the event will apply, so a store may read and lock it in
   * the same round trip as the claim (the `applyVerification` that follows then uses it). `update`
   * (optional, for that same verification) is the update the event will apply: a store that knows
   * the row's current state may write it with the claim, in the same statement, and then answers the
   * `applyVerification` of that same value (the same object) with what the claim did, writing nothing
   * more. A store may ignore it: `applyVerification` then writes as usual.
   */
  claimEvent?(request: TransactionClaimRequest): Promise<TransactionClaimResult>
}

/** What {@link KycStoreTransaction.claimEvent} is asked. */
export type TransactionClaimRequest = {
  /** The adapter's provider name. Non-empty. */
  provider: string
  /** The event's id, stable across redeliveries. Non-empty. */
  eventId: string
  /** The verification the event applies, when it carries one: the store may lock it with the claim. */
  verification?: VerificationKey
  /**
   * The update the event applies to `verification` (required with it): the store may write it with
   * the claim, and then takes the `applyVerification` of this same object as done.
   */
  update?: VerificationUpdate
}

/** The answer of {@link KycStoreTransaction.claimEvent}. */
export type TransactionClaimResult = { status: 'claimed' | 'completed' | 'busy' }

/** Identifies one verification in a store. */
export type VerificationKey = {
  /** The adapter's provider name. */
  provider: string
  /** The provider's verification id. */
  id: string
}

/** What {@link KycStoreTransaction.applyVerification} did. */
export type AppliedVerification = {
  /** The state before the update (as locked by this transaction); `undefined` when the verification was new. */
  previous: Verification | undefined
  /** The state after the update: the new state when `applied`, else `previous` unchanged. */
  verification: Verification
  /** True when the stored state moved (the update was new or ahead); false for stale or duplicate updates. */
  applied: boolean
}

/** Reads committed verification states. */
export type VerificationStateReader = {
  /** The committed state of one verification, or `undefined`. Throws `KycStoreIntegrityError` on a corrupt row. */
  get(key: VerificationKey): Promise<Verification | undefined>
  /**
   * One page of the committed verifications matching `query`, in ascending (provider, id) order
   * (code-unit order, as JavaScript compares strings), for the jobs that work through many of them:
   * the reconciler (non-terminal states that have not moved for a while), retention (settled states
   * past a deadline), erasure (every verification of one subject, at every provider). Page on with
   * `after: page.next` until `next` is `undefined`; a verification that starts or stops matching
   * meanwhile may be missed or seen once more, never twice in one page.
   *
   * Throws `KycInvalidRequestError` (naming the field, never the value) for a query that is not a
   * {@link VerificationQuery}, and `KycStoreIntegrityError` on a corrupt row.
   */
  find(query: VerificationQuery): Promise<VerificationPage>
}

/**
 * Which verifications {@link VerificationStateReader.find} returns. Every field narrows; only
 * `limit` is required. Strict: an unknown field is refused (a misspelt filter must not match everything).
 */
export type VerificationQuery = {
  /** Only this provider's verifications. */
  provider?: string
  /** Only the verifications of this subject (the application's own id, `Verification.subjectReference`). */
  subjectReference?: string
  /** Only verifications in one of these statuses (at least one). */
  statuses?: readonly VerificationStatus[]
  /** Only verifications whose decision has one of these outcomes (at least one); undecided ones never match. */
  outcomes?: readonly DecisionOutcome[]
  /** `true`: only redacted verifications (`redactedAt` set); `false`: only unredacted ones. */
  redacted?: boolean
  /**
   * Only states the store has not changed for at least this many milliseconds (a non-negative
   * integer), measured by the store's own clock from the commit that last moved the state forward
   * (a stale or duplicate update does not count). The reconciler's "no news for a while".
   */
  unchangedForMs?: number
  /**
   * Only verifications whose `completedAt` (or, when it has none, `updatedAt`) is before this
   * instant (ISO 8601 with an offset): the provider's time of the last word. Retention's deadline.
   */
  settledBefore?: string
  /** Continue after this verification: the `next` of the previous page. */
  after?: VerificationKey
  /** The most verifications in the page: an integer from 1 to 1,000. */
  limit: number
}

/** What {@link VerificationStateReader.find} returns. */
export type VerificationPage = {
  /** The matching verifications, in ascending (provider, id) order. */
  verifications: Verification[]
  /** Where the next page starts (`query.after`); `undefined` when this page was the last. */
  next: VerificationKey | undefined
}

/** What {@link WebhookInbox.claim} is asked. */
export type InboxClaimRequest = {
  /** The adapter's provider name. Non-empty. */
  provider: string
  /** The event's id, stable across redeliveries. Non-empty. */
  eventId: string
  /** How long the claim is held before another delivery may take it over, in milliseconds (positive integer). */
  leaseMs: number
}

/** A held claim on one event. The `token` proves ownership; only its holder can complete or release it. */
export type InboxClaim = {
  provider: string
  eventId: string
  /** Opaque, unique per claim (a fresh random UUID each time an event is claimed or reclaimed). */
  token: string
  /** When the lease ends, by the store's clock (ISO 8601). */
  leaseExpiresAt: string
}

/** The answer of {@link WebhookInbox.claim}. */
export type InboxClaimResult =
  /** The caller now holds the event: process it, then complete (in the transaction) or release. */
  | { status: 'claimed'; claim: InboxClaim }
  /** The event was processed already (a committed `completeClaim`): answer it as a duplicate. */
  | { status: 'completed' }
  /** Another claim holds a live lease on the event: wait and ask again, or tell the provider to retry. */
  | { status: 'busy'; leaseExpiresAt: string }

/**
 * The webhook inbox: which events were processed, and which are being processed (claims with
 * leases). Each call is atomic and commits on its own: two concurrent `claim` calls for one event
 * never both get `claimed` while the first lease is live (`INSERT … ON CONFLICT DO UPDATE … WHERE
 * the lease expired`, Redis `SET NX PX`).
 *
 * Completed marks are kept at least as long as providers redeliver (the memory store: 24 h by
 * default); a store may prune them after that.
 */
export type WebhookInbox = {
  /**
   * Claims an event: `claimed` when it was never seen, when its last claim was released, or when its
   * lease has expired (a crashed process), each time with a new token; `completed` when a claim on it
   * committed; `busy` otherwise. Throws `KycInvalidRequestError` for an empty provider or event id or
   * a `leaseMs` that is not a positive integer.
   */
  claim(request: InboxClaimRequest): Promise<InboxClaimResult>
  /**
   * Gives a claim up so the next delivery may claim the event at once. Does nothing when the claim is
   * no longer held (completed, expired and reclaimed, or released already): it never throws for that.
   */
  release(claim: InboxClaim): Promise<void>
}

/** Which audit entries {@link AuditLogReader.read} returns. Every field narrows; none means all. */
export type AuditQuery = {
  provider?: string
  verificationId?: string
  /** Only entries with a `sequence` greater than this, to page through the log. */
  afterSequence?: number
  /** At most this many entries (positive integer). */
  limit?: number
}

/** Reads the committed audit log. The log has no update or delete operation: it is append-only. */
export type AuditLogReader = {
  /**
   * Committed entries matching `query`, in ascending `sequence`. Feed the unfiltered log to
   * `verifyAuditChain`. Throws `KycStoreIntegrityError` when a row cannot be read back as an `AuditEntry`.
   */
  read(query?: AuditQuery): AsyncIterable<AuditEntry>
  /** The last committed entry (the chain head), or `undefined` for an empty log. Keep it elsewhere to detect a removed tail. */
  head(): Promise<AuditEntry | undefined>
}

/** A JSON value, as stored by {@link KeyValueStore}. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Options for {@link KeyValueStore.set} and {@link KeyValueStore.setIfAbsent}. */
export type KeyValueSetOptions = {
  /** Forget the value after this many milliseconds (positive integer). Default: keep it. */
  ttlMs?: number
}

/**
 * Small JSON values under `namespace` + `key` (both non-empty strings up to 200 characters):
 * adapters' own state (Jumio upload sessions), routing's sticky assignments, application rows in
 * memory-store tests. Values up to 64 KiB of JSON; an expired value reads as absent.
 *
 * Throws `KycInvalidRequestError` (nothing written) for an empty or oversized namespace or key, a
 * value that is not JSON (functions, `undefined`, non-finite numbers, cycles) or too large, or a bad
 * `ttlMs`.
 */
export type KeyValueStore = {
  /** The value, or `undefined` when absent or expired. */
  get(namespace: string, key: string): Promise<JsonValue | undefined>
  /** Stores a value, replacing any. */
  set(namespace: string, key: string, value: JsonValue, options?: KeyValueSetOptions): Promise<void>
  /**
   * Stores `value` only when no live value exists, atomically (two concurrent calls: one wins), and
   * returns the value that is stored afterwards (the existing one, or `value`).
   */
  setIfAbsent(
    namespace: string,
    key: string,
    value: JsonValue,
    options?: KeyValueSetOptions,
  ): Promise<JsonValue>
  /** Removes a value; nothing happens when it is absent. */
  delete(namespace: string, key: string): Promise<void>
}
