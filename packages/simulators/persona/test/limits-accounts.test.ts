import { afterEach, describe, expect, it } from 'vitest'
import { type Json, sandboxKey, startPersona, type TestPersona, violationSummary } from './persona-server.js'

let persona: TestPersona | undefined

afterEach(async () => {
  if (persona === undefined) return
  expect(violationSummary(persona)).toEqual([])
  await persona.close()
  persona = undefined
})

const createBody = (note: string) => ({ data: { attributes: { 'inquiry-template-id': 'itmpl_Idem', note } } })

describe('Idempotency-Key', () => {
  it('replays the stored response, errors on different parameters, and forgets after 24 h', async () => {
    persona = await startPersona()
    const first = await persona.call('POST', '/inquiries', { body: createBody('a'), idempotencyKey: 'key-1' })
    const replay = await persona.call('POST', '/inquiries', {
      body: createBody('a'),
      idempotencyKey: 'key-1',
    })
    expect(replay.status).toBe(201)
    expect(replay.text).toBe(first.text)
    expect((await persona.call('GET', '/inquiries')).body.data).toHaveLength(1)
    const mismatch = await persona.call('POST', '/inquiries', {
      body: createBody('b'),
      idempotencyKey: 'key-1',
    })
    expect(mismatch.status).toBe(400)
    expect(mismatch.body.errors[0].title).toBe('Idempotency error')
    expect(mismatch.body.errors[0].details).toContain("other than 'key-1'")
    await persona.clock.advance(24 * 3_600_000)
    const later = await persona.call('POST', '/inquiries', { body: createBody('b'), idempotencyKey: 'key-1' })
    expect(later.status).toBe(201)
    expect(later.body.data.id).not.toBe(first.body.data.id)
  })

  it('gives the first caller of a key its full reply: status, body, and the headers a request without a key gets', async () => {
    persona = await startPersona()
    const send = (idempotencyKey?: string) =>
      persona!.simulator.fetch(`${persona!.simulator.baseUrl}/api/v1/inquiries`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${sandboxKey}`,
          'Content-Type': 'application/json',
          ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
        },
        body: JSON.stringify(createBody('headers')),
      })
    const plain = await send()
    const first = await send('key-headers')
    expect(first.status).toBe(201)
    expect([...first.headers.keys()].sort()).toEqual([...plain.headers.keys()].sort())
    expect(first.headers.get('Content-Type')).toBe(plain.headers.get('Content-Type'))
    expect(first.headers.get('Request-Id')).toMatch(/^req_/)
    expect(first.headers.get('Request-Id')).not.toBe(plain.headers.get('Request-Id'))
    const firstText = await first.text()
    const created = JSON.parse(firstText) as { data: { id: string; attributes: { note: string } } }
    expect(created.data.attributes.note).toBe('headers')
    const replay = await send('key-headers')
    expect(await replay.text()).toBe(firstText)
  })

  it('answers repeats sent while the first request runs with its reply, creating one inquiry', async () => {
    persona = await startPersona()
    // In process, so the five requests interleave at every await (over a socket they rarely do).
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        persona!.simulator.fetch(`${persona!.simulator.baseUrl}/api/v1/inquiries`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${sandboxKey}`,
            'Content-Type': 'application/json',
            'Idempotency-Key': 'key-concurrent',
          },
          body: JSON.stringify(createBody('a')),
        }),
      ),
    )
    expect(replies.map((reply) => reply.status)).toEqual([201, 201, 201, 201, 201])
    expect(new Set(await Promise.all(replies.map((reply) => reply.text()))).size).toBe(1)
    expect((await persona.call('GET', '/inquiries')).body.data).toHaveLength(1)
  })

  it('stores 4xx answers but never 401 or 429', async () => {
    persona = await startPersona({ apiKeys: ['persona_sandbox_good'], rateLimit: { limit: 3 } })
    const unauthorized = await persona.call('POST', '/inquiries', {
      body: createBody('a'),
      idempotencyKey: 'k',
      apiKey: 'persona_sandbox_bad',
    })
    expect(unauthorized.status).toBe(401)
    const created = await persona.call('POST', '/inquiries', {
      body: createBody('a'),
      idempotencyKey: 'k',
      apiKey: 'persona_sandbox_good',
    })
    expect(created.status).toBe(201)
    const invalid = { data: { attributes: { note: 'no template' } } }
    const badRequest = await persona.call('POST', '/inquiries', {
      body: invalid,
      idempotencyKey: 'k2',
      apiKey: 'persona_sandbox_good',
    })
    expect(badRequest.status).toBe(400)
    const limited = await persona.call('POST', '/inquiries', {
      body: createBody('c'),
      idempotencyKey: 'k3',
      apiKey: 'persona_sandbox_good',
    })
    expect(
      (
        await persona.call('POST', '/inquiries', {
          body: createBody('c'),
          idempotencyKey: 'k3',
          apiKey: 'persona_sandbox_good',
        })
      ).status,
    ).toBe(429)
    expect(limited.status).toBe(201)
    await persona.clock.advance(60_000)
    const replayedBadRequest = await persona.call('POST', '/inquiries', {
      body: invalid,
      idempotencyKey: 'k2',
      apiKey: 'persona_sandbox_good',
    })
    expect(replayedBadRequest.status).toBe(400)
    expect(replayedBadRequest.text).toBe(badRequest.text)
  })
})

