import { isKycError } from '../errors.js'
import type { RoutingAttemptResult } from './routing-record.js'

/**
 * How a failed `createVerification` attempt is recorded, and so whether routing may try the next
 * provider: `unavailable` (5xx, connection reset, after the HTTP retries), `timeout` (the adapter's
 * HTTP timeout), `rate_limited` and `unsupported` (undeclared capability, or the adapter refused the
 * country or document as outside its coverage) allow fallback; `failed` (authentication, invalid
 * request, anything that is not a `KycError`) does not: another provider would fail alike or the
 * error is the caller's to fix.
 *
 * @example
 * ```ts
 * classifyAttemptError(new KycProviderUnavailableError({ message: '…' })) // 'unavailable'
 * ```
 */
export function classifyAttemptError(error: unknown): Exclude<RoutingAttemptResult, 'created'> {
  if (!isKycError(error)) return 'failed'
  switch (error.code) {
    case 'provider_unavailable':
      return isTimeout(error.cause) ? 'timeout' : 'unavailable'
    case 'rate_limited':
      return 'rate_limited'
    case 'unsupported_capability':
    case 'outside_coverage':
      return 'unsupported'
    default:
      return 'failed'
  }
}

/** Whether routing tries the next provider after an attempt ended this way. */
export function allowsFallback(result: RoutingAttemptResult): boolean {
  return (
    result === 'unavailable' || result === 'timeout' || result === 'rate_limited' || result === 'unsupported'
  )
}

/** Whether a `TimeoutError` is in the cause chain (an adapter may wrap the HTTP layer's error once more). */
function isTimeout(cause: unknown): boolean {
  let current = cause
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ((current as { name?: unknown }).name === 'TimeoutError') return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/** The `KycError` code of an error, for routing records; `unknown` for anything else. */
export function errorCodeOf(error: unknown): string {
  return isKycError(error) ? error.code : 'unknown'
}
