import type { KycAdapter, KycLogger } from '../adapter.js'
import type { RawArchive } from '../archive/raw-archive.js'
import {
  isKycError,
  KycConfigurationError,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  KycStoreUnavailableError,
} from '../errors.js'
import { followAbort, realSleep } from '../http/abort.js'
import {
  applyVerificationUpdate,
  describeVerificationChanges,
  type VerificationChange,
  verificationProgressKey,
} from '../model/apply-update.js'
import { eventTypeForStatus, type KycEvent, KycEventSchema } from '../model/event.js'
import type { Verification } from '../model/verification.js'
import { redact } from '../redact.js'
import {
  type AuditAction,
  type AuditActor,
  type AuditEntryInput,
  type AuditState,
  fitsAuditIdentifier,
} from '../store/audit-entry.js'
import { createMemoryStore } from '../store/memory-store.js'
import type {
  InboxClaim,
  KycStore,
  KycStoreTransaction,
  TransactionClaimRequest,
  TransactionClaimResult,
} from '../store/types.js'
import { markParsed, markParsedVerificationUpdate, parseVerificationUpdate } from '../store/validate.js'
import { describeProcessedEvent } from '../telemetry/instrument-webhooks.js'
import { captureActiveContext, inSpan, telemetryAttributes } from '../telemetry/telemetry.js'
import {
  bodyTooLarge,
  defaultMaxWebhookBodyBytes,
  type RawWebhookInput,
  readWebRequestBody,
  toWebHeaders,
} from './read-body.js'

/** What the pipeline accepts: a Web `Request` (Hono, Next.js, Bun, Deno) or the raw parts (see `readNodeRequest`). */
export type WebhookInput = Request | RawWebhookInput

/** Options for {@link createWebhookPipeline}. */
export type WebhookPipelineOptions<Handle = unknown> = {
  /** The adapter that verifies and normalizes deliveries. */
  adapter: KycAdapter
  /**
   * Where the inbox, verification states and audit log live. Default: a fresh `createMemoryStore()`
   * (one process, lost on restart); give every instance the same durable store (`@openkyc/postgres`).
   */
  store?: KycStore<Handle>
  /** Receives one line per event and per rejected delivery; ids and statuses only, never personal data. */
  logger?: KycLogger
  /** The largest body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * How long a claim on an event lasts, in milliseconds: if this process dies while processing the
   * event, a redelivery after this long processes it again. Longer than your handler ever takes.
   * Default 60,000.
   */
  leaseMs?: number
  /**
   * The longest any one store call may take (a claim, beginning a transaction, a write, the commit),
   * in milliseconds; past it the delivery fails with the retryable `KycStoreUnavailableError` (answer
   * 503) and the provider redelivers. Your handler is not timed: give it `signal`. Default 10,000.
   */
  storeTimeoutMs?: number
  /**
   * How long a delivery waits while another delivery of the same event holds its claim, before
   * failing with a retryable `KycStoreUnavailableError`. Default 5,000.
   */
  claimWaitMs?: number
  /**
   * The most events one store transaction processes together: a positive integer; 1 processes every
   * event in a transaction of its own. Only for stores whose transactions claim events (`claimEvent`,
   * as `@openkyc/postgres` does): events of one verification that arrive while an earlier one of it
   * is being processed wait for it, then go to the store together, up to this many, in arrival order:
   * each claimed (one already processed is a duplicate; one another delivery holds leaves the group and
   * waits as usual), applied forward-only, handed to `onEvent` and audited, with one commit for all.
   * Each delivery is answered once that commit is done. If anything in the group fails (a handler
   * throws, a store error, a timeout, a handler slower than `storeTimeoutMs`: in a group, unlike
   * alone, handlers are timed, so no delivery waits unboundedly for a neighbour's), nothing of it is
   * kept and each of its events is processed again in a transaction of its own, so one bad event
   * fails only its own delivery. Default 8.
   */
  maxEventsPerTransaction?: number
  /**
   * Your work for each event, inside its transaction, when a `handle` call gives no `onEvent` of its
   * own, and for the adapter's background events (see `onBackgroundOutcome`). See {@link WebhookEventHandler}.
   */
  onEvent?: WebhookEventHandler<Handle>
  /**
   * Receives the outcome of events the adapter produced in the background (see
   * `KycAdapterV1.subscribeBackgroundEvents`: a Jumio re-read once details are ready), after they went
   * through the same transactional path as delivered ones (claim, forward-only apply, audit, the
   * pipeline's `onEvent`, commit). No provider redelivers these: when their processing fails, the
   * failure is the adapter's to log, and the next callback or a reconciler read brings the state.
   */
  onBackgroundOutcome?: (outcome: WebhookOutcome) => void | Promise<void>
  /**
   * The opt-in raw archive (`createRawArchive`): every delivery the adapter accepted is encrypted and
   * kept there, before its events are processed, for `openkyc webhooks replay` and `openkyc backtest`.
   * A failure to archive is logged (`kyc webhook delivery not archived`) and does not fail the delivery.
   */
  archive?: RawArchive
}

