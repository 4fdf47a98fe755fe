import type { Span } from '@opentelemetry/api'
import { defaultTransport } from '#transport'
import { z } from '#zod'
import type { KycLogger } from '../adapter.js'
import {
  KycAuthenticationError,
  KycConfigurationError,
  KycError,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  KycProviderUnavailableError,
} from '../errors.js'
import { lazy } from '../lazy.js'
import { pathSegment } from '../path-segment.js'
import { REDACTED, redact } from '../redact.js'
import { assertClock } from '../setting-checks.js'
import { inSpan, recordAttempt, telemetryAttributes } from '../telemetry/telemetry.js'
import { realSleep, type Sleep } from './abort.js'
import { createFetchTransport } from './fetch-transport.js'
import { invalidHeader } from './header-values.js'
import {
  attemptsSuffix,
  describeRequest,
  errorForStatus,
  type HttpErrorContext,
  type RequestDescription,
} from './map-http-error.js'
import { createRateLimiter, type RateLimit, type RateLimiter } from './rate-limiter.js'
import { defaultMaxResponseBytes, type HttpRawResponse } from './read-response.js'
import { type PreparedBody, prepareBody } from './request-body.js'
import {
  type AttemptFailure,
  backoffDelay,
  defaultRetryOptions,
  type HttpRetryOptions,
  isRetryable,
  parseRetryAfter,
  type ResolvedRetryOptions,
} from './retry-policy.js'
import type { HttpTransport, HttpTransportResponse } from './transport.js'

/** HTTP methods the client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * The `fetch` the client sends through. The client always calls it with a `Request`, so a simulator
 * written as `(request: Request) => Promise<Response>` plugs in directly, as does `globalThis.fetch`.
 */
export type HttpFetch = (input: Request, init?: RequestInit) => Promise<Response>

/** Headers for every request, or a function that supplies them per attempt (a fresh bearer token). */
export type HttpHeadersSupplier =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>)

/**
 * One attempt of one call, as reported to `logger.debug` and `onAttempt`. Holds no body, no header
 * and no query-string value: safe to log, trace and keep.
 */
export type HttpAttempt = {
  provider: string
  method: HttpMethod
  /** The path template (`inquiries/{inquiryId}`). */
  path: string
  /** The full URL with path parameters filled in and every query-string value replaced by `[redacted]`. */
  url: string
  /** 1 for the first attempt. */
  attempt: number
  /** The response status, when a response arrived. */
  status?: number
  /** `response`, or why no response arrived. */
  outcome: 'response' | 'timeout' | 'network_error'
  /** From the start of the attempt to its end, on the client's clock. */
  durationMs: number
  /** The provider's request id, when the response carried one. */
  requestId?: string
  /** When the client will try again, how long it waits first. */
  retryInMs?: number
}

/**
 * What a {@link HttpSign} hook sees of one attempt: exactly what will be sent, after every other
 * header (idempotency key, content type) is in place.
 */
export type HttpSignInput = {
  method: HttpMethod
  /** The final URL, query string included. */
  url: string
  /** The headers of this attempt, lower-case names. Read-only: return what to add instead. */
  headers: Readonly<Record<string, string>>
  /** The body bytes as sent (the same on every attempt of one call), or `undefined` without a body. */
  body: Uint8Array | undefined
  /** 1 for the first attempt. */
  attempt: number
}

/**
 * Signs one attempt and returns the headers to add (`{ 'x-hmac-signature': … }`). Called before every
 * attempt, after the rate limiter let it through, so each retry carries a fresh timestamp.
 */
export type HttpSign = (input: HttpSignInput) => Record<string, string> | Promise<Record<string, string>>

/** What an {@link HttpClientOptions.onResponse} hook sees: one response and the request it answers. */
export type HttpResponseCheckInput = HttpRawResponse & {
  method: HttpMethod
  url: string
  attempt: number
}