describe('rate limits', () => {
  it('counts a fixed window with RateLimit-* headers and the documented 429 body', async () => {
    persona = await startPersona({ rateLimit: { limit: 3 } })
    await persona.clock.advance(30_000)
    const remaining: string[] = []
    for (let index = 0; index < 3; index += 1) {
      const reply = await persona.call('GET', '/inquiries')
      remaining.push(reply.headers.get('ratelimit-remaining') ?? '')
      expect(reply.headers.get('ratelimit-reset')).toBe('30')
    }
    expect(remaining).toEqual(['2', '1', '0'])
    const limited = await persona.call('GET', '/inquiries')
    expect(limited.status).toBe(429)
    expect(limited.body).toEqual({
      errors: [
        {
          title: 'Rate limit exceeded',
          details:
            'You have hit your rate limit of 3 requests / min. Please reach out to support@withpersona.com if you need this changed.',
        },
      ],
    })
    await persona.clock.advance(30_000)
    expect((await persona.call('GET', '/inquiries')).status).toBe(200)
  })

  it('enforces the inquiry-creation quota with Quota-* headers', async () => {
    persona = await startPersona({ inquiryCreationQuota: { limit: 2 } })
    const first = await persona.call('POST', '/inquiries', { body: createBody('1') })
    expect(first.headers.get('quota-limit')).toBe('2')
    expect(first.headers.get('quota-remaining')).toBe('1')
    await persona.call('POST', '/inquiries', { body: createBody('2') })
    const third = await persona.call('POST', '/inquiries', { body: createBody('3') })
    expect(third.status).toBe(429)
    expect(third.headers.get('quota-remaining')).toBe('0')
    expect((await persona.call('GET', '/inquiries')).status).toBe(200)
  })
})

describe('accounts', () => {
  it('creates, lists, retrieves, updates, tags and redacts; a duplicate reference id is a 409', async () => {
    persona = await startPersona()
    const created = await persona.call('POST', '/accounts', {
      body: {
        data: {
          attributes: { 'reference-id': 'user-7', 'name-first': 'Ada', fields: { birthdate: '1990-01-02' } },
        },
      },
    })
    expect(created.status).toBe(201)
    const id = created.body.data.id
    expect(created.body.data.attributes['name-first']).toBe('Ada')
    expect(created.body.data.attributes.fields.name.value.first.value).toBe('Ada')
    expect(created.body.data.attributes.fields.birthdate).toEqual({ type: 'date', value: '1990-01-02' })
    const legacyDuplicate = await persona.call('POST', '/accounts', {
      body: { data: { attributes: { 'reference-id': 'user-7' } } },
    })
    expect(legacyDuplicate.status).toBe(409)
    const modernDuplicate = await persona.call('POST', '/accounts', {
      version: '2025-10-27',
      body: { data: { attributes: { 'reference-id': 'user-7' } } },
    })
    expect(modernDuplicate.status).toBe(409)
    expect(modernDuplicate.body.errors[0]).toEqual({
      title: 'Conflict',
      details: 'Resource already exists as an active resource',
    })
    expect(
      (await persona.call('GET', '/accounts?filter[reference-id]=user-7')).body.data.map(
        (item: Json) => item.id,
      ),
    ).toEqual([id])
    const patched = await persona.call('PATCH', `/accounts/${id}`, {
      body: { data: { attributes: { fields: { 'name-last': 'Byron' } } } },
    })
    expect(patched.body.data.attributes['name-last']).toBe('Byron')
    const tagged = await persona.call('POST', `/accounts/${id}/add-tag`, {
      body: { meta: { 'tag-name': 'gold' } },
    })
    expect(tagged.body.data.attributes.tags).toEqual(['gold'])
    const redacted = await persona.call('DELETE', `/accounts/${id}`)
    expect(redacted.body.data.attributes['redacted-at']).toBe('2030-01-01T00:00:00.000Z')
    expect(redacted.text).not.toContain('Ada')
    expect(
      (
        await persona.call('POST', '/accounts', {
          body: { data: { attributes: { 'reference-id': 'user-7' } } },
        })
      ).status,
    ).toBe(201)
  })

  it('finds an account by its current reference id: after a rename, after a redaction, among many', async () => {
    persona = await startPersona()
    const createAccount = async (referenceId: string) =>
      persona!.call('POST', '/accounts', { body: { data: { attributes: { 'reference-id': referenceId } } } })
    const inquiryAccount = async (referenceId: string) =>
      (
        await persona!.call('POST', '/inquiries', {
          body: {
            data: { attributes: { 'inquiry-template-id': 'itmpl_Accounts' } },
            meta: { 'auto-create-account-reference-id': referenceId },
          },
        })
      ).body.data.relationships.account.data.id as string
    for (let index = 0; index < 50; index += 1)
      expect((await createAccount(`other-${index}`)).status).toBe(201)
    const first = (await createAccount('user-old')).body.data.id as string
    await persona.call('PATCH', `/accounts/${first}`, {
      body: { data: { attributes: { 'reference-id': 'user-new' } } },
    })
    expect(await inquiryAccount('user-new')).toBe(first)
    expect((await createAccount('user-new')).status).toBe(409)
    const second = (await createAccount('user-old')).body.data.id as string
    expect(second).not.toBe(first)
    expect(await inquiryAccount('user-old')).toBe(second)
    await persona.call('DELETE', `/accounts/${first}`)
    const third = await inquiryAccount('user-new')
    expect([first, second]).not.toContain(third)
    expect(await inquiryAccount('user-new')).toBe(third)
    // The account.created event keeps the account as it was then, not as renamed and redacted since.
    const created = await persona.call(
      'GET',
      `/events?filter[name]=account.created&filter[object-id]=${first}`,
    )
    expect(created.body.data[0].attributes.payload.data.attributes['reference-id']).toBe('user-old')
    expect(created.body.data[0].attributes.payload.data.attributes['redacted-at']).toBeNull()
  })

  it('lists relations for a relation key, which is required', async () => {
    persona = await startPersona()
    const ids: string[] = []
    for (const reference of ['a', 'b', 'c']) {
      ids.push(
        (
          await persona.call('POST', '/accounts', {
            body: { data: { attributes: { 'reference-id': reference } } },
          })
        ).body.data.id,
      )
    }
    persona.simulator.persona.relateAccounts(ids[0]!, 'household', ids[1]!)
    persona.simulator.persona.relateAccounts(ids[0]!, 'device', ids[2]!)
    const relations = async (query: string) => {
      const response = await fetch(`${persona!.baseUrl}/api/v1/accounts/${ids[0]}/relations${query}`, {
        headers: { Authorization: 'Bearer persona_sandbox_core_tests' },
      })
      return { status: response.status, body: (await response.json()) as Json }
    }
    const household = await relations('?filter[key]=household')
    expect(household.body.data.map((item: Json) => item.id)).toEqual([ids[1]])
    expect(household.body.links).toEqual({ prev: null, next: null })
    expect((await relations('')).status).toBe(400)
  })
})

