import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  KycAuthenticationError,
  KycConfigurationError,
  KycError,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  KycInvalidStateError,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycRateLimitedError,
} from '../../src/errors.js'
import { createHttpClient, type HttpClientOptions, type HttpErrorContext } from '../../src/http/index.js'
import { jsonResponse, type ScriptedAnswer, scriptedFetch, steppingClock } from './helpers.js'

function setup(answers: ScriptedAnswer[], options: Partial<HttpClientOptions> = {}) {
  const clock = steppingClock()
  const server = scriptedFetch(answers, clock.now)
  const http = createHttpClient({
    provider: 'persona',
    baseUrl: 'https://api.withpersona.test/api/v1/',
    fetch: server.fetch,
    now: clock.now,
    sleep: clock.sleep,
    retry: false,
    ...options,
  })
  return { http, requests: server.requests }
}

async function failure(promise: Promise<unknown>): Promise<KycError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  // A KycError of a known kind, never a transport's own error (TypeError, DOMException) passed through.
  if (!KycError.isInstance(error)) throw new Error(`Expected a KycError, got ${String(error)}`)
  expect(error).not.toBeInstanceOf(TypeError)
  expect(error).not.toBeInstanceOf(DOMException)
  return error
}

const InquirySchema = z.object({ data: z.object({ id: z.string(), type: z.literal('inquiry') }) })

