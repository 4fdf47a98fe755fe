import type {
  CreateVerificationOptions,
  KycLogger,
  UploadCredentialOptions,
  VerificationCallOptions,
} from '../adapter.js'
import type { EnforcedKycAdapter } from '../capabilities.js'
import { KycProviderUnavailableError } from '../errors.js'
import { raceAbort } from '../http/abort.js'
import type { Verification, VerificationReference } from '../model/verification.js'
import type { AuditEntry } from '../store/audit-entry.js'
import type { KycStore } from '../store/types.js'
import { classifyAttemptError, errorCodeOf } from './fallback.js'
import type { RoutingShadow } from './routing-config.js'
import type { RoutingRecord, RoutingSkipReason } from './routing-record.js'
import { splitBucket, splitBuckets } from './split.js'
import { storeRoutedVerification } from './store-routing.js'

/** The request attributes a shadow run repeats and records (no reference, no signal). */
export type ShadowRequest = Pick<
  CreateVerificationOptions,
  'subjectReference' | 'country' | 'documentTypes' | 'locale' | 'prefill'
>

/** Labels copied from the primary's routing record into the shadow's, for the agreement report. */
export type ShadowContext = Pick<RoutingRecord, 'country' | 'documentTypes' | 'segment'>

/** An upload as the shadow run repeats it: the evidence without the primary's reference. */
type ShadowUpload = DistributiveOmit<UploadCredentialOptions, 'reference' | 'signal'>
type DistributiveOmit<Type, Key extends PropertyKey> = Type extends unknown ? Omit<Type, Key> : never

type PendingShadow = {
  primary: Verification
  request: ShadowRequest
  context: ShadowContext
  uploads: ShadowUpload[]
  bytes: number
  trackedAt: number
}

/** What the shadow runner did so far, for tests, the demo and metrics. */
export type ShadowStatistics = {
  /** API-channel verifications picked by the percentage, waiting for evidence. */
  tracked: number
  /** Runs started (within the rate budget). */
  started: number
  /** Runs not started because the rate budget was spent. */
  skippedForBudget: number
  /** Runs dropped before they started: too much evidence, too many pending, or never submitted in time. */
  dropped: number
  /** Runs that stored the shadow provider's verification after its submit. */
  completed: number
  /** Runs that failed or timed out (recorded, never thrown). */
  failed: number
}

/** Options for {@link createShadowRunner}. */
export type ShadowRunnerOptions = {
  settings: RoutingShadow
  /** The shadow provider's adapter, capabilities enforced. */
  adapter: EnforcedKycAdapter
  store: KycStore
  logger?: KycLogger | undefined
  /** The current time in milliseconds, for the rate budget. Default `Date.now`. */
  now?: (() => number) | undefined
}

/** A shadow run decided for a new primary verification. See {@link ShadowRunner} `plan`. */
export type ShadowPlan = {
  /** The `stage: 'planned'` entry to store with the primary verification, in the same transaction. */
  planned: RoutingRecord
  /** Starts waiting for the primary's evidence; call it once `planned` is stored. */
  track(): void
}

/** Options for {@link ShadowRunner} `recordLostShadows`. */
export type RecordLostShadowsOptions = {
  /**
   * Planned runs recorded before this time with no entry saying how they ended are recorded as
   * `process_ended`. Default: now minus the longest a process keeps a planned run (one hour plus
   * `timeoutMs`), so a run another live instance still holds is never marked. An application with a
   * single instance may pass its own start time.
   */
  before?: Date
}

/** Runs shadows of API-channel verifications. See {@link createShadowRunner}. */
export type ShadowRunner = {
  /**
   * Decides (by the percentage) whether to shadow a freshly created API-channel verification: the
   * plan to record and start, or `undefined`.
   */
  plan(primary: Verification, request: ShadowRequest, context: ShadowContext): ShadowPlan | undefined
  /** Keeps a copy of evidence uploaded to a tracked primary verification. */
  recordUpload(provider: string, upload: UploadCredentialOptions): void
  /** Called once the primary's submit returned: starts the shadow run detached, within the budget. */
  start(provider: string, options: VerificationCallOptions): void
  /** Resolves once every started shadow run, and every record of a run let go, has ended. */
  drain(): Promise<void>
  /**
   * Finds planned shadow runs in the store's audit log that never got an entry saying how they
   * ended (their evidence was in the memory of a process that ended) and records each as not run,
   * `process_ended`. Returns how many it recorded. Reads the whole audit log: run it at start-up or
   * from a periodic job, not per request.
   */
  recordLostShadows(options?: RecordLostShadowsOptions): Promise<number>
  readonly statistics: Readonly<ShadowStatistics>
}

