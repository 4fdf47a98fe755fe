import { createHttpClient, createRateLimiter, type HttpClient, type HttpFetch } from '@openkyc/core/http'
import { personaProvider } from './map-persona-inquiry.js'
import type { PersonaSettings, ResolvedPersonaSettings } from './persona-settings.js'

/**
 * The HTTP client every Persona call goes through: core's policy (timeouts, retries with backoff
 * honouring `Retry-After`/`RateLimit-Reset`, error mapping, redacted logs) plus what Persona asks:
 *
 * - `Authorization: Bearer <key>`, and `Persona-Version` and `Key-Inflection: kebab` sent
 *   explicitly, so responses never depend on defaults configured on the API key;
 * - an `Idempotency-Key` on every POST, stable across retries, so a retry after a lost response
 *   never creates a second inquiry, case or list;
 * - a client-side budget of 300 requests a minute, Persona's default environment limit.
 *
 * The injected clock is handed to the client only together with `sleep` (for `Retry-After` dates
 * and backoff); the rate limiter always runs on the real clock.
 *
 * @see https://docs.withpersona.com/docs/idempotence
 * @see https://docs.withpersona.com/docs/rate-limiting
 * @see https://docs.withpersona.com/docs/versioning
 * @see https://docs.withpersona.com/docs/api-key-inflection
 */
export function createPersonaHttpClient(
  resolved: ResolvedPersonaSettings,
  settings: PersonaSettings,
): HttpClient {
  return createHttpClient({
    provider: personaProvider,
    baseUrl: `${resolved.baseUrl}/`,
    headers: {
      authorization: `Bearer ${resolved.apiKey}`,
      'persona-version': resolved.apiVersion,
      'key-inflection': 'kebab',
    },
    idempotency: { header: 'Idempotency-Key' },
    // On the real clock and timer: a simulator's clock may stand still, and an injected instant
    // sleep would spin; the budget is about Persona's wall-clock minute either way.
    rateLimit: createRateLimiter({ requests: resolved.requestsPerMinute, intervalMs: 60_000 }),
    requestIdHeaders: ['request-id', 'x-request-id'],
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch as HttpFetch }),
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
    ...(settings.sleep === undefined ? {} : { sleep: settings.sleep }),
    ...(settings.sleep !== undefined && settings.now !== undefined ? { now: settings.now } : {}),
    ...(resolved.timeoutMs === undefined ? {} : { timeoutMs: resolved.timeoutMs }),
    ...(resolved.maxRetries === undefined ? {} : { retry: { limit: resolved.maxRetries } }),
  })
}