describe('status mapping', () => {
  it.each([
    [401, KycAuthenticationError],
    [403, KycAuthenticationError],
    [404, KycNotFoundError],
    [410, KycNotFoundError],
    [409, KycInvalidStateError],
    [429, KycRateLimitedError],
    [400, KycInvalidRequestError],
    [422, KycInvalidRequestError],
    [413, KycInvalidRequestError],
    [500, KycProviderUnavailableError],
    [503, KycProviderUnavailableError],
  ] as const)('maps HTTP %i to %o', async (status, expected) => {
    const { http } = setup([jsonResponse(status, { errors: [{ title: 'x' }] }, { 'request-id': 'req_abc' })])
    const error = await failure(
      http.request({ method: 'GET', path: 'inquiries/{inquiryId}', pathParams: { inquiryId: 'inq_1' } }),
    )
    expect(error).toBeInstanceOf(expected)
    expect(error).toMatchObject({ provider: 'persona', status, requestId: 'req_abc' })
    expect(error.message).toBe(`persona GET inquiries/{inquiryId} failed with HTTP ${status}.`)
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('reads the request id from the headers the adapter names', async () => {
    const { http } = setup([jsonResponse(404, {}, { 'x-trace-id': 'trace_1', 'request-id': 'other' })], {
      requestIdHeaders: ['x-trace-id'],
    })
    expect(await failure(http.request({ path: 'inquiries' }))).toMatchObject({ requestId: 'trace_1' })
  })

  it('falls back to x-request-id by default', async () => {
    const { http } = setup([jsonResponse(500, {}, { 'x-request-id': 'xr_1' })])
    expect(await failure(http.request({ path: 'inquiries' }))).toMatchObject({ requestId: 'xr_1' })
  })

  it('keeps the pointers of a 422 and drops what the vendor said', async () => {
    const { http } = setup([
      jsonResponse(422, {
        errors: [
          {
            title: 'Unprocessable entity',
            details: 'name-first must not be Jane',
            source: { pointer: '/data/attributes/name-first' },
          },
          {
            title: 'Bad Request',
            details: 'fields.0 is wrong',
            source: { pointer: '/data/attributes/fields/0' },
          },
          { title: 'Bad Request', details: 'page size', source: { parameter: 'page[size]' } },
          { title: 'Bad Request', details: 'no location at all' },
        ],
      }),
    ])
    const error = await failure(http.request({ method: 'POST', path: 'inquiries', json: {} }))
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect((error as KycInvalidRequestError).issues).toEqual([
      { path: ['data', 'attributes', 'name-first'], message: 'Rejected by persona' },
      { path: ['data', 'attributes', 'fields', 0], message: 'Rejected by persona' },
      { path: ['page[size]'], message: 'Rejected by persona' },
      { path: [], message: 'Rejected by persona' },
    ])
    expect(JSON.stringify(error)).not.toMatch(/Jane|is wrong|page size|no location/)
  })

  it('maps a 429 with the wait the provider asked for', async () => {
    const { http } = setup([jsonResponse(429, {}, { 'ratelimit-reset': '12' })])
    const error = await failure(http.request({ path: 'inquiries' }))
    expect(error).toBeInstanceOf(KycRateLimitedError)
    expect((error as KycRateLimitedError).retryAfterMs).toBe(12_000)
  })

  it('maps a network failure to KycProviderUnavailableError and keeps the cause', async () => {
    const { http } = setup([{ networkError: 'fetch failed' }])
    const error = await failure(http.request({ path: 'inquiries' }))
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect(error.message).toBe('persona GET inquiries could not reach the provider.')
    expect(error.status).toBeUndefined()
    expect(error.cause).toBeInstanceOf(TypeError)
    expect(error.retryable).toBe(true)
  })
})

describe('response bodies', () => {
  it('returns the body parsed by the schema', async () => {
    const { http } = setup([jsonResponse(200, { data: { id: 'inq_1', type: 'inquiry', extra: 1 } })])
    const inquiry = await http.request({ path: 'inquiries', schema: InquirySchema })
    expect(inquiry.data.id).toBe('inq_1')
  })

  it('rejects a body that does not match the schema, naming paths only', async () => {
    const { http } = setup([
      jsonResponse(200, { data: { id: 42, type: 'Jane Doe' } }, { 'request-id': 'r1' }),
    ])
    const error = await failure(http.request({ path: 'inquiries', schema: InquirySchema }))
    expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
    expect(error).toMatchObject({ status: 200, requestId: 'r1', provider: 'persona' })
    expect(error.message).toBe('persona GET inquiries returned a body of an unexpected shape (HTTP 200).')
    expect((error.cause as z.ZodError).issues.map((issue) => issue.path)).toEqual([
      ['data', 'id'],
      ['data', 'type'],
    ])
    expect((error as KycInvalidProviderResponseError).issues.map((issue) => issue.path)).toEqual([
      ['data', 'id'],
      ['data', 'type'],
    ])
  })

  it('rejects a body that is not JSON', async () => {
    const { http } = setup([new Response('<html>Jane Doe</html>', { status: 200 })])
    const error = await failure(http.request({ path: 'inquiries' }))
    expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
    expect(error.message).toBe('persona GET inquiries returned a body that is not JSON (HTTP 200).')
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  it('returns undefined for responseType none, without reading JSON', async () => {
    const { http } = setup([new Response('not json', { status: 200 })])
    await expect(
      http.request({ method: 'DELETE', path: 'inquiries', responseType: 'none' }),
    ).resolves.toBeUndefined()
  })

  it('returns undefined for an empty body when no schema is given', async () => {
    const { http } = setup([new Response(null, { status: 204 })])
    await expect(http.request({ method: 'DELETE', path: 'inquiries' })).resolves.toBeUndefined()
  })
})

describe('mapError', () => {
  it('lets the adapter refine an error status, with the context it needs', async () => {
    const contexts: HttpErrorContext[] = []
    const { http } = setup(
      [jsonResponse(409, { errors: [{ title: 'Record not unique' }] }, { 'request-id': 'req_409' })],
      {
        mapError: (context) => {
          contexts.push(context)
          return new KycInvalidRequestError({
            provider: context.provider,
            status: context.status,
            requestId: context.requestId,
            message: 'An account with this reference already exists.',
            issues: [{ path: ['referenceId'], message: 'Already taken' }],
          })
        },
      },
    )
    const error = await failure(http.request({ method: 'POST', path: 'accounts', json: {} }))
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(error.requestId).toBe('req_409')
    expect(contexts).toHaveLength(1)
    expect(contexts[0]).toMatchObject({
      provider: 'persona',
      method: 'POST',
      path: 'accounts',
      status: 409,
      requestId: 'req_409',
      body: { errors: [{ title: 'Record not unique' }] },
    })
    expect(contexts[0]?.error).toBeInstanceOf(KycInvalidStateError)
  })

  it('keeps the default when mapError returns undefined', async () => {
    const { http } = setup([jsonResponse(404, {})], { mapError: () => undefined })
    expect(await failure(http.request({ path: 'inquiries' }))).toBeInstanceOf(KycNotFoundError)
  })
})

describe('failures before any request', () => {
  it('rejects a missing path parameter without sending anything', async () => {
    const { http, requests } = setup([jsonResponse(200, {})])
    const error = await failure(http.request({ path: 'inquiries/{inquiryId}', pathParams: {} }))
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(error.message).toBe('persona GET inquiries/{inquiryId} is missing the path parameter "inquiryId".')
    expect(requests).toHaveLength(0)
  })

  // Fails on main before issue 12: `..` and `.` were sent, and URL resolution moved the request.
  it.each(['..', '.', 'a/b', 'a\\b', '%2e%2e', 'x\u0000'])(
    'refuses the path parameter %j (it could change the endpoint) without sending anything',
    async (value) => {
      const { http, requests } = setup([jsonResponse(200, {})])
      const error = await failure(
        http.request({
          method: 'DELETE',
          path: 'accounts/{accountId}/workflow-executions/{workflowExecutionId}',
          pathParams: { accountId: 'a1', workflowExecutionId: value },
        }),
      )
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect(error.message).toMatch(/^Invalid workflowExecutionId: /)
      expect(requests).toHaveLength(0)
    },
  )

  it('reports a failing headers supplier as an authentication error', async () => {
    const { http, requests } = setup([jsonResponse(200, {})], {
      headers: async () => {
        throw new Error('token endpoint said no')
      },
    })
    const error = await failure(http.request({ path: 'inquiries' }))
    expect(error).toBeInstanceOf(KycAuthenticationError)
    expect(error.message).not.toContain('token endpoint')
    expect(requests).toHaveLength(0)
  })

  it('passes a KycError from the headers supplier through unchanged', async () => {
    const original = new KycAuthenticationError({ provider: 'persona', message: 'No API key configured.' })
    const { http } = setup([jsonResponse(200, {})], {
      headers: () => {
        throw original
      },
    })
    await expect(http.request({ path: 'inquiries' })).rejects.toBe(original)
  })

  it.each([
    { baseUrl: 'not a url' },
    { baseUrl: 'ftp://api.acme.test/' },
    { provider: '' },
    { timeoutMs: -1 },
    { retry: { limit: -1 } },
    { retry: { attempts: 3 } as never },
  ])('rejects invalid settings %o', (settings) => {
    expect(() =>
      createHttpClient({ provider: 'acme', baseUrl: 'https://api.acme.test/', ...settings }),
    ).toThrow(/Invalid HTTP client settings/)
  })
})

describe('requests', () => {
  it('joins the path to the base URL and encodes parameters and query values', async () => {
    const { http, requests } = setup([jsonResponse(200, {})], {
      headers: { authorization: 'Bearer key', 'persona-version': '2023-01-05' },
    })
    await http.request({
      path: '/accounts/{accountId}/relationships',
      pathParams: { accountId: 'act:1 2' },
      searchParams: { 'filter[reference-id]': 'user 7', 'page[size]': 10, skipped: undefined },
      headers: { 'persona-version': '2025-12-08' },
    })
    expect(requests[0]?.url).toBe(
      'https://api.withpersona.test/api/v1/accounts/act%3A1%202/relationships?filter%5Breference-id%5D=user+7&page%5Bsize%5D=10',
    )
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer key')
    expect(requests[0]?.headers.get('persona-version')).toBe('2025-12-08')
    expect(requests[0]?.headers.get('accept')).toBe('application/json')
  })

  it('calls the headers supplier before every attempt', async () => {
    let tokens = 0
    const { http, requests } = setup([jsonResponse(503, {}), jsonResponse(200, {})], {
      retry: { limit: 1 },
      headers: async () => ({ authorization: `Bearer token-${++tokens}` }),
    })
    await http.request({ path: 'inquiries' })
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ])
  })

  it('sends JSON and raw bodies', async () => {
    const { http, requests } = setup([jsonResponse(200, {})])
    await http.request({ method: 'POST', path: 'inquiries', json: { data: { type: 'inquiry' } } })
    await http.request({ method: 'PUT', path: 'files', body: new TextEncoder().encode('bytes') })
    expect(requests[0]?.body).toBe('{"data":{"type":"inquiry"}}')
    expect(requests[0]?.headers.get('content-type')).toBe('application/json')
    expect(requests[1]?.body).toBe('bytes')
  })

  it('merges header names case-insensitively, the call winning over the client', async () => {
    const { http, requests } = setup([jsonResponse(200, {})], {
      headers: { Authorization: 'Bearer client', 'X-Trace': 'client' },
    })
    await http.request({ path: 'inquiries', headers: { authorization: 'Bearer call', Accept: 'text/plain' } })
    expect(requests[0]?.headers.get('authorization')).toBe('Bearer call')
    expect(requests[0]?.headers.get('x-trace')).toBe('client')
    expect(requests[0]?.headers.get('accept')).toBe('text/plain')
  })

  // Fails on main before issue 12: a bad value surfaced as the `TypeError` of `Headers`, whose
  // message quotes the value (an API key with a stray newline, `Bearer <key>`).
  it('regression: rejects an invalid call header before sending anything, naming it but not its value', async () => {
    const { http, requests } = setup([jsonResponse(200, {})])
    for (const value of ['secret-a\nb', 'secret-a\rb', 'secret-a\u0000b', 'secret-\u2028', 'secret-😀']) {
      const error = await http
        .request({ path: 'inquiries', headers: { 'x-broken': value } })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect((error as Error).message).toContain('x-broken')
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('secret-')
    }
    expect(requests).toHaveLength(0)
  })

  it('regression: rejects an invalid client header at creation as a configuration error naming the setting', () => {
    for (const value of ['key\n', 'key\r\nx-injected: 1', 'key\u0000', 'ключ']) {
      let error: unknown
      try {
        createHttpClient({
          provider: 'acme',
          baseUrl: 'https://api.acme.test/',
          headers: { authorization: `Bearer ${value}` },
        })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(KycConfigurationError)
      expect((error as Error).message).toMatch(/headers\.authorization/)
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('Bearer')
    }
  })

  it('rejects an invalid value from a headers supplier before sending, as a configuration error', async () => {
    const { http, requests } = setup([jsonResponse(200, {})], {
      headers: () => ({ authorization: 'Bearer secret-key\n' }),
    })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycConfigurationError)
    expect((error as Error).message).not.toContain('secret-key')
    expect(requests).toHaveLength(0)
  })
})