const defaultTimeoutMs = 60_000
const defaultMaxEvidenceBytes = 20 * 1024 * 1024
const defaultMaxPending = 1_000
/** A tracked verification whose submit does not come within an hour is let go (its evidence with it). */
export const shadowPendingLifetimeMs = 60 * 60 * 1000
const shadowSeed = 'openkyc-shadow'

/**
 * Shadow runs: for a share of API-channel verifications (`percentage`, by a hash of the primary's
 * verification id, so it is deterministic), the evidence uploaded to the primary is copied in memory
 * and, **after the primary's `submitVerification` has returned**, sent to the shadow provider in a
 * detached task: create (API channel), upload each piece, submit. The shadow's verification is stored
 * (with its provider and subject reference, so erasure finds it) and an audit entry (`role: 'shadow'`)
 * pairs it with the primary for the agreement report.
 *
 * Guarantees: nothing of a shadow run happens on the primary call's path except copying the uploaded
 * bytes; a shadow failure or timeout is recorded and logged, never thrown; a shadow result is never
 * returned and never touches the primary's state; at most `rate.limit` runs start per
 * `rate.intervalMs`; each run is abandoned after `timeoutMs` (its requests aborted).
 *
 * Every planned run is recorded durably (a `stage: 'planned'` entry stored with the primary
 * verification) and is followed by exactly one entry saying how it ended: ran (created, failed or
 * timed out), or not run and why (`budget_exhausted`, `not_submitted`, `evidence_too_large`,
 * `too_many_pending`). The evidence itself waits in this process's memory only (images are too large
 * for the store): a restart between the primary's upload and submit loses that run, and
 * `recordLostShadows` records it as `process_ended`, so no loss is silent.
 *
 * @example
 * ```ts
 * const shadow = createShadowRunner({ settings: { provider: 'onfido', percentage: 10 }, adapter: onfido, store })
 * ```
 */
