import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  configurePersonaLists,
  createPersonaList,
  type PersonaListKind,
  personaListKinds,
  readPersonaListReceipt,
} from '../src/lists.js'
import { matchPersonaOperation } from '../src/openapi/index.js'
import { startTestPersona, type TestPersona, testApiKey } from './lists-server.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON:API bodies are inspected loosely in assertions
type Json = any

let persona: TestPersona

beforeEach(async () => {
  // `POST /list/strings` is documented in the API reference but absent from the official bundle.
  persona = await startTestPersona({
    skip: (method, path) => method === 'POST' && path === '/api/v1/list/strings',
  })
})

afterEach(async () => {
  await persona.close()
  // Every response the test saw matched Persona's official OpenAPI schema.
  expect(persona.checkedFetch.violations).toEqual([])
  expect(persona.checkedFetch.checkedResponses()).toBeGreaterThan(0)
})

async function createList(plural: string, name = 'Blocked values', extra: Record<string, unknown> = {}) {
  const reply = await persona.call('POST', `/list/${plural}`, { data: { attributes: { name, ...extra } } })
  expect(reply.status).toBe(201)
  return reply.body.data as Json
}

/** A valid item body (attributes) and a second distinct one for each kind. */
const sampleItems: Record<PersonaListKind, [Record<string, unknown>, Record<string, unknown>]> = {
  'browser-fingerprint': [{ value: 'bfp-1' }, { value: 'bfp-2' }],
  country: [{ 'country-code': 'KP' }, { 'country-code': 'IR' }],
  'device-fingerprint': [{ value: 'dfp-1' }, { value: 'dfp-2' }],
  'email-address': [
    { value: 'fraud@example.test', 'match-type': 'email_address' },
    { value: 'bad.test', 'match-type': 'domain' },
  ],
  field: [{ 'field-value': 'ACME Shell Corp' }, { 'field-value': 'Other Corp' }],
  geolocation: [
    { latitude: 52.37, longitude: 4.89, 'radius-meters': 500 },
    { latitude: -33.86, longitude: 151.2, 'radius-meters': 1000 },
  ],
  'government-id-number': [
    { 'id-number': 'X1234567', 'id-class': 'pp' },
    { 'id-number': 'D7654321', 'id-class': 'dl' },
  ],
  'ip-address': [{ value: '203.0.113.7' }, { value: '2001:db8::1' }],
  name: [
    { 'name-first': 'Test', 'name-last': 'Person' },
    { 'name-first': 'Other', 'name-last': 'Person' },
  ],
  'phone-number': [{ value: '+15555550100' }, { value: '+15555550101' }],
  string: [{ value: 'anything' }, { value: 'something else' }],
}

describe('lists', () => {
  it('creates a list of every kind the API can create, active and empty', async () => {
    for (const definition of personaListKinds.filter((kind) => kind.creatableByApi)) {
      const list = await createList(definition.plural, `List of ${definition.plural}`)
      expect(list).toMatchObject({
        type: `list/${definition.kind}`,
        attributes: { name: `List of ${definition.plural}`, status: 'active', 'archived-at': null },
        relationships: { 'list-items': { data: [] } },
      })
      expect(list.id).toMatch(/^lst_/)
      expect(list.attributes['created-at']).toBe('2030-01-01T00:00:00.000Z')
    }
    expect(matchPersonaOperation('POST', '/list/strings')).toBeUndefined()
  })

  it('keeps allow-fuzzy-name-first on name lists', async () => {
    const list = await createList('names', 'Sanctioned names', { 'allow-fuzzy-name-first': true })
    expect(list.attributes['allow-fuzzy-name-first']).toBe(true)
    const plain = await createList('names')
    expect(plain.attributes['allow-fuzzy-name-first']).toBe(false)
  })

  it('refuses a list without a name', async () => {
    const reply = await persona.call('POST', '/list/email-addresses', { data: { attributes: {} } })
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({
      errors: [{ title: 'Bad Request', details: 'data.attributes.name is missing' }],
    })
  })

  it('retrieves, lists with a status filter, archives, and pages newest first', async () => {
    const first = await createList('email-addresses', 'first')
    const second = await createList('ip-addresses', 'second')
    const third = await createList('countries', 'third')

    const retrieved = await persona.call('GET', `/lists/${second.id}`)
    expect(retrieved.status).toBe(200)
    expect(retrieved.body.data).toEqual(second)

    await persona.clock.advance(60_000)
    const archived = await persona.call('DELETE', `/lists/${second.id}`)
    expect(archived.status).toBe(200)
    expect(archived.body.data).toMatchObject({
      id: second.id,
      attributes: { status: 'archived', 'archived-at': '2030-01-01T00:01:00.000Z' },
    })

    const all = await persona.call('GET', '/lists')
    expect((all.body.data as Json[]).map((list) => list.id)).toEqual([third.id, second.id, first.id])
    expect(all.body.links).toEqual({ prev: null, next: null })

    const active = await persona.call('GET', '/lists?filter[status]=active')
    expect((active.body.data as Json[]).map((list) => list.id)).toEqual([third.id, first.id])
    const onlyArchived = await persona.call('GET', '/lists?filter%5Bstatus%5D=archived')
    expect((onlyArchived.body.data as Json[]).map((list) => list.id)).toEqual([second.id])

    const page = await persona.call('GET', '/lists?page[size]=2')
    expect((page.body.data as Json[]).map((list) => list.id)).toEqual([third.id, second.id])
    const next = (page.body.links as Json).next as string
    expect(next).toContain(`page%5Bafter%5D=${second.id}`)
    const rest = await persona.call('GET', next.replace('/api/v1', ''))
    expect((rest.body.data as Json[]).map((list) => list.id)).toEqual([first.id])

    expect((await persona.call('GET', '/lists?filter[status]=deleted')).status).toBe(400)
    expect(await persona.call('GET', '/lists/lst_unknown')).toMatchObject({
      status: 404,
      body: { errors: [{ title: 'Record not found' }] },
    })
    expect((await persona.call('DELETE', '/lists/lst_unknown')).status).toBe(404)
  })
})

