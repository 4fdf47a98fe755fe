import {
  inSpan,
  KycConfigurationError,
  recordReconciliation,
  redact,
  telemetryAttributes,
  type Verification,
} from '@openkyc/core'
import type { RateLimiter } from '@openkyc/core/http'
import type { Jobs } from './boss.js'
import {
  createProviderEntries,
  failureCode,
  type RecurringJob,
  type RecurringJobOptions,
  resumablePages,
  scheduleRecurring,
  type VerificationJobOptions,
} from './verification-jobs.js'

/** Options for {@link createReconciler}. */
export type ReconcilerOptions<Handle = unknown> = VerificationJobOptions<Handle> & {
  /**
   * A verification is stale when it has not ended (created, in progress, submitted), or ended with a
   * decision still pending a person (`review`), and its stored state has not moved for this long, in
   * milliseconds (by the store's clock). Default 15 minutes: longer than a provider normally takes to
   * send its webhook. Unended ones come first; pending reviews get what the run's budget leaves.
   */
  staleAfterMs?: number
  /** The most verifications one run re-reads (its bound). Default 500. */
  maxPerRun?: number
  /** Re-reads in flight at once in one run. Default 4. */
  concurrency?: number
  /**
   * A budget per provider each re-read waits for, on top of the adapter's own: for example
   * `createClusterRateLimiter({ jobs, key: 'persona:reconciler', limit })`, so the reconciler's reads
   * across every worker stay within a share of the vendor's limit and leave the rest to the
   * application. (To count every request of an adapter cluster-wide instead, give the cluster limiter
   * to the adapter's own `rateLimit` setting.)
   */
  rateLimits?: Readonly<Record<string, RateLimiter>>
}

/** What one run did at one provider. */
export type ReconcileCounts = {
  /** Stale verifications re-read (or attempted). */
  stale: number
  /** Of those, the ones whose re-read moved the stored state (through the webhook path). */
  moved: number
  /** Of the moved ones, those with a change an application acts on (status, outcome, reasons, redaction). */
  changed: number
  /** Re-reads that failed (the provider refused or was unavailable); the next run tries again. */
  failed: number
}

/** What one {@link Reconciler.run} did: totals, per provider, and the failures (ids and codes only). */
export type ReconcileSummary = ReconcileCounts & {
  /** Per provider. */
  providers: Record<string, ReconcileCounts>
  /** Stale verifications of providers without an installed adapter: not read. */
  skipped: number
  /** Each failed re-read: provider, verification id and the `KycError` code. Never personal data. */
  failures: { provider: string; verificationId: string; error: string }[]
}

/** The backstop for missing webhooks. See {@link createReconciler}. */
export type Reconciler = {
  /**
   * Finds up to `maxPerRun` stale verifications (continuing where the previous run stopped), re-reads
   * each through its adapter and applies the result through the webhook pipeline's transactional
   * path. Resolves with a summary; individual failures are counted, not thrown. Throws only when the
   * store fails or `signal` aborts.
   */
  run(options?: { signal?: AbortSignal }): Promise<ReconcileSummary>
}

const nonTerminalStatuses = ['created', 'in_progress', 'submitted'] as const

function positiveInteger(name: string, value: number): number {
  if (Number.isInteger(value) && value > 0) return value
  throw new KycConfigurationError({
    provider: 'jobs',
    message: `createReconciler: ${name} must be a positive integer.`,
  })
}

const emptyCounts = (): ReconcileCounts => ({ stale: 0, moved: 0, changed: 0, failed: 0 })

/**
 * The reconciler: the backstop for webhooks that never came (a misconfigured endpoint, an outage
 * longer than the provider's retries, a Jumio callback lost). Each run finds verifications that are
 * not terminal and have not moved for `staleAfterMs`, re-reads them through their adapter, and
 * applies what it read with `pipeline.applyVerification`: the same claim, forward-only apply, audit
 * entry and `onEvent` as a webhook, so the application's handler runs once per real change even when
 * the webhook and the reconciler race. Bounded per run, rate-limited, fair (the next run continues
 * where this one stopped), and counted: the summary and the `openkyc.reconciler.stale` /
 * `openkyc.reconciler.moved` metrics. Schedule it with {@link scheduleReconciler} (pg-boss), or call
 * `run()` from your own timer.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({
 *   store,
 *   adapters: [createPersona(), createJumio()],
 *   onEvent: handleKycEvent, // the same handler as your webhook route's
 *   staleAfterMs: 10 * 60_000,
 * })
 * const { stale, moved, failed } = await reconciler.run()
 * ```
 */