/** What {@link createHttpClient} accepts. */
export type HttpClientOptions = {
  /** The adapter's provider name. Goes into every error and log line. */
  provider: string
  /** The URL every `path` is relative to, such as `https://api.withpersona.com/api/v1/`. */
  baseUrl: string
  /** Headers sent with every request; a function is called before every attempt. */
  headers?: HttpHeadersSupplier
  /**
   * Where requests go; simulators plug in here. Without one, the client sends through `node:http` /
   * `node:https` (keep-alive) on Node, and through `globalThis.fetch` everywhere else and on Node
   * once `globalThis.fetch` has been replaced. Inject `globalThis.fetch` to use Web `fetch` on Node.
   */
  fetch?: HttpFetch
  /** The clock for durations, `Retry-After` dates and the rate limiter. Defaults to `Date.now`. */
  now?: () => number
  /** How to wait between attempts and for the rate limiter. Defaults to a real, abort-aware timer. */
  sleep?: Sleep
  /** The source of backoff jitter, in `[0, 1)`. Defaults to `Math.random`. */
  random?: () => number
  /** How long one attempt may take, until its body is read. Default 30 000 ms. */
  timeoutMs?: number
  /** The retry policy, or `false` to make exactly one attempt. See {@link HttpRetryOptions}. */
  retry?: HttpRetryOptions | false
  /**
   * Set when the vendor honours idempotency keys on POST (Persona does, Jumio does not). Every POST then
   * carries a fresh `crypto.randomUUID()` under `header` (default `Idempotency-Key`), the same on every
   * retry of one call, so a retry after a lost response never creates a second record. Default `false`.
   */
  idempotency?: { header?: string } | false
  /** A client-side budget (or a limiter shared with other clients) every attempt waits for. */
  rateLimit?: RateLimit | RateLimiter
  /** Response headers that carry the vendor's request id, first match wins. Default `request-id`, `x-request-id`. */
  requestIdHeaders?: string[]
  /** Receives one redacted `debug` line per attempt. */
  logger?: KycLogger
  /** Called after every attempt with the same redacted record the logger gets; for tracing and metrics. */
  onAttempt?: (attempt: HttpAttempt) => void
  /**
   * Refines the error for a final error status. Return `undefined` to keep the default
   * (`context.error`). Never build the message from `context.body`.
   */
  mapError?: (context: HttpErrorContext) => KycError | undefined
  /**
   * The largest response body the client reads, in bytes. A body that declares or sends more is not
   * buffered: the client stops reading and rejects with `KycInvalidProviderResponseError`. Default
   * {@link defaultMaxResponseBytes} (4 MiB); a call may raise it for a download.
   */
  maxResponseBytes?: number
  /** Adds headers that sign each attempt (Veriff, Sumsub). See {@link HttpSign}. */
  sign?: HttpSign
  /**
   * Sees every response whose body the client read (status, headers and bytes, within the byte cap)
   * before the client acts on it: the place to verify a vendor's response signature. Throw to refuse
   * the response; an error that is not a `KycError` becomes a `KycInvalidProviderResponseError`.
   */
  onResponse?: (response: HttpResponseCheckInput) => void | Promise<void>
}

/** Query-string values; `undefined` entries are left out. */
export type HttpSearchParams = Record<string, string | number | boolean | undefined> | URLSearchParams

/**
 * A request body the client can send again on a retry (streams cannot be replayed, so they are not
 * accepted). A list of `Uint8Array` chunks is sent as those bytes in order, with no content type of
 * its own: on Node they are written to the socket one after the other, never joined, so a large
 * upload built as head, file and tail is not copied on its way out (other runtimes join them once).
 */
export type HttpBody =
  | FormData
  | URLSearchParams
  | Blob
  | ArrayBuffer
  | Uint8Array<ArrayBuffer>
  | readonly Uint8Array<ArrayBuffer>[]
  | string

