import { KycConfigurationError } from '../errors.js'
import { raceAbort, realSleep, type Sleep } from './abort.js'

/**
 * A client-side request budget the adapter declares from the vendor's documentation, for example
 * Persona's 300 requests per minute (`{ requests: 300, intervalMs: 60_000 }`) or Jumio's one
 * transaction start per second (`{ requests: 1, intervalMs: 1_000 }`). Staying under it ourselves is
 * cheaper than collecting 429s and backing off.
 */
export type RateLimit = {
  /** How many requests may start within any window of `intervalMs`. A positive integer. */
  requests: number
  /** The length of the sliding window, in milliseconds. */
  intervalMs: number
}

/**
 * Hands out permission to start one request. Shared by every call of one HTTP client (or, passed to
 * several clients, by all of them), so the declared budget holds for the whole tenant.
 */
export type RateLimiter = {
  /**
   * Resolves when a request may start, in the order callers asked (FIFO). Rejects with `signal.reason`
   * when `signal` aborts first; an aborted caller gives up its place and consumes no budget.
   */
  acquire(signal?: AbortSignal): Promise<void>
  /**
   * Takes a slot only if one is free now and nobody is waiting; never waits. For work that must not
   * be held open (a webhook request): `false` means answer "try later" instead of queueing.
   */
  tryAcquire?(): boolean
}

/** What {@link createRateLimiter} accepts: the budget, plus the clock to measure it with. */
export type RateLimiterOptions = RateLimit & {
  /** The clock, in milliseconds. Defaults to `Date.now`; tests inject a fake one. */
  now?: () => number
  /** How to wait for the window to move. Defaults to a real timer; tests inject a fake one. */
  sleep?: Sleep
}

/**
 * Creates a sliding-window rate limiter: at no instant have more than `requests` requests started in
 * the preceding `intervalMs`. A sliding window (rather than a fixed one aligned to the clock) never
 * lets a burst straddle a window edge, so it is safe whatever window the vendor counts in.
 *
 * Waiters are served strictly in arrival order, and only the first in line sleeps, so the limiter
 * works with an injected fake clock as well as with real time.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ requests: 300, intervalMs: 60_000 })
 * await limiter.acquire(signal)
 * const response = await fetch(url, { signal })
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { requests, intervalMs } = options
  if (!Number.isInteger(requests) || requests < 1 || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new KycConfigurationError({
      message: 'A rate limit needs a positive whole number of `requests` and a positive `intervalMs`.',
    })
  }
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? realSleep
  /** Start times of the most recent grants, oldest first; never more than `requests` of them. */
  const grants: number[] = []
  /** The tail of the line: the next caller waits for this to settle before its own turn. */
  let line: Promise<void> = Promise.resolve()

  const waitForSlot = async (signal: AbortSignal | undefined): Promise<void> => {
    for (;;) {
      signal?.throwIfAborted()
      const current = now()
      while (grants.length > 0 && grants[0]! <= current - intervalMs) grants.shift()
      if (grants.length < requests) {
        grants.push(current)
        return
      }
      await sleep(grants[0]! + intervalMs - current, signal)
    }
  }

  /** Callers whose turn has not settled yet; while there are none, a free slot can be granted at once. */
  let waiting = 0
  const leaveLine = () => {
    waiting--
  }

  /** Grants a slot at once when nobody is in line and the window has room. */
  const grantNow = (): boolean => {
    if (waiting !== 0) return false
    const current = now()
    while (grants.length > 0 && grants[0]! <= current - intervalMs) grants.shift()
    if (grants.length >= requests) return false
    grants.push(current)
    return true
  }

  return {
    tryAcquire: grantNow,
    acquire(signal) {
      // Fast path: nobody is in line, so granting now keeps the order and skips the promise chain.
      if (signal?.aborted !== true && grantNow()) return Promise.resolve()
      waiting++
      const turn = line.then(() => waitForSlot(signal))
      line = turn.then(leaveLine, leaveLine)
      return raceAbort(turn, signal)
    },
  }
}
