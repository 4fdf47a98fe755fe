import { KycAuthenticationError, type KycError } from '@openkyc/core'
import {
  createHttpClient,
  createRateLimiter,
  type HttpClient,
  type HttpErrorContext,
  type HttpFetch,
  type RateLimiter,
} from '@openkyc/core/http'
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
 * - a client-side budget (`rateLimit`), by default 300 requests a minute, Persona's default
 *   environment limit.
 *
 * The injected clock is handed to the client and to the budget only together with `sleep`: a clock
 * without a matching sleep would make the limiter wait on one time and measure another (with a real
 * clock and an instant sleep it would spin until the minute is really over).
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
    mapError: mapPersonaError,
    ...(resolved.rateLimit === false ? {} : { rateLimit: personaRateLimiter(resolved.rateLimit, settings) }),
    requestIdHeaders: ['request-id', 'x-request-id'],
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch as HttpFetch }),
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
    ...(settings.sleep === undefined ? {} : { sleep: settings.sleep }),
    ...(settings.sleep !== undefined && settings.now !== undefined ? { now: settings.now } : {}),
    ...(resolved.timeoutMs === undefined ? {} : { timeoutMs: resolved.timeoutMs }),
    ...(resolved.maxRetries === undefined ? {} : { retry: { limit: resolved.maxRetries } }),
  })
}

/**
 * Says what to fix when Persona refuses the key, naming the setting and its variable (never the key):
 * a 401 is a wrong, revoked or mistyped key; a 403 a key without the permission the call needs
 * (Persona keys carry permissions such as `inquiry.write`) or a template of the other environment.
 *
 * @see https://docs.withpersona.com/docs/api-keys
 */
export function mapPersonaError(context: HttpErrorContext): KycError | undefined {
  if (context.status !== 401 && context.status !== 403) return undefined
  const stem = context.error.message.replace(/\.$/, '')
  const advice =
    context.status === 401
      ? 'Persona refused the API key. Check apiKey (PERSONA_API_KEY): the key from the Persona dashboard (persona_sandbox_… or persona_production_…), not revoked.'
      : 'Persona refused the call for this API key. Check that apiKey (PERSONA_API_KEY) has the permission this call needs, and that templateId (PERSONA_TEMPLATE_ID) belongs to the same environment (sandbox or production) as the key.'
  return new KycAuthenticationError({
    provider: personaProvider,
    status: context.status,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    cause: context.error.cause,
    message: `${stem}: ${advice}`,
  })
}

/**
 * The limiter for a budget: a given `RateLimiter` as is (it may be shared, on its own clock), a
 * `RateLimit` on the adapter's injected `now` and `sleep` when both are given, else on real time.
 */
function personaRateLimiter(
  rateLimit: Exclude<ResolvedPersonaSettings['rateLimit'], false>,
  settings: PersonaSettings,
): RateLimiter {
  if ('acquire' in rateLimit) return rateLimit
  return createRateLimiter({
    ...rateLimit,
    ...(settings.now !== undefined && settings.sleep !== undefined
      ? { now: settings.now, sleep: settings.sleep }
      : {}),
  })
}