describe('verifications and events', () => {
  it('retrieves verifications generically and by type, and redacts them', async () => {
    persona = await startPersona()
    const inquiryId = await persona.createInquiry({ fields: { 'name-last': 'Testperson-Expired' } })
    await persona.simulator.persona.resolve(inquiryId, 'expired_document')
    const inquiry = await persona.call('GET', `/inquiries/${inquiryId}`)
    const governmentId = inquiry.body.data.relationships.verifications.data.find(
      (item: Json) => item.type === 'verification/government-id',
    )
    const generic = await persona.call('GET', `/verifications/${governmentId.id}`)
    expect(generic.body.data.attributes.status).toBe('failed')
    const expiredCheck = generic.body.data.attributes.checks.find(
      (check: Json) => check.name === 'id_expired_detection',
    )
    expect(expiredCheck).toEqual({
      name: 'id_expired_detection',
      status: 'failed',
      reasons: ['expired'],
      metadata: {},
    })
    expect(generic.body.data.attributes['expiration-date']).toBe('2019-02-14')
    const typed = await persona.call('GET', `/verification/government-ids/${governmentId.id}`)
    expect(typed.body.data.id).toBe(governmentId.id)
    expect((await persona.call('GET', `/verification/selfies/${governmentId.id}`)).status).toBe(404)
    const modern = await persona.call('GET', `/verifications/${governmentId.id}`, { version: '2025-10-27' })
    expect(modern.body.data.attributes.checks[0].requirement).toBeTypeOf('string')
    const redacted = await persona.call('DELETE', `/verifications/${governmentId.id}`, {
      version: '2025-10-27',
    })
    expect(redacted.body.data.attributes['document-number']).toBeNull()
  })

  it('lists events with name and object filters and retrieves one', async () => {
    persona = await startPersona()
    const inquiryId = await persona.createInquiry()
    await persona.simulator.persona.resolve(inquiryId, 'clean_approve')
    const completed = await persona.call(
      'GET',
      `/events?filter[name]=inquiry.completed,inquiry.approved&filter[object-id]=${inquiryId}`,
    )
    expect(completed.body.data.map((event: Json) => event.attributes.name)).toEqual([
      'inquiry.approved',
      'inquiry.completed',
    ])
    const event = completed.body.data[0]
    expect(event.attributes.payload.data).toMatchObject({
      type: 'inquiry',
      id: inquiryId,
      attributes: { status: 'approved' },
    })
    const one = await persona.call('GET', `/events/${event.id}`)
    expect(one.body.data).toEqual(event)
    expect((await persona.call('GET', '/events/evt_missing')).status).toBe(404)
  })
})
