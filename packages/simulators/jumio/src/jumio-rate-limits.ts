/**
 * Per-tenant rate limits (DOC Rate Limits, `reference/jumio-api.md` §8): token requests 10 per second,
 * account requests that initiate a transaction 1 per second with bursts tolerated, retrieval 15 per
 * second. Modelled as token buckets on the simulator clock, so a test controls refills with
 * `advanceTime` instead of waiting.
 */

/** One limit: `ratePerSecond` sustained, up to `burst` at once. */
export type JumioRateLimit = { ratePerSecond: number; burst: number }

/** The three documented limits; `false` switches one off. */
export type JumioRateLimits = {
  token: JumioRateLimit | false
  initiation: JumioRateLimit | false
  retrieval: JumioRateLimit | false
}

/**
 * Defaults: the documented sustained rates. Jumio says bursts on initiation are "tolerated" without
 * a number; the simulator tolerates 10.
 */
export const defaultRateLimits: JumioRateLimits = {
  token: { ratePerSecond: 10, burst: 10 },
  initiation: { ratePerSecond: 1, burst: 10 },
  retrieval: { ratePerSecond: 15, burst: 15 },
}

/** A token bucket on an injected clock. */
export class TokenBucket {
  readonly #limit: JumioRateLimit
  #tokens: number
  #updatedAt: number

  constructor(limit: JumioRateLimit, now: number) {
    this.#limit = limit
    this.#tokens = limit.burst
    this.#updatedAt = now
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#updatedAt)
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed / 1000) * this.#limit.ratePerSecond)
    this.#updatedAt = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.#tokens) / this.#limit.ratePerSecond) * 1000)
  }
}
