import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  defaultBundlePath,
  simulatedPathPrefixes,
  trimmedDocumentPath,
  trimPersonaOpenapi,
} from '../scripts/trim-persona-openapi.mjs'
import {
  createPersonaSchemaCheckingFetch,
  listPersonaOperations,
  matchPersonaOperation,
  personaSchemaSource,
  validatePersonaRequest,
  validatePersonaResponse,
  validatePersonaWebhookBody,
} from '../src/openapi/index.js'

// biome-ignore lint/suspicious/noExplicitAny: the parsed OpenAPI bundle is walked generically
type Json = any

/** The official bundle, vendored in `docs/reference`. */
let bundle: Json

function resolveReference(node: Json): Json {
  if (node === null || typeof node !== 'object' || typeof node.$ref !== 'string') return node
  let target: Json = bundle
  for (const part of node.$ref.slice(2).split('/')) target = target[part]
  return target
}

/** Every official example of a simulated operation: response examples and JSON request examples. */
function collectExamples() {
  const examples: Array<{
    kind: 'request' | 'response'
    method: string
    template: string
    status?: number
    name: string
    value: Json
  }> = []
  for (const [template, item] of Object.entries<Json>(bundle.paths)) {
    if (!simulatedPathPrefixes.some((prefix) => template.startsWith(prefix))) continue
    for (const method of ['get', 'post', 'patch', 'delete']) {
      const operation = item[method]
      if (!operation) continue
      for (const [status, declared] of Object.entries<Json>(operation.responses ?? {})) {
        const response = resolveReference(declared)
        for (const [name, example] of Object.entries<Json>(
          response.content?.['application/json']?.examples ?? {},
        )) {
          examples.push({
            kind: 'response',
            method,
            template,
            status: Number(status),
            name,
            value: resolveReference(example).value,
          })
        }
      }
      const body = resolveReference(operation.requestBody)
      for (const [name, example] of Object.entries<Json>(
        body?.content?.['application/json']?.examples ?? {},
      )) {
        examples.push({ kind: 'request', method, template, name, value: resolveReference(example).value })
      }
    }
  }
  return examples
}

/** A concrete path for a template: `{case-id}` → `case_TEST`. */
function concretePath(template: string): string {
  return `/api/v1${template.replace(/\{([^}]+)\}/g, 'x_TEST')}`
}

function exampleOf(method: string, template: string, status: number): Json {
  const operation = bundle.paths[template][method]
  const response = resolveReference(operation.responses[String(status)])
  const examples = Object.values<Json>(response.content['application/json'].examples)
  return structuredClone(resolveReference(examples[0]).value)
}

beforeAll(() => {
  bundle = parse(readFileSync(defaultBundlePath, 'utf8'), { maxAliasCount: -1 })
})

describe('trimmed Persona schemas', () => {
  it('are what the trimmer derives from the official bundle today (regenerate when this fails)', () => {
    const committed = JSON.parse(readFileSync(trimmedDocumentPath, 'utf8'))
    const regenerated = trimPersonaOpenapi(bundle, { sourceName: 'docs/reference/persona-openapi.yaml' })
    expect(committed).toEqual(regenerated)
    expect(personaSchemaSource.regenerate).toContain('trim-persona-openapi.mjs')
  })

  it('keep structure only: no descriptions, examples, titles or x- extensions anywhere', () => {
    const committed = JSON.parse(readFileSync(trimmedDocumentPath, 'utf8'))
    const annotations = new Set(['description', 'examples', 'example', 'title', 'default', 'discriminator'])
    const found = new Set<string>()
    // Walks schemas only; inside `properties` the keys are property names (an error has a `title`).
    const walk = (schema: Json): void => {
      if (schema === null || typeof schema !== 'object') return
      if (Array.isArray(schema)) {
        for (const member of schema) walk(member)
        return
      }
      for (const [keyword, value] of Object.entries<Json>(schema)) {
        if (annotations.has(keyword) || keyword.startsWith('x-')) found.add(keyword)
        if (keyword === 'properties' || keyword === 'patternProperties') Object.values(value).forEach(walk)
        else if (typeof value === 'object') walk(value)
      }
    }
    for (const operation of Object.values<Json>(committed.operations)) {
      Object.values(operation.request ?? {}).forEach(walk)
      Object.values(operation.responses).forEach(walk)
    }
    Object.values(committed.webhooks).forEach(walk)
    Object.values(committed.components.schemas).forEach(walk)
    expect([...found]).toEqual([])
  })

  it('cover every simulated operation family', () => {
    const operations = listPersonaOperations()
    for (const expected of [
      'POST /inquiries',
      'GET /verifications/{verification-id}',
      'POST /accounts',
      'POST /cases/{case-id}/set-status',
      'POST /cases/{case-id}/add-objects',
      'GET /lists',
      'DELETE /lists/{list-id}',
      'POST /list/names',
      'POST /list-item/geolocations',
      'DELETE /list-item/fields/{list-item-id}',
      'POST /importer/list-item/email-addresses',
      'GET /importers/{importer-id}',
      'GET /events/{event-id}',
    ]) {
      expect(operations).toContain(expected)
    }
  })
})