/** What {@link HttpClient.request} accepts. */
export type HttpRequestOptions = {
  /** Default `GET`. */
  method?: HttpMethod
  /**
   * The path relative to `baseUrl`, as a template: `inquiries/{inquiryId}`. Error messages name the
   * template, never the values, so put identifiers in `pathParams` and filters in `searchParams`.
   */
  path: string
  /** Values for the `{name}` placeholders of `path`, URL-encoded. Identifiers only, never personal data. */
  pathParams?: Record<string, string | number>
  searchParams?: HttpSearchParams
  /** Headers for this request; they win over the client's. */
  headers?: Record<string, string>
  /** A body to send as JSON (sets `Content-Type: application/json`). */
  json?: unknown
  /** A raw body, such as `FormData` for an upload. Ignored when `json` is set. */
  body?: HttpBody
  /** The schema the response body must match. Use a lenient one: only the fields the adapter reads. */
  schema?: z.ZodType
  /**
   * `json` (default) parses the body; `none` discards it (for 204 and HEAD); `bytes` returns the
   * {@link HttpRawResponse} (status, headers and body bytes) for downloads and custom formats.
   */
  responseType?: 'json' | 'none' | 'bytes'
  /** This call's byte cap, instead of the client's `maxResponseBytes` (a larger one for a download). */
  maxResponseBytes?: number
  /** An idempotency key of the caller's choosing, instead of a fresh one. Needs `idempotency` enabled. */
  idempotencyKey?: string
  /** Aborts the whole call, including waits for the rate limiter and between retries. */
  signal?: AbortSignal
}

/** The client {@link createHttpClient} returns. One method, one options object in, one result out. */
export type HttpClient = {
  readonly provider: string
  /**
   * Sends one call, with the client's rate limit, timeouts and retries, and returns the response body:
   * parsed by `schema` when given, as JSON when not, `undefined` for `responseType: 'none'`, the
   * {@link HttpRawResponse} for `responseType: 'bytes'`.
   *
   * Rejects with a `KycError` for every failure (see {@link createHttpClient}), or with
   * `signal.reason` when the caller aborted.
   */
  request<Schema extends z.ZodType>(
    options: HttpRequestOptions & { schema: Schema; responseType?: 'json' },
  ): Promise<z.output<Schema>>
  request(options: HttpRequestOptions & { responseType: 'none' }): Promise<undefined>
  request(options: HttpRequestOptions & { responseType: 'bytes' }): Promise<HttpRawResponse>
  request(options: HttpRequestOptions): Promise<unknown>
}

const settingsSchema = lazy(() =>
  z.object({
    provider: z.string().min(1),
    baseUrl: z.url({ protocol: /^https?$/ }),
    timeoutMs: z.number().int().positive().max(2_147_483_647).optional(),
    retry: z
      .union([
        z.literal(false),
        z.strictObject({
          limit: z.number().int().min(0).optional(),
          baseDelayMs: z.number().min(0).optional(),
          maxDelayMs: z.number().min(0).optional(),
          maxRetryAfterMs: z.number().min(0).optional(),
        }),
      ])
      .optional(),
    idempotency: z
      .union([z.literal(false), z.strictObject({ header: z.string().min(1).optional() })])
      .optional(),
    requestIdHeaders: z.array(z.string().min(1)).optional(),
    maxResponseBytes: z.number().int().positive().optional(),
    sign: z.custom<HttpSign>((value) => typeof value === 'function').optional(),
    onResponse: z.custom<() => void>((value) => typeof value === 'function').optional(),
  }),
)

/** What `maxResponseBytes` must be: a whole number of bytes above zero. */
function isPositiveSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0
}

