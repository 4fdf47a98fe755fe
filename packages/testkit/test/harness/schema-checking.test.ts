import { describe, expect, it } from 'vitest'
import {
  type CompiledSchemaValidator,
  createOperationMatcher,
  createSchemaCheckingFetch,
  type SchemaCheckedRequest,
  type SchemaCheckedResponse,
  type SchemaValidatorError,
  schemaFailure,
  schemaIssueOf,
  validateWithSchema,
} from '../../src/harness/index.js'

describe('createOperationMatcher', () => {
  const matcher = createOperationMatcher({
    operations: [
      'GET /webhooks/{webhook_id}',
      'POST /webhooks/resend',
      'POST /applicants/{applicant_id}/restore',
      'GET /applicants',
    ],
    basePath: '/v3.6',
  })

  it('matches a URL, a path with a query string or a trailing slash, and decodes parameters', () => {
    expect(matcher.match('post', 'https://api.eu.onfido.com/v3.6/applicants/a%2Fb/restore?x=1#y')).toEqual({
      operation: 'POST /applicants/{applicant_id}/restore',
      parameters: { applicant_id: 'a/b' },
    })
    expect(matcher.match('GET', '/v3.6/applicants/')).toEqual({
      operation: 'GET /applicants',
      parameters: {},
    })
    expect(matcher.normalize('https://x.test/v3.6/applicants/?page=2')).toBe('/applicants')
  })

  it('prefers literal segments over parameters and tells what it does not know', () => {
    expect(matcher.match('POST', '/v3.6/webhooks/resend')?.operation).toBe('POST /webhooks/resend')
    expect(matcher.match('GET', '/v3.6/webhooks/resend')?.operation).toBe('GET /webhooks/{webhook_id}')
    expect(matcher.match('DELETE', '/v3.6/applicants')).toBeUndefined()
    expect(matcher.match('GET', '/v3.6x/applicants')).toBeUndefined()
    expect(matcher.operations()).toEqual([
      'POST /webhooks/resend',
      'POST /applicants/{applicant_id}/restore',
      'GET /webhooks/{webhook_id}',
      'GET /applicants',
    ])
  })
})

describe('schema issues', () => {
  const errors: SchemaValidatorError[] = [
    {
      instancePath: '',
      keyword: 'required',
      message: 'must have required property',
      params: { missingProperty: 'id' },
    },
    {
      instancePath: '/data',
      keyword: 'unevaluatedProperties',
      message: 'must NOT have unevaluated properties',
      params: { unevaluatedProperty: 'extra' },
    },
    { instancePath: '/status', keyword: 'enum', params: { allowedValues: ['a'] } },
  ]

  it('name the pointer, the rule and the property, never the value', () => {
    expect(errors.map(schemaIssueOf)).toEqual([
      { pointer: '', message: 'must have required property (id)' },
      { pointer: '/data', message: 'must NOT have unevaluated properties (extra)' },
      { pointer: '/status', message: 'enum' },
    ])
  })

  it('come out of a compiled validator run, with the operation when given', () => {
    const secret = 'Jane Doe 1990-01-01'
    const validate: CompiledSchemaValidator = Object.assign((body: unknown) => body === 'ok', { errors })
    expect(validateWithSchema(validate, 'ok', 'GET /x')).toEqual({
      valid: true,
      errors: [],
      operation: 'GET /x',
    })
    const result = validateWithSchema(validate, { name: secret })
    expect(result.valid).toBe(false)
    expect(result.errors).toHaveLength(3)
    expect(JSON.stringify(result)).not.toContain('Jane')
    expect(schemaFailure('no documented operation for GET /y')).toEqual({
      valid: false,
      errors: [{ pointer: '', message: 'no documented operation for GET /y' }],
    })
  })
})