describe('validatePersonaResponse and validatePersonaRequest on the official examples', () => {
  it('accept every official example of the simulated operations except the one the bundle contradicts', () => {
    const failures: string[] = []
    let checked = 0
    for (const example of collectExamples()) {
      const path = concretePath(example.template)
      const result =
        example.kind === 'response'
          ? validatePersonaResponse({
              method: example.method,
              path,
              status: example.status ?? 0,
              body: example.value,
            })
          : validatePersonaRequest({ method: example.method, path, body: example.value })
      checked += 1
      if (!result.valid) failures.push(`${example.kind} ${example.method.toUpperCase()} ${example.template}`)
    }
    expect(checked).toBeGreaterThan(300)
    // The list example shows an `importer/list-item/face`, a type the `importer` union does not contain.
    expect(failures).toEqual(['response GET /importers'])
  }, 60_000)

  it('accept a case, a list, a list item and an importer as documented', () => {
    const cases: Array<[string, string, number]> = [
      ['get', '/cases/{case-id}', 200],
      ['post', '/cases', 201],
      ['get', '/lists', 200],
      ['post', '/list/email-addresses', 201],
      ['post', '/list-item/email-addresses', 201],
      ['delete', '/list-item/email-addresses/{list-item-id}', 200],
      ['post', '/importer/list-item/names', 201],
      ['get', '/importers/{importer-id}', 200],
    ]
    for (const [method, template, status] of cases) {
      const result = validatePersonaResponse({
        method,
        path: concretePath(template),
        status,
        body: exampleOf(method, template, status),
      })
      expect(result, `${method} ${template}`).toMatchObject({ valid: true, errors: [] })
    }
  })
})

