import {
  type AuditEntryInput,
  type AuditState,
  inSpan,
  isKycError,
  KycInvalidRequestError,
  type KycStore,
  KycStoreConflictError,
  recordDataDeletion,
  redact,
  type Verification,
  type WebhookEventHandler,
} from '@openkyc/core'
import type { Jobs } from './boss.js'
import {
  createProviderEntries,
  failureCode,
  type ProviderEntries,
  type VerificationJobOptions,
} from './verification-jobs.js'

/**
 * What happened at the provider to one verification's data:
 *
 * | result | meaning |
 * |---|---|
 * | `deleted` | the adapter's `deleteVerificationData` succeeded now |
 * | `already_deleted` | a previous erasure or retention run deleted it (its audit row says so), or the provider no longer knows it |
 * | `not_supported` | the adapter does not declare `deleteData`: delete it in the provider's dashboard, or by contract |
 * | `no_adapter` | no adapter for this provider is installed in this process: install one and erase again |
 * | `failed` | the provider refused or was unavailable (`error` says which `KycError`): retried |
 */
export type VendorDeletionResult = 'deleted' | 'already_deleted' | 'not_supported' | 'no_adapter' | 'failed'

/**
 * What happened to our stored copy: `redacted` now (identity, credentials and session removed,
 * `redactedAt` set, through the webhook path so `onEvent` sees `verification.redacted`),
 * `already_redacted`, `kept` (retention keeps it until the provider's deletion succeeds, so the next
 * run finds it again), or `failed` (the store failed: `error`).
 */
export type LocalRedactionResult = 'redacted' | 'already_redacted' | 'kept' | 'failed'

/** One verification in an erasure receipt or a retention summary. Ids and codes only. */
export type DeletedVerification = {
  provider: string
  /** The provider's verification id. */
  verificationId: string
  vendor: VendorDeletionResult
  local: LocalRedactionResult
  /** The `KycError` code of what failed (`provider_unavailable`), when something did. */
  error?: string
}

/**
 * The proof of one subject's erasure. Every entry of `verifications` is also an audit row:
 * `eventId` `erasure:<id>`, `eventType` `erasure.<vendor result>`, `action` `deletion`, `actor`
 * `application`. Holds no personal data, not even the subject reference: keep it beside your own
 * record of the request.
 */
export type ErasureReceipt = {
  /** The erasure's id (the pg-boss job id when it ran as a job): the audit rows' `erasure:<id>`. */
  id: string
  requestedAt: string
  finishedAt: string
  /**
   * True when nothing is left that trying again could do: no `failed` vendor deletion or local
   * redaction. `not_supported` and `no_adapter` entries are final, and say what to do by hand.
   */
  complete: boolean
  /** Each verification of the subject, at every provider, in (provider, id) order. */
  verifications: DeletedVerification[]
}

/** Options for {@link createErasure}. */
export type ErasureOptions<Handle = unknown> = VerificationJobOptions<Handle> & {
  /** The clock for `redactedAt` and the receipt's times. Default `Date.now`. */
  now?: () => number
}

/** Options for one {@link Erasure.eraseSubject} call. */
export type EraseSubjectOptions = {
  /** The erasure's id, the same on every retry of one request (a pg-boss job id). Default: a fresh UUID. */
  erasureId?: string
  signal?: AbortSignal
}

/** Subject erasure. See {@link createErasure}. */
export type Erasure = {
  /**
   * Erases everything about one subject: every verification stored with this `subjectReference`, at
   * every provider (routed and shadow verifications alike, as the store holds them), is deleted at the
   * provider where the adapter can, and redacted in the store. Idempotent: run it again (same
   * `erasureId`) until `complete`. Throws `KycInvalidRequestError` for an empty or overlong reference.
   */
  eraseSubject(subjectReference: string, options?: EraseSubjectOptions): Promise<ErasureReceipt>
}

/** Which job deleted the data: `erasure` (a data-subject request) or `retention` (a schedule). */
export type DeletionJob = 'erasure' | 'retention'

/** The shared parts of a deletion by erasure or retention. */
export type DeletionContext<Handle> = {
  store: KycStore<Handle>
  providers: ProviderEntries<Handle>
  onEvent: WebhookEventHandler<Handle> | undefined
  now: () => number
  logger: VerificationJobOptions<Handle>['logger']
}

