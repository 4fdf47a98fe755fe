import { AsyncLocalStorage } from 'node:async_hooks'
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
   * budget, 99 % of a one-minute one); raise it on overloaded hosts. Half of it bounds how late a claim
   * may reach its caller before it is made again (see {@link createClusterRateLimiter}).
   */
  marginMs?: number
  /**
   * Pairs this limiter, a quota on starts (Persona's inquiry creations), with the cluster limiter of the
   * requests that make them (the adapter's `rateLimit`): a start is then claimed at the same instant as
   * that request's slot, in one SQL call. Used by bulk runs' `startLimiters`; it must be a limiter made
   * by this function on the same database and schema, under another key.
   */
  requestLimiter?: RateLimiter
}

/**
 * A rate limiter shared by every process on one PostgreSQL database, kept by one SQL function
 * (`rate_limit_take`, serialised by the key's row lock, timed by the database clock so hosts with
 * skewed clocks agree). Starts are evenly spaced, `(intervalMs + marginMs) / requests` apart (GCRA's
 * emission interval), so the vendor sees a steady rate and never a burst: a caller reserves the next
 * free slot and sleeps until it, then claims it with a second call. The claim is granted only if the
 * starts recorded in the trailing `intervalMs + marginMs` leave room (a true sliding window), so the
 * budget holds on the database clock however late a caller wakes (a stalled event loop, a paused
 * process); a refused claim keeps its place and waits until the window has room. No polling, no herd,
 * callers served in the order they reserved, and a waiter waits about (callers ahead) × spacing. An
 * aborted caller gives its slot back; a killed one's reservation costs one slot.
 *
 * A claim is good only if the caller learns of it promptly: when the claim's round trip took longer
 * than half the margin (the caller stalled after the database had recorded the start), the start would
 * reach the vendor late, bunched with the starts after it, so the caller claims again at the current
 * moment under the same sliding-window rule, and waits if that leaves no room. It does so once per
 * start: when the database itself answers slowly, every claim is late and only the margin helps.
 *
 * With `requestLimiter`, each start of this limiter is claimed at the same instant as a slot of that
 * limiter, the one the request that makes the start will use (bulk runs' `startLimiters`: an inquiry
 * creation is one of Persona's 150 creations and one of its 300 requests). Taken one after the other,
 * the wait for the request slot would delay the start past its own slot. This limiter schedules the
 * start; the request limiter's sliding window is checked at the claim, and its spaced schedule is left
 * to its other callers.
 *
 * It implements core's `RateLimiter`, so it plugs into an adapter's `rateLimit` setting (Jumio:
 * `transactionRateLimit`) and replaces the per-process budget with a cluster-wide one.
 *
 * @example
 * ```ts
 * const jobs = await openJobs({ database, url: process.env.DATABASE_URL })
 * const rateLimit = createClusterRateLimiter({ jobs, key: 'persona', limit: vendorRateLimits.persona })
 * const persona = createPersona({ apiKey, webhookSecret, rateLimit })
 * const creations = createClusterRateLimiter({
 *   jobs,
 *   key: 'persona:inquiry-creations',
 *   limit: vendorStartLimits.persona,
 *   requestLimiter: rateLimit,
 * })
 * const bulk = createBulkRuns({ jobs, adapters: { persona }, startLimiters: { persona: creations } })
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
  if (!Number.isFinite(marginMs) || marginMs < 0) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'A cluster rate limit needs a `marginMs` of zero or more.',
    })
  }
  const own: Budget = { key: options.key, requests, intervalMs, marginMs }
  const paired = options.requestLimiter === undefined ? undefined : clusterBudgets.get(options.requestLimiter)
  if (options.requestLimiter !== undefined) {
    if (
      paired === undefined ||
      paired.database !== options.jobs.database ||
      paired.schema !== options.jobs.schema
    ) {
      throw new KycConfigurationError({
        provider: 'jobs',
        message:
          '`requestLimiter` must be a limiter made by createClusterRateLimiter on the same database and schema.',
      })
    }
    if (paired.budget.key === options.key) {
      throw new KycConfigurationError({
        provider: 'jobs',
        message: '`requestLimiter` must keep another key than the limiter it is paired with.',
      })
    }
  }
  const { database, schema } = options.jobs
  const budgets = paired === undefined ? [own] : [own, { ...paired.budget, checkedOnly: true }]
  const limiter: RateLimiter = {
    async acquire(signal) {
      signal?.throwIfAborted()
      // The start this request makes was claimed with its slot of this limiter (a paired start limiter).
      const prepaid = prepaidSlots.getStore()
      if (prepaid !== undefined && prepaid.requestLimiter === limiter && prepaid.claim !== undefined) {
        const { claim } = prepaid
        prepaid.claim = undefined
        if (performance.now() - claim.askedAt <= freshnessBound(claim.budgets)) return
        await take(database, schema, claim.budgets, signal, claim.reservedAt)
        return
      }
      await take(database, schema, budgets, signal)
    },
  }
  clusterBudgets.set(limiter, { database, schema, budget: own })
  if (paired !== undefined && options.requestLimiter !== undefined) {
    startPairs.set(limiter, { database, schema, budgets, requestLimiter: options.requestLimiter })
  }
  return limiter
}

/**
 * Runs `call` (the request that makes a start) after taking a slot of `startLimiter`. A start limiter
 * made with `requestLimiter` claims that limiter's slot at the same instant and hands it to the first
 * request `call` makes through it; any other limiter is simply acquired first.
 */
