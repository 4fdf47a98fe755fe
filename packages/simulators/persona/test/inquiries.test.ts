import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type Json,
  productionKey,
  startPersona,
  type TestPersona,
  violationSummary,
} from './persona-server.js'

let persona: TestPersona

beforeEach(async () => {
  persona = await startPersona()
})
afterEach(async () => {
  expect(violationSummary(persona)).toEqual([])
  await persona.close()
})

const eventNames = async () =>
  (await persona.call('GET', '/events?page[size]=100')).body.data
    .map((event: Json) => event.attributes.name)
    .reverse()

describe('create, retrieve, list, update', () => {
  it('creates a `created` inquiry (201) with template, fields, account and auto-created links', async () => {
    const reply = await persona.call('POST', '/inquiries', {
      version: '2025-10-27',
      body: {
        data: {
          attributes: {
            'inquiry-template-id': 'itmpl_Create',
            fields: { 'name-first': 'Ada', 'favorite-color': 'teal' },
            note: 'n',
            tags: ['vip'],
          },
        },
        meta: {
          'auto-create-account-reference-id': 'user-42',
          'auto-create-one-time-link': true,
          'auto-create-inquiry-session': true,
        },
      },
    })
    expect(reply.status).toBe(201)
    const { data, meta } = reply.body
    expect(data.attributes).toMatchObject({
      status: 'created',
      'reference-id': 'user-42',
      'expires-at': '2030-01-02T00:00:00.000Z',
      note: 'n',
      tags: ['vip'],
      'created-at': '2030-01-01T00:00:00.000Z',
    })
    expect(data.attributes.fields['favorite-color']).toEqual({ type: 'string', value: 'teal' })
    expect(data.attributes.fields.birthdate).toEqual({ type: 'date', value: null })
    expect(data.relationships['inquiry-template'].data).toEqual({
      type: 'inquiry-template',
      id: 'itmpl_Create',
    })
    expect(meta['session-token']).toMatch(/^ey/)
    expect(meta['one-time-link']).toMatch(new RegExp(`^${persona.baseUrl}/verify\\?code=`))
    const accountId = data.relationships.account.data.id
    const second = await persona.createInquiry({}, { 'auto-create-account-reference-id': 'user-42' })
    const secondReply = await persona.call('GET', `/inquiries/${second}`)
    expect(secondReply.body.data.relationships.account.data.id).toBe(accountId)
    expect((await persona.call('GET', '/accounts?filter[reference-id]=user-42')).body.data).toHaveLength(1)
    expect(await eventNames()).toEqual(['account.created', 'inquiry.created', 'inquiry.created'])
  })

  it('rejects a create without exactly one template id, or with an unknown account', async () => {
    const none = await persona.call('POST', '/inquiries', { body: { data: { attributes: { note: 'x' } } } })
    expect(none.status).toBe(400)
    expect(none.body.errors[0]).toMatchObject({
      title: 'Bad Request',
      details: expect.stringContaining('inquiry-template-id'),
    })
    const both = await persona.call('POST', '/inquiries', {
      body: { data: { attributes: { 'inquiry-template-id': 'itmpl_A', 'template-id': 'tmpl_B' } } },
    })
    expect(both.status).toBe(400)
    const account = await persona.call('POST', '/inquiries', {
      body: { data: { attributes: { 'inquiry-template-id': 'itmpl_A', 'account-id': 'act_missing' } } },
    })
    expect(account.status).toBe(404)
  })

  it('lists with the documented filters', async () => {
    const first = await persona.createInquiry(
      { 'inquiry-template-id': 'itmpl_One' },
      { 'auto-create-account-reference-id': 'r-1' },
    )
    const second = await persona.createInquiry({ 'inquiry-template-id': 'itmpl_Two', note: 'findme' })
    await persona.simulator.persona.resolve(second, 'clean_approve')
    const ids = async (query: string) =>
      (await persona.call('GET', `/inquiries?${query}`)).body.data.map((item: Json) => item.id)
    expect(await ids('filter[inquiry-template-id]=itmpl_One')).toEqual([first])
    expect(await ids('filter[status]=approved,declined')).toEqual([second])
    expect(await ids('filter[reference-id]=r-1')).toEqual([first])
    expect(await ids(`filter[inquiry-id]=${first},${second}`)).toEqual([second, first])
    expect(await ids('filter[note]=findme')).toEqual([second])
    expect(await ids('filter[created-at-start]=2030-01-01T00:00:01.000Z')).toEqual([])
    expect((await persona.call('GET', '/inquiries?filter[note]=x&filter[status]=created')).status).toBe(400)
  })

  it('updates note, fields and tags without firing events', async () => {
    const id = await persona.createInquiry()
    const before = (await eventNames()).length
    const reply = await persona.call('PATCH', `/inquiries/${id}`, {
      body: { data: { attributes: { note: 'updated', fields: { 'name-last': 'Byron' }, tags: ['a', 'b'] } } },
    })
    expect(reply.body.data.attributes).toMatchObject({
      note: 'updated',
      tags: ['a', 'b'],
      'name-last': 'Byron',
    })
    expect((await eventNames()).length).toBe(before)
  })
})