export function createReconciler<Handle = unknown>(options: ReconcilerOptions<Handle>): Reconciler {
  const staleAfterMs = options.staleAfterMs ?? 15 * 60_000
  if (!Number.isInteger(staleAfterMs) || staleAfterMs < 0) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'createReconciler: staleAfterMs must be a non-negative integer of milliseconds.',
    })
  }
  const maxPerRun = positiveInteger('maxPerRun', options.maxPerRun ?? 500)
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 4)
  const providers = createProviderEntries(options, 'createReconciler')
  const { store, logger, rateLimits } = options

  const reconcileOne = async (
    verification: Verification,
    summary: ReconcileSummary,
    signal: AbortSignal | undefined,
  ) => {
    const entry = providers.get(verification.provider)
    if (entry === undefined) {
      summary.skipped += 1
      return
    }
    const counts = summary.providers[verification.provider] ?? emptyCounts()
    summary.providers[verification.provider] = counts
    counts.stale += 1
    summary.stale += 1
    try {
      await rateLimits?.[verification.provider]?.acquire(signal)
      const read = await entry.adapter.getVerification({
        reference: verification.reference,
        ...(signal === undefined ? {} : { signal }),
      })
      const processed = await entry.pipeline.applyVerification(read, signal === undefined ? {} : { signal })
      if (processed === undefined) return
      counts.moved += 1
      summary.moved += 1
      if (processed.changed) {
        counts.changed += 1
        summary.changed += 1
      }
    } catch (error) {
      if (signal?.aborted) throw error
      counts.failed += 1
      summary.failed += 1
      const failure = {
        provider: verification.provider,
        verificationId: verification.id,
        error: failureCode(error),
      }
      summary.failures.push(failure)
      logger?.warn?.('kyc reconciler re-read failed', redact(failure))
    }
  }

  const runOnce = async (signal: AbortSignal | undefined): Promise<ReconcileSummary> => {
    const summary: ReconcileSummary = { ...emptyCounts(), providers: {}, skipped: 0, failures: [] }
    // First what has not ended, then (with what the budget leaves) decisions still pending a person.
    const passes = [
      { cursor: 'reconciler-cursor', query: { statuses: [...nonTerminalStatuses] } },
      {
        cursor: 'reconciler-review-cursor',
        query: { statuses: ['completed' as const], outcomes: ['review' as const] },
      },
    ]
    for (const pass of passes) {
      const budget = maxPerRun - summary.stale - summary.skipped
      if (budget <= 0) break
      const stale = resumablePages(
        store,
        pass.cursor,
        { ...pass.query, redacted: false, unchangedForMs: staleAfterMs },
        budget,
        signal,
      )
      // A few workers share the one page iterator: at most `concurrency` re-reads in flight.
      const worker = async () => {
        for (;;) {
          const next = await stale.next()
          if (next.done === true) return
          await reconcileOne(next.value, summary, signal)
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
    }
    for (const [provider, counts] of Object.entries(summary.providers)) {
      recordReconciliation({ provider, stale: counts.stale, moved: counts.moved })
    }
    return summary
  }

  return {
    run(runOptions = {}) {
      return inSpan(
        'openkyc.jobs.reconcile',
        { kind: 'internal', attributes: {} },
        () => runOnce(runOptions.signal),
        (span, summary) => {
          span.setAttribute(telemetryAttributes.staleCount, summary.stale)
          span.setAttribute(telemetryAttributes.movedCount, summary.moved)
        },
      )
    },
  }
}

/**
 * Runs a reconciler on pg-boss: a cron schedule (default every 5 minutes) and this process's worker.
 * Every worker process may call it; at most one run is active across all of them. Each run's summary
 * is the job's output.
 *
 * @example
 * ```ts
 * const jobs = await openJobs({ database, url: process.env.DATABASE_URL })
 * const scheduled = await scheduleReconciler(jobs, createReconciler({ store, adapters, onEvent }))
 * // … on shutdown: await scheduled.stop(); await jobs.stop()
 * ```
 */
export function scheduleReconciler(
  jobs: Jobs,
  reconciler: Reconciler,
  options: RecurringJobOptions = {},
): Promise<RecurringJob> {
  return scheduleRecurring(jobs, 'reconcile', '*/5 * * * *', (signal) => reconciler.run({ signal }), options)
}