describe('key inflection', () => {
  it('renders lists and items in camelCase or snake_case when Key-Inflection asks for it', async () => {
    const list = await createList('names', 'Inflected', { 'allow-fuzzy-name-first': true })
    const item = await persona.call('POST', '/list-item/names', {
      data: { attributes: { 'list-id': list.id, 'name-first': 'Key', 'name-last': 'Case' } },
    })
    // Plain fetch: the official schemas are written in the default kebab-case.
    const get = async (path: string, inflection: string) =>
      (await (
        await fetch(`${persona.baseUrl}/api/v1${path}`, {
          headers: { Authorization: `Bearer ${testApiKey}`, 'Key-Inflection': inflection },
        })
      ).json()) as Json
    const camel = await get(`/lists/${list.id}`, 'camel')
    expect(camel.data.attributes).toMatchObject({ allowFuzzyNameFirst: true, archivedAt: null })
    expect(camel.data.relationships).toEqual({ listItems: { data: [] } })
    const snake = await get(`/list-item/names/${item.body.data.id}`, 'snake')
    expect(snake.data.attributes).toMatchObject({ name_first: 'Key', name_last: 'Case', match_count: 0 })
  })
})

describe('list items', () => {
  it('creates, retrieves and archives an item of every kind, pending then active', async () => {
    configurePersonaLists(persona.context, { listItemActivationDelayMs: 2_000 })
    for (const definition of personaListKinds) {
      const list = definition.creatableByApi
        ? await createList(definition.plural)
        : createPersonaList(persona.context, { kind: definition.kind, name: 'dashboard list' })
      const [attributes] = sampleItems[definition.kind]
      const created = await persona.call('POST', `/list-item/${definition.plural}`, {
        data: { attributes: { 'list-id': list.id, ...attributes } },
      })
      expect(created.status, definition.kind).toBe(201)
      const item = created.body.data as Json
      expect(item.type).toBe(`list-item/${definition.kind}`)
      expect(item.id.startsWith(`${definition.itemPrefix}_`)).toBe(true)
      expect(item.attributes).toMatchObject({ status: 'pending', 'match-count': 0, 'archived-at': null })
      for (const name of definition.itemAttributes) expect(item.attributes[name], name).toBeDefined()
      expect(item.relationships).toEqual({ creator: { data: null } })

      const early = await persona.call('GET', `/list-item/${definition.plural}/${item.id}`)
      expect(early.body.data.attributes.status).toBe('pending')
      await persona.clock.advance(2_000)
      const later = await persona.call('GET', `/list-item/${definition.plural}/${item.id}`)
      expect(later.body.data.attributes.status).toBe('active')

      const archived = await persona.call('DELETE', `/list-item/${definition.plural}/${item.id}`)
      expect(archived.status).toBe(200)
      expect(archived.body.data.attributes.status).toBe('archived')
      expect(archived.body.data.attributes['archived-at']).not.toBeNull()
    }
  })

  it('keeps the kind-specific attributes as documented', async () => {
    const emails = await createList('email-addresses')
    const domain = await persona.call('POST', '/list-item/email-addresses', {
      data: { attributes: { 'list-id': emails.id, value: 'bad.test', 'match-type': 'domain' } },
    })
    expect(domain.body.data.attributes).toMatchObject({ value: 'bad.test', 'match-type': 'domain' })
    const defaulted = await persona.call('POST', '/list-item/email-addresses', {
      data: { attributes: { 'list-id': emails.id, value: 'x@example.test' } },
    })
    expect(defaulted.body.data.attributes['match-type']).toBe('email_address')

    const places = await createList('geolocations')
    const place = await persona.call('POST', '/list-item/geolocations', {
      data: { attributes: { 'list-id': places.id, latitude: 10.5, longitude: -20.25, 'radius-meters': 150 } },
    })
    expect(place.body.data.attributes).toMatchObject({
      latitude: 10.5,
      longitude: -20.25,
      'radius-meters': 150,
    })

    const countries = await createList('countries')
    const country = await persona.call('POST', '/list-item/countries', {
      data: { attributes: { 'list-id': countries.id, 'country-code': 'kp' } },
    })
    expect(country.body.data.attributes['country-code']).toBe('KP')
  })

  it('answers 400, 404, 409 and 422 as Persona does', async () => {
    const emails = await createList('email-addresses')
    const names = await createList('names')
    const post = (attributes: Record<string, unknown>) =>
      persona.call('POST', '/list-item/email-addresses', { data: { attributes } })

    expect(await post({ value: 'a@example.test' })).toMatchObject({
      status: 400,
      body: { errors: [{ title: 'Bad Request', details: 'data.attributes.list-id is missing' }] },
    })
    expect((await post({ 'list-id': 'lst_missing', value: 'a@example.test' })).status).toBe(404)
    const wrongKind = await post({ 'list-id': names.id, value: 'a@example.test' })
    expect(wrongKind.status).toBe(422)
    expect(wrongKind.body.errors).toEqual([
      {
        title: 'Unprocessable entity',
        details: 'list-id must reference a list/email-address list',
        source: { pointer: '/data/attributes/list-id' },
      },
    ])
    const invalid = await post({ 'list-id': emails.id, value: 'not-an-email' })
    expect(invalid.status).toBe(422)
    expect(invalid.body.errors).toEqual([
      {
        title: 'Unprocessable entity',
        details: 'value is not a valid email address',
        source: { pointer: '/data/attributes/value' },
      },
    ])
    expect(JSON.stringify(invalid.body)).not.toContain('not-an-email')
    expect(
      (await post({ 'list-id': emails.id, value: 'a@example.test', 'match-type': 'regex' })).status,
    ).toBe(422)

    expect((await post({ 'list-id': emails.id, value: 'Dup@Example.test' })).status).toBe(201)
    expect(await post({ 'list-id': emails.id, value: 'dup@example.test' })).toMatchObject({
      status: 409,
      body: { errors: [{ title: 'Conflict', details: 'Resource already exists as an active resource' }] },
    })

    const places = await createList('geolocations')
    const farAway = await persona.call('POST', '/list-item/geolocations', {
      data: { attributes: { 'list-id': places.id, latitude: 91, longitude: 0, 'radius-meters': 1 } },
    })
    expect(farAway.body.errors[0].source).toEqual({ pointer: '/data/attributes/latitude' })

    await persona.call('DELETE', `/lists/${emails.id}`)
    const archivedList = await post({ 'list-id': emails.id, value: 'new@example.test' })
    expect(archivedList.status).toBe(422)
    expect(archivedList.body.errors[0].details).toBe('The list is archived')

    expect((await persona.call('GET', '/list-item/email-addresses/liea_missing')).status).toBe(404)
  })

  it('retrieves an item only under its own kind', async () => {
    const ips = await createList('ip-addresses')
    const created = await persona.call('POST', '/list-item/ip-addresses', {
      data: { attributes: { 'list-id': ips.id, value: '198.51.100.4' } },
    })
    const id = created.body.data.id as string
    expect((await persona.call('GET', `/list-item/ip-addresses/${id}`)).status).toBe(200)
    expect((await persona.call('GET', `/list-item/phone-numbers/${id}`)).status).toBe(404)
  })

  it('frees an archived value for reuse and records every value once in the receipt', async () => {
    const phones = await createList('phone-numbers')
    const add = (value: string) =>
      persona.call('POST', '/list-item/phone-numbers', {
        data: { attributes: { 'list-id': phones.id, value } },
      })
    const first = await add('+1 555 555 0100')
    await add('+15555550101')
    expect((await add('+15555550100')).status).toBe(409)
    await persona.call('DELETE', `/list-item/phone-numbers/${first.body.data.id}`)
    expect((await add('+15555550100')).status).toBe(201)
    const receipt = readPersonaListReceipt(persona.context, phones.id)
    expect(receipt.values).toEqual(['+1 555 555 0100', '+15555550101'])
    expect(receipt).toMatchObject({ rowsReceived: 0, importerCount: 0 })
    expect(() => readPersonaListReceipt(persona.context, 'lst_missing')).toThrow(RangeError)
  })

  it('accepts camelCase and snake_case request keys', async () => {
    const names = await createList('names')
    // Plain fetch: the official schema (kebab-case) would rightly flag these request keys.
    const send = (attributes: Record<string, unknown>) =>
      fetch(`${persona.baseUrl}/api/v1/list-item/names`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${testApiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: { attributes } }),
      })
    const camel = await send({ listId: names.id, nameFirst: 'Camel', nameLast: 'Case' })
    expect(camel.status).toBe(201)
    expect(((await camel.json()) as Json).data.attributes).toMatchObject({
      'name-first': 'Camel',
      'name-last': 'Case',
    })
    const snake = await send({ list_id: names.id, name_first: 'Snake', name_last: 'Case' })
    expect(snake.status).toBe(201)
    expect(readPersonaListReceipt(persona.context, names.id).values).toEqual(['Camel,Case', 'Snake,Case'])
  })
})
