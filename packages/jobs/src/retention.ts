import { type DecisionOutcome, inSpan, KycConfigurationError, type VerificationStatus } from '@openkyc/core'
import type { Jobs } from './boss.js'
import {
  type DeletedVerification,
  type DeletionContext,
  deleteVerificationEverywhere,
  isSettled,
} from './erasure.js'
import {
  createProviderEntries,
  type RecurringJob,
  type RecurringJobOptions,
  resumablePages,
  scheduleRecurring,
  type VerificationJobOptions,
} from './verification-jobs.js'

/**
 * One retention rule: "delete the data of these verifications this long after they settled". A
 * verification settles at its `completedAt` (a decision), or its last `updatedAt` when it ended
 * without one (expired, cancelled).
 *
 * @example
 * ```ts
 * { name: 'declined-persona', provider: 'persona', outcomes: ['declined'], afterMs: 30 * 86_400_000 }
 * ```
 */
export type RetentionRule = {
  /** A short name, unique among the rules (the run's summary names the rule of each item). Letters, digits, `-`, `_`. */
  name: string
  /** Only this provider's verifications. Default: every provider. */
  provider?: string
  /** Only these statuses. Default: the terminal ones (`completed`, `expired`, `cancelled`). */
  statuses?: readonly VerificationStatus[]
  /** Only decisions with these outcomes. Default: any (and none). */
  outcomes?: readonly DecisionOutcome[]
  /** How long after settling the data is deleted, in milliseconds (a non-negative integer). */
  afterMs: number
}

/** Options for {@link createRetention}. */
export type RetentionOptions<Handle = unknown> = VerificationJobOptions<Handle> & {
  /** The rules; a verification matched by several is deleted by the first run that reaches it. */
  rules: readonly RetentionRule[]
  /** The most verifications one run deletes, over all rules. Default 500. */
  maxPerRun?: number
  /** The clock deadlines are computed on (and `redactedAt`). Default `Date.now`. */
  now?: () => number
}

/** What one retention run did. */
export type RetentionSummary = {
  /** The run's id: each audit row's `eventId` is `retention:<id>`. */
  id: string
  /** Each verification handled, with what happened at the provider and to our copy. */
  verifications: (DeletedVerification & { rule: string })[]
  /** How many were deleted at the provider or found deleted already, and redacted here. */
  deleted: number
  /** How many the provider could not delete now (kept unredacted; the next run tries again). */
  failed: number
  /** How many raw-archive payloads past their own retention (`expiresAt`) this run removed. */
  archiveExpired: number
}

/** Retention runs. See {@link createRetention}. */
export type Retention = {
  /** Deletes what the rules say is due, up to `maxPerRun`. Individual failures are counted, not thrown. */
  run(options?: { signal?: AbortSignal }): Promise<RetentionSummary>
}

const terminalStatuses: readonly VerificationStatus[] = ['completed', 'expired', 'cancelled']

function checkRule(rule: RetentionRule): RetentionRule {
  if (!/^[a-z0-9_-]{1,60}$/i.test(rule.name)) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'createRetention: a rule name is 1 to 60 letters, digits, "-" or "_".',
    })
  }
  if (!Number.isInteger(rule.afterMs) || rule.afterMs < 0) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: `createRetention: rule "${rule.name}" needs afterMs, a non-negative integer of milliseconds.`,
    })
  }
  return rule
}

/**
 * Retention: a schedule that deletes verification data a set time after the verification settled,
 * per provider or per outcome ("delete declined verifications' data 30 days after completion"). Each
 * run finds the unredacted verifications past their rule's deadline, deletes their data at the
 * provider where the adapter declares `deleteData`, redacts the stored copy through the webhook
 * pipeline (the application's `onEvent` sees `verification.redacted`) and writes an audit row
 * (`retention.<result>`). Idempotent and resumable: what is redacted is never selected again; a
 * provider that fails leaves the copy unredacted, so the next run tries again; a crash between the
 * provider's deletion and the redaction is found again and reads as `already_deleted`.
 * Schedule it with {@link scheduleRetention}.
 *
 * @example
 * ```ts
 * const retention = createRetention({
 *   store,
 *   adapters: [createPersona()],
 *   rules: [{ name: 'all-after-30-days', afterMs: 30 * 86_400_000 }],
 * })
 * const { deleted, failed } = await retention.run()
 * ```
 */
export function createRetention<Handle = unknown>(options: RetentionOptions<Handle>): Retention {
  const rules = options.rules.map(checkRule)
  if (new Set(rules.map((rule) => rule.name)).size !== rules.length) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'createRetention: rule names must be unique.',
    })
  }
  const maxPerRun = options.maxPerRun ?? 500
  if (!Number.isInteger(maxPerRun) || maxPerRun < 1) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'createRetention: maxPerRun must be a positive integer.',
    })
  }
  const now = options.now ?? Date.now
  const context: DeletionContext<Handle> = {
    store: options.store,
    providers: createProviderEntries(options, 'createRetention'),
    onEvent: options.onEvent,
    now,
    logger: options.logger,
  }

  const runOnce = async (signal: AbortSignal | undefined): Promise<RetentionSummary> => {
    const id = crypto.randomUUID()
    const summary: RetentionSummary = { id, verifications: [], deleted: 0, failed: 0, archiveExpired: 0 }
    summary.archiveExpired = (await context.store.archive?.deleteExpired()) ?? 0
    for (const rule of rules) {
      const budget = maxPerRun - summary.verifications.length
      if (budget <= 0) break
      const due = resumablePages(
        context.store,
        `retention-cursor:${rule.name}`,
        {
          statuses: [...(rule.statuses ?? terminalStatuses)],
          ...(rule.provider === undefined ? {} : { provider: rule.provider }),
          ...(rule.outcomes === undefined ? {} : { outcomes: [...rule.outcomes] }),
          redacted: false,
          settledBefore: new Date(now() - rule.afterMs).toISOString(),
        },
        budget,
        signal,
      )
      for await (const verification of due) {
        const item = await deleteVerificationEverywhere(context, verification, 'retention', id, {
          keepWhenProviderFails: true,
          signal,
        })
        summary.verifications.push({ ...item, rule: rule.name })
        if (isSettled(item)) summary.deleted += 1
        else summary.failed += 1
      }
    }
    return summary
  }

  return {
    run(runOptions = {}) {
      return inSpan(
        'openkyc.jobs.retention',
        { kind: 'internal', attributes: {} },
        () => runOnce(runOptions.signal),
        (span, summary) => {
          span.setAttribute('openkyc.retention.deleted', summary.deleted)
          span.setAttribute('openkyc.retention.failed', summary.failed)
        },
      )
    },
  }
}

/**
 * Runs retention on pg-boss: a cron schedule (default daily at 03:00 UTC) and this process's worker.
 * Every worker process may call it; at most one run is active across all of them. Each run's summary
 * is the job's output.
 *
 * @example
 * ```ts
 * const scheduled = await scheduleRetention(jobs, createRetention({ store, adapters, rules }), { cron: '0 * * * *' })
 * ```
 */
export function scheduleRetention(
  jobs: Jobs,
  retention: Retention,
  options: RecurringJobOptions = {},
): Promise<RecurringJob> {
  return scheduleRecurring(jobs, 'retention', '0 3 * * *', (signal) => retention.run({ signal }), options)
}