const doneAtProvider = new Set<string>(
  (['erasure', 'retention'] as const).flatMap((job) => [`${job}.deleted`, `${job}.already_deleted`]),
)

/** Whether an earlier erasure or retention run recorded this verification's data deleted at the provider. */
async function deletedBefore<Handle>(store: KycStore<Handle>, verification: Verification): Promise<boolean> {
  for await (const entry of store.audit.read({
    provider: verification.provider,
    verificationId: verification.id,
  })) {
    if (entry.eventType !== undefined && doneAtProvider.has(entry.eventType)) return true
  }
  return false
}

async function deleteAtProvider<Handle>(
  context: DeletionContext<Handle>,
  verification: Verification,
  signal: AbortSignal | undefined,
): Promise<{ vendor: VendorDeletionResult; error?: string }> {
  const entry = context.providers.get(verification.provider)
  if (entry === undefined) return { vendor: 'no_adapter' }
  const { adapter } = entry
  if (!adapter.capabilities.deleteData || adapter.deleteVerificationData === undefined) {
    return { vendor: 'not_supported' }
  }
  if (await deletedBefore(context.store, verification)) return { vendor: 'already_deleted' }
  try {
    await adapter.deleteVerificationData({
      reference: verification.reference,
      ...(signal === undefined ? {} : { signal }),
    })
    return { vendor: 'deleted' }
  } catch (error) {
    if (signal?.aborted) throw error
    // Gone at the provider: deleted by an earlier run that crashed before its audit row.
    if (isKycError(error) && error.code === 'not_found') return { vendor: 'already_deleted' }
    return { vendor: 'failed', error: failureCode(error) }
  }
}

function auditState(verification: Verification): AuditState {
  return verification.decision === undefined
    ? { status: verification.status }
    : { status: verification.status, outcome: verification.decision.outcome }
}

/** Why the provider still holds the data, as an audit reason (our code, and the cause in `raw`). */
function reasonsFor(result: { vendor: VendorDeletionResult; error?: string }): AuditEntryInput['reasons'] {
  switch (result.vendor) {
    case 'failed':
      return [{ code: 'technical_error', raw: result.error ?? 'unknown' }]
    case 'not_supported':
      return [{ code: 'other', raw: 'delete_data_not_declared' }]
    case 'no_adapter':
      return [{ code: 'other', raw: 'adapter_not_installed' }]
    default:
      return []
  }
}

/**
 * Deletes one verification's data at its provider (where the adapter can) and redacts the stored
 * copy through the webhook path, with one audit row for the job (`<job>.<vendor result>`, eventId
 * `<job>:<runId>`) in the redaction's transaction. With `keepWhenProviderFails`, a failed provider
 * deletion leaves the stored copy as it is (retention finds it again next run).
 */