/**
 * Creates the HTTP client an adapter sends every vendor call through, so that timeouts, retries,
 * idempotency, rate limiting, error mapping and redacted logging are the same for every provider.
 *
 * **Timeouts.** Each attempt may take `timeoutMs` (default 30 s), body included. The caller's
 * `signal` aborts the whole call at any point, including the waits between attempts, and the call
 * then rejects with `signal.reason`.
 *
 * **Retries.** A failed attempt is repeated, up to `retry.limit` times (default 2), when it failed
 * with 408, 429, 5xx, a timeout or a network error, and repeating is safe: GET, HEAD, PUT and
 * DELETE always; POST and PATCH only with an idempotency key, or on 429 (refused before any work).
 * The wait is exponential backoff with full jitter (`random() * min(maxDelayMs, baseDelayMs * 2^n)`),
 * or exactly what `Retry-After` / `RateLimit-Reset` asks, capped by `retry.maxRetryAfterMs`.
 * All waiting goes through the injected `sleep`, `now` and `random`, so tests are deterministic.
 *
 * **Redirects** are never followed: a 3xx answer is refused with `KycInvalidProviderResponseError`,
 * so a request (its body and its authentication headers) is never re-sent to another origin, and
 * nothing answering in the vendor's place is taken for the vendor.
 *
 * **Response bodies** are read with a byte cap (`maxResponseBytes`, default 4 MiB, per call for
 * downloads): a larger body is not buffered but refused with `KycInvalidProviderResponseError`.
 *
 * **Headers** set at creation are checked at creation: a value with a line break, NUL or a character
 * above U+00FF throws `KycConfigurationError` naming the header, never its value. Headers from a
 * supplier function or a call are checked before each attempt the same way.
 *
 * **Signing and response checks.** `sign` adds headers to each attempt from its final method, URL,
 * headers and body bytes (retries are signed afresh); `onResponse` sees each response's status,
 * headers and bytes first, to verify a response signature; `responseType: 'bytes'` returns them.
 *
 * **Errors.** Every failure is a `KycError` carrying `provider`, `status`, `requestId` and `cause`:
 * 401/403 → `KycAuthenticationError`; 404/410 → `KycNotFoundError`; 409 → `KycInvalidStateError`;
 * 429 → `KycRateLimitedError` (with `retryAfterMs`: the wait the client would use, so capped by
 * `retry.maxRetryAfterMs`); 400/422 and other 4xx → `KycInvalidRequestError`
 * (issue paths only); 5xx, network errors and timeouts → `KycProviderUnavailableError`; a body that
 * is not JSON or does not match `schema` → `KycInvalidProviderResponseError`. `mapError` may refine
 * error statuses. Messages name the provider, method, path template and status, nothing else.
 *
 * **Logging.** One `logger.debug` line (and one `onAttempt` call) per attempt, with no body, no
 * header and no query-string value, passed through `redact()`.
 *
 * @example
 * ```ts
 * const http = createHttpClient({
 *   provider: 'persona',
 *   baseUrl: 'https://api.withpersona.com/api/v1/',
 *   headers: { authorization: `Bearer ${apiKey}`, 'persona-version': '2023-01-05' },
 *   idempotency: { header: 'Idempotency-Key' },
 *   rateLimit: { requests: 300, intervalMs: 60_000 },
 *   fetch: simulator?.fetch,
 * })
 *
 * const inquiry = await http.request({
 *   method: 'POST',
 *   path: 'inquiries',
 *   json: { data: { attributes: { 'inquiry-template-id': templateId } } },
 *   schema: InquiryResponseSchema,
 *   signal,
 * })
 * const same = await http.request({
 *   path: 'inquiries/{inquiryId}',
 *   pathParams: { inquiryId: inquiry.data.id },
 *   schema: InquiryResponseSchema,
 * })
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const settings = settingsSchema().safeParse(options)
  if (!settings.success) {
    const paths = settings.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ')
    throw new KycConfigurationError({
      provider: typeof options.provider === 'string' ? options.provider : undefined,
      message: `Invalid HTTP client settings: ${paths}.`,
      cause: settings.error,
    })
  }
  const { provider } = options
  assertClock(options.now, { provider, setting: 'now' })
  const staticHeaders = typeof options.headers === 'function' ? undefined : (options.headers ?? {})
  if (staticHeaders !== undefined) {
    const invalid = invalidHeader(staticHeaders, { provider, kind: 'setting', setting: 'headers' })
    if (invalid !== undefined) throw invalid
  }
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? realSleep
  const random = options.random ?? Math.random
  const timeoutMs = options.timeoutMs ?? 30_000
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes
  const retry: ResolvedRetryOptions =
    options.retry === false
      ? { ...defaultRetryOptions, limit: 0 }
      : { ...defaultRetryOptions, ...options.retry }
  const idempotencyHeader = options.idempotency
    ? (options.idempotency.header ?? 'Idempotency-Key')
    : undefined
  const requestIdHeaders = options.requestIdHeaders ?? ['request-id', 'x-request-id']
  const baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`
  const limiter = resolveRateLimiter(options.rateLimit, now, sleep)
  // An injected fetch is called with a Request, which is all an HttpFetch needs. Without one, the
  // runtime's transport (`#transport`): node:http on Node, `globalThis.fetch` elsewhere.
  const transport: HttpTransport =
    options.fetch === undefined ? defaultTransport : createFetchTransport(options.fetch)
  // The redacted record is built only when someone reads it: redaction walks the record and parses the URL.
  const reporting = options.logger?.debug !== undefined || options.onAttempt !== undefined

  const server = new URL(baseUrl)
  const serverAddress = server.hostname
  const serverPort = server.port === '' ? (server.protocol === 'https:' ? 443 : 80) : Number(server.port)

  const report = (attempt: HttpAttempt, span: Span) => {
    recordAttempt({
      provider,
      method: attempt.method,
      urlTemplate: attempt.path,
      serverAddress,
      serverPort,
      status: attempt.status,
      failure: attempt.outcome === 'response' ? undefined : attempt.outcome,
      durationMs: attempt.durationMs,
      retried: attempt.retryInMs !== undefined,
    })
    span.setAttribute(telemetryAttributes.attempts, attempt.attempt)
    span.setAttribute(telemetryAttributes.resendCount, attempt.attempt - 1)
    if (attempt.status !== undefined) span.setAttribute(telemetryAttributes.httpStatus, attempt.status)
    if (attempt.retryInMs !== undefined) {
      span.addEvent('retry', {
        [telemetryAttributes.attempts]: attempt.attempt,
        [telemetryAttributes.retryWaitMs]: attempt.retryInMs,
        ...(attempt.status === undefined ? {} : { [telemetryAttributes.httpStatus]: attempt.status }),
      })
    }
    if (!reporting) return
    const fields = redact(attempt)
    options.logger?.debug?.(`${describeRequest(attempt)} attempt ${attempt.attempt}`, fields)
    options.onAttempt?.(fields)
  }

  /** Runs an adapter-supplied function (headers, signing); its failure is an authentication error. */
  const supplied = async <T>(description: RequestDescription, what: string, run: () => T | Promise<T>) => {
    try {
      return await run()
    } catch (error) {
      if (KycError.isInstance(error)) throw error
      throw new KycAuthenticationError({
        provider,
        message: `${describeRequest(description)} failed: ${what}.`,
        cause: error,
      })
    }
  }

  // One client span per call, retries included (attempts and waits are its attributes and events).
  const request = (call: HttpRequestOptions): Promise<unknown> => {
    const method = call.method ?? 'GET'
    const template = pathTemplate(call.path)
    return inSpan(
      `${method} ${template}`,
      {
        kind: 'client',
        attributes: {
          [telemetryAttributes.provider]: provider,
          [telemetryAttributes.httpMethod]: method,
          [telemetryAttributes.urlTemplate]: template,
          [telemetryAttributes.serverAddress]: serverAddress,
          [telemetryAttributes.serverPort]: serverPort,
        },
      },
      (span) => requestInSpan(call, span),
    )
  }

  const requestInSpan = async (call: HttpRequestOptions, span: Span): Promise<unknown> => {
    const { signal } = call
    signal?.throwIfAborted()
    const method = call.method ?? 'GET'
    const description: RequestDescription = { provider, method, path: pathTemplate(call.path) }
    const url = buildUrl(baseUrl, call, description)
    const loggedUrl = reporting ? redactQueryValues(url) : ''
    const responseType = method === 'HEAD' ? 'none' : (call.responseType ?? 'json')
    const byteCap = call.maxResponseBytes ?? maxResponseBytes
    // The client's own cap was checked at creation; a call's is checked here, without a schema per request.
    if (call.maxResponseBytes !== undefined && !isPositiveSafeInteger(call.maxResponseBytes)) {
      throw new KycInvalidRequestError({
        provider,
        message: `${describeRequest(description)} has an invalid maxResponseBytes.`,
        issues: [{ path: ['maxResponseBytes'], message: 'Expected a positive integer' }],
      })
    }
    const idempotencyKey =
      idempotencyHeader === undefined
        ? undefined
        : (call.idempotencyKey ?? (method === 'POST' ? crypto.randomUUID() : undefined))
    // Serialised once: every attempt sends, and `sign` sees, the same bytes.
    const body = await prepareBody(call)
    let rateLimitWaitMs = 0

    for (let attempt = 1; ; attempt++) {
      // Header names are case-insensitive: a plain object keyed by lower-case name merges like `Headers`
      // would, without building a `Headers` that the Request copies into one of its own anyway.
      const headers: Record<string, string> = {}
      if (staticHeaders !== undefined) addHeaders(headers, staticHeaders)
      else {
        const fresh = await supplied(description, 'the request headers could not be obtained', () =>
          (options.headers as () => Record<string, string> | Promise<Record<string, string>>)(),
        )
        throwIfInvalid(fresh, { provider, kind: 'setting', setting: 'headers' })
        addHeaders(headers, fresh)
      }
      if (responseType === 'json' && headers.accept === undefined) headers.accept = 'application/json'
      if (call.headers !== undefined) {
        throwIfInvalid(call.headers, { provider, kind: 'request', setting: 'headers' })
        addHeaders(headers, call.headers)
      }
      if (body?.contentType !== undefined && headers['content-type'] === undefined) {
        headers['content-type'] = body.contentType
      }
      if (idempotencyHeader !== undefined && idempotencyKey !== undefined) {
        addHeaders(headers, { [idempotencyHeader]: idempotencyKey })
      }

      // Last thing before sending, so a slow token supplier cannot bunch requests up behind the limiter.
      if (limiter !== undefined) {
        const waitStartedAt = now()
        await limiter.acquire(signal)
        rateLimitWaitMs += now() - waitStartedAt
        if (rateLimitWaitMs > 0) span.setAttribute(telemetryAttributes.rateLimitWaitMs, rateLimitWaitMs)
      }
      if (options.sign !== undefined) {
        const sign = options.sign
        const signature = await supplied(description, 'the request could not be signed', () =>
          sign({ method, url, headers: { ...headers }, body: body?.bytes(), attempt }),
        )
        throwIfInvalid(signature, { provider, kind: 'setting', setting: 'sign' })
        addHeaders(headers, signature)
      }
      const startedAt = now()
      const result = await sendOnce({
        transport,
        url,
        method,
        headers,
        body,
        signal,
        readBody: responseType !== 'none',
        maxResponseBytes: byteCap,
        timeoutMs,
      })
      const record: HttpAttempt = {
        provider,
        method,
        path: description.path,
        url: loggedUrl,
        attempt,
        outcome:
          result.kind === 'response' ? 'response' : result.kind === 'timeout' ? 'timeout' : 'network_error',
        durationMs: now() - startedAt,
      }

      if (result.kind === 'response') {
        const { response } = result
        const { read } = response
        const requestId = findRequestId(response.headers, requestIdHeaders)
        record.status = response.status
        if (requestId !== undefined) record.requestId = requestId
        const invalid = (what: string, cause?: unknown, issues?: z.core.$ZodIssue[]) =>
          new KycInvalidProviderResponseError({
            provider,
            status: response.status,
            requestId,
            cause,
            issues,
            message: `${describeRequest(description)} returned ${what} (HTTP ${response.status}).`,
          })
        if (response.redirect) {
          report(record, span)
          throw invalid('a redirect, which is not followed')
        }
        if (read?.kind === 'bytes' && options.onResponse !== undefined) {
          try {
            await options.onResponse({
              status: response.status,
              headers: response.headers,
              body: read.bytes,
              method,
              url,
              attempt,
            })
          } catch (error) {
            report(record, span)
            if (KycError.isInstance(error)) throw error
            throw invalid('a response that failed its check', error)
          }
        }
        if (response.status >= 200 && response.status < 300) {
          report(record, span)
          if (read?.kind === 'too_large') throw invalid(`a body larger than ${byteCap} bytes`)
          if (responseType === 'none' || read === undefined) return undefined
          if (responseType === 'bytes') {
            return { status: response.status, headers: response.headers, body: read.bytes }
          }
          return parseBody(read.bytes, call.schema, invalid)
        }
        const retryAfter = parseRetryAfter(response.headers, now())
        // The wait the client actually uses, never the vendor's raw value (which may be 1e303).
        const retryAfterMs =
          retryAfter === undefined ? undefined : Math.min(retryAfter, retry.maxRetryAfterMs)
        const failure: AttemptFailure = { kind: 'status', status: response.status }
        if (attempt <= retry.limit && isRetryable(method, idempotencyKey !== undefined, failure)) {
          record.retryInMs = retryAfterMs ?? backoffDelay(attempt, retry, random)
          report(record, span)
          await sleepOrAbort(sleep, record.retryInMs, signal)
          continue
        }
        report(record, span)
        const errorBody = read?.kind === 'bytes' ? parseJson(read.bytes) : undefined
        const context = { ...description, status: response.status, requestId, retryAfterMs, body: errorBody }
        const error = errorForStatus({ ...context, attempts: attempt })
        throw options.mapError?.({ ...context, headers: response.headers, error }) ?? error
      }

      const failure: AttemptFailure = { kind: result.kind }
      if (attempt <= retry.limit && isRetryable(method, idempotencyKey !== undefined, failure)) {
        record.retryInMs = backoffDelay(attempt, retry, random)
        report(record, span)
        await sleepOrAbort(sleep, record.retryInMs, signal)
        continue
      }
      report(record, span)
      const reason =
        result.kind === 'timeout' ? `timed out after ${timeoutMs} ms` : 'could not reach the provider'
      throw new KycProviderUnavailableError({
        provider,
        message: `${describeRequest(description)} ${reason}${attemptsSuffix(attempt)}.`,
        cause: result.error,
      })
    }
  }

  return { provider, request: request as HttpClient['request'] }
}