describe('mutated documents are rejected with a pointer to the problem', () => {
  it('a case whose status is not a string', () => {
    const body = exampleOf('get', '/cases/{case-id}', 200)
    body.data.attributes.status = 42
    const result = validatePersonaResponse({ method: 'GET', path: '/api/v1/cases/case_1', status: 200, body })
    expect(result.valid).toBe(false)
    expect(result.errors).toContainEqual({ pointer: '/data/attributes/status', message: 'must be string' })
  })

  it('a list item with an attribute Persona does not document', () => {
    const body = exampleOf('post', '/list-item/email-addresses', 201)
    body.data.attributes['list-id'] = 'lst_1'
    const result = validatePersonaResponse({
      method: 'POST',
      path: '/api/v1/list-item/email-addresses',
      status: 201,
      body,
    })
    expect(result.valid).toBe(false)
    expect(result.errors.map((issue) => issue.message).join('\n')).toContain('list-id')
  })

  it('an importer whose counts are missing their integer type', () => {
    const body = exampleOf('post', '/importer/list-item/names', 201)
    body.data.attributes['successful-count'] = '10'
    const result = validatePersonaResponse({
      method: 'POST',
      path: '/api/v1/importer/list-item/names',
      status: 201,
      body,
    })
    expect(result.valid).toBe(false)
    expect(result.errors).toContainEqual({
      pointer: '/data/attributes/successful-count',
      message: 'must be integer',
    })
  })

  it('a list of the wrong type and a list whose relationships name list items', () => {
    const wrongType = exampleOf('post', '/list/email-addresses', 201)
    wrongType.data.type = 'list/name'
    expect(
      validatePersonaResponse({ method: 'POST', path: '/list/email-addresses', status: 201, body: wrongType })
        .valid,
    ).toBe(false)
    const listed = exampleOf('get', '/lists', 200)
    listed.data[0].relationships['list-items'].data = [{ type: 'list-item/email-address', id: 'liea_1' }]
    expect(validatePersonaResponse({ method: 'GET', path: '/lists', status: 200, body: listed }).valid).toBe(
      false,
    )
  })

  it('an error body using JSON:API `detail` instead of Persona `details`', () => {
    const result = validatePersonaResponse({
      method: 'GET',
      path: '/api/v1/lists/lst_1',
      status: 404,
      body: { errors: [{ title: 'Record not found', detail: 'no' }] },
    })
    expect(result.valid).toBe(false)
    expect(
      validatePersonaResponse({
        method: 'GET',
        path: '/api/v1/lists/lst_1',
        status: 404,
        body: { errors: [{ title: 'Record not found' }] },
      }).valid,
    ).toBe(true)
  })

  it('requests: set-status without a status, an importer with an unknown attribute, a list without an object body', () => {
    expect(
      validatePersonaRequest({
        method: 'POST',
        path: '/api/v1/cases/case_1/set-status',
        body: { meta: { status: 'Approved' } },
      }).valid,
    ).toBe(true)
    const missing = validatePersonaRequest({
      method: 'POST',
      path: '/api/v1/cases/case_1/set-status',
      body: { meta: {} },
    })
    expect(missing.valid).toBe(false)
    expect(missing.errors).toContainEqual({
      pointer: '/meta',
      message: "must have required property 'status' (status)",
    })
    const importer = {
      data: { attributes: { 'list-id': 'lst_1', file: { data: 'dmFsdWUK', filename: 'x.csv' } } },
    }
    expect(
      validatePersonaRequest({ method: 'POST', path: '/importer/list-item/email-addresses', body: importer })
        .valid,
    ).toBe(true)
    const extra = structuredClone(importer) as Json
    extra.data.attributes.color = 'blue'
    expect(
      validatePersonaRequest({ method: 'POST', path: '/importer/list-item/email-addresses', body: extra })
        .valid,
    ).toBe(false)
    expect(
      validatePersonaRequest({
        method: 'POST',
        path: '/importer/list-item/email-addresses',
        contentType: 'multipart/form-data; boundary=x',
        body: { data: { attributes: { 'list-id': 'lst_1', file: 'value\n' } } },
      }).valid,
    ).toBe(true)
    expect(validatePersonaRequest({ method: 'POST', path: '/list/names', body: [] }).valid).toBe(false)
  })

  it('never echoes the offending values (they may be personal data)', () => {
    const body = exampleOf('post', '/list-item/email-addresses', 201)
    body.data.attributes.value = { secret: 'jane.doe.1990@example.test' }
    body.data.attributes['name-first'] = 'Jane Secretname'
    const result = validatePersonaResponse({
      method: 'POST',
      path: '/list-item/email-addresses',
      status: 201,
      body,
    })
    expect(result.valid).toBe(false)
    const text = JSON.stringify(result)
    expect(text).not.toContain('jane.doe.1990')
    expect(text).not.toContain('Secretname')
  })
})

