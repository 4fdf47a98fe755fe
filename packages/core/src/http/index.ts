/**
 * `@openkyc/core/http`: the HTTP policy every adapter sends its vendor calls through. One place for
 * timeouts, retries with backoff, idempotency keys, client-side rate limits, error mapping to
 * `KycError`, redacted logging, request signing, no redirects and bounded response bodies, so every
 * provider behaves the same under failure and under attack.
 *
 * @packageDocumentation
 */
export { followAbort, raceAbort, type Sleep } from './abort.js'
export {
  createHttpClient,
  type HttpAttempt,
  type HttpBody,
  type HttpClient,
  type HttpClientOptions,
  type HttpFetch,
  type HttpHeadersSupplier,
  type HttpMethod,
  type HttpRequestOptions,
  type HttpResponseCheckInput,
  type HttpSearchParams,
  type HttpSign,
  type HttpSignInput,
} from './create-http-client.js'
export { type HttpErrorContext, issuesFromErrorBody } from './map-http-error.js'
export { rateLimitSettingSchema } from './rate-limit-setting.js'
export {
  createRateLimiter,
  type RateLimit,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js'
export { defaultMaxResponseBytes, type HttpRawResponse } from './read-response.js'
export { type HttpRetryOptions, parseRetryAfter } from './retry-policy.js'
