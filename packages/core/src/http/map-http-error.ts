import {
  KycAuthenticationError,
  type KycError,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  KycInvalidStateError,
  type KycIssue,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycRateLimitedError,
} from '../errors.js'

/**
 * Everything known about a request whose final attempt got an error status. Passed to an adapter's
 * `mapError` so it can refine the default mapping (for example, Persona's 409 on a duplicate account
 * reference). Build messages from `method`, `path` and `status` only: `body` and `headers` are the
 * vendor's and may echo personal data.
 */
export type HttpErrorContext = {
  provider: string
  /** Upper-case HTTP method. */
  method: string
  /** The path template as the adapter wrote it (`inquiries/{inquiryId}`), without query string. */
  path: string
  status: number
  /** The provider's request id, from the first `requestIdHeaders` header present. */
  requestId: string | undefined
  /**
   * How long the client waits before another attempt, from `Retry-After`/`RateLimit-Reset`, capped by
   * `retry.maxRetryAfterMs`: never the provider's raw value, which may be absurdly large.
   */
  retryAfterMs: number | undefined
  /** The response headers. */
  headers: Headers
  /** The response body parsed as JSON, or `undefined` when it was empty or not JSON. Never copy it into a message. */
  body: unknown
  /** What the client throws unless `mapError` returns something else. */
  error: KycError
}

/** The part of a request named in messages: provider, method and path template, never values. */
export type RequestDescription = { provider: string; method: string; path: string }

/** `persona POST inquiries/{inquiryId}`: the safe way to name a request in a message. */
export function describeRequest(request: RequestDescription): string {
  return `${request.provider} ${request.method} ${request.path}`
}

/** Why the client gave up: the generic title of a status, used as the `cause` of a status error. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError'
  constructor(readonly status: number) {
    super(`HTTP ${status}`)
  }
}

/**
 * The default mapping from an error status to a {@link KycError}:
 *
 * | status | error |
 * | --- | --- |
 * | 401, 403 | `KycAuthenticationError` |
 * | 404, 410 | `KycNotFoundError` |
 * | 409 | `KycInvalidStateError` |
 * | 429 | `KycRateLimitedError` with `retryAfterMs` |
 * | 400, 422 and other 4xx | `KycInvalidRequestError` with issue paths |
 * | 5xx | `KycProviderUnavailableError` |
 * | anything else | `KycInvalidProviderResponseError` |
 */
export function errorForStatus(
  context: Omit<HttpErrorContext, 'error' | 'headers'> & { attempts: number },
): KycError {
  const { provider, status, requestId, retryAfterMs } = context
  const options = {
    provider,
    status,
    requestId,
    cause: new HttpStatusError(status),
    message: `${describeRequest(context)} failed with HTTP ${status}${attemptsSuffix(context.attempts)}.`,
  }
  if (status === 401 || status === 403) return new KycAuthenticationError(options)
  if (status === 404 || status === 410) return new KycNotFoundError(options)
  if (status === 409) return new KycInvalidStateError(options)
  if (status === 429) return new KycRateLimitedError({ ...options, retryAfterMs })
  if (status >= 400 && status < 500) {
    return new KycInvalidRequestError({ ...options, issues: issuesFromErrorBody(context.body, provider) })
  }
  if (status >= 500 && status < 600) return new KycProviderUnavailableError(options)
  return new KycInvalidProviderResponseError(options)
}

/** ` (3 attempts)`, or nothing for a single attempt. */
export function attemptsSuffix(attempts: number): string {
  return attempts > 1 ? ` (${attempts} attempts)` : ''
}

/**
 * Where the provider says our request was wrong, without what it said. Reads the common error
 * shapes (`{ errors: [{ source: { pointer } }] }` as in JSON:API and Persona, `source.parameter`,
 * `pointer`, `path`, `field`) and keeps only the location. Vendor `details`/`detail` text is dropped
 * on purpose: it often quotes the offending value, which may be a name or a document number.
 */
export function issuesFromErrorBody(body: unknown, provider: string): KycIssue[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return []
  const message = `Rejected by ${provider}`
  const issues: KycIssue[] = []
  const seen = new Set<string>()
  for (const entry of body.errors) {
    if (!isRecord(entry)) continue
    const path = locationOf(entry)
    const key = JSON.stringify(path)
    if (seen.has(key)) continue
    seen.add(key)
    issues.push({ path, message })
  }
  return issues
}

function locationOf(entry: Record<string, unknown>): (string | number)[] {
  const source = isRecord(entry.source) ? entry.source : {}
  const pointer = source.pointer ?? entry.pointer
  if (typeof pointer === 'string') return fromJsonPointer(pointer)
  const parameter = source.parameter ?? entry.field
  if (typeof parameter === 'string') return [parameter]
  if (typeof entry.path === 'string') return entry.path.split('.').map(segment)
  if (Array.isArray(entry.path)) {
    return entry.path.filter((part) => typeof part === 'string' || typeof part === 'number')
  }
  return []
}

/** `/data/attributes/name-first` → `['data', 'attributes', 'name-first']` (RFC 6901 unescaping). */
function fromJsonPointer(pointer: string): (string | number)[] {
  if (pointer === '' || pointer === '/') return []
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((part) => segment(part.replaceAll('~1', '/').replaceAll('~0', '~')))
}

function segment(part: string): string | number {
  return /^\d+$/.test(part) ? Number(part) : part
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