type SendResult =
  | { kind: 'response'; response: HttpTransportResponse }
  | { kind: 'timeout'; error: Error }
  | { kind: 'network'; error: unknown }

function throwIfInvalid(headers: Record<string, string>, source: Parameters<typeof invalidHeader>[1]): void {
  const invalid = invalidHeader(headers, source)
  if (invalid !== undefined) throw invalid
}

/** Adds `source` to `target` under lower-case names, later values winning, like `Headers.set`. */
function addHeaders(target: Record<string, string>, source: Record<string, string>): void {
  for (const name in source) {
    if (!Object.hasOwn(source, name)) continue
    const value = source[name]!
    // The text `undefined` removes a header (ky, which the client once sent through, did the same).
    if (value === 'undefined') delete target[name.toLowerCase()]
    else target[name.toLowerCase()] = value
  }
}

/** Why an attempt's timer fired: told apart from every error `fetch` itself may reject with. */
const attemptTimedOut = Symbol('attempt timed out')

/**
 * One attempt: sends the request and reads the body under one timer, so a provider that sends its
 * headers and then stalls also times out. One `AbortController` and one timer per attempt, straight
 * to the transport (`fetch`, or `node:http` on Node): the retry policy, redirect refusal, byte cap and timeout are this
 * module's, so nothing else needs to clone the request or merge options per call (sending through
 * `ky` with `retry: 0` cost three times a bare `fetch` per request, for none of its features).
 *
 * The timer and the caller's signal abort the request (which also ends a stalled body) and settle the
 * attempt at once, even when an injected `fetch` ignores the signal. The caller's signal is followed
 * by a listener rather than `AbortSignal.any`, which Node 20 has only from 20.3.
 */