describe('operation matching', () => {
  it('accepts full URLs, the /api/v1 prefix and query strings, and reads path parameters', () => {
    expect(
      matchPersonaOperation('post', 'http://127.0.0.1:4010/api/v1/cases/case_9/assign?include='),
    ).toEqual({
      operation: 'POST /cases/{case-id}/assign',
      parameters: { 'case-id': 'case_9' },
    })
    expect(matchPersonaOperation('GET', '/lists?filter%5Bstatus%5D=active')?.operation).toBe('GET /lists')
  })

  it('prefers literal segments over parameters', () => {
    expect(matchPersonaOperation('POST', '/api/v1/inquiry-sessions/expire-all')?.operation).toBe(
      'POST /inquiry-sessions/expire-all',
    )
    expect(matchPersonaOperation('GET', '/api/v1/inquiry-sessions/iqse_1')?.operation).toBe(
      'GET /inquiry-sessions/{inquiry-session-id}',
    )
  })

  it('reports undocumented operations and status codes as invalid instead of passing them', () => {
    const unknownPath = validatePersonaResponse({
      method: 'GET',
      path: '/api/v1/nothing',
      status: 200,
      body: {},
    })
    expect(unknownPath).toMatchObject({ valid: false })
    expect(unknownPath.errors[0]?.message).toContain('no documented operation')
    const unknownStatus = validatePersonaResponse({
      method: 'GET',
      path: '/api/v1/lists',
      status: 418,
      body: {},
    })
    expect(unknownStatus).toMatchObject({ valid: false, operation: 'GET /lists' })
    expect(validatePersonaRequest({ method: 'GET', path: '/api/v1/lists', body: { data: {} } }).valid).toBe(
      false,
    )
    expect(validatePersonaRequest({ method: 'GET', path: '/api/v1/lists' }).valid).toBe(true)
  })
})

describe('validatePersonaWebhookBody', () => {
  it('accepts the official account.created webhook example and rejects it carrying a non-account payload', () => {
    const example = resolveReference(
      bundle.webhooks['account.created'].post.requestBody.content['application/json'].examples[
        'Example Body'
      ],
    ).value
    expect(validatePersonaWebhookBody({ body: example })).toMatchObject({ valid: true, errors: [] })
    const retyped = structuredClone(example)
    retyped.data.attributes.payload.data.type = 'inquiry'
    expect(validatePersonaWebhookBody({ body: retyped })).toMatchObject({
      valid: false,
      operation: 'webhook account.created',
    })
  })

  it('checks events without a webhook entry (cases, lists) against the generic event object', () => {
    const event = {
      data: {
        type: 'event',
        id: 'evt_1',
        attributes: {
          name: 'case.status-updated',
          payload: { data: { type: 'case', id: 'case_1', attributes: {}, relationships: {} } },
          'created-at': '2024-01-01T00:00:00.000Z',
        },
      },
    }
    expect(validatePersonaWebhookBody({ body: event })).toMatchObject({ valid: true, operation: 'event' })
    const broken = structuredClone(event) as Json
    broken.data.attributes['created-at'] = 'yesterday'
    expect(validatePersonaWebhookBody({ body: broken }).valid).toBe(false)
  })
})

describe('createPersonaSchemaCheckingFetch', () => {
  const reply =
    (status: number, body: unknown, contentType = 'application/json') =>
    async () =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': contentType },
      })

  it('records a response that breaks the schema and passes the response through untouched', async () => {
    const checked = createPersonaSchemaCheckingFetch(
      reply(200, { data: [], links: { prev: null }, extra: 1 }),
    )
    const response = await checked('http://127.0.0.1:1/api/v1/lists')
    expect(((await response.json()) as Json).extra).toBe(1)
    expect(checked.checkedResponses()).toBe(1)
    expect(checked.violations).toMatchObject([
      { direction: 'response', method: 'GET', path: '/api/v1/lists', status: 200, operation: 'GET /lists' },
    ])
  })

  it('records a request body that breaks the schema, and leaves multipart, non-JSON and skipped traffic alone', async () => {
    const checked = createPersonaSchemaCheckingFetch(reply(200, { data: null }), {
      skip: (_method, path) => path.endsWith('/skipped'),
    })
    await checked('http://127.0.0.1:1/api/v1/cases/case_1/assign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ meta: {} }),
    })
    expect(checked.violations.map((violation) => violation.direction)).toEqual(['request', 'response'])
    const pdf = createPersonaSchemaCheckingFetch(reply(200, '%PDF', 'application/pdf'))
    await pdf('http://127.0.0.1:1/api/v1/inquiries/inq_1/print')
    expect(pdf.checkedResponses()).toBe(0)
    await checked('http://127.0.0.1:1/api/v1/skipped')
    expect(checked.violations).toHaveLength(2)
  })
})
