import { loadFixture } from './load-fixture.js'

/** One request the fake received, as the adapter sent it. */
export type RecordedRequest = {
  method: string
  url: string
  host: string
  path: string
  authorization: string | null
  userAgent: string | null
  contentType: string | null
  body: string | FormData | undefined
}

type Handler = (request: Request, url: URL) => Response | Promise<Response> | undefined

/**
 * A minimal, scriptable stand-in for Jumio's hosts, built from the recorded fixtures, for unit tests
 * that assert exactly what the adapter sends. Conformance runs against the real simulator instead.
 */
export function createFakeJumio(options: { expiresIn?: number } = {}) {
  const requests: RecordedRequest[] = []
  let tokenCount = 0
  const validTokens = new Set<string>()
  const overrides: Handler[] = []
  const details = new Map<string, Record<string, unknown> | number>()
  const statuses = new Map<string, Record<string, unknown> | number>()
  /** Statuses set by `setDetails` rather than `setStatus`. */
  const derivedStatuses = new Set<string>()

  const fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const contentType = request.headers.get('content-type')
    let body: string | FormData | undefined
    if (request.method !== 'GET' && request.method !== 'DELETE') {
      body = contentType?.startsWith('multipart/form-data')
        ? await request.clone().formData()
        : await request.clone().text()
    }
    requests.push({
      method: request.method,
      url: request.url,
      host: url.hostname,
      path: url.pathname,
      authorization: request.headers.get('authorization'),
      userAgent: request.headers.get('user-agent'),
      contentType,
      body,
    })
    for (const override of overrides) {
      const response = await override(request, url)
      if (response !== undefined) return response
    }
    if (url.hostname.startsWith('auth.') && url.pathname === '/oauth2/token') {
      tokenCount += 1
      const token = `access-token-${tokenCount}`
      validTokens.add(token)
      return Response.json({
        access_token: token,
        expires_in: options.expiresIn ?? 3600,
        token_type: 'Bearer',
      })
    }
    const bearer = request.headers.get('authorization')?.replace(/^Bearer /, '')
    if (url.hostname.startsWith('account.') || url.hostname.startsWith('retrieval.')) {
      if (bearer === undefined || !validTokens.has(bearer)) return new Response(null, { status: 401 })
    }
    if (url.hostname.startsWith('account.')) {
      if (request.method === 'POST' && url.pathname === '/api/v1/accounts') {
        return Response.json(loadFixture('account-create-response'))
      }
      if (request.method === 'PUT' && url.pathname.startsWith('/api/v1/accounts/')) {
        return Response.json(loadFixture('account-create-response'))
      }
    }
    if (url.hostname.startsWith('api.')) {
      if (!bearer?.includes('transaction-token')) return new Response(null, { status: 401 })
      if (request.method === 'POST' && url.pathname.includes('/parts/')) {
        return Response.json(loadFixture('upload-response'))
      }
      if (request.method === 'PUT') {
        return Response.json({ account: { id: 'a' }, workflowExecution: { id: 'w' } })
      }
    }
    if (url.hostname.startsWith('retrieval.')) {
      const found = /^\/api\/v1\/accounts\/([^/]+)\/workflow-executions\/([^/]+)(\/status)?$/.exec(
        url.pathname,
      )
      if (found !== null && request.method === 'GET') {
        const key = `${found[1]}/${found[2]}`
        const entry = found[3] === undefined ? details.get(key) : statuses.get(key)
        if (entry === undefined) return Response.json({ title: 'Not Found', status: 404 }, { status: 404 })
        if (typeof entry === 'number') return new Response(null, { status: entry })
        return Response.json(entry)
      }
      if (request.method === 'DELETE') {
        if (found !== null) {
          const key = `${found[1]}/${found[2]}`
          details.delete(key)
          statuses.delete(key)
        }
        return new Response(null, { status: 200 })
      }
    }
    return Response.json({ title: 'Not Found', status: 404 }, { status: 404 })
  }

  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    get tokenRequests() {
      return tokenCount
    },
    /** Revokes every token issued so far (Jumio answers 401 to them). */
    revokeTokens() {
      validTokens.clear()
    },
    /**
     * Sets the details; unless a status was set explicitly, the status endpoint then answers with the
     * details' workflow status (as at Jumio, an execution with details has a status).
     */
    setDetails(accountId: string, workflowExecutionId: string, value: Record<string, unknown> | number) {
      const key = `${accountId}/${workflowExecutionId}`
      details.set(key, value)
      const workflow = typeof value === 'number' ? undefined : (value.workflow as Record<string, unknown>)
      if (workflow !== undefined && (!statuses.has(key) || derivedStatuses.has(key))) {
        derivedStatuses.add(key)
        statuses.set(key, {
          account: { id: accountId },
          workflowExecution: {
            id: workflowExecutionId,
            status: workflow.status,
            definitionKey: workflow.definitionKey,
          },
        })
      }
    },
    setStatus(accountId: string, workflowExecutionId: string, value: Record<string, unknown> | number) {
      derivedStatuses.delete(`${accountId}/${workflowExecutionId}`)
      statuses.set(`${accountId}/${workflowExecutionId}`, value)
    },
    /** Answers matching requests first; return `undefined` to fall through. */
    use(handler: Handler) {
      overrides.push(handler)
    },
    clearRequests() {
      requests.length = 0
    },
  }
}

export const accountId = '11111111-1111-1111-1111-aaaaaaaaaaaa'
export const workflowExecutionId = '22222222-2222-2222-2222-aaaaaaaaaaaa'
export const reference = { accountId, workflowExecutionId }

/** Settings for a test adapter talking to the fake. */
export function testSettings(fake: { fetch: typeof globalThis.fetch }, now: () => number = Date.now) {
  return {
    clientId: 'client-id-1',
    clientSecret: 'client-secret-very-secret',
    region: 'amer-1' as const,
    userAgent: 'OpenKYC Tests/1.0',
    fetch: fake.fetch,
    now,
    sleep: async () => {},
    transactionRateLimit: false as const,
    env: {},
  }
}