async function sendOnce(input: {
  transport: HttpTransport
  url: string
  method: HttpMethod
  headers: Record<string, string>
  body: PreparedBody | undefined
  signal: AbortSignal | undefined
  readBody: boolean
  maxResponseBytes: number
  timeoutMs: number
}): Promise<SendResult> {
  const { signal } = input
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  const stopped = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(attemptTimedOut)
    }, input.timeoutMs)
    if (signal !== undefined) {
      onAbort = () => {
        controller.abort(signal.reason)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    }
  })
  const exchange = async (): Promise<SendResult> => {
    const response = await input.transport({
      url: input.url,
      method: input.method,
      headers: input.headers,
      body: input.body,
      signal: controller.signal,
      readBody: input.readBody,
      maxResponseBytes: input.maxResponseBytes,
    })
    return { kind: 'response', response }
  }
  const exchanged = exchange()
  // Whichever loses the race may still reject later (an aborted fetch, a cleared timer's abort): handled.
  exchanged.catch(() => undefined)
  stopped.catch(() => undefined)
  try {
    return await Promise.race([exchanged, stopped])
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    if (error === attemptTimedOut) {
      // Named like the platform's own timeout errors, so callers (routing) can tell a timeout by its cause.
      const timeout = new Error(`The attempt timed out after ${input.timeoutMs} ms.`)
      timeout.name = 'TimeoutError'
      return { kind: 'timeout', error: timeout }
    }
    return { kind: 'network', error }
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
}