export async function deleteVerificationEverywhere<Handle>(
  context: DeletionContext<Handle>,
  verification: Verification,
  job: DeletionJob,
  runId: string,
  options: { keepWhenProviderFails: boolean; signal: AbortSignal | undefined },
): Promise<DeletedVerification> {
  const { store } = context
  const { signal } = options
  const atProvider = await deleteAtProvider(context, verification, signal)
  recordDataDeletion(verification.provider, job, atProvider.vendor)
  const result: DeletedVerification = {
    provider: verification.provider,
    verificationId: verification.id,
    vendor: atProvider.vendor,
    local: 'kept',
    ...(atProvider.error === undefined ? {} : { error: atProvider.error }),
  }
  const auditEntry = (state: Verification): AuditEntryInput => ({
    provider: verification.provider,
    verificationId: verification.id,
    eventId: `${job}:${runId}`,
    eventType: `${job}.${atProvider.vendor}`,
    action: 'deletion',
    actor: 'application',
    to: auditState(state),
    reasons: reasonsFor(atProvider),
  })
  const key = { provider: verification.provider, id: verification.id }
  try {
    if (atProvider.vendor === 'failed' && options.keepWhenProviderFails) {
      await store.transaction((transaction) => transaction.appendAudit(auditEntry(verification)), {
        ...(signal === undefined ? {} : { signal }),
      })
      return result
    }
    // The raw archive's encrypted vendor payloads for it go too (outside the transaction; idempotent, so
    // a redaction that fails below is retried with this step repeated harmlessly).
    await store.archive?.deleteByVerification(key)
    const pipeline = context.providers.pipelineFor(verification.provider)
    // A state that moved meanwhile (a webhook) makes the redaction of the older state stale: take
    // the newest and redact that, a few times at most.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const stored = await store.verifications.get(key)
      if (stored === undefined || stored.redactedAt !== undefined) {
        result.local = 'already_redacted'
        await store.transaction(
          (transaction) => transaction.appendAudit(auditEntry(stored ?? verification)),
          signal === undefined ? {} : { signal },
        )
        return result
      }
      const redactedAt = new Date(context.now()).toISOString()
      const processed = await pipeline.applyVerification(
        { ...stored, redactedAt },
        {
          ...(signal === undefined ? {} : { signal }),
          // The job redacts: its audit entry and the pipeline's name the application alike.
          actor: 'application',
          // The job's own audit row commits with the redaction, after the application's handler.
          onEvent: async (event, eventContext) => {
            await context.onEvent?.(event, eventContext)
            await eventContext.transaction.appendAudit(auditEntry(event.verification ?? stored))
          },
        },
      )
      if (processed !== undefined) {
        result.local = 'redacted'
        return result
      }
    }
    throw new KycStoreConflictError({
      provider: verification.provider,
      message: `Verification ${verification.id} kept moving while it was being redacted; try again.`,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    result.local = 'failed'
    result.error ??= failureCode(error)
    context.logger?.warn?.(`kyc ${job} redaction failed`, redact({ ...key, error: failureCode(error) }))
    return result
  }
}

/** Whether a retry could still change something about this verification. */
export function isSettled(item: DeletedVerification): boolean {
  return item.vendor !== 'failed' && item.local !== 'failed'
}

/**
 * Subject erasure ("delete everything about this person"): finds every verification the store holds
 * for a `subjectReference` (at every provider, routed and shadow ones alike), deletes each at its
 * provider where the adapter declares `deleteData`, redacts the stored copy through the webhook
 * pipeline's transactional path (so the application's `onEvent` sees `verification.redacted` and can
 * delete its own rows in the same transaction), and returns a receipt that the audit log repeats
 * row by row. Run it as a pg-boss job with retries ({@link workErasures}, {@link requestErasure}) so
 * a provider that is down is retried until the receipt is complete.
 *
 * @example
 * ```ts
 * const erasure = createErasure({ store, adapters: [createPersona(), createJumio(), createOnfido()], onEvent })
 * const receipt = await erasure.eraseSubject('user-42')
 * if (!receipt.complete) console.log(receipt.verifications.filter((item) => item.vendor === 'failed'))
 * ```
 */
export function createErasure<Handle = unknown>(options: ErasureOptions<Handle>): Erasure {
  const context: DeletionContext<Handle> = {
    store: options.store,
    providers: createProviderEntries(options, 'createErasure'),
    onEvent: options.onEvent,
    now: options.now ?? Date.now,
    logger: options.logger,
  }

  const erase = async (subjectReference: string, callOptions: EraseSubjectOptions) => {
    const { signal } = callOptions
    const id = callOptions.erasureId ?? crypto.randomUUID()
    const requestedAt = new Date(context.now()).toISOString()
    const verifications: DeletedVerification[] = []
    let after: { provider: string; id: string } | undefined
    do {
      signal?.throwIfAborted()
      const page = await context.store.verifications.find({
        subjectReference,
        limit: 200,
        ...(after === undefined ? {} : { after }),
      })
      for (const verification of page.verifications) {
        verifications.push(
          await deleteVerificationEverywhere(context, verification, 'erasure', id, {
            keepWhenProviderFails: false,
            signal,
          }),
        )
      }
      after = page.next
    } while (after !== undefined)
    return {
      id,
      requestedAt,
      finishedAt: new Date(context.now()).toISOString(),
      complete: verifications.every(isSettled),
      verifications,
    }
  }

  return {
    eraseSubject(subjectReference, callOptions = {}) {
      if (
        typeof subjectReference !== 'string' ||
        subjectReference.length === 0 ||
        subjectReference.length > 200
      ) {
        return Promise.reject(
          new KycInvalidRequestError({
            message: 'eraseSubject: subjectReference must be a string of 1 to 200 characters.',
          }),
        )
      }
      return inSpan(
        'openkyc.jobs.erase_subject',
        { kind: 'internal', attributes: {} },
        () => erase(subjectReference, callOptions),
        (span, receipt) => {
          span.setAttribute('openkyc.erasure.verifications', receipt.verifications.length)
          span.setAttribute('openkyc.erasure.complete', receipt.complete)
        },
      )
    },
  }
}

/** The job data of one erasure request. The subject reference is the application's own id. */
type ErasureJobData = { subjectReference: string }

/** Retry policy of erasure jobs: a provider that is down is tried again, with growing pauses, for about a day. */
const erasureQueueOptions = { retryLimit: 16, retryDelay: 30, retryBackoff: true, expireInSeconds: 900 }

/** How an erasure job is retried. Defaults: 16 retries, 30 s, doubling (about a day in all). */
export type ErasureRetryOptions = {
  retryLimit?: number
  retryDelaySeconds?: number
  retryBackoff?: boolean
}

/**
 * Thrown by the erasure worker when a receipt is not complete, so pg-boss retries the job. Its
 * message counts what is left; it names no subject and no verification.
 */
export class ErasureIncompleteError extends Error {
  /** The receipt of the attempt that left something to retry. */
  readonly receipt: ErasureReceipt
  constructor(receipt: ErasureReceipt) {
    const left = receipt.verifications.filter((item) => !isSettled(item)).length
    super(
      `erasure ${receipt.id}: ${left} of ${receipt.verifications.length} verifications still to delete; retrying`,
    )
    this.name = 'ErasureIncompleteError'
    this.receipt = receipt
  }
}

/**
 * Queues the erasure of one subject as a pg-boss job, retried (with backoff, about a day) until its
 * receipt is complete. Resolves with the job id, which is also the erasure's id (`erasure:<id>` in
 * the audit log). A worker must run {@link workErasures}.
 *
 * @example
 * ```ts
 * const erasureId = await requestErasure(jobs, 'user-42')
 * // later: const receipt = await erasureReceipt(jobs, erasureId)
 * ```
 */
export async function requestErasure(
  jobs: Jobs,
  subjectReference: string,
  options: ErasureRetryOptions = {},
): Promise<string> {
  if (
    typeof subjectReference !== 'string' ||
    subjectReference.length === 0 ||
    subjectReference.length > 200
  ) {
    throw new KycInvalidRequestError({
      message: 'requestErasure: subjectReference must be a string of 1 to 200 characters.',
    })
  }
  const queue = await jobs.ensureQueue('erasure', erasureQueueOptions)
  const data: ErasureJobData = { subjectReference }
  const id = await jobs.boss.send(queue, data, {
    ...erasureQueueOptions,
    ...(options.retryLimit === undefined ? {} : { retryLimit: options.retryLimit }),
    ...(options.retryDelaySeconds === undefined ? {} : { retryDelay: options.retryDelaySeconds }),
    ...(options.retryBackoff === undefined ? {} : { retryBackoff: options.retryBackoff }),
  })
  if (id === null)
    throw new KycStoreConflictError({ message: 'requestErasure: pg-boss did not queue the job; retry.' })
  return id
}

/**
 * Works erasure jobs in this process: each runs `erasure.eraseSubject` with the job id as the
 * erasure id, completes with the receipt as its output when the receipt is complete, and fails (so
 * pg-boss retries it) while anything is left. Resolves with a function that stops this worker.
 *
 * @example
 * ```ts
 * const stop = await workErasures(jobs, createErasure({ store, adapters, onEvent }))
 * ```
 */
export async function workErasures(
  jobs: Jobs,
  erasure: Erasure,
  options: { pollingIntervalSeconds?: number } = {},
): Promise<() => Promise<void>> {
  const queue = await jobs.ensureQueue('erasure', erasureQueueOptions)
  const workerId = await jobs.boss.work<ErasureJobData>(
    queue,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async ([job]) => {
      if (job === undefined) return undefined
      const receipt = await erasure.eraseSubject(job.data.subjectReference, { erasureId: job.id })
      if (!receipt.complete) throw new ErasureIncompleteError(receipt)
      return receipt
    },
  )
  return () => jobs.boss.offWork({ id: workerId })
}

/**
 * The receipt of a finished erasure job (`requestErasure`'s id), or `undefined` while it is still
 * queued, running or being retried.
 */
export async function erasureReceipt(jobs: Jobs, erasureId: string): Promise<ErasureReceipt | undefined> {
  const queue = await jobs.ensureQueue('erasure', erasureQueueOptions)
  const job = await jobs.boss.getJobById<ErasureJobData>(queue, erasureId, { includeArchive: true })
  return job?.state === 'completed' ? (job.output as ErasureReceipt) : undefined
}