/** One new event and what it did to the stored verification. */
export type ProcessedWebhookEvent = {
  event: KycEvent
  /**
   * The stored verification after this event: the new state when it moved, the state already held
   * when the event was stale. `undefined` for events that carry no verification (lists, cases).
   */
  verification: Verification | undefined
  /** The stored verification before this event; `undefined` when it was first seen now (or carries none). */
  previous: Verification | undefined
  /**
   * True when the event changed what an application acts on: status, decision outcome or reasons,
   * redaction (see `changes`). A later event that only repeats the decision (Persona's
   * `inquiry.failed` then `inquiry.declined`) is not a change.
   */
  changed: boolean
  /** What changed; empty when `changed` is false. See `describeVerificationChanges`. */
  changes: VerificationChange[]
}

/** The outcome of one delivery. */
export type WebhookOutcome = {
  /** Events processed by this delivery (and committed), in delivery order. */
  events: ProcessedWebhookEvent[]
  /** Ids of events already processed (redeliveries), skipped. */
  duplicates: string[]
}

/** What a {@link WebhookEventHandler} is given beside the event. */
export type WebhookEventContext<Handle = unknown> = {
  /** The store transaction the event is processed in. */
  transaction: KycStoreTransaction<Handle>
  /** The store's own transaction handle (`transaction.handle`): write your rows through it. */
  handle: Handle
  /**
   * Aborted when the delivery is abandoned (request aborted, store timeout). For an event processed
   * with others of its verification in one transaction (see `maxEventsPerTransaction`), the group's:
   * aborted on a store or handler timeout, not when one delivery gives up.
   */
  signal: AbortSignal
}

/**
 * The application's work for one event, run inside the event's store transaction. The event counts
 * as processed only when this resolves and the transaction commits; if it throws, everything rolls
 * back (your writes through `handle` too), the delivery fails and the provider's redelivery brings
 * the event to you again. Called once per new event, duplicates excluded; act on `changed`.
 *
 * The transaction may hold other events of the same verification (see
 * `WebhookPipelineOptions.maxEventsPerTransaction`): when any of them fails, all of it rolls back and
 * you are called again for your event in a transaction of its own. Writes through `handle` commit
 * exactly once either way; work outside the transaction must tolerate a second call, as it already
 * must after a rollback and the provider's redelivery.
 */
export type WebhookEventHandler<Handle = unknown> = (
  processed: ProcessedWebhookEvent,
  context: WebhookEventContext<Handle>,
) => void | Promise<void>

/** Options for one {@link WebhookPipeline.handle} call. */
export type HandleWebhookOptions<Handle = unknown> = {
  /**
   * Aborts the delivery: the adapter's work (a Jumio retrieval), any wait (another delivery's claim,
   * the store, an earlier event of the verification), and the open transaction, which rolls back.
   * Once an event is being processed together with other deliveries' events in one transaction (see
   * `WebhookPipelineOptions.maxEventsPerTransaction`), aborting ends only this delivery's wait: the
   * transaction goes on for the others, and if it commits the event counts as processed, so the
   * provider's redelivery is answered as a duplicate. Nothing is lost, nothing is applied twice.
   */
  signal?: AbortSignal
  /** Your work for each new event, inside its transaction. See {@link WebhookEventHandler}. */
  onEvent?: WebhookEventHandler<Handle>
}

/** Options for one {@link WebhookPipeline.applyVerification} call. */
export type ApplyVerificationOptions<Handle = unknown> = {
  /** Aborts any wait (the store, another claim) and the open transaction, which rolls back. */
  signal?: AbortSignal
  /** Your work for the event, inside its transaction; default the pipeline's `onEvent`. */
  onEvent?: WebhookEventHandler<Handle>
  /**
   * Who caused the change, for its audit entry. Default: the provider (a re-read of the provider's
   * state), or `manual` when a person decided. Pass `application` when your code made the change, e.g.
   * a redaction by a retention or erasure job.
   */
  actor?: AuditActor
}

/** Verifies, dedupes and applies webhook deliveries for one adapter. */
export type WebhookPipeline<Handle = unknown> = {
  /** The adapter's provider name. */
  readonly provider: string
  /** The store the pipeline processes events in. */
  readonly store: KycStore<Handle>
  /**
   * Processes one delivery, one store transaction per new event: claim the event id, apply the
   * verification forward-only, append an audit entry, run `onEvent`, mark the event processed, commit.
   * (Events of one verification that queued together may share one transaction: see
   * `WebhookPipelineOptions.maxEventsPerTransaction`.) Resolves once every event committed: answer
   * 2xx only then.
   *
   * Throws `KycWebhookVerificationError` when the delivery cannot be trusted (answer 401),
   * `KycInvalidRequestError` when it is unreadable or too large (400), `KycStoreUnavailableError` or
   * `KycStoreConflictError` (retryable, 503) when the store failed or timed out, and whatever
   * `onEvent` threw. Events committed before a failure stay processed; the redelivery skips them as
   * duplicates and processes the rest. See {@link toWebhookResponse}.
   */
  handle(input: WebhookInput, options?: HandleWebhookOptions<Handle>): Promise<WebhookOutcome>
  /**
   * Applies a state of one of this provider's verifications that did not come from a webhook (the
   * reconciler's re-read through `getVerification`, a redaction decided by retention or erasure)
   * through the same transactional path as a delivered event, so the application's handler runs
   * once per real change whichever source brings it first: the state becomes an event (type from
   * its status, or `verification.redacted` when it redacts; id `openkyc:<progress key>:<id>`, the
   * same for the same state from any caller, so racing callers dedupe in the inbox), which is
   * claimed, applied forward-only, audited and handed to `onEvent` in one transaction. As with
   * events, `identity` and `session` are not taken from `verification` (a redaction removes the
   * stored ones).
   *
   * Resolves to the processed event, or `undefined` when the state moves nothing (the store holds
   * it, or something further along, already: no transaction, no audit entry, no handler call).
   * Throws `KycInvalidRequestError` for a verification of another provider or one that is not a
   * valid `Verification`, and the store and handler errors `handle` throws.
   */
  applyVerification(
    verification: Verification,
    options?: ApplyVerificationOptions<Handle>,
  ): Promise<ProcessedWebhookEvent | undefined>
  /** Stops receiving the adapter's background events. Deliveries can still be handled. */
  close(): void
}

