import { setTimeout as sleep } from 'node:timers/promises'
import { KycConfigurationError } from '@openkyc/core'
import type { RateLimit, RateLimiter } from '@openkyc/core/http'
import type { SqlExecutor } from '@openkyc/postgres'
import type { Jobs } from './boss.js'

/**
 * The vendors' documented limits, as core's {@link RateLimit} budgets: Jumio 1 transaction start a
 * second per tenant (its `transactionRateLimit`), Persona 300 requests a minute, Onfido 400 a minute.
 * Contracts often raise them; pass your own to {@link createClusterRateLimiter}.
 */
export const vendorRateLimits = {
  jumio: { requests: 1, intervalMs: 1_000 },
  persona: { requests: 300, intervalMs: 60_000 },
  onfido: { requests: 400, intervalMs: 60_000 },
} as const satisfies Record<string, RateLimit>

/**
 * The vendors' documented quotas on starting verifications, for bulk runs' `startLimiters`: Persona
 * creates at most 150 inquiries a minute, Jumio starts one transaction a second per tenant. Onfido
 * documents only its request limit.
 */
export const vendorStartLimits = {
  jumio: { requests: 1, intervalMs: 1_000 },
  persona: { requests: 150, intervalMs: 60_000 },
} as const satisfies Record<string, RateLimit>

/** Options for {@link createClusterRateLimiter}. */
export type ClusterRateLimiterOptions = {
  /** The open job system (its database and schema), or a database plus the schema of this package. */
  jobs: Pick<Jobs, 'database' | 'schema'>
  /**
   * What the budget is shared by: usually the provider and tenant (`persona`, `jumio:eu-tenant-1`).
   * Every limiter with the same key, in every process on this database, shares one budget.
   */
  key: string
  /** The budget: at most `requests` starts in any window of `intervalMs`. See {@link vendorRateLimits}. */
  limit: RateLimit
  /**
   * The safety margin: the limiter keeps `requests` starts per `intervalMs + marginMs`, so a start that
   * reaches the vendor up to `marginMs` later than its slot (event-loop stalls, connection set-up) still
   * lands in a window the vendor counts as within the limit. Throughput is `intervalMs / (intervalMs +
   * marginMs)` of the limit. Default: 1 % of `intervalMs`, at least 25 ms (97.5 % of a one-second
   * budget, 99 % of a one-minute one); raise it on overloaded hosts.
   */
  marginMs?: number
}

/**
 * A rate limiter shared by every process on one PostgreSQL database, kept by one SQL function
 * (`rate_limit_acquire`, serialised by the key's row lock, timed by the database clock so hosts with
 * skewed clocks agree). Starts are evenly spaced, `(intervalMs + marginMs) / requests` apart (GCRA's
 * emission interval), so the vendor sees a steady rate and never a burst: a caller reserves the next
 * free slot and sleeps until it, then claims it with a second call. The claim is granted only if the
 * starts recorded in the trailing `intervalMs + marginMs` leave room (a true sliding window), so the
 * budget holds on the database clock however late a caller wakes (a stalled event loop, a paused
 * process); a refused claim keeps its place and waits until the window has room. No polling, no herd,
 * callers served in the order they reserved, and a waiter waits about (callers ahead) × spacing. An
 * aborted caller gives its slot back; a killed one's reservation costs one slot.
 *
 * It implements core's `RateLimiter`, so it plugs into an adapter's `rateLimit` setting (Jumio:
 * `transactionRateLimit`) and replaces the per-process budget with a cluster-wide one.
 *
 * @example
 * ```ts
 * const jobs = await openJobs({ database, url: process.env.DATABASE_URL })
 * const rateLimit = createClusterRateLimiter({ jobs, key: 'persona', limit: vendorRateLimits.persona })
 * const persona = createPersona({ apiKey, webhookSecret, rateLimit })
 * ```
 */
export function createClusterRateLimiter(options: ClusterRateLimiterOptions): RateLimiter {
  const { requests, intervalMs } = options.limit
  if (!Number.isInteger(requests) || requests < 1 || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message:
        'A cluster rate limit needs a positive whole number of `requests` and a positive `intervalMs`.',
    })
  }
  if (options.key === '' || options.key.length > 200) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'A cluster rate limit needs a key of 1 to 200 characters.',
    })
  }
  const marginMs = options.marginMs ?? Math.max(25, intervalMs / 100)
  const { database, schema } = options.jobs
  return {
    async acquire(signal) {
      signal?.throwIfAborted()
      let reservedAt: number | null = null
      for (;;) {
        const slot = await acquireSlot(
          database,
          schema,
          options.key,
          requests,
          intervalMs,
          marginMs,
          reservedAt,
        )
        if (slot.waitMs <= 0) return
        reservedAt = slot.reservedAt
        try {
          await sleep(slot.waitMs, undefined, { signal })
        } catch (error) {
          await release(database, schema, options.key, reservedAt).catch(() => undefined)
          signal?.throwIfAborted()
          throw error
        }
      }
    },
  }
}

async function acquireSlot(
  database: SqlExecutor,
  schema: string,
  key: string,
  requests: number,
  intervalMs: number,
  marginMs: number,
  reservedAt: number | null,
): Promise<{ waitMs: number; reservedAt: number }> {
  const [row] = await database.query<{ wait_ms: number; reserved_at: number }>({
    name: 'acquire rate limit slot',
    text: `SELECT wait_ms, reserved_at FROM ${schema}.rate_limit_acquire($1, $2::integer, $3::double precision, $4::double precision, $5::double precision)`,
    values: [key, requests, intervalMs, marginMs, reservedAt],
  })
  return { waitMs: Number(row?.wait_ms ?? 0), reservedAt: Number(row?.reserved_at ?? 0) }
}

async function release(
  database: SqlExecutor,
  schema: string,
  key: string,
  reservedAt: number,
): Promise<void> {
  await database.query({
    name: 'release rate limit slot',
    text: `SELECT ${schema}.rate_limit_release($1, $2::double precision)`,
    values: [key, reservedAt],
  })
}
