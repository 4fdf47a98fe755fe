import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type Json,
  productionKey,
  sandboxKey,
  startPersona,
  type TestPersona,
  violationSummary,
} from './persona-server.js'

let persona: TestPersona

beforeEach(async () => {
  persona = await startPersona({ apiKeys: [sandboxKey, productionKey] })
})
afterEach(async () => {
  expect(violationSummary(persona)).toEqual([])
  await persona.close()
})

describe('authentication and headers', () => {
  it('answers 401 with the documented body for a missing, malformed or unknown key', async () => {
    for (const apiKey of ['', 'not-a-persona-key', 'persona_sandbox_unknown']) {
      const reply = await persona.call('GET', '/inquiries', { apiKey })
      expect(reply.status).toBe(401)
      expect(reply.body).toEqual({ errors: [{ title: 'Must be authenticated to access this endpoint' }] })
    }
  })

  it('gives every response a Request-Id and the rate-limit headers', async () => {
    const first = await persona.call('GET', '/inquiries')
    const second = await persona.call('GET', '/inquiries')
    expect(first.headers.get('request-id')).toMatch(/^req_/)
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'))
    expect(first.headers.get('ratelimit-limit')).toBe('300')
    expect(
      Number(first.headers.get('ratelimit-remaining')) - Number(second.headers.get('ratelimit-remaining')),
    ).toBe(1)
  })

  it('answers unknown ids and paths with the documented 404 body', async () => {
    expect((await persona.call('GET', '/inquiries/inq_missing')).body).toEqual({
      errors: [{ title: 'Record not found' }],
    })
    const unknownPath = await fetch(`${persona.baseUrl}/api/v1/no-such-resource`, {
      headers: { Authorization: `Bearer ${sandboxKey}` },
    })
    expect(unknownPath.status).toBe(404)
  })

  it('rejects malformed JSON with a 400 error body', async () => {
    const response = await fetch(`${persona.baseUrl}/api/v1/inquiries`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandboxKey}`, 'Content-Type': 'application/json' },
      body: '{"data":',
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as Json
    expect(body.errors[0].title).toBe('Bad Request')
  })
})

describe('Key-Inflection', () => {
  it('answers in kebab case by default and in camel or snake case on request', async () => {
    const id = await persona.createInquiry({ fields: { 'name-first': 'Ada' } })
    const kebab = await persona.call('GET', `/inquiries/${id}`)
    expect(kebab.body.data.attributes['created-at']).toBeTypeOf('string')
    const camel = await persona.call('GET', `/inquiries/${id}`, { inflection: 'camel' })
    expect(camel.body.data.attributes.createdAt).toBe(kebab.body.data.attributes['created-at'])
    expect(camel.body.data.attributes.nameFirst).toBe('Ada')
    expect(camel.body.data.attributes.fields.nameFirst.value).toBe('Ada')
    expect(camel.body.data.relationships.inquiryTemplate.data.type).toBe('inquiry-template')
    const snake = await persona.call('GET', `/inquiries/${id}`, { inflection: 'snake' })
    expect(snake.body.data.attributes.created_at).toBe(kebab.body.data.attributes['created-at'])
    expect(snake.body.data.attributes.address_street_1).toBeNull()
  })

  it('accepts camel and snake keys on input', async () => {
    const camel = await persona.call('POST', '/inquiries', {
      body: { data: { attributes: { inquiryTemplateId: 'itmpl_Camel', fields: { nameLast: 'Lovelace' } } } },
      inflection: 'camel',
    })
    expect(camel.status).toBe(201)
    expect(camel.body.data.attributes.fields.nameLast.value).toBe('Lovelace')
    const snake = await persona.call('POST', '/inquiries', {
      body: {
        data: { attributes: { inquiry_template_id: 'itmpl_Snake', note: 'snake' } },
        meta: { auto_create_one_time_link: true },
      },
      inflection: 'snake',
    })
    expect(snake.status).toBe(201)
    expect(snake.body.meta.one_time_link).toMatch(/\/verify\?code=/)
  })

  it('never inflects account fields, whatever the inflection', async () => {
    const reply = await persona.call('POST', '/accounts', {
      body: { data: { attributes: { referenceId: 'user-1', fields: { phone_number: '555' } } } },
      inflection: 'camel',
    })
    expect(reply.status).toBe(201)
    expect(reply.body.data.attributes.fields.phone_number.value).toBe('555')
    expect(reply.body.data.attributes.fields.name.value.first).toEqual({ type: 'string', value: null })
    expect(reply.body.data.attributes.referenceId).toBe('user-1')
  })
})

describe('Persona-Version shapes', () => {
  it('before 2025-10-27: top-level PII and default included objects on retrieve', async () => {
    const id = await persona.createInquiry({ fields: { 'name-first': 'Ada', birthdate: '1990-01-02' } })
    await persona.simulator.persona.resolve(id, 'clean_approve')
    const reply = await persona.call('GET', `/inquiries/${id}`, { version: '2023-01-05' })
    expect(reply.body.data.attributes['name-first']).toBe('Ada')
    expect(reply.body.data.attributes.birthdate).toBe('1990-01-02')
    expect(reply.body.data.attributes['expires-at']).toBeUndefined()
    const includedTypes = new Set(reply.body.included.map((resource: Json) => resource.type))
    expect(includedTypes).toEqual(
      new Set([
        'verification/government-id',
        'verification/selfie',
        'verification/database',
        'document/government-id',
        'inquiry-template',
      ]),
    )
  })

  it('since 2025-10-27: PII only in fields, no default included, fields keys not inflected', async () => {
    const id = await persona.createInquiry({ fields: { 'name-first': 'Ada' } })
    const reply = await persona.call('GET', `/inquiries/${id}`, {
      version: '2025-10-27',
      inflection: 'camel',
    })
    expect(reply.body.data.attributes.nameFirst).toBeUndefined()
    expect(reply.body.data.attributes.fields['name-first'].value).toBe('Ada')
    expect(reply.body.data.attributes.expiresAt).toBe('2030-01-02T00:00:00.000Z')
    expect(reply.body.included).toBeUndefined()
    const included = await persona.call('GET', `/inquiries/${id}?include=inquiry-template`, {
      version: '2025-10-27',
    })
    expect(included.body.included.map((resource: Json) => resource.type)).toEqual(['inquiry-template'])
  })

  it('create answers meta with all three keys since 2025-10-27, and only when asked before', async () => {
    const body = { data: { attributes: { 'inquiry-template-id': 'itmpl_Meta' } } }
    const modern = await persona.call('POST', '/inquiries', { body, version: '2025-10-27' })
    expect(modern.body.meta).toEqual({
      'session-token': null,
      'one-time-link': null,
      'one-time-link-short': null,
    })
    const legacy = await persona.call('POST', '/inquiries', { body })
    expect(legacy.body.meta).toBeUndefined()
  })

  it('an empty include returns no included objects, and sparse fieldsets trim attributes', async () => {
    const id = await persona.createInquiry({ fields: { 'name-first': 'Ada', 'name-last': 'Byron' } })
    const reply = await persona.call(
      'GET',
      `/inquiries/${id}?include=&fields[inquiry]=status,fields.name-first`,
      {
        version: '2025-10-27',
      },
    )
    expect(reply.body.included).toBeUndefined()
    expect(reply.body.data.attributes).toEqual({
      status: 'created',
      fields: { 'name-first': { type: 'string', value: 'Ada' } },
    })
  })
})

describe('pagination', () => {
  it('pages newest first with relative links in both directions', async () => {
    const ids: string[] = []
    for (let index = 0; index < 5; index += 1) ids.push(await persona.createInquiry({ note: `n${index}` }))
    const newestFirst = [...ids].reverse()
    const first = await persona.call('GET', '/inquiries?page[size]=2')
    expect(first.body.data.map((inquiry: Json) => inquiry.id)).toEqual(newestFirst.slice(0, 2))
    expect(first.body.links.prev).toBeNull()
    expect(first.body.links.next).toBe(`/api/v1/inquiries?page%5Bsize%5D=2&page%5Bafter%5D=${newestFirst[1]}`)
    const second = await persona.call('GET', first.body.links.next.replace('/api/v1', ''))
    expect(second.body.data.map((inquiry: Json) => inquiry.id)).toEqual(newestFirst.slice(2, 4))
    const third = await persona.call('GET', second.body.links.next.replace('/api/v1', ''))
    expect(third.body.data.map((inquiry: Json) => inquiry.id)).toEqual(newestFirst.slice(4))
    expect(third.body.links.next).toBeNull()
    const back = await persona.call('GET', third.body.links.prev.replace('/api/v1', ''))
    expect(back.body.data.map((inquiry: Json) => inquiry.id)).toEqual(newestFirst.slice(2, 4))
  })

  it('defaults to 10 per page and rejects sizes outside 1..100', async () => {
    for (let index = 0; index < 11; index += 1) await persona.createInquiry()
    const page = await persona.call('GET', '/inquiries')
    expect(page.body.data).toHaveLength(10)
    expect(page.body.links.next).not.toBeNull()
    expect((await persona.call('GET', '/inquiries?page[size]=101')).status).toBe(400)
    expect((await persona.call('GET', '/inquiries?page[size]=0')).status).toBe(400)
  })
})