const encoder = new TextEncoder()

/**
 * Whether `body` is longer than `maxBytes` in UTF-8. Each UTF-16 unit of a string is 1 to 3 UTF-8
 * bytes (a surrogate pair, two units, is 4), so its length decides unless it lies between a third of
 * `maxBytes` and `maxBytes`; only then is it encoded to count. A webhook body is a few kilobytes
 * against a limit of a megabyte: no copy of it is made just to measure it.
 */
function exceedsBytes(body: Uint8Array | string, maxBytes: number): boolean {
  if (typeof body !== 'string') return body.length > maxBytes
  if (body.length > maxBytes) return true
  if (body.length * 3 <= maxBytes) return false
  return encoder.encode(body).length > maxBytes
}

const defaultLeaseMs = 60_000
const defaultStoreTimeoutMs = 10_000
const defaultClaimWaitMs = 5_000
const defaultMaxEventsPerTransaction = 8

function storeTimeout(operation: string, ms: number): KycStoreUnavailableError {
  return new KycStoreUnavailableError({
    message: `The store did not answer within ${ms} ms while ${operation}; the delivery failed and the provider will redeliver. Check the store's health, or raise storeTimeoutMs.`,
  })
}

/** Settles like `promise`, or rejects when `ms` pass (a `KycStoreUnavailableError`) or `signal` aborts. */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  operation: string,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => settle(() => reject(signal?.reason))
    const timer = setTimeout(() => settle(() => reject(storeTimeout(operation, ms))), ms)
    const settle = (action: () => void) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      action()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    )
  })
}

/**
 * An event waiting for its verification's turn (see `inVerificationOrder`), with what its delivery
 * asked. `take` marks it taken into processing (its wait for the turn ends); `succeed` and `fail`
 * answer its delivery, once: a later answer (the transaction it was in commits after the delivery gave up) is
 * ignored.
 */
type QueuedEvent<Handle> = {
  readonly event: KycEvent
  readonly onEvent: WebhookEventHandler<Handle> | undefined
  readonly signal: AbortSignal | undefined
  readonly actor: AuditActor | undefined
  /**
   * Runs work in the OpenTelemetry context of the event's own delivery (its `kyc.webhooks.event`
   * span): the delivery ahead of it processes it, and spans its handler opens belong to its own trace.
   */
  readonly inOwnContext: <T>(work: () => T) => T
  taken: boolean
  settled: boolean
  take(): void
  succeed(result: ProcessedWebhookEvent | undefined): void
  fail(error: unknown): void
}

/** What the work inside one pipeline transaction is given: the transaction's signal and its timed store call. */
type TransactionScope = {
  /** Aborted when the transaction is abandoned: a store call or phase timed out, or the caller's signal. */
  signal: AbortSignal
  /** Settles like `promise` (a store call named by `operation`), or rejects once the transaction is abandoned. */
  call<T>(promise: Promise<T>, operation: string): Promise<T>
}

/**
 * One deadline at a time over a transaction's store calls: `arm` starts a deadline of `ms` for an
 * operation (ending the one before), `disarm` ends it (the handler runs untimed). `expire` receives the
 * operation whose deadline passed. A plain timer, so fake timers in an application's tests drive it.
 */
function createStoreWatchdog(ms: number, expire: (operation: string) => void) {
  let timer: ReturnType<typeof setTimeout> | undefined
  return {
    arm(operation: string) {
      clearTimeout(timer)
      timer = setTimeout(() => expire(operation), ms)
    },
    disarm() {
      clearTimeout(timer)
      timer = undefined
    },
  }
}

/**
 * A promise that rejects with `signal.reason` once `signal` aborts and otherwise never settles: raced
 * against each store call of a transaction, it ends the wait for a hung store with one listener per
 * transaction instead of one per call. Its rejection is handled here, so nobody has to race it.
 */
function abandonedBy(signal: AbortSignal): Promise<never> {
  const abandoned = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  abandoned.catch(() => {})
  return abandoned
}

