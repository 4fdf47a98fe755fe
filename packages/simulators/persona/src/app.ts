/**
 * The Persona API simulator's Hono app factory.
 *
 * CONTRACT FOR ROUTE MODULES (cases, lists, importers, inquiries, accounts, verifications, events):
 * - A module exports `register<Name>Routes(app: PersonaApp, context: PersonaRouteContext): void` and is called
 *   once below, in `routeModules` (inquiries come in through `registerCoreRoutes`, bound to the clock). `app` is already based at `/api/v1`: register `app.get('/cases', …)`.
 * - Before a handler runs, middleware has: assigned `Request-Id`, authenticated the Bearer key (401 body),
 *   resolved `c.get('persona')` = `{requestId, apiVersion, inflection, environment}`, applied the
 *   300/min fixed-window rate limit with `RateLimit-*` headers, and handled `Idempotency-Key` on POSTs
 *   (replays never reach the handler).
 * - Read bodies with `readDocument(c)` (keys normalized to kebab-case), queries with `readQuery(c)` and
 *   `readListFilter(query, name)`; answer with `sendResource(c, context, resource, {status, meta})`,
 *   `sendList(c, context, resources)` or `sendDocument(c, status, document)`; fail by throwing
 *   `PersonaApiError` (`recordNotFound()`, `badRequest()`, `conflict()`, `unprocessable()`).
 * - Keep objects in `context.state.collection(name)` as `StoredResource`s (kebab-case attributes), register
 *   a presenter per collection with `context.registerPresenter(name, {present, legacyDefaultIncludes})`,
 *   and emit webhook events with `context.emitEvent({name, resource})`. Use `context.now()` for time and
 *   `context.newId(prefix)` for ids.
 */
import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { registerAccountRoutes } from './accounts.js'
import { registerCaseRoutes } from './cases.js'
import type { PersonaApp, PersonaEnv, PersonaEnvironment, PersonaRouteContext } from './context.js'
import { registerEventRoutes } from './events.js'
import { registerImporterRoutes } from './importers.js'
import { parseKeyInflection } from './inflection.js'
import { errorDocument, PersonaApiError, sendErrors } from './json-api.js'
import { registerListRoutes } from './lists.js'
import { registerVerificationRoutes } from './verifications.js'

/** The route modules mounted under `/api/v1`, in registration order. */
const routeModules: ReadonlyArray<(app: PersonaApp, context: PersonaRouteContext) => void> = [
  registerVerificationRoutes,
  registerAccountRoutes,
  registerEventRoutes,
  registerCaseRoutes,
  registerListRoutes,
  registerImporterRoutes,
]

/** Settings of {@link createPersonaApp}; `createPersonaSimulator` fills them from its options. */
export type PersonaAppSettings = {
  context: PersonaRouteContext
  /** Accepted API keys. When omitted any key with a `persona_sandbox_` or `persona_production_` prefix works. */
  apiKeys?: readonly string[]
  /** `Persona-Version` used when the header is absent (the version configured on the API key). */
  defaultApiVersion: string
  /** Requests per window per environment (default 300) and window length (default 60 000 ms). */
  rateLimit: { limit: number; windowMs: number }
  /** How long idempotency keys are kept (default 24 h), measured on the simulator clock. */
  idempotencyRetentionMs: number
  /** Routes that need more than the context (inquiries need the clock and base URL), registered first. */
  registerCoreRoutes?: (app: PersonaApp, context: PersonaRouteContext) => void
  /** Extra routes outside `/api/v1` (the hosted flow), registered on the root app. */
  registerRootRoutes?: (app: Hono) => void
}

type StoredReply = {
  fingerprint: string
  storedAtMs: number
  status: number
  /** The reply's bytes (each replay's Response copies them). */
  body: Uint8Array<ArrayBuffer>
  contentType: string
}

const unauthenticatedTitle = 'Must be authenticated to access this endpoint'

function environmentOf(apiKey: string): PersonaEnvironment | undefined {
  if (apiKey.startsWith('persona_sandbox_')) return 'sandbox'
  if (apiKey.startsWith('persona_production_')) return 'production'
  return undefined
}

/**
 * Builds the Hono app that serves Persona's `/api/v1` API (and the hosted flow through
 * `registerRootRoutes`). Stateless apart from the context's store and the limiter/idempotency maps.
 *
 * @example
 * const app = createPersonaApp({ context, defaultApiVersion: '2023-01-05',
 *   rateLimit: { limit: 300, windowMs: 60_000 }, idempotencyRetentionMs: 86_400_000 })
 * const response = await app.fetch(new Request('http://sim/api/v1/inquiries', { headers }))
 */