export function createShadowRunner(options: ShadowRunnerOptions): ShadowRunner {
  const { settings, adapter, store, logger } = options
  const now = options.now ?? Date.now
  const timeoutMs = settings.timeoutMs ?? defaultTimeoutMs
  const maxEvidenceBytes = settings.maxEvidenceBytes ?? defaultMaxEvidenceBytes
  const maxPending = settings.maxPending ?? defaultMaxPending
  const pending = new Map<string, PendingShadow>()
  const running = new Set<Promise<void>>()
  const startTimes: number[] = []
  const statistics: ShadowStatistics = {
    tracked: 0,
    started: 0,
    skippedForBudget: 0,
    dropped: 0,
    completed: 0,
    failed: 0,
  }

  const keyOf = (provider: string, reference: VerificationReference) =>
    `${provider}\u0000${JSON.stringify(Object.entries(reference).sort(([a], [b]) => (a < b ? -1 : 1)))}`

  const detach = (task: Promise<void>) => {
    running.add(task)
    void task.finally(() => running.delete(task))
  }

  const notRun = (entry: Pick<PendingShadow, 'context' | 'primary'>, reason: RoutingSkipReason) =>
    ({
      role: 'shadow',
      basis: 'shadow',
      attempts: [],
      skipped: [{ provider: adapter.provider, reason }],
      ...entry.context,
      primary: { provider: entry.primary.provider, verificationId: entry.primary.id },
    }) satisfies RoutingRecord

  /** Lets a planned run go before it started, and records why (the planned entry then has its end). */
  const letGo = (key: string, entry: PendingShadow, reason: RoutingSkipReason) => {
    pending.delete(key)
    statistics.dropped += 1
    detach(record(undefined, entry, notRun(entry, reason)))
  }

  const forgetExpired = () => {
    const oldest = now() - shadowPendingLifetimeMs
    for (const [key, entry] of pending) {
      if (entry.trackedAt >= oldest && pending.size < maxPending) break
      letGo(key, entry, entry.trackedAt < oldest ? 'not_submitted' : 'too_many_pending')
    }
  }

  const withinBudget = (): boolean => {
    if (settings.rate === undefined) return true
    const windowStart = now() - settings.rate.intervalMs
    while (startTimes.length > 0 && (startTimes[0] ?? 0) <= windowStart) startTimes.shift()
    if (startTimes.length >= settings.rate.limit) return false
    startTimes.push(now())
    return true
  }

  const record = async (
    verification: Verification | undefined,
    entry: PendingShadow,
    routing: RoutingRecord,
  ) => {
    try {
      await storeRoutedVerification(store, {
        verification,
        fileUnder: verification ?? entry.primary,
        routing,
        subjectReference: entry.request.subjectReference,
      })
    } catch (error) {
      logger?.warn?.('openkyc routing: the shadow run could not be recorded', {
        provider: adapter.provider,
        primaryProvider: entry.primary.provider,
        primaryVerificationId: entry.primary.id,
        errorCode: errorCodeOf(error),
      })
    }
  }

  const run = async (entry: PendingShadow) => {
    const signal = AbortSignal.timeout(timeoutMs)
    const bounded = <T>(promise: Promise<T>) =>
      raceAbort(promise, signal).catch((error: unknown) => {
        if (!signal.aborted) throw error
        throw new KycProviderUnavailableError({
          provider: adapter.provider,
          message: `The ${adapter.provider} shadow run timed out after ${timeoutMs} ms.`,
          cause: signal.reason,
        })
      })
    const base = {
      role: 'shadow' as const,
      basis: 'shadow' as const,
      skipped: [],
      ...entry.context,
      primary: { provider: entry.primary.provider, verificationId: entry.primary.id },
    }
    let created: Verification | undefined
    try {
      created = (await bounded(adapter.createVerification({ ...entry.request, channel: 'api', signal })))
        .verification
      for (const upload of entry.uploads) {
        await bounded(
          adapter.uploadCredential({
            ...upload,
            reference: created.reference,
            signal,
          } as UploadCredentialOptions),
        )
      }
      const submitted = await bounded(adapter.submitVerification({ reference: created.reference, signal }))
      statistics.completed += 1
      await record(submitted, entry, {
        ...base,
        chosen: adapter.provider,
        attempts: [{ provider: adapter.provider, result: 'created' }],
      })
    } catch (error) {
      statistics.failed += 1
      const result = classifyAttemptError(error)
      logger?.info?.('openkyc routing: shadow run failed', {
        provider: adapter.provider,
        primaryVerificationId: entry.primary.id,
        result,
      })
      await record(created, entry, {
        ...base,
        ...(created === undefined ? {} : { chosen: adapter.provider }),
        attempts: [
          {
            provider: adapter.provider,
            result,
            errorCode: errorCodeOf(error),
          },
        ],
      })
    }
  }

  return {
    statistics,
    plan(primary, request, context) {
      if (settings.percentage <= 0) return undefined
      if (
        splitBucket(`${primary.provider}:${primary.id}`, shadowSeed) >=
        settings.percentage * (splitBuckets / 100)
      ) {
        return undefined
      }
      const entry: PendingShadow = {
        primary,
        request: structuredClone(request),
        context,
        uploads: [],
        bytes: 0,
        trackedAt: now(),
      }
      return {
        planned: {
          role: 'shadow',
          basis: 'shadow',
          stage: 'planned',
          chosen: adapter.provider,
          attempts: [],
          skipped: [],
          ...context,
          primary: { provider: primary.provider, verificationId: primary.id },
        },
        track() {
          forgetExpired()
          pending.set(keyOf(primary.provider, primary.reference), entry)
          statistics.tracked += 1
        },
      }
    },
    recordUpload(provider, upload) {
      const key = keyOf(provider, upload.reference)
      const entry = pending.get(key)
      if (entry === undefined) return
      const { reference: _reference, signal: _signal, ...evidence } = upload
      const copy = structuredClone(evidence) as ShadowUpload
      entry.bytes += 'content' in copy ? copy.content.byteLength : JSON.stringify(copy.data).length
      if (entry.bytes > maxEvidenceBytes) {
        letGo(key, entry, 'evidence_too_large')
        return
      }
      entry.uploads.push(copy)
    },
    start(provider, call) {
      const key = keyOf(provider, call.reference)
      const entry = pending.get(key)
      if (entry === undefined) return
      pending.delete(key)
      if (!withinBudget()) {
        statistics.skippedForBudget += 1
        detach(record(undefined, entry, notRun(entry, 'budget_exhausted')))
        return
      }
      statistics.started += 1
      // A timer, not a direct call: no part of the shadow run executes before the primary call returned.
      detach(new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => run(entry)))
    },
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running])
    },
    async recordLostShadows(options = {}) {
      const before = (options.before ?? new Date(now() - shadowPendingLifetimeMs - timeoutMs)).getTime()
      const planned = new Map<string, { entry: AuditEntry; routing: RoutingRecord }>()
      const ended = new Set<string>()
      for await (const entry of store.audit.read()) {
        const routing = entry.routing
        if (entry.action !== 'routing' || routing?.role !== 'shadow' || routing.primary === undefined)
          continue
        const key = `${routing.primary.provider}\u0000${routing.primary.verificationId}`
        if (routing.stage === 'planned') planned.set(key, { entry, routing })
        else ended.add(key)
      }
      let recorded = 0
      for (const [key, { entry, routing }] of planned) {
        if (ended.has(key) || Date.parse(entry.recordedAt) >= before) continue
        const { stage: _stage, chosen, ...plannedRun } = routing
        await storeRoutedVerification(store, {
          verification: undefined,
          fileUnder: { provider: entry.provider, id: entry.verificationId },
          routing: {
            ...plannedRun,
            skipped: [{ provider: chosen ?? adapter.provider, reason: 'process_ended' }],
          },
        })
        recorded += 1
      }
      return recorded
    },
  }
}