function auditState(verification: Verification): AuditState {
  return verification.decision === undefined
    ? { status: verification.status }
    : { status: verification.status, outcome: verification.decision.outcome }
}

function auditEntryFor(
  event: KycEvent,
  previous: Verification | undefined,
  verification: Verification,
  applied: boolean,
  changes: readonly VerificationChange[],
  actor: AuditActor | undefined,
): AuditEntryInput {
  const action: AuditAction = changes.includes('redaction')
    ? 'deletion'
    : changes.length === 0
      ? applied
        ? 'state_updated'
        : 'event_stale'
      : event.type === 'verification.reviewed'
        ? 'review'
        : 'state_changed'
  const entry: AuditEntryInput = {
    provider: event.provider,
    verificationId: verification.id,
    eventId: event.id,
    eventType: event.type,
    action,
    actor:
      actor ?? (changes.length > 0 && verification.decision?.decidedBy === 'manual' ? 'manual' : 'provider'),
    ...(previous === undefined ? {} : { from: auditState(previous) }),
    to: auditState(verification),
    // Vendor labels are bounded here so an unusual label never makes an event impossible to record.
    reasons: (verification.decision?.reasons ?? [])
      .slice(0, 50)
      .map((reason) =>
        reason.raw === undefined
          ? { code: reason.code }
          : { code: reason.code, raw: reason.raw.slice(0, 200) },
      ),
  }
  // Built from the event `normalize` parsed and the state the store validated, with the vendor labels
  // bounded above: it passes AuditEntryInputSchema when its ids fit the schema's length, so the store
  // does not parse it again. Otherwise the store's parse decides, as for any entry.
  return fitsAuditIdentifier(entry.provider) &&
    fitsAuditIdentifier(entry.verificationId) &&
    fitsAuditIdentifier(entry.eventId) &&
    fitsAuditIdentifier(entry.eventType)
    ? markParsed(entry)
    : entry
}

function checkPositiveInteger(name: string, value: number, provider: string, unit = 'milliseconds'): number {
  if (Number.isInteger(value) && value > 0) return value
  throw new KycConfigurationError({
    provider,
    message: `createWebhookPipeline: ${name} must be a positive integer of ${unit}.`,
  })
}

/**
 * Builds the one webhook pipeline every provider shares: raw body and headers in, the adapter
 * verifies and normalizes them into `KycEvent`s, then each event is processed in one store
 * transaction: its id is claimed (deliveries are at-least-once; a claim is a lease, so a process
 * that dies mid-event does not lose it), its verification applied forward-only (deliveries are
 * unordered), an audit entry appended, your `onEvent` run with the transaction, and the event marked
 * processed. If any of it fails, nothing is marked and the provider's redelivery is processed: an
 * at-least-once provider plus this transactional inbox is exactly-once in effect.
 *
 * Verification failures are never swallowed: they propagate as `KycWebhookVerificationError`.
 *
 * When the adapter has `subscribeBackgroundEvents` (Jumio: details not ready when the callback came),
 * the pipeline subscribes at creation: those events take the same transactional path, with the
 * pipeline's `onEvent`, and their outcome goes to `onBackgroundOutcome`. `close()` unsubscribes.
 *
 * @example
 * ```ts
 * const pipeline = createWebhookPipeline({ adapter: createPersona(), store })
 * await pipeline.handle(request, {
 *   async onEvent({ verification, changed }) {
 *     if (changed && verification?.status === 'completed') await onDecision(verification)
 *   },
 * })
 * ```
 */
