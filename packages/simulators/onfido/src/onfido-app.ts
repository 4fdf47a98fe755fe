import { randomBytes, randomUUID } from 'node:crypto'
import type { SimulatorClock } from '@openkyc/testkit/harness'
import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { OnfidoEngine, OnfidoScope } from './onfido-engine.js'
import { OnfidoApiError, resourceNotFound, validationError } from './onfido-errors.js'
import {
  apiVersionPath,
  type OnfidoEnvironment,
  type OnfidoRegion,
  onfidoTime,
  presentApplicant,
  presentMedia,
  presentWebhook,
} from './onfido-resources.js'
import { registerVerificationRoutes } from './onfido-verification-routes.js'
import { validateOnfidoRequest } from './openapi/onfido-schema-validator.js'

/**
 * The Hono app that serves Onfido's API under `/v3.6` on any of the region hosts (`api.eu|us|ca.onfido.com`,
 * or the loopback listener, which speaks for the default region). Before a route runs, middleware has
 * authenticated `Authorization: Token token=…` (or an OAuth `Bearer` token), worked out the scope
 * (region from the host, environment from the token prefix) and applied the rate limit. Routes read
 * JSON with {@link readJson} (checked against the spec's request schema) and fail by throwing
 * `OnfidoApiError`, which becomes `{error: {type, message, fields}}`.
 */

/** An OAuth2 client-credentials client (§2.2). */
export type OnfidoOAuthClient = { id: string; secret: string; environment?: OnfidoEnvironment }

/** Settings of {@link createOnfidoApp}. */
export type OnfidoAppSettings = {
  engine: OnfidoEngine
  clock: SimulatorClock
  /** Accepted API tokens; default any token starting `api_sandbox` or `api_live`. */
  apiTokens?: readonly string[]
  oauthClients: readonly OnfidoOAuthClient[]
  /** Requests per window per token; `false` switches the limiter off. */
  rateLimit: { limit: number; windowMs: number } | false
  /** Sent as `Retry-After` on 429 when set (Onfido documents no such header [UNCERTAIN]). */
  retryAfterSeconds?: number
  /** The region of hosts that are not `api.{region}.onfido.com` (the loopback listener). */
  defaultRegion: OnfidoRegion
  /** Extra routes outside `/v3.6` (the hosted flow). */
  registerRootRoutes?: (app: Hono) => void
}

/** What every route can use. */
export type OnfidoRouteContext = { engine: OnfidoEngine; clock: SimulatorClock }

/** Hono variables set by the middleware. */
export type OnfidoEnv = { Variables: { scope: OnfidoScope } }

/** The Hono app type routes are registered on. */
export type OnfidoApp = Hono<OnfidoEnv>

const regionHost = /^api\.(eu|us|ca)\.onfido\.com$/

function regionOf(host: string, fallback: OnfidoRegion): OnfidoRegion {
  const hostname = host.replace(/:\d+$/, '').toLowerCase()
  if (hostname === 'api.onfido.com') return 'eu'
  const match = regionHost.exec(hostname)
  return (match?.[1] as OnfidoRegion | undefined) ?? fallback
}

function environmentOf(token: string): OnfidoEnvironment | undefined {
  if (token.startsWith('api_sandbox')) return 'sandbox'
  if (token.startsWith('api_live')) return 'live'
  return undefined
}

const unauthorized = (): OnfidoApiError =>
  new OnfidoApiError(401, 'authorization_error', 'Authorization error: please re-check your credentials')

/**
 * Reads a JSON body and checks it against the operation's request schema in the official spec,
 * turning every mismatch into a `422 validation_error` whose `fields` name the offending fields
 * (never their values).
 */
export async function readJson(context: Context<OnfidoEnv>): Promise<Record<string, unknown>> {
  const contentType = context.req.header('content-type') ?? ''
  if (!contentType.toLowerCase().includes('application/json')) {
    throw new OnfidoApiError(422, 'incorrect_content_type', 'Content-Type must be application/json')
  }
  let body: unknown
  try {
    body = JSON.parse(await context.req.text())
  } catch {
    throw validationError({ body: ['is not valid JSON'] })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError({ body: ['must be a JSON object'] })
  }
  const result = validateOnfidoRequest({ method: context.req.method, path: context.req.path, body })
  if (!result.valid) {
    const fields: Record<string, string[]> = {}
    for (const issue of result.errors) {
      const missing = /\(([^)]+)\)$/.exec(issue.message)?.[1]
      const field =
        issue.pointer === ''
          ? (missing ?? 'body')
          : issue.pointer
              .slice(1)
              .split('/')
              .filter((segment) => !/^\d+$/.test(segment))
              .join('.')
      const messages = fields[field] ?? []
      messages.push(missing !== undefined && issue.pointer === '' ? "can't be blank" : issue.message)
      fields[field] = messages
    }
    throw validationError(fields)
  }
  return body as Record<string, unknown>
}

