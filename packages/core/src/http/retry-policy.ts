/**
 * How an HTTP client retries. Retries use exponential backoff with full jitter: before retry `n`
 * (1-based) the client waits a random time between 0 and `min(maxDelayMs, baseDelayMs * 2^(n-1))`,
 * unless the provider said how long to wait (see {@link parseRetryAfter}), in which case it waits
 * exactly that long, capped by `maxRetryAfterMs`.
 */
export type HttpRetryOptions = {
  /** Retries after the first attempt, so `limit + 1` attempts at most. Default 2. */
  limit?: number
  /** The backoff before the first retry, before jitter. Default 250 ms. */
  baseDelayMs?: number
  /** The largest backoff, before jitter. Default 30 s. */
  maxDelayMs?: number
  /** The longest wait the client accepts from a `Retry-After`/`RateLimit-Reset` header. Default 60 s. */
  maxRetryAfterMs?: number
}

/** {@link HttpRetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<HttpRetryOptions>

/** The defaults of {@link HttpRetryOptions}. */
export const defaultRetryOptions: ResolvedRetryOptions = {
  limit: 2,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
}

/** Numbers this large are Unix timestamps, not delays (the same fixed threshold ky uses). */
const timestampThresholdSeconds = Date.parse('2024-01-01') / 1000

/**
 * How long the provider asks us to wait before trying again, in milliseconds, or `undefined` when it
 * did not say. Reads, in order:
 *
 * - `Retry-After` (RFC 9110): delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`);
 * - `RateLimit-Reset` (IETF RateLimit fields; Persona sends it): seconds until the window resets. A
 *   value that can only be a Unix timestamp in seconds is read as one, as some vendors send it so.
 *
 * Dates in the past and negative numbers give 0. `now` is the current time in milliseconds, so tests
 * with a fake clock stay deterministic.
 *
 * @example
 * ```ts
 * parseRetryAfter(new Headers({ 'retry-after': '2' }), Date.now()) // 2000
 * ```
 */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim()
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000)
    // An HTTP date names its weekday and month; `Date.parse` alone would also accept `-3` as a year.
    const date = /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) : Number.NaN
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  const reset = headers.get('ratelimit-reset')?.trim()
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const seconds = Number(reset)
    if (seconds >= timestampThresholdSeconds) return Math.max(0, Math.round(seconds * 1000 - now))
    return Math.round(seconds * 1000)
  }
  return undefined
}

/**
 * Full-jitter exponential backoff for retry number `retry` (1-based). `random` returns a number in
 * `[0, 1)`, like `Math.random`.
 */
export function backoffDelay(retry: number, options: ResolvedRetryOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1))
  return Math.floor(random() * ceiling)
}

/** Methods that may be repeated without changing the outcome (RFC 9110 idempotent methods). */
const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])

/** What went wrong with one attempt, as far as the retry decision cares. */
export type AttemptFailure = { kind: 'status'; status: number } | { kind: 'timeout' } | { kind: 'network' }

/**
 * Whether a failed attempt may be repeated:
 *
 * - only on 408, 429, any 5xx, a timeout or a network error (connection refused or reset);
 * - idempotent methods (GET, HEAD, PUT, DELETE) always;
 * - POST and PATCH only when the request carries an idempotency key (the provider then replays its
 *   first answer instead of acting twice), or on 429, which the provider sends before doing anything.
 */
export function isRetryable(method: string, hasIdempotencyKey: boolean, failure: AttemptFailure): boolean {
  if (failure.kind === 'status') {
    const { status } = failure
    if (status !== 408 && status !== 429 && (status < 500 || status > 599)) return false
    if (status === 429) return true
  }
  return idempotentMethods.has(method) || hasIdempotencyKey
}