const decoder = new TextDecoder()

/** Parses a successful body as JSON and, when given, by `schema`. */
function parseBody(
  bytes: Uint8Array,
  schema: z.ZodType | undefined,
  invalid: (what: string, cause?: unknown, issues?: z.core.$ZodIssue[]) => KycError,
): unknown {
  const text = decoder.decode(bytes)
  let body: unknown
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text)
    } catch {
      // The parser's own message quotes the body, so it is not kept as the cause.
      throw invalid('a body that is not JSON', new SyntaxError('The response body is not valid JSON.'))
    }
  }
  if (schema === undefined) return body
  const parsed = schema.safeParse(body)
  if (!parsed.success) throw invalid('a body of an unexpected shape', parsed.error, parsed.error.issues)
  return parsed.data
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    const text = decoder.decode(bytes)
    return text.trim() === '' ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

async function sleepOrAbort(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, signal)
  // An injected sleep may ignore the signal; the call must stop all the same.
  signal?.throwIfAborted()
}

function resolveRateLimiter(
  rateLimit: RateLimit | RateLimiter | undefined,
  now: () => number,
  sleep: Sleep,
): RateLimiter | undefined {
  if (rateLimit === undefined) return undefined
  if ('acquire' in rateLimit) return rateLimit
  return createRateLimiter({ ...rateLimit, now, sleep })
}