describe('actions', () => {
  it('approve, decline and mark-for-review set status, timestamps, reviewer comment and events', async () => {
    const id = await persona.createInquiry()
    // mark-for-review is newer than the 2023-01-05 bundle: sent with a newer version, outside the schema check.
    const review = await persona.call('POST', `/inquiries/${id}/mark-for-review`, {
      version: '2025-12-08',
      body: { meta: { comment: 'look' } },
    })
    expect(review.body.data.attributes).toMatchObject({
      status: 'needs_review',
      'reviewer-comment': 'look',
      'marked-for-review-at': '2030-01-01T00:00:00.000Z',
    })
    const approved = await persona.call('POST', `/inquiries/${id}/approve`, {
      body: { meta: { comment: 'ok' } },
    })
    expect(approved.body.data.attributes).toMatchObject({
      status: 'approved',
      'decisioned-at': '2030-01-01T00:00:00.000Z',
    })
    expect(approved.body.data.relationships.reviewer.data.type).toBe('user')
    const declined = await persona.call('POST', `/inquiries/${id}/decline`)
    expect(declined.body.data.attributes.status).toBe('declined')
    expect(await eventNames()).toEqual([
      'account.created',
      'inquiry.created',
      'inquiry.marked-for-review',
      'inquiry.approved',
      'inquiry.declined',
    ])
  })

  it('expire, then resume with a session token; resume of a completed inquiry is a 409', async () => {
    const id = await persona.createInquiry()
    const expired = await persona.call('POST', `/inquiries/${id}/expire`)
    expect(expired.body.data.attributes).toMatchObject({
      status: 'expired',
      'expired-at': '2030-01-01T00:00:00.000Z',
    })
    expect((await persona.call('POST', `/inquiries/${id}/generate-one-time-link`)).status).toBe(409)
    const resumed = await persona.call('POST', `/inquiries/${id}/resume`)
    expect(resumed.status).toBe(200)
    expect(resumed.body.data.attributes.status).toBe('pending')
    expect(resumed.body.meta['session-token']).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/)
    const again = await persona.call('POST', `/inquiries/${id}/resume`)
    expect(again.body.meta['session-token']).toBe(resumed.body.meta['session-token'])
    const done = await persona.createInquiry()
    await persona.simulator.persona.resolve(done, 'clean_approve')
    const conflict = await persona.call('POST', `/inquiries/${done}/resume`)
    expect(conflict.status).toBe(409)
    expect(conflict.body.errors[0].title).toBe('Conflict')
  })

  it('an inquiry nobody finishes expires when the clock passes expires-at', async () => {
    const id = await persona.createInquiry({}, { 'expiration-after-create-interval-seconds': 600 })
    await persona.clock.advance(599_000)
    expect((await persona.call('GET', `/inquiries/${id}`)).body.data.attributes.status).toBe('created')
    await persona.clock.advance(1_000)
    const reply = await persona.call('GET', `/inquiries/${id}`)
    expect(reply.body.data.attributes).toMatchObject({
      status: 'expired',
      'expired-at': '2030-01-01T00:10:00.000Z',
    })
  })

  it('one-time links: an unused link is reused, expires, and a used link is single-use after a 5-minute grace', async () => {
    const id = await persona.createInquiry()
    const first = await persona.call('POST', `/inquiries/${id}/generate-one-time-link`, {
      body: { meta: { 'expires-in-seconds': 60 } },
    })
    const link = first.body.meta['one-time-link'] as string
    expect(first.body.meta['one-time-link-short']).toMatch(/\/v\//)
    const reused = await persona.call('POST', `/inquiries/${id}/generate-one-time-link`)
    expect(reused.body.meta['one-time-link']).toBe(link)
    expect((await fetch(link)).status).toBe(200)
    await persona.clock.advance(299_000)
    expect((await fetch(link)).status).toBe(200)
    await persona.clock.advance(2_000)
    expect((await fetch(link)).status).toBe(410)
    const fresh = await persona.call('POST', `/inquiries/${id}/generate-one-time-link`, {
      body: { meta: { 'expires-in-seconds': 60 } },
    })
    expect(fresh.body.meta['one-time-link']).not.toBe(link)
    await persona.clock.advance(61_000)
    expect((await fetch(fresh.body.meta['one-time-link'])).status).toBe(410)
    const invalid = await persona.call('POST', `/inquiries/${id}/generate-one-time-link`, {
      body: { meta: { 'expires-in-seconds': 0 } },
    })
    expect(invalid.status).toBe(400)
  })

  it('add-tag, remove-tag and set-tags', async () => {
    const id = await persona.createInquiry()
    await persona.call('POST', `/inquiries/${id}/add-tag`, { body: { meta: { 'tag-name': 'one' } } })
    const added = await persona.call('POST', `/inquiries/${id}/add-tag`, {
      body: { meta: { 'tag-name': 'two' } },
    })
    expect(added.body.data.attributes.tags).toEqual(['one', 'two'])
    const removed = await persona.call('POST', `/inquiries/${id}/remove-tag`, {
      body: { meta: { 'tag-name': 'one' } },
    })
    expect(removed.body.data.attributes.tags).toEqual(['two'])
    const set = await persona.call('POST', `/inquiries/${id}/set-tags`, {
      body: { meta: { 'tag-name': ['x', 'y'] } },
    })
    expect(set.body.data.attributes.tags).toEqual(['x', 'y'])
    expect((await persona.call('POST', `/inquiries/${id}/add-tag`, { body: { meta: {} } })).status).toBe(400)
  })

  it('perform-simulate-actions applies documented actions in order, sandbox only', async () => {
    const id = await persona.createInquiry()
    const reply = await persona.call('POST', `/inquiries/${id}/perform-simulate-actions`, {
      body: {
        meta: {
          'simulate-actions': [
            { type: 'start_inquiry' },
            { type: 'create_passed_verification', data: { 'verification-template-id': 'vtmpl_selfie' } },
            { type: 'create_failed_verification', data: { 'verification-template-id': 'vtmpl_gov' } },
            { type: 'complete_inquiry' },
            { type: 'approve_inquiry' },
          ],
        },
      },
    })
    expect(reply.status).toBe(200)
    expect(reply.body.data.attributes.status).toBe('approved')
    expect(reply.body.data.relationships.verifications.data.map((item: Json) => item.type)).toEqual([
      'verification/selfie',
      'verification/government-id',
    ])
    const names = await eventNames()
    expect(names.slice(2, 6)).toEqual([
      'inquiry.started',
      'verification.created',
      'selfie.created',
      'selfie.submitted',
    ])
    expect(names.slice(-2)).toEqual(['inquiry.completed', 'inquiry.approved'])
    const bad = await persona.call('POST', `/inquiries/${id}/perform-simulate-actions`, {
      version: '2025-12-08',
      body: {
        meta: { 'simulate-actions': [{ type: 'decline_inquiry' }, { type: 'create_passed_verification' }] },
      },
    })
    expect(bad.status).toBe(400)
    expect((await persona.call('GET', `/inquiries/${id}`)).body.data.attributes.status).toBe('approved')
    const production = await persona.call('POST', '/inquiries', {
      apiKey: productionKey,
      body: { data: { attributes: { 'inquiry-template-id': 'itmpl_Prod' } } },
    })
    const forbidden = await persona.call(
      'POST',
      `/inquiries/${production.body.data.id}/perform-simulate-actions`,
      {
        apiKey: productionKey,
        body: { meta: { 'simulate-actions': [{ type: 'start_inquiry' }] } },
      },
    )
    expect(forbidden.status).toBe(403)
  })

  it('redact (DELETE) removes personal data from the inquiry and its verifications', async () => {
    const id = await persona.createInquiry({
      fields: { 'name-first': 'Ada', 'name-last': 'Testperson-Approve' },
    })
    await persona.simulator.persona.resolve(id, 'clean_approve')
    // Redacted records carry nulls and `redacted-at`, which the 2023-01-05 schema cannot describe.
    const reply = await persona.call('DELETE', `/inquiries/${id}`, { version: '2025-12-08' })
    expect(reply.status).toBe(200)
    expect(reply.body.data.attributes['redacted-at']).toBe('2030-01-01T00:00:00.000Z')
    expect(reply.body.data.attributes.fields['name-first'].value).toBeNull()
    expect(reply.text).not.toContain('Ada')
    for (const verification of reply.body.data.relationships.verifications.data) {
      const text = (await persona.call('GET', `/verifications/${verification.id}`, { version: '2025-12-08' }))
        .text
      expect(text).not.toContain('Testperson-Approve')
      expect(text).not.toContain('ZZ4100001')
    }
    expect((await persona.call('POST', `/inquiries/${id}/resume`)).status).toBe(409)
    expect(await eventNames()).toContain('inquiry.redacted')
  })
})