export function createWebhookPipeline<Handle = undefined>(
  options: WebhookPipelineOptions<Handle>,
): WebhookPipeline<Handle> {
  const { adapter, logger } = options
  const provider = adapter.provider
  const store = options.store ?? (createMemoryStore() as unknown as KycStore<Handle>)
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxWebhookBodyBytes
  const leaseMs = checkPositiveInteger('leaseMs', options.leaseMs ?? defaultLeaseMs, provider)
  const storeTimeoutMs = checkPositiveInteger(
    'storeTimeoutMs',
    options.storeTimeoutMs ?? defaultStoreTimeoutMs,
    provider,
  )
  const claimWaitMs = checkPositiveInteger('claimWaitMs', options.claimWaitMs ?? defaultClaimWaitMs, provider)
  const maxEventsPerTransaction = checkPositiveInteger(
    'maxEventsPerTransaction',
    options.maxEventsPerTransaction ?? defaultMaxEventsPerTransaction,
    provider,
    'events',
  )

  const readInput = async (input: WebhookInput) => {
    if (input instanceof Request) {
      return { rawBody: await readWebRequestBody(input, maxBodyBytes), headers: input.headers }
    }
    if (exceedsBytes(input.rawBody, maxBodyBytes)) throw bodyTooLarge(maxBodyBytes)
    return {
      rawBody: input.rawBody,
      headers: toWebHeaders(input.headers),
      ...(input.remoteAddress === undefined ? {} : { remoteAddress: input.remoteAddress }),
    }
  }

  const normalize = (event: KycEvent): KycEvent => {
    const parsed = KycEventSchema.safeParse(event)
    if (parsed.success && parsed.data.provider === provider) return parsed.data
    const issues = parsed.success
      ? [{ path: ['provider'], message: `expected "${provider}"` }]
      : parsed.error.issues
    throw new KycInvalidProviderResponseError({
      provider,
      message: `The ${provider} adapter produced a webhook event that is not a valid KycEvent (at "${issues[0]?.path.join('.') ?? ''}").`,
      issues,
    })
  }

  const log = (level: keyof KycLogger, message: string, fields: Record<string, unknown>) => {
    logger?.[level]?.(message, redact(fields))
  }

  const call = <T>(promise: Promise<T>, operation: string, signal: AbortSignal | undefined) =>
    withDeadline(promise, storeTimeoutMs, operation, signal)

  /**
   * Runs `attempt` again while it answers `busy` (another delivery holds the event), pausing
   * abortably with a growing pause, up to `claimWaitMs`; then fails with a retryable error.
   */
  const retryWhileBusy = async <Result>(
    event: KycEvent,
    attempt: () => Promise<Result | 'busy'>,
    signal: AbortSignal | undefined,
  ): Promise<Result> => {
    const giveUpAt = Date.now() + claimWaitMs
    let pauseMs = 10
    for (;;) {
      const result = await attempt()
      if (result !== 'busy') return result
      const remainingMs = giveUpAt - Date.now()
      if (remainingMs <= 0) {
        throw new KycStoreUnavailableError({
          provider,
          message: `Event ${event.id} is being processed by another delivery; answer 503 so the provider retries it later.`,
        })
      }
      await realSleep(Math.min(pauseMs, remainingMs), signal)
      pauseMs = Math.min(pauseMs * 2, 250)
    }
  }

  /** Claims the event through `inbox.claim`, waiting while another delivery holds it. `undefined`: processed already. */
  const claimEvent = (event: KycEvent, signal: AbortSignal | undefined): Promise<InboxClaim | undefined> =>
    retryWhileBusy(
      event,
      async () => {
        const result = await call(
          store.inbox.claim({ provider, eventId: event.id, leaseMs }),
          'claiming an event',
          signal,
        )
        if (result.status === 'busy') return 'busy'
        return result.status === 'claimed' ? result.claim : undefined
      },
      signal,
    )

  const releaseClaim = async (claim: InboxClaim) => {
    try {
      await withDeadline(store.inbox.release(claim), storeTimeoutMs, 'releasing a claim')
    } catch (error) {
      // The lease expires on its own; the redelivery is processed then.
      log('warn', 'kyc webhook claim not released', {
        provider,
        eventId: claim.eventId,
        error: isKycError(error) ? error.code : 'unknown',
      })
    }
  }

  const applyInTransaction = async (
    event: KycEvent,
    transaction: KycStoreTransaction<Handle>,
    scope: TransactionScope,
    actor: AuditActor | undefined,
  ): Promise<{ processed: ProcessedWebhookEvent; audit: AuditEntryInput | undefined }> => {
    if (event.verification === undefined) {
      return {
        processed: { event, verification: undefined, previous: undefined, changed: false, changes: [] },
        audit: undefined,
      }
    }
    const { previous, verification, applied } = await scope.call(
      // Parsed by `normalize` (KycEventSchema) a moment ago: the store does not parse it again.
      transaction.applyVerification(markParsedVerificationUpdate(event.verification)),
      'storing the verification',
    )
    const changes = applied ? describeVerificationChanges(previous, verification) : []
    return {
      processed: { event, verification, previous, changed: changes.length > 0, changes },
      audit: auditEntryFor(event, previous, verification, applied, changes, actor),
    }
  }

  /**
   * Runs `work` in one store transaction with the pipeline's deadlines: beginning, committing and each
   * store call in between (through `scope.call`) may take `storeTimeoutMs`; your handler is not timed.
   * One promise stands for "abandoned" (a timeout or `signal`) and one timer is re-armed per call (see
   * {@link createStoreWatchdog}), so a store call costs no listener, controller or wrapper of its own.
   */
  const runTransaction = async <Result>(
    work: (transaction: KycStoreTransaction<Handle>, scope: TransactionScope) => Promise<Result>,
    signal: AbortSignal | undefined,
  ): Promise<Result> => {
    const phase = new AbortController()
    const transactionSignal = phase.signal
    const watchdog = createStoreWatchdog(storeTimeoutMs, (operation) =>
      phase.abort(storeTimeout(operation, storeTimeoutMs)),
    )
    const stopFollowing = followAbort(phase, signal)
    const abandoned = abandonedBy(transactionSignal)
    const scope: TransactionScope = {
      signal: transactionSignal,
      async call(promise, operation) {
        watchdog.arm(operation)
        try {
          return await Promise.race([promise, abandoned])
        } finally {
          watchdog.disarm()
        }
      },
    }
    watchdog.arm('beginning a transaction')
    try {
      const timedWork = async (transaction: KycStoreTransaction<Handle>) => {
        watchdog.disarm()
        // A store that began after we gave up must not run the handler: roll back at once.
        if (transactionSignal.aborted) throw transactionSignal.reason
        const result = await work(transaction, scope)
        watchdog.arm('committing')
        return result
      }
      return await Promise.race([store.transaction(timedWork, { signal: transactionSignal }), abandoned])
    } finally {
      watchdog.disarm()
      stopFollowing()
    }
  }

  /**
   * The event's work inside its transaction: apply forward-only, the handler, the claim's completion
   * (when claimed outside), and last the audit entry, just before the commit, so a store that
   * serializes an audit chain (a lock on the chain head) holds that lock as briefly as possible.
   */
  const processClaimedEvent = async (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    transaction: KycStoreTransaction<Handle>,
    scope: TransactionScope,
    claim: InboxClaim | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent> => {
    const { processed, audit } = await applyInTransaction(event, transaction, scope, actor)
    await onEvent?.(processed, { transaction, handle: transaction.handle, signal: transaction.signal })
    if (claim !== undefined) {
      await scope.call(transaction.completeClaim(claim), 'marking the event processed')
    }
    if (audit === undefined) return processed
    if (transaction.appendAuditAtCommit === undefined) {
      await scope.call(transaction.appendAudit(audit), 'appending to the audit log')
    } else {
      transaction.appendAuditAtCommit(audit)
    }
    return processed
  }

  /** Claim outside the transaction (`inbox.claim`), complete inside it: for stores without `claimEvent`. */
  const processEventWithInboxClaim = async (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> => {
    const claim = await claimEvent(event, signal)
    if (claim === undefined) return undefined
    try {
      return await runTransaction(
        (transaction, scope) => processClaimedEvent(event, onEvent, transaction, scope, claim, actor),
        signal,
      )
    } catch (error) {
      await releaseClaim(claim)
      throw error
    }
  }

  /**
   * What `claimEvent` is asked for an event: its id, the verification it applies (locked with the
   * claim) and the update itself (parsed by `normalize` a moment ago): a store may write it with the
   * claim, and then takes the `applyVerification` of this same object as done.
   */
  const claimRequestFor = (event: KycEvent): TransactionClaimRequest =>
    event.verification === undefined
      ? { provider, eventId: event.id }
      : {
          provider,
          eventId: event.id,
          verification: { provider: event.verification.provider, id: event.verification.id },
          update: markParsedVerificationUpdate(event.verification),
        }

  /**
   * Claim inside the transaction (`claimEvent`): one commit per event, and nothing to release, since
   * a rollback unmarks the event. Waits like {@link claimEvent} while another delivery holds it.
   */
  const processEventClaimingInTransaction = async (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> => {
    const result = await retryWhileBusy(
      event,
      () =>
        runTransaction(async (transaction, scope) => {
          // A request per attempt: the update's parsed mark serves one claim.
          const { status } = await scope.call(
            transaction.claimEvent!(claimRequestFor(event)),
            'claiming an event',
          )
          if (status !== 'claimed') return status
          return processClaimedEvent(event, onEvent, transaction, scope, undefined, actor)
        }, signal),
      signal,
    )
    return result === 'completed' ? undefined : result
  }

  /** Whether the store's transactions have `claimEvent`: asked once, in an empty transaction. */
  let claimsInTransaction: Promise<boolean> | undefined

  const storeClaimsInTransaction = (signal: AbortSignal | undefined): Promise<boolean> => {
    if (claimsInTransaction === undefined) {
      claimsInTransaction = runTransaction(
        async (transaction) => transaction.claimEvent !== undefined,
        signal,
      )
      claimsInTransaction.catch(() => {
        // Asked again by the next event when this store call failed.
        claimsInTransaction = undefined
      })
    }
    return claimsInTransaction
  }

  /** One event in a transaction of its own, claimed inside it when the store can. `undefined`: processed already. */
  const processEventInTransaction = async (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> =>
    (await storeClaimsInTransaction(signal))
      ? processEventClaimingInTransaction(event, onEvent, signal, actor)
      : processEventWithInboxClaim(event, onEvent, signal, actor)

  /**
   * The events waiting for their verification's turn in this pipeline, by verification, in arrival
   * order (see {@link inVerificationOrder}). A verification has an entry while one of its events is
   * being processed.
   */
  const verificationQueues = new Map<string, QueuedEvent<Handle>[]>()

  /**
   * Runs the event once the events of the same verification that reached this pipeline earlier are
   * done, so this process sends them to the store one transaction after another, in arrival order.
   * The store orders them anyway (a row lock, held to the commit), but only after each has taken a
   * connection and sent its claim: events of one verification arrive together (Persona sends an
   * inquiry's events within a second), and racing them cost lock waits, a failed first insert and a
   * re-read each. Instances still race each other, and the store settles that as before.
   *
   * The first event of a verification runs at once in its delivery's own call; those arriving
   * meanwhile queue behind it (the wait honours `signal` and `storeTimeoutMs`, like a store call),
   * and once it is done they go to the store together (see {@link processQueuedEvents}).
   */
  const inVerificationOrder = async (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> => {
    if (event.verification === undefined) return processEventInTransaction(event, onEvent, signal, actor)
    const key = `${event.verification.provider}\n${event.verification.id}`
    const waiting = verificationQueues.get(key)
    if (waiting !== undefined) return queueEvent(waiting, event, onEvent, signal, actor)
    const queue: QueuedEvent<Handle>[] = []
    verificationQueues.set(key, queue)
    try {
      return await processEventInTransaction(event, onEvent, signal, actor)
    } finally {
      void drainQueue(key, queue)
    }
  }

  /** Puts the event at the end of `queue` and resolves to its result once it was processed. */
  const queueEvent = (
    queue: QueuedEvent<Handle>[],
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> => {
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const giveUp = (reason: unknown) => {
        // Still waiting: it leaves the queue, and the provider's redelivery brings it again. Taken
        // into a transaction already: that goes on without this delivery (see `HandleWebhookOptions`).
        if (!entry.taken) queue.splice(queue.indexOf(entry), 1)
        entry.fail(reason)
      }
      const onAbort = () => giveUp(signal?.reason)
      const timer = setTimeout(
        () => giveUp(storeTimeout('waiting for an earlier event of the verification', storeTimeoutMs)),
        storeTimeoutMs,
      )
      const settled = () => {
        entry.settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      const entry: QueuedEvent<Handle> = {
        event,
        onEvent,
        signal,
        actor,
        inOwnContext: captureActiveContext(),
        taken: false,
        settled: false,
        take() {
          entry.taken = true
          clearTimeout(timer)
        },
        succeed(result) {
          if (entry.settled) return
          settled()
          resolve(result)
        },
        fail(error) {
          if (entry.settled) return
          settled()
          reject(error)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      queue.push(entry)
    })
  }

  /** Processes what queued behind a verification's event, group after group, then forgets the verification. */
  const drainQueue = async (key: string, queue: QueuedEvent<Handle>[]) => {
    while (queue.length > 0) {
      const group = queue.splice(0, maxEventsPerTransaction)
      for (const entry of group) entry.take()
      try {
        await processQueuedEvents(group)
      } catch (error) {
        // Not expected (every failure settles its own entry), but no delivery may be left waiting.
        for (const entry of group) entry.fail(error)
      }
    }
    verificationQueues.delete(key)
  }

  /** One entry in a transaction of its own (today's path, its delivery's signal), unless its delivery gave up. */
  const processQueuedEventAlone = async (entry: QueuedEvent<Handle>) => {
    if (entry.settled) return
    try {
      entry.succeed(
        await entry.inOwnContext(() =>
          processEventInTransaction(entry.event, entry.onEvent, entry.signal, entry.actor),
        ),
      )
    } catch (error) {
      entry.fail(error)
    }
  }

  /**
   * A group of one verification's queued events, in arrival order: in one transaction when there
   * are several and the store claims inside its transactions (a rollback then unmarks them all),
   * else one transaction each.
   */
  const processQueuedEvents = async (group: QueuedEvent<Handle>[]) => {
    // A delivery that gave up before its group began is left out: nothing of it was done.
    const live = group.filter((entry) => !entry.settled)
    if (live.length > 1 && (await storeClaimsInTransaction(undefined).catch(() => false))) {
      await processEventsTogether(live)
      return
    }
    for (const entry of live) await processQueuedEventAlone(entry)
  }

  /**
   * Several events of one verification in one transaction: each claimed (a duplicate of an earlier
   * one in the group takes that one's answer), applied, handed to its delivery's `onEvent` and
   * audited, one commit for all. No delivery's signal ends it (a delivery that gives up only stops
   * waiting); store calls are timed as usual, and so is each handler (`storeTimeoutMs`), so that
   * every delivery in the group waits a bounded time. If it fails, nothing of it was kept: each event is
   * processed again in a transaction of its own, in order, so each delivery gets its own outcome.
   * An event another delivery holds (`busy`) leaves the group and waits the usual way afterwards.
   */
  const processEventsTogether = async (entries: QueuedEvent<Handle>[]) => {
    let results: (ProcessedWebhookEvent | 'completed' | 'busy')[]
    try {
      results = await runTransaction(async (transaction, scope) => {
        const statusOf = new Map<string, TransactionClaimResult['status']>()
        const processed: (ProcessedWebhookEvent | 'completed' | 'busy')[] = []
        for (const { event, onEvent, actor, inOwnContext } of entries) {
          const earlier = statusOf.get(event.id)
          if (earlier !== undefined) {
            processed.push(earlier === 'busy' ? 'busy' : 'completed')
            continue
          }
          const { status } = await scope.call(
            transaction.claimEvent!(claimRequestFor(event)),
            'claiming an event',
          )
          statusOf.set(event.id, status)
          // Timed here, unlike alone: a slow handler must not hold its neighbours' deliveries. Past
          // storeTimeoutMs the group is abandoned, and alone the handler runs untimed.
          const timedHandler: WebhookEventHandler<Handle> | undefined =
            onEvent === undefined
              ? undefined
              : (processedEvent, context) =>
                  scope.call(
                    Promise.resolve(inOwnContext(() => onEvent(processedEvent, context))),
                    'running a handler among other events of its verification',
                  )
          processed.push(
            status === 'claimed'
              ? await processClaimedEvent(event, timedHandler, transaction, scope, undefined, actor)
              : status,
          )
        }
        return processed
      }, undefined)
    } catch (error) {
      log('debug', 'kyc webhook events processed one by one after their transaction failed', {
        provider,
        events: entries.length,
        error: isKycError(error) ? error.code : 'unknown',
      })
      for (const entry of entries) await processQueuedEventAlone(entry)
      return
    }
    entries.forEach((entry, index) => {
      const result = results[index]
      if (result !== 'busy') entry.succeed(result === 'completed' ? undefined : result)
    })
    for (const [index, entry] of entries.entries()) {
      if (results[index] === 'busy') await processQueuedEventAlone(entry)
    }
  }

  /** One event, one span (`kyc.webhooks.event`), in its verification's order. `undefined` when processed already. */
  const processEvent = (
    event: KycEvent,
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor: AuditActor | undefined,
  ): Promise<ProcessedWebhookEvent | undefined> =>
    inSpan(
      'kyc.webhooks.event',
      {
        kind: 'internal',
        attributes: {
          [telemetryAttributes.provider]: adapter.provider,
          [telemetryAttributes.eventType]: event.type,
        },
      },
      () => inVerificationOrder(event, onEvent, signal, actor),
      describeProcessedEvent,
    )

  /** One transaction per event: one path for delivered and background events alike. */
  const processEvents = async (
    events: KycEvent[],
    onEvent: WebhookEventHandler<Handle> | undefined,
    signal: AbortSignal | undefined,
    actor?: AuditActor,
  ): Promise<WebhookOutcome> => {
    const outcome: WebhookOutcome = { events: [], duplicates: [] }
    const seenInDelivery = new Set<string>()
    for (const event of events.map(normalize)) {
      const processed = seenInDelivery.has(event.id)
        ? undefined
        : await processEvent(event, onEvent, signal, actor)
      seenInDelivery.add(event.id)
      if (processed === undefined) {
        outcome.duplicates.push(event.id)
        log('debug', 'kyc webhook duplicate event skipped', { provider, eventId: event.id, type: event.type })
        continue
      }
      outcome.events.push(processed)
      log('info', 'kyc webhook event', {
        provider,
        eventId: event.id,
        type: event.type,
        verificationId: processed.verification?.id,
        status: processed.verification?.status,
        changed: processed.changed,
      })
    }
    return outcome
  }

  const unsubscribe = adapter.subscribeBackgroundEvents?.(async (events) => {
    const outcome = await processEvents(events, options.onEvent, undefined)
    await options.onBackgroundOutcome?.(outcome)
  })

  /** The event standing for a state that did not come from a webhook: see `applyVerification`. */
  const eventForState = (verification: Verification, stored: Verification | undefined): KycEvent => {
    const redacting = verification.redactedAt !== undefined && stored?.redactedAt === undefined
    return {
      id: `openkyc:${verificationProgressKey(verification)}:${verification.id}`,
      provider,
      type: redacting ? 'verification.redacted' : eventTypeForStatus(verification),
      occurredAt: (redacting ? verification.redactedAt : undefined) ?? verification.updatedAt,
      verification,
      raw: { type: redacting ? 'openkyc.redaction' : 'openkyc.reread' },
    }
  }

  return {
    provider,
    store,
    close() {
      unsubscribe?.()
    },
    async applyVerification(verification, applyOptions = {}) {
      const { signal, onEvent, actor } = applyOptions
      if (verification?.provider !== provider) {
        throw new KycInvalidRequestError({
          provider,
          message: `applyVerification: the verification belongs to another provider than this ${provider} pipeline.`,
        })
      }
      const parsed = parseVerificationUpdate(verification) as Verification
      const key = { provider, id: parsed.id }
      const stored = await call(store.verifications.get(key), 'reading the verification', signal)
      const event = normalize(eventForState(parsed, stored))
      if (event.verification === undefined) return undefined
      // Nothing to move: no transaction, no audit entry, no handler call.
      if (applyVerificationUpdate(stored, event.verification) === stored) return undefined
      const outcome = await processEvents([event], onEvent ?? options.onEvent, signal, actor)
      return outcome.events[0]
    },
    async handle(input, handleOptions = {}) {
      const { signal, onEvent } = handleOptions
      let events: KycEvent[]
      let delivery: Awaited<ReturnType<typeof readInput>> | undefined
      try {
        delivery = await readInput(input)
        events = await adapter.parseWebhook({ ...delivery, ...(signal === undefined ? {} : { signal }) })
      } catch (error) {
        log('warn', 'kyc webhook rejected', {
          provider,
          error: isKycError(error)
            ? error.toJSON()
            : { name: error instanceof Error ? error.name : 'unknown' },
        })
        throw error
      }

      if (options.archive !== undefined) {
        await options.archive.archiveDelivery({ provider, ...delivery, events }).catch((error: unknown) => {
          log('warn', 'kyc webhook delivery not archived', {
            provider,
            error: isKycError(error) ? error.code : 'unknown',
          })
        })
      }
      return processEvents(events, onEvent ?? options.onEvent, signal)
    },
  }
}
