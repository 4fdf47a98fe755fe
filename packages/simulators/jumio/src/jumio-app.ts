import type { SimulatorContext } from '@openkyc/testkit/harness'
import { type Context, Hono } from 'hono'
import { validateAccountRequest } from './jumio-account-request.js'
import type { JumioEngine } from './jumio-engine.js'
import { registerHostedPage } from './jumio-hosted-page.js'
import {
  accountResponse,
  accountSummary,
  detailsResponse,
  finalizeResponse,
  type JumioUrls,
  statusResponse,
  stepsResponse,
  uploadResponse,
} from './jumio-payloads.js'
import { isBlob, isResponse, jumioProblem } from './jumio-problem.js'
import { type JumioRateLimits, TokenBucket } from './jumio-rate-limits.js'
import type { StoredExecution } from './jumio-state.js'
import { basicCredentials, bearerToken, type JumioTokenIssuer } from './jumio-tokens.js'
import { checkFacemap, checkImage, checkPreparedData, type JumioUploadLimits } from './jumio-uploads.js'
import { classifiersByCategory, type JumioWorkflowDefinition } from './jumio-workflows.js'

/**
 * The HTTP surface: every documented Jumio endpoint on one Hono app. One listener serves all of
 * Jumio's hosts (auth, account, api, retrieval, web, status); their paths do not collide. When the
 * configured base URLs give the hosts distinct origins, a request must arrive on the host its
 * endpoint belongs to (an adapter that sends an upload to the retrieval host gets the 404 it would
 * get from Jumio).
 */

/** A client allowed to request OAuth2 tokens. */
export type JumioClient = {
  id: string
  secret: string
  /** DOC API Credentials: "initiate", "retrieve & delete", or both (default both). */
  permissions?: readonly ('initiate' | 'retrieve')[]
}

/** Settings of the app. */
export type JumioAppSettings = {
  engine: JumioEngine
  tokens: JumioTokenIssuer
  clients: readonly JumioClient[]
  accessTokenLifetimeSeconds: number
  rateLimits: JumioRateLimits
  uploadLimits: JumioUploadLimits
  allowInsecureCallbackUrls: boolean
  workflows: ReadonlyMap<number, JumioWorkflowDefinition>
  consentRequired: 'create' | 'api-upload'
  urls: (context: SimulatorContext) => JumioUrls
}

type Service = keyof JumioUrls

/** User agents that name a runtime, not a business: Jumio wants `YourCompany YourApp/v1.0` (G23). */
const anonymousUserAgents = new Set(['', 'node', 'undici', 'deno', 'bun'])
type JumioEnv = { Bindings: { simulator: SimulatorContext }; Variables: { clientId: string } }
type JumioContext = Context<JumioEnv>

const uploadPath =
  '/api/v1/accounts/:accountId/workflow-executions/:workflowExecutionId/credentials/:credentialId/parts/:classifier'
const executionPath = '/api/v1/accounts/:accountId/workflow-executions/:workflowExecutionId'