/** A path parameter that must be a UUID; anything else reads as not found, as Onfido answers. */
export function uuidParameter(context: Context<OnfidoEnv>, name: string, resource: string): string {
  const value = context.req.param(name) ?? ''
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw resourceNotFound(resource, value.slice(0, 64))
  }
  return value.toLowerCase()
}

/** The caller's scope, set by the middleware. */
export function scopeOf(context: Context<OnfidoEnv>): OnfidoScope {
  return context.get('scope')
}

function fileTypeOf(bytes: Uint8Array): { fileType: string; contentType: string } | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { fileType: 'jpg', contentType: 'image/jpeg' }
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return { fileType: 'png', contentType: 'image/png' }
  }
  if (bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46) {
    return { fileType: 'pdf', contentType: 'application/pdf' }
  }
  return undefined
}

/** Size limits of uploads (§4): documents 2 KB–3 MB as SPEC states them [UNCERTAIN], photos 32 KB–10 MB. */
export type OnfidoUploadLimits = {
  document: { minBytes: number; maxBytes: number }
  livePhoto: { minBytes: number; maxBytes: number }
}

/** The documented limits. */
export const defaultUploadLimits: OnfidoUploadLimits = Object.freeze({
  document: { minBytes: 2 * 1024, maxBytes: 3 * 1024 * 1024 },
  livePhoto: { minBytes: 32 * 1024, maxBytes: 10 * 1024 * 1024 },
})

/** Reads a multipart upload: the form and its `file` (bytes, name, detected type), or a 422. */
async function readUpload(
  context: Context<OnfidoEnv>,
  limits: { minBytes: number; maxBytes: number },
): Promise<{ form: FormData; bytes: Uint8Array; fileName: string; fileType: string; contentType: string }> {
  const contentType = context.req.header('content-type') ?? ''
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new OnfidoApiError(422, 'incorrect_content_type', 'Content-Type must be multipart/form-data')
  }
  let form: FormData
  try {
    form = await context.req.formData()
  } catch {
    throw validationError({ file: ['could not be read'] })
  }
  const file = form.get('file')
  if (file === null || typeof file === 'string') throw validationError({ file: ["can't be blank"] })
  const bytes = new Uint8Array(await file.arrayBuffer())
  const detected = fileTypeOf(bytes)
  if (detected === undefined)
    throw validationError({ file: ['is of an unsupported file type (jpg, png, pdf)'] })
  if (bytes.byteLength < limits.minBytes || bytes.byteLength > limits.maxBytes) {
    throw validationError({ file: [`must be between ${limits.minBytes} and ${limits.maxBytes} bytes`] })
  }
  const fileName = (file.name || `upload.${detected.fileType}`).slice(0, 255)
  return { form, bytes, fileName, ...detected }
}