function findRequestId(headers: Headers, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers.get(name)
    if (value) return value
  }
  return undefined
}

/** The path as named in messages: no leading slash, no query string. */
function pathTemplate(path: string): string {
  return path.replace(/^\/+/, '').replace(/[?#].*$/, '')
}

function buildUrl(baseUrl: string, call: HttpRequestOptions, description: RequestDescription): string {
  const path = call.path.replace(/^\/+/, '').replace(/\{([^{}]+)\}/g, (_placeholder, name: string) => {
    const value = call.pathParams?.[name]
    if (value === undefined || value === '') {
      throw new KycInvalidRequestError({
        provider: description.provider,
        message: `${describeRequest(description)} is missing the path parameter "${name}".`,
        issues: [{ path: ['pathParams', name], message: 'Required' }],
      })
    }
    // `.` and `..` survive encodeURIComponent and would move the request to another endpoint.
    return encodeURIComponent(pathSegment(value, { provider: description.provider, name }))
  })
  // Joined as text: `new URL(path, base)` would drop the base path for `/x` and read `a:b` as a scheme.
  const url = new URL(baseUrl + path)
  if (call.searchParams === undefined) return url.href
  const searchParams =
    call.searchParams instanceof URLSearchParams
      ? [...call.searchParams.entries()]
      : Object.entries(call.searchParams ?? {}).flatMap(([key, value]) =>
          value === undefined ? [] : [[key, String(value)] as const],
        )
  for (const [key, value] of searchParams) url.searchParams.append(key, value)
  return url.toString()
}

/** The URL for logs: no credentials, and every query-string value (filters may hold personal data) redacted. */
function redactQueryValues(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  for (const key of new Set(parsed.searchParams.keys())) parsed.searchParams.set(key, REDACTED)
  return parsed.toString()
}