/** Which host each route belongs to (method + Hono route path). */
function serviceOf(method: string, path: string): Service | undefined {
  if (path === '/oauth2/token') return 'auth'
  if (path.startsWith('/web/')) return 'web'
  if (path === '/') return 'status'
  if (/^\/api\/v1\/accounts\/[^/]+\/workflow-executions\/[^/]+\/credentials\//.test(path)) return 'api'
  if (/^\/api\/v1\/accounts\/[^/]+\/workflow-executions\/[^/]+$/.test(path) && method === 'PUT') return 'api'
  if (path === '/api/v1/accounts' || (/^\/api\/v1\/accounts\/[^/]+$/.test(path) && method === 'PUT'))
    return 'account'
  if (path.startsWith('/api/v1/')) return 'retrieval'
  return undefined
}

/**
 * Creates the Jumio Hono app; `app.fetch(request, { simulator: context })` handles one request.
 * `createJumioSimulator` wires it to the harness; use this directly only to mount Jumio's endpoints
 * inside another Hono app.
 *
 * @example
 * ```ts
 * const app = createJumioApp(settings)
 * const response = await app.fetch(new Request('https://account.amer-1.jumio.ai/api/v1/accounts'), { simulator: context })
 * ```
 */
export function createJumioApp(settings: JumioAppSettings): Hono<JumioEnv> {
  const { engine, tokens } = settings
  const app = new Hono<JumioEnv>()
  const clock = engine.clock
  const buckets = new Map<string, TokenBucket>()

  const limited = (name: keyof JumioRateLimits, tenant: string): Response | undefined => {
    const limit = settings.rateLimits[name]
    if (limit === false) return undefined
    const key = `${name}:${tenant}`
    let bucket = buckets.get(key)
    if (bucket === undefined) {
      bucket = new TokenBucket(limit, clock.now())
      buckets.set(key, bucket)
    }
    const waitMs = bucket.take(clock.now())
    if (waitMs === 0) return undefined
    return jumioProblem(429, 'Request limit exceeded', {
      'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
    })
  }

  const urls = (c: JumioContext): JumioUrls => settings.urls(c.env.simulator)

  // Host check, then the User-Agent rule (G23: missing or suspicious headers → 403).
  app.use('*', async (c, next) => {
    const url = new URL(c.req.url)
    const service = serviceOf(c.req.method, url.pathname)
    const all = urls(c)
    const hostServices = (Object.keys(all) as Service[]).filter(
      (name) => new URL(all[name]).host === url.host,
    )
    if (service !== undefined && hostServices.length > 0 && !hostServices.includes(service)) {
      return jumioProblem(404, 'No such endpoint on this host')
    }
    const agent = (c.req.header('user-agent') ?? '').trim().toLowerCase()
    if (service !== 'web' && service !== 'status' && anonymousUserAgents.has(agent)) {
      return jumioProblem(403, 'A User-Agent header naming your company and application is required')
    }
    await next()
  })

  app.get('/', (c) => c.json({ status: 'UP' }))

  // ── OAuth2 ──────────────────────────────────────────────────────────────────────────────────────
  app.post('/oauth2/token', async (c) => {
    const credentials = basicCredentials(c.req.header('authorization'))
    const client = settings.clients.find(
      (candidate) => candidate.id === credentials?.id && candidate.secret === credentials?.secret,
    )
    if (client === undefined) {
      return c.json({ error: 'invalid_client', error_description: 'Client authentication failed' }, 401, {
        'www-authenticate': 'Basic realm="jumio"',
      })
    }
    const tooMany = limited('token', client.id)
    if (tooMany) return tooMany
    const contentType = c.req.header('content-type') ?? ''
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      return c.json({ error: 'invalid_request', error_description: 'Expected a form-encoded body' }, 400)
    }
    const form = new URLSearchParams(await c.req.text())
    if (form.get('grant_type') !== 'client_credentials') {
      return c.json(
        { error: 'unsupported_grant_type', error_description: 'Only client_credentials is supported' },
        400,
      )
    }
    const lifetime = settings.accessTokenLifetimeSeconds
    return c.json({
      access_token: tokens.issueAccessToken(client.id, clock.now(), lifetime),
      expires_in: lifetime,
      token_type: 'Bearer',
    })
  })

  /** Checks the OAuth bearer token and the client's permission; returns an error response or the client. */
  const oauth = (c: JumioContext, permission: 'initiate' | 'retrieve'): Response | JumioClient => {
    const token = bearerToken(c.req.header('authorization'))
    const grant = token === undefined ? undefined : tokens.lookup(token)
    if (grant === undefined || grant.kind !== 'oauth' || grant.expiresAt <= clock.now()) {
      return jumioProblem(401, 'Missing, invalid or expired access token')
    }
    const client = settings.clients.find((candidate) => candidate.id === grant.clientId)
    if (client === undefined) return jumioProblem(401, 'Missing, invalid or expired access token')
    if (!(client.permissions ?? ['initiate', 'retrieve']).includes(permission)) {
      return jumioProblem(
        403,
        `The API client lacks the ${permission === 'initiate' ? 'initiate' : 'retrieve & delete'} permission`,
      )
    }
    return client
  }

  // ── Account create / update ─────────────────────────────────────────────────────────────────────
  const initiate = async (c: JumioContext, accountId: string | undefined): Promise<Response> => {
    const client = oauth(c, 'initiate')
    if (isResponse(client)) return client
    const tooMany = limited('initiation', client.id)
    if (tooMany) return tooMany
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return jumioProblem(400, 'body: must be JSON')
    }
    const account = accountId === undefined ? undefined : engine.store.account(accountId)
    if (accountId !== undefined && account === undefined) return jumioProblem(404, 'Account not found')
    const validation = validateAccountRequest(body, {
      allowInsecureCallbackUrls: settings.allowInsecureCallbackUrls,
      now: clock.now(),
      workflows: settings.workflows,
      consentRequired: settings.consentRequired,
    })
    if (!validation.ok) return jumioProblem(400, validation.problems.join('; '))
    const { workflow, request } = validation
    if (workflow.requiresExistingAccount && account === undefined) {
      return jumioProblem(
        400,
        `workflowDefinition.key: workflow ${workflow.key} needs an existing account (PUT /accounts/{id})`,
      )
    }
    if (workflow.requiresExistingId) {
      const referenced = request.workflowDefinition.credentials?.find((item) => item.category === 'ID')?.id
      const onFile = referenced === undefined ? undefined : account?.credentials.get(referenced)
      if (onFile === undefined || onFile.deleted || onFile.category !== 'ID' || onFile.parts.size === 0) {
        return jumioProblem(
          400,
          'workflowDefinition.credentials: the referenced ID credential is not on file',
        )
      }
    }
    if (workflow.requiresFacemapOnFile) {
      const facemap = [...(account?.credentials.values() ?? [])].some(
        (credential) =>
          credential.category === 'FACEMAP' && !credential.deleted && credential.parts.has('FACEMAP'),
      )
      if (!facemap)
        return jumioProblem(400, `workflowDefinition.key: workflow ${workflow.key} needs a FACEMAP on file`)
    }
    const execution = engine.createExecution({
      account,
      request,
      workflow,
      tokenLifetimeSeconds: validation.tokenLifetimeSeconds,
    })
    return c.json(accountResponse(urls(c), engine.store, execution, clock.now()))
  }

  app.post('/api/v1/accounts', (c) => initiate(c, undefined))
  app.put('/api/v1/accounts/:accountId', (c) => initiate(c, c.req.param('accountId')))

  // ── Credential upload and finalize (transaction token) ──────────────────────────────────────────
  /** The execution a transaction token may act on, or an error response. */
  const transaction = (c: JumioContext): Response | StoredExecution => {
    const token = bearerToken(c.req.header('authorization'))
    const grant = token === undefined ? undefined : tokens.lookup(token)
    const now = clock.now()
    if (grant === undefined || grant.kind !== 'transaction' || grant.expiresAt <= now) {
      return jumioProblem(401, 'Missing, invalid or expired transaction token')
    }
    const accountId = c.req.param('accountId')
    const workflowExecutionId = c.req.param('workflowExecutionId')
    const execution =
      accountId && workflowExecutionId ? engine.store.execution(accountId, workflowExecutionId) : undefined
    if (execution === undefined) return jumioProblem(404, 'Workflow execution not found')
    if (grant.workflowExecutionId !== execution.id) {
      return jumioProblem(403, 'The token does not belong to this workflow execution')
    }
    if (execution.status === 'TOKEN_EXPIRED' || execution.status === 'SESSION_EXPIRED') {
      return jumioProblem(401, 'The transaction token or session has expired')
    }
    return execution
  }

  const upload = async (c: JumioContext): Promise<Response> => {
    const execution = transaction(c)
    if (isResponse(execution)) return execution
    const credential = engine.store
      .credentialsOf(execution)
      .find((item) => item.id === c.req.param('credentialId'))
    if (credential === undefined || credential.onFile) return jumioProblem(404, 'Credential not found')
    if (!credential.allowedChannels.includes('API')) {
      return jumioProblem(403, 'This credential cannot be uploaded through the API channel')
    }
    const classifier = c.req.param('classifier') ?? ''
    if (!classifiersByCategory[credential.category].includes(classifier)) {
      return jumioProblem(
        400,
        `classifier: a ${credential.category} credential accepts ${classifiersByCategory[credential.category].join(', ')}`,
      )
    }
    if (execution.status !== 'INITIATED') {
      return jumioProblem(400, 'The workflow execution was finalized and accepts no more credentials')
    }
    if (execution.workflow.biometric && execution.request.userConsent === undefined) {
      return jumioProblem(
        400,
        "userConsent: the account request must carry the end user's consent before biometric data is uploaded through the API",
      )
    }
    const contentLength = Number(c.req.header('content-length') ?? '0')
    if (contentLength > settings.uploadLimits.maxBytes + 64 * 1024) {
      return jumioProblem(
        400,
        `file: must be at most ${Math.round(settings.uploadLimits.maxBytes / 1024 / 1024)} MB`,
      )
    }
    const contentType = c.req.header('content-type') ?? ''
    if (classifier === 'PREPARED_DATA') {
      if (!contentType.startsWith('application/json'))
        return jumioProblem(400, 'PREPARED_DATA must be sent as application/json')
      const raw = new Uint8Array(await c.req.arrayBuffer())
      let parsed: unknown
      try {
        parsed = JSON.parse(new TextDecoder().decode(raw))
      } catch {
        return jumioProblem(400, 'body: must be JSON')
      }
      const checked = checkPreparedData(parsed)
      if (!checked.ok) return jumioProblem(400, checked.detail)
      engine.storePreparedData(execution, credential, checked.value, raw)
      return c.json(uploadResponse(urls(c), execution, credential, clock.now()))
    }
    if (!contentType.startsWith('multipart/form-data'))
      return jumioProblem(400, 'Expected multipart/form-data with a field "file"')
    let file: unknown
    try {
      file = (await c.req.formData()).get('file')
    } catch {
      return jumioProblem(400, 'Malformed multipart body')
    }
    if (!isBlob(file)) return jumioProblem(400, 'file: required (multipart field "file")')
    const bytes = new Uint8Array(await file.arrayBuffer())
    if (classifier === 'FACEMAP') {
      const checked = checkFacemap(bytes, settings.uploadLimits)
      if (!checked.ok) return jumioProblem(400, checked.detail)
      engine.storePart(
        execution,
        credential,
        classifier,
        { bytes, contentType: 'application/octet-stream' },
        'API',
      )
    } else {
      const checked = checkImage(bytes, credential.category, settings.uploadLimits)
      if (!checked.ok) return jumioProblem(400, checked.detail)
      engine.storePart(execution, credential, classifier, checked.value, 'API')
    }
    return c.json(uploadResponse(urls(c), execution, credential, clock.now()))
  }

  app.post(uploadPath, upload)
  // "PUT on the same path = update/replace part" (DOC Credentials API).
  app.put(uploadPath, upload)

  app.put(executionPath, (c) => {
    const execution = transaction(c)
    if (isResponse(execution)) return execution
    // PUT is idempotent: finalizing a finalized execution answers the same body and changes nothing.
    engine.finalize(execution)
    return c.json(finalizeResponse(execution, clock.now()))
  })

  // ── Retrieval and deletion (OAuth token) ────────────────────────────────────────────────────────
  const retrieval = (c: JumioContext): Response | undefined => {
    const client = oauth(c, 'retrieve')
    if (isResponse(client)) return client
    return limited('retrieval', client.id)
  }
  const findExecution = (c: JumioContext): StoredExecution | undefined =>
    engine.store.execution(c.req.param('accountId') ?? '', c.req.param('workflowExecutionId') ?? '')

  app.get(executionPath, (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const execution = findExecution(c)
    if (execution === undefined) return jumioProblem(404, 'Workflow execution not found')
    return c.json(detailsResponse(urls(c), engine.store, execution, clock.now()))
  })

  app.get(`${executionPath}/status`, (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const execution = findExecution(c)
    if (execution === undefined) return jumioProblem(404, 'Workflow execution not found')
    return c.json(statusResponse(urls(c), execution, clock.now()))
  })

  app.get(`${executionPath}/steps`, (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const execution = findExecution(c)
    if (execution === undefined || !execution.workflow.kyx) return jumioProblem(404, 'Steps not found')
    return c.json(stepsResponse(execution, clock.now()))
  })

  app.get('/api/v1/accounts/:accountId/credentials/:credentialId/parts/:classifier', (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const account = engine.store.account(c.req.param('accountId'))
    const credential = account?.credentials.get(c.req.param('credentialId'))
    const part =
      credential === undefined || credential.deleted
        ? undefined
        : credential.parts.get(c.req.param('classifier'))
    if (part === undefined) return jumioProblem(404, 'Credential part not found')
    return c.body(part.bytes.slice().buffer as ArrayBuffer, 200, { 'content-type': part.contentType })
  })

  app.get('/api/v1/accounts/:accountId', (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const accountId = c.req.param('accountId')
    if (engine.store.account(accountId) === undefined) return jumioProblem(404, 'Account not found')
    return c.json(accountSummary(urls(c), engine.store, accountId, clock.now()))
  })

  app.delete('/api/v1/accounts/:accountId', (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const account = engine.store.account(c.req.param('accountId'))
    if (account === undefined) return jumioProblem(404, 'Account not found')
    engine.deleteAccount(account)
    return c.body(null, 200)
  })

  app.delete(executionPath, (c) => {
    const denied = retrieval(c)
    if (denied) return denied
    const execution = findExecution(c)
    if (execution === undefined) return jumioProblem(404, 'Workflow execution not found')
    engine.deleteExecution(execution)
    return c.body(null, 200)
  })

  registerHostedPage(app, { engine })

  app.notFound(() => jumioProblem(404, 'No such endpoint'))
  app.onError((error) => {
    throw error
  })
  return app
}