function formString(form: FormData, name: string): string | undefined {
  const value = form.get(name)
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Builds the app. Stateless apart from the engine and the rate-limit windows.
 *
 * @example
 * const app = createOnfidoApp({ engine, clock, oauthClients: [], rateLimit: { limit: 400, windowMs: 60_000 }, defaultRegion: 'eu' })
 * const response = await app.fetch(new Request('https://api.eu.onfido.com/v3.6/ping'))
 */
export function createOnfidoApp(
  settings: OnfidoAppSettings & {
    uploadLimits: OnfidoUploadLimits
    documentTypes: readonly string[]
    countryCodes: readonly string[]
  },
): Hono {
  const { engine, clock } = settings
  const root = new Hono()
  const windows = new Map<string, { startedAt: number; count: number }>()
  const bearerTokens = new Map<string, { environment: OnfidoEnvironment; expiresAt: number }>()

  root.onError((error, context) => {
    if (error instanceof OnfidoApiError) {
      return context.json(error.toBody(), error.status as ContentfulStatusCode)
    }
    throw error
  })
  root.notFound((context) =>
    context.json(
      { error: { type: 'resource_not_found', message: 'The requested resource does not exist', fields: {} } },
      404,
    ),
  )

  // OAuth2 client credentials (SPEC securitySchemes; §2.2): no grant_type required [UNCERTAIN].
  root.post(`${apiVersionPath}/oauth/token`, async (context) => {
    const form = await context.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    const client = settings.oauthClients.find(
      (candidate) => candidate.id === form.client_id && candidate.secret === form.client_secret,
    )
    if (client === undefined) throw unauthorized()
    const accessToken = randomBytes(24).toString('base64url')
    const expiresIn = 3600
    bearerTokens.set(accessToken, {
      environment: client.environment ?? 'sandbox',
      expiresAt: clock.now() + expiresIn * 1000,
    })
    return context.json({ access_token: accessToken, expires_in: expiresIn })
  })

  const api = new Hono<OnfidoEnv>()

  api.use('*', async (context, next) => {
    const authorization = context.req.header('authorization') ?? ''
    let environment: OnfidoEnvironment | undefined
    let principal = ''
    const token = /^Token token="?([^"\s]+)"?$/.exec(authorization)?.[1]
    const bearer = /^Bearer (\S+)$/.exec(authorization)?.[1]
    if (token !== undefined) {
      environment = environmentOf(token)
      if (settings.apiTokens !== undefined && !settings.apiTokens.includes(token)) environment = undefined
      principal = token
    } else if (bearer !== undefined) {
      const grant = bearerTokens.get(bearer)
      if (grant !== undefined && grant.expiresAt > clock.now()) environment = grant.environment
      principal = bearer
    }
    if (environment === undefined) throw unauthorized()
    if (settings.rateLimit !== false) {
      const { limit, windowMs } = settings.rateLimit
      const now = clock.now()
      const window = windows.get(principal)
      if (window === undefined || now - window.startedAt >= windowMs) {
        windows.set(principal, { startedAt: now, count: 1 })
      } else if (window.count >= limit) {
        const error = new OnfidoApiError(429, 'rate_limit', 'Rate limit exceeded. Please try again later.')
        const response = context.json(error.toBody(), 429)
        if (settings.retryAfterSeconds !== undefined) {
          response.headers.set('Retry-After', String(settings.retryAfterSeconds))
        }
        return response
      } else {
        window.count += 1
      }
    }
    context.set('scope', {
      region: regionOf(new URL(context.req.url).host, settings.defaultRegion),
      environment,
    })
    await next()
  })

  api.get('/ping', (context) => context.text('OK'))

  // ─── Applicants (§3) ──────────────────────────────────────────────────────────────────────
  api.post('/applicants', async (context) => {
    const body = await readJson(context)
    const scope = scopeOf(context)
    const applicant = engine.addApplicant({
      ...scope,
      firstName: body.first_name as string,
      lastName: body.last_name as string,
      email: (body.email as string | undefined) ?? null,
      dob: (body.dob as string | undefined) ?? null,
      phoneNumber: (body.phone_number as string | undefined) ?? null,
      idNumbers: (body.id_numbers as Record<string, unknown>[] | undefined) ?? [],
      address: (body.address as Record<string, unknown> | undefined) ?? null,
      location: (body.location as Record<string, unknown> | undefined) ?? null,
      consents: ((body.consents as { name: string; granted: boolean }[] | undefined) ?? []).map(
        (consent) => ({
          name: consent.name,
          granted: consent.granted,
          grantedAt: consent.granted ? clock.now() : null,
        }),
      ),
    })
    return context.json(presentApplicant(applicant), 201)
  })

  api.get('/applicants', (context) => {
    const scope = scopeOf(context)
    const page = Math.max(1, Number.parseInt(context.req.query('page') ?? '1', 10) || 1)
    const perPage = Math.min(
      500,
      Math.max(1, Number.parseInt(context.req.query('per_page') ?? '20', 10) || 20),
    )
    const includeDeleted = context.req.query('include_deleted') === 'true'
    const all = [...engine.applicants.values()]
      .filter(
        (applicant) =>
          applicant.region === scope.region &&
          applicant.environment === scope.environment &&
          (includeDeleted || applicant.deleteAt === null),
      )
      .sort((left, right) => right.createdAt - left.createdAt)
    const lastPage = Math.max(1, Math.ceil(all.length / perPage))
    const url = new URL(context.req.url)
    const pageUrl = (number: number) => {
      url.searchParams.set('page', String(number))
      return `<${url.toString()}>`
    }
    const links: string[] = []
    if (page < lastPage) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`)
    if (page > 1) links.push(`${pageUrl(1)}; rel="first"`, `${pageUrl(page - 1)}; rel="prev"`)
    if (links.length > 0) context.header('Link', links.join(', '))
    context.header('X-Total-Count', String(all.length))
    return context.json({ applicants: all.slice((page - 1) * perPage, page * perPage).map(presentApplicant) })
  })

  api.get('/applicants/:applicant_id', (context) => {
    const id = uuidParameter(context, 'applicant_id', 'Applicant')
    return context.json(presentApplicant(engine.applicant(scopeOf(context), id)))
  })

  api.put('/applicants/:applicant_id', async (context) => {
    const id = uuidParameter(context, 'applicant_id', 'Applicant')
    const applicant = engine.applicant(scopeOf(context), id)
    const body = await readJson(context)
    // Partial update; arrays and the address replace what was there (§3).
    if (typeof body.first_name === 'string') applicant.firstName = body.first_name
    if (typeof body.last_name === 'string') applicant.lastName = body.last_name
    if ('email' in body) applicant.email = (body.email as string | null) ?? null
    if ('dob' in body) applicant.dob = (body.dob as string | null) ?? null
    if ('phone_number' in body) applicant.phoneNumber = (body.phone_number as string | null) ?? null
    if (Array.isArray(body.id_numbers)) applicant.idNumbers = body.id_numbers as Record<string, unknown>[]
    if ('address' in body) applicant.address = (body.address as Record<string, unknown> | null) ?? null
    if ('location' in body) applicant.location = (body.location as Record<string, unknown> | null) ?? null
    return context.json(presentApplicant(applicant))
  })

  api.delete('/applicants/:applicant_id', (context) => {
    engine.deleteApplicant(scopeOf(context), uuidParameter(context, 'applicant_id', 'Applicant'))
    return context.body(null, 204)
  })

  api.post('/applicants/:applicant_id/restore', (context) => {
    engine.restoreApplicant(scopeOf(context), uuidParameter(context, 'applicant_id', 'Applicant'))
    return context.body(null, 204)
  })

  api.get('/applicants/:applicant_id/consents', (context) => {
    const applicant = engine.applicant(scopeOf(context), uuidParameter(context, 'applicant_id', 'Applicant'))
    return context.json(
      applicant.consents.map((consent) => ({
        name: consent.name,
        granted: consent.granted,
        granted_at: consent.grantedAt === null ? null : onfidoTime(consent.grantedAt),
      })),
    )
  })

  // ─── Documents and live photos (§4) ───────────────────────────────────────────────────────
  api.post('/documents', async (context) => {
    const scope = scopeOf(context)
    const upload = await readUpload(context, settings.uploadLimits.document)
    const type = formString(upload.form, 'type')
    const applicantId = formString(upload.form, 'applicant_id')
    const side = formString(upload.form, 'side')
    const issuingCountry = formString(upload.form, 'issuing_country')
    const fields: Record<string, string[]> = {}
    if (type === undefined) fields.type = ["can't be blank"]
    else if (!settings.documentTypes.includes(type)) fields.type = ['is not a supported document type']
    if (applicantId === undefined) fields.applicant_id = ["can't be blank"]
    if (side !== undefined && side !== 'front' && side !== 'back') fields.side = ['must be front or back']
    if (issuingCountry !== undefined && !settings.countryCodes.includes(issuingCountry)) {
      fields.issuing_country = ['must be an ISO 3166-1 alpha-3 country code']
    }
    if (Object.keys(fields).length > 0) throw validationError(fields)
    const applicant = engine.applicant(scope, applicantId!)
    const document = engine.addMedia({
      ...scope,
      kind: 'document',
      applicantId: applicant.id,
      fileName: upload.fileName,
      fileType: upload.fileType,
      contentType: upload.contentType,
      bytes: upload.bytes,
      documentType: type!,
      side: (side as 'front' | 'back' | undefined) ?? null,
      issuingCountry: issuingCountry ?? null,
    })
    return context.json(presentMedia(document), 201)
  })

  api.post('/live_photos', async (context) => {
    const scope = scopeOf(context)
    const upload = await readUpload(context, settings.uploadLimits.livePhoto)
    const applicantId = formString(upload.form, 'applicant_id')
    if (applicantId === undefined) throw validationError({ applicant_id: ["can't be blank"] })
    const advancedValidation = formString(upload.form, 'advanced_validation') !== 'false'
    // Magic input: a file named `no-face…` has no face; advanced validation rejects it (§4).
    if (advancedValidation && upload.fileName.toLowerCase().startsWith('no-face')) {
      throw validationError({
        face_detection: [
          'Face not detected in image. Please note this validation can be disabled by setting the advanced_validation parameter to false.',
        ],
      })
    }
    const applicant = engine.applicant(scope, applicantId)
    const photo = engine.addMedia({
      ...scope,
      kind: 'live_photo',
      applicantId: applicant.id,
      fileName: upload.fileName,
      fileType: upload.fileType,
      contentType: upload.contentType,
      bytes: upload.bytes,
    })
    return context.json(presentMedia(photo), 201)
  })

  for (const [collection, kind, resource] of [
    ['documents', 'document', 'Document'],
    ['live_photos', 'live_photo', 'Live photo'],
  ] as const) {
    api.get(`/${collection}`, (context) => {
      const scope = scopeOf(context)
      const applicantId = context.req.query('applicant_id') ?? ''
      const applicant = engine.applicant(scope, applicantId)
      return context.json({ [collection]: engine.mediaOf(applicant.id, kind).map(presentMedia) })
    })
    api.get(`/${collection}/:id`, (context) => {
      const id = uuidParameter(context, 'id', resource)
      return context.json(presentMedia(engine.mediaItem(scopeOf(context), kind, id)))
    })
    api.get(`/${collection}/:id/download`, (context) => {
      const item = engine.mediaItem(scopeOf(context), kind, uuidParameter(context, 'id', resource))
      return new Response(item.bytes.slice(), { headers: { 'content-type': item.contentType } })
    })
  }

  // ─── SDK tokens (§7) ──────────────────────────────────────────────────────────────────────
  api.post('/sdk_token', async (context) => {
    const body = await readJson(context)
    const applicant = engine.applicant(scopeOf(context), String(body.applicant_id ?? ''))
    return context.json({ token: engine.sdkToken(applicant.id) }, 200)
  })

  // ─── Webhooks (§8.1) ──────────────────────────────────────────────────────────────────────
  api.post('/webhooks', async (context) => {
    const body = await readJson(context)
    const scope = scopeOf(context)
    const url = String(body.url)
    if (!/^https:\/\//i.test(url)) throw validationError({ url: ['must be an https URL'] })
    const webhook = {
      ...scope,
      id: randomUUID(),
      createdAt: clock.now(),
      url,
      token: randomBytes(24).toString('base64url'),
      name: (body.name as string | undefined) ?? null,
      enabled: (body.enabled as boolean | undefined) ?? true,
      events: (body.events as string[] | undefined) ?? null,
      environments: (body.environments as string[] | undefined) ?? null,
      payloadVersion: (body.payload_version as number | undefined) ?? 3,
    }
    engine.webhooks.set(webhook.id, webhook)
    return context.json(presentWebhook(webhook), 201)
  })
  api.get('/webhooks', (context) => {
    const scope = scopeOf(context)
    return context.json({
      webhooks: [...engine.webhooks.values()]
        .filter((webhook) => webhook.region === scope.region && webhook.environment === scope.environment)
        .map(presentWebhook),
    })
  })
  api.post('/webhooks/resend', async (context) => {
    const body = await readJson(context)
    const items = (body.data as { resource_id: string; event: string }[] | undefined) ?? []
    // The spec documents this operation's 422 without a body (unlike every other error).
    if (!engine.canResend(scopeOf(context), items)) return context.body(null, 422)
    engine.resendEvents(scopeOf(context), items)
    return context.body(null, 204)
  })
  api.get('/webhooks/:webhook_id', (context) =>
    context.json(
      presentWebhook(engine.webhook(scopeOf(context), uuidParameter(context, 'webhook_id', 'Webhook'))),
    ),
  )
  api.put('/webhooks/:webhook_id', async (context) => {
    const webhook = engine.webhook(scopeOf(context), uuidParameter(context, 'webhook_id', 'Webhook'))
    const body = await readJson(context)
    if (typeof body.url === 'string') {
      if (!/^https:\/\//i.test(body.url)) throw validationError({ url: ['must be an https URL'] })
      webhook.url = body.url
    }
    if (typeof body.name === 'string') webhook.name = body.name
    if (typeof body.enabled === 'boolean') webhook.enabled = body.enabled
    if (Array.isArray(body.events)) webhook.events = body.events as string[]
    if (Array.isArray(body.environments)) webhook.environments = body.environments as string[]
    return context.json(presentWebhook(webhook))
  })
  api.delete('/webhooks/:webhook_id', (context) => {
    const webhook = engine.webhook(scopeOf(context), uuidParameter(context, 'webhook_id', 'Webhook'))
    engine.webhooks.delete(webhook.id)
    return context.body(null, 204)
  })

  registerVerificationRoutes(api, { engine, clock })

  api.onError((error, context) => {
    if (error instanceof OnfidoApiError) {
      return context.json(error.toBody(), error.status as ContentfulStatusCode)
    }
    throw error
  })
  api.notFound((context) =>
    context.json(
      { error: { type: 'resource_not_found', message: 'The requested resource does not exist', fields: {} } },
      404,
    ),
  )

  root.route(apiVersionPath, api)
  settings.registerRootRoutes?.(root)
  return root
}