describe('createSchemaCheckingFetch', () => {
  /** A vendor whose API answers JSON, an empty 204 or plain text, echoing the request's `status`. */
  const vendor = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname
    if (path === '/v1/ping') return new Response('OK', { headers: { 'content-type': 'text/plain' } })
    if (path === '/v1/empty') return new Response(null, { status: 204 })
    if (path === '/hosted') return new Response('<html></html>', { headers: { 'content-type': 'text/html' } })
    const body = path === '/v1/broken' ? '{"id":' : JSON.stringify({ id: path === '/v1/bad' ? 7 : 'one' })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' } })
  }

  function checked(options: { checkRequests?: boolean } = {}) {
    const requests: SchemaCheckedRequest[] = []
    const responses: SchemaCheckedResponse[] = []
    const checkedFetch = createSchemaCheckingFetch({
      fetch: (input, init) => vendor(new Request(input, init)),
      ...options,
      skip: (_method, path) => path === '/hosted',
      validateRequest: (request) => {
        requests.push(request)
        if (!request.contentType.includes('json')) return undefined
        return typeof (request.body as { name?: unknown } | undefined)?.name === 'string'
          ? { valid: true, errors: [] }
          : schemaFailure('name must be a string', `${request.method} /things`)
      },
      validateResponse: (response) => {
        responses.push(response)
        if (response.contentType.startsWith('text/')) return undefined
        if (response.status === 204) return { valid: response.body === undefined, errors: [] }
        return typeof (response.body as { id?: unknown }).id === 'string'
          ? { valid: true, errors: [], operation: 'GET /thing' }
          : schemaFailure('id must be a string', 'GET /thing')
      },
    })
    return { checkedFetch, requests, responses }
  }

  it('counts every response the validator checks, and finds none wrong when none is', async () => {
    const { checkedFetch, responses } = checked()
    const reply = await checkedFetch('https://api.vendor.test/v1/thing?page=2')
    // The caller still reads the body: the checker reads a clone.
    expect(await reply.json()).toEqual({ id: 'one' })
    await checkedFetch('https://api.vendor.test/v1/empty', { method: 'DELETE' })
    await checkedFetch('https://api.vendor.test/v1/ping')
    expect(checkedFetch.violations).toEqual([])
    expect(checkedFetch.checkedResponses()).toBe(2)
    expect(
      responses.map(({ path, status, contentType, body }) => ({ path, status, contentType, body })),
    ).toEqual([
      { path: '/v1/thing', status: 200, contentType: 'application/json; charset=utf-8', body: { id: 'one' } },
      { path: '/v1/empty', status: 204, contentType: '', body: undefined },
      // Text the validator may look at is not read unless it is JSON or unlabelled.
      { path: '/v1/ping', status: 200, contentType: 'text/plain', body: undefined },
    ])
  })

  it('records wrong responses and wrong JSON requests with method, path, status and operation', async () => {
    const { checkedFetch } = checked()
    await checkedFetch('https://api.vendor.test/v1/bad')
    await checkedFetch('https://api.vendor.test/v1/broken')
    await checkedFetch('https://api.vendor.test/v1/thing', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 42 }),
    })
    expect(checkedFetch.violations).toEqual([
      {
        direction: 'response',
        method: 'GET',
        path: '/v1/bad',
        status: 200,
        operation: 'GET /thing',
        errors: [{ pointer: '', message: 'id must be a string' }],
      },
      // An unparseable JSON body reaches the validator as its text, so it fails the schema.
      {
        direction: 'response',
        method: 'GET',
        path: '/v1/broken',
        status: 200,
        operation: 'GET /thing',
        errors: [{ pointer: '', message: 'id must be a string' }],
      },
      {
        direction: 'request',
        method: 'POST',
        path: '/v1/thing',
        operation: 'POST /things',
        errors: [{ pointer: '', message: 'name must be a string' }],
      },
    ])
    expect(checkedFetch.checkedResponses()).toBe(3)
  })

  it('hands multipart requests over unread, skips what it is told to, and can leave requests alone', async () => {
    const { checkedFetch, requests, responses } = checked()
    const form = new FormData()
    form.set('file', new Blob(['x']), 'x.txt')
    await checkedFetch('https://api.vendor.test/v1/thing', { method: 'POST', body: form })
    expect(requests).toHaveLength(1)
    expect(requests[0]?.contentType).toMatch(/^multipart\/form-data/)
    expect(requests[0]?.body).toBeUndefined()
    await checkedFetch('https://api.vendor.test/hosted', { method: 'POST', body: 'anything' })
    expect(requests).toHaveLength(1)
    expect(responses).toHaveLength(1)
    expect(checkedFetch.violations).toEqual([])

    const quiet = checked({ checkRequests: false })
    await quiet.checkedFetch('https://api.vendor.test/v1/thing', { method: 'POST', body: '{}' })
    expect(quiet.requests).toEqual([])
    expect(quiet.checkedFetch.violations).toEqual([])
  })
})