export async function withStartSlot<T>(
  startLimiter: RateLimiter | undefined,
  signal: AbortSignal,
  call: () => Promise<T>,
): Promise<T> {
  if (startLimiter === undefined) return call()
  const pair = startPairs.get(startLimiter)
  if (pair === undefined) {
    await startLimiter.acquire(signal)
    return call()
  }
  const claim = await take(pair.database, pair.schema, pair.budgets, signal)
  return prepaidSlots.run({ requestLimiter: pair.requestLimiter, claim }, call)
}

/**
 * One budget a call takes a slot in. `checkedOnly`: a paired request budget, checked by its sliding
 * window at the claim but not scheduled ahead (see migration 4).
 */
type Budget = { key: string; requests: number; intervalMs: number; marginMs: number; checkedOnly?: boolean }

/** A claimed slot: in which budgets, at which database time, and when (this process's clock) it was asked for. */
type Claim = { budgets: readonly Budget[]; reservedAt: number; askedAt: number }

/** The budget of each limiter made here, so a start limiter can be paired with it. */
const clusterBudgets = new WeakMap<RateLimiter, { database: SqlExecutor; schema: string; budget: Budget }>()

/** Start limiters paired with a request limiter: the budgets they take together. */
const startPairs = new WeakMap<
  RateLimiter,
  { database: SqlExecutor; schema: string; budgets: readonly Budget[]; requestLimiter: RateLimiter }
>()

/** Within {@link withStartSlot}'s call: the paired request slot already claimed, until a request uses it. */
const prepaidSlots = new AsyncLocalStorage<{ requestLimiter: RateLimiter; claim: Claim | undefined }>()

/**
 * How long a claim's round trip may take before the claim is made again: half the smallest margin. The
 * rest of the margin is left for the way to the vendor.
 */
function freshnessBound(budgets: readonly Budget[]): number {
  return Math.min(...budgets.map((budget) => budget.marginMs)) / 2
}

/**
 * Takes one slot in every budget at one instant: reserves, sleeps until the slot, claims; claims again
 * when a claim came back later than {@link freshnessBound}. With `claimedAt`, starts by checking that
 * earlier claim again.
 */
async function take(
  database: SqlExecutor,
  schema: string,
  budgets: readonly Budget[],
  signal: AbortSignal | undefined,
  claimedAt?: number,
): Promise<Claim> {
  let reservedAt: number | null = claimedAt ?? null
  let recheck = claimedAt !== undefined
  let rechecked = recheck
  for (;;) {
    const askedAt = performance.now()
    const slot = await takeSlot(database, schema, budgets, reservedAt, recheck)
    if (slot.waitMs <= 0) {
      // Claimed, but this process learnt of it too late to send on time: claim it again, now. Once only:
      // when the database itself answers slowly every claim is late, and claiming again and again would
      // only load it more (the margin is what covers that case).
      if (rechecked || performance.now() - askedAt <= freshnessBound(budgets)) {
        return { budgets, reservedAt: slot.reservedAt, askedAt }
      }
      reservedAt = slot.reservedAt
      recheck = true
      rechecked = true
      continue
    }
    reservedAt = slot.reservedAt
    recheck = false
    try {
      await sleep(slot.waitMs, undefined, { signal })
    } catch (error) {
      await giveBack(database, schema, budgets, reservedAt).catch(() => undefined)
      signal?.throwIfAborted()
      throw error
    }
  }
}

async function takeSlot(
  database: SqlExecutor,
  schema: string,
  budgets: readonly Budget[],
  reservedAt: number | null,
  recheck: boolean,
): Promise<{ waitMs: number; reservedAt: number }> {
  const [row] = await database.query<{ wait_ms: number; reserved_at: number }>({
    name: 'take rate limit slots',
    text: `SELECT wait_ms, reserved_at FROM ${schema}.rate_limit_take($1::text::jsonb, $2::double precision, $3::boolean)`,
    values: [
      JSON.stringify(
        budgets.map((budget) => ({
          key: budget.key,
          requests: budget.requests,
          interval_ms: budget.intervalMs,
          margin_ms: budget.marginMs,
          checked_only: budget.checkedOnly === true,
        })),
      ),
      reservedAt,
      recheck,
    ],
  })
  return { waitMs: Number(row?.wait_ms ?? 0), reservedAt: Number(row?.reserved_at ?? 0) }
}

async function giveBack(
  database: SqlExecutor,
  schema: string,
  budgets: readonly Budget[],
  reservedAt: number,
): Promise<void> {
  await database.query({
    name: 'give back rate limit slots',
    text: `SELECT ${schema}.rate_limit_give_back($1::text::jsonb, $2::double precision)`,
    values: [JSON.stringify(budgets.map((budget) => budget.key)), reservedAt],
  })
}