export function createPersonaApp(settings: PersonaAppSettings): Hono {
  const { context } = settings
  const root = new Hono()
  const api: PersonaApp = new Hono<PersonaEnv>()
  const windows = new Map<PersonaEnvironment, { startMs: number; count: number }>()
  const idempotency = new Map<string, StoredReply>()
  /** Keys whose first request is still being handled: a concurrent repeat waits for its reply. */
  const idempotencyInFlight = new Map<string, Promise<void>>()

  api.use('*', async (c, next) => {
    const requestId = context.newId('req')
    c.header('Request-Id', requestId)
    const authorization = c.req.header('Authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim())
    const apiKey = match?.[1]
    const environment = apiKey === undefined ? undefined : environmentOf(apiKey)
    const known =
      apiKey !== undefined && (settings.apiKeys === undefined || settings.apiKeys.includes(apiKey))
    if (environment === undefined || !known) {
      return c.json(errorDocument(unauthenticatedTitle), 401)
    }
    c.set('persona', {
      requestId,
      apiVersion: c.req.header('Persona-Version')?.trim() || settings.defaultApiVersion,
      inflection: parseKeyInflection(c.req.header('Key-Inflection')),
      environment,
    })

    // Fixed window: the count starts with the first request and resets when the window ends.
    const now = context.now()
    const { limit, windowMs } = settings.rateLimit
    let window = windows.get(environment)
    if (window === undefined || now >= window.startMs + windowMs) {
      window = { startMs: Math.floor(now / windowMs) * windowMs, count: 0 }
      windows.set(environment, window)
    }
    const resetSeconds = Math.max(0, Math.ceil((window.startMs + windowMs - now) / 1000))
    c.header('RateLimit-Limit', String(limit))
    c.header('RateLimit-Reset', String(resetSeconds))
    if (window.count >= limit) {
      c.header('RateLimit-Remaining', '0')
      return c.json(
        errorDocument(
          'Rate limit exceeded',
          `You have hit your rate limit of ${limit} requests / min. Please reach out to support@withpersona.com if you need this changed.`,
        ),
        429,
      )
    }
    window.count += 1
    c.header('RateLimit-Remaining', String(Math.max(0, limit - window.count)))

    const idempotencyKey = c.req.header('Idempotency-Key')
    if (c.req.method !== 'POST' || idempotencyKey === undefined || idempotencyKey === '') {
      await next()
      return
    }
    const body = await c.req.text()
    const fingerprint = createHash('sha256')
      .update(`${c.req.method} ${new URL(c.req.url).pathname}\n${body}`)
      .digest('hex')
    const storeKey = `${environment}:${idempotencyKey}`
    // Kept in the order they were stored: prune from the oldest until one is still fresh.
    for (const [key, reply] of idempotency) {
      if (now - reply.storedAtMs < settings.idempotencyRetentionMs) break
      idempotency.delete(key)
    }
    // A repeat sent while the first request is still running gets the first one's reply [UNCERTAIN:
    // Persona does not document concurrent repeats; some APIs answer 409 instead].
    for (let running = idempotencyInFlight.get(storeKey); running !== undefined; ) {
      await running
      running = idempotencyInFlight.get(storeKey)
    }
    // No await from here until this request is marked in flight below.
    const stored = idempotency.get(storeKey)
    if (stored !== undefined) {
      if (stored.fingerprint !== fingerprint) {
        return c.json(
          errorDocument(
            'Idempotency error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          ),
          400,
        )
      }
      return c.body(stored.body, stored.status as ContentfulStatusCode, {
        'Content-Type': stored.contentType,
      })
    }
    let markHandled = () => {}
    idempotencyInFlight.set(
      storeKey,
      new Promise<void>((resolve) => {
        markHandled = resolve
      }),
    )
    try {
      await next()
      const response = c.res
      // The reply's bytes are read once: they are kept for repeats, and the first caller's response is
      // rebuilt from them (cheaper than a clone, which tees the body stream that the caller then reads).
      const replyBody = new Uint8Array(await response.arrayBuffer())
      idempotency.set(storeKey, {
        fingerprint,
        storedAtMs: now,
        status: response.status,
        body: replyBody,
        contentType: response.headers.get('Content-Type') ?? 'application/json',
      })
      // Unset first: Hono's setter would otherwise copy the new response and its headers once more.
      c.res = undefined
      c.res = new Response(response.body === null ? null : replyBody, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      })
    } finally {
      idempotencyInFlight.delete(storeKey)
      markHandled()
    }
  })

  settings.registerCoreRoutes?.(api, context)
  for (const register of routeModules) register(api, context)

  api.notFound((c) => c.json(errorDocument('Record not found'), 404))
  api.onError((error, c) => {
    if (error instanceof PersonaApiError) return sendErrors(c, error.status, error.errors)
    return c.json(errorDocument('Internal server error'), 500)
  })

  root.route('/api/v1', api)
  settings.registerRootRoutes?.(root)
  root.notFound((c) => c.json(errorDocument('Record not found'), 404))
  return root
}
