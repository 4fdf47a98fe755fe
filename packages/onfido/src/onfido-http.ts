import { type KycError, KycInvalidRequestError, KycInvalidStateError, type KycIssue } from '@openkyc/core'
import {
  createHttpClient,
  createRateLimiter,
  type HttpClient,
  type HttpErrorContext,
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
    mapError: mapOnfidoError,
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

/** Onfido's error `type`, when it is one of its snake_case names (anything else is not repeated). */
function errorTypeOf(body: unknown): string | undefined {
  const type = (body as { error?: { type?: unknown } } | undefined)?.error?.type
  return typeof type === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(type) ? type : undefined
}

/** The field paths of `error.fields` (`{ addresses: [{ postcode: [...] }] }` → `addresses.0.postcode`), never their messages. */
function fieldPaths(fields: unknown, prefix: (string | number)[] = [], depth = 0): (string | number)[][] {
  if (typeof fields !== 'object' || fields === null || depth > 3) return prefix.length > 0 ? [prefix] : []
  const paths: (string | number)[][] = []
  for (const [key, value] of Object.entries(fields).slice(0, 50)) {
    const path = [...prefix, Array.isArray(fields) ? Number(key) : key.slice(0, 64)]
    const nested =
      Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? []
        : fieldPaths(value, path, depth + 1)
    if (nested.length === 0) paths.push(path)
    else paths.push(...nested)
  }
  return paths
}

/**
 * Refines core's mapping with Onfido's error envelope `{ error: { type, message, fields } }`: a 4xx
 * carries the paths of `fields` as issues (the messages are dropped: they may quote the value), and
 * `deletion_incomplete_checks` (an applicant whose checks still run) is an invalid state. Only the
 * error's `type` name is added to the message, never its text.
 */
export function mapOnfidoError(context: HttpErrorContext): KycError | undefined {
  const type = errorTypeOf(context.body)
  if (context.status < 400 || context.status >= 500 || context.status === 429 || type === undefined)
    return undefined
  const base = {
    provider: context.provider,
    status: context.status,
    requestId: context.requestId,
    cause: context.error,
    message: `${context.error.message.replace(/\.$/, '')} (${type}).`,
  }
  if (type === 'deletion_incomplete_checks') return new KycInvalidStateError(base)
  if (context.error.code !== 'invalid_request') return undefined
  const fields = (context.body as { error: { fields?: unknown } }).error.fields
  const issues: KycIssue[] = fieldPaths(fields).map((path) => ({
    path,
    message: `Rejected by onfido (${type})`,
  }))
  return new KycInvalidRequestError({ ...base, issues })
}
