import {
  createHttpClient,
  createRateLimiter,
  type HttpClient,
  type HttpFetch,
  type RateLimiter,
} from '@openkyc/core/http'
import { type OnfidoSettings, onfidoProvider, type ResolvedOnfidoSettings } from './onfido-settings.js'

/**
 * The HTTP client every Onfido call goes through: core's policy (timeouts, retries with backoff
 * honouring `Retry-After`, error mapping, redacted logs) plus what Onfido asks:
 *
 * - `Authorization: Token token=<API token>` (not `Bearer`, which Onfido reserves for OAuth tokens);
 * - no idempotency key: Onfido documents none, so core never repeats a POST after a 5xx or a lost
 *   response (only after a 429, which is refused before any work). A retry therefore never creates a
 *   second applicant, workflow run or check;
 * - a client-side budget (`rateLimit`), by default 400 requests a minute, Onfido's documented limit.
 *
 * @see https://documentation.onfido.com/api/latest/#authentication
 * @see https://developers.onfido.com/guide/get-started-integrating
 */
export function createOnfidoHttpClient(
  resolved: ResolvedOnfidoSettings,
  settings: OnfidoSettings,
): HttpClient {
  return createHttpClient({
    provider: onfidoProvider,
    baseUrl: `${resolved.baseUrl}/`,
    headers: { authorization: `Token token=${resolved.apiToken}`, accept: 'application/json' },
    ...(resolved.rateLimit === false ? {} : { rateLimit: onfidoRateLimiter(resolved.rateLimit, settings) }),
    requestIdHeaders: ['x-request-id', 'request-id'],
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch as HttpFetch }),
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
    ...(settings.sleep === undefined ? {} : { sleep: settings.sleep }),
    ...(settings.sleep !== undefined && settings.now !== undefined ? { now: settings.now } : {}),
    ...(resolved.timeoutMs === undefined ? {} : { timeoutMs: resolved.timeoutMs }),
    ...(resolved.maxRetries === undefined ? {} : { retry: { limit: resolved.maxRetries } }),
  })
}

/** A given `RateLimiter` as is; a `RateLimit` on the injected `now` and `sleep` when both are given. */
function onfidoRateLimiter(
  rateLimit: Exclude<ResolvedOnfidoSettings['rateLimit'], false>,
  settings: OnfidoSettings,
): RateLimiter {
  if ('acquire' in rateLimit) return rateLimit
  return createRateLimiter({
    ...rateLimit,
    ...(settings.now !== undefined && settings.sleep !== undefined
      ? { now: settings.now, sleep: settings.sleep }
      : {}),
  })
}
