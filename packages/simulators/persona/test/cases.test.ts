import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { definePersonaCaseTemplate } from '../src/cases.js'
import { validatePersonaWebhookBody } from '../src/openapi/index.js'
import { startTestPersona, type TestPersona } from './lists-server.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON:API bodies are inspected loosely in assertions
type Json = any

let persona: TestPersona

beforeEach(async () => {
  persona = await startTestPersona()
})

afterEach(async () => {
  await persona.close()
  expect(persona.checkedFetch.violations).toEqual([])
  expect(persona.checkedFetch.checkedResponses()).toBeGreaterThan(0)
})

/** Names of the events emitted so far, oldest first. */
function eventNames(): string[] {
  return persona.context.state
    .collection('event')
    .list()
    .reverse()
    .map((event) => String(event.attributes.name))
}

/** Puts an account and an inquiry in the store, as if created through their own endpoints. */
function seedObjects() {
  const now = persona.clock.now()
  const account = persona.context.state.collection('account').insert({
    type: 'account',
    id: persona.context.newId('act'),
    createdAtMs: now,
    attributes: { 'reference-id': 'user-42' },
  })
  const inquiry = persona.context.state.collection('inquiry').insert({
    type: 'inquiry',
    id: persona.context.newId('inq'),
    createdAtMs: now,
    attributes: { status: 'completed' },
  })
  return { account, inquiry }
}

// Modern responses include nothing by default, so these tests see only case objects.
const modern = { 'Persona-Version': '2025-12-08' }

async function createCase(
  attributes: Record<string, unknown> = {},
  meta?: Record<string, unknown>,
  headers: Record<string, string> = modern,
): Promise<Json> {
  const reply = await persona.call(
    'POST',
    '/cases',
    {
      data: { attributes: { 'case-template-id': 'ctmpl_default', ...attributes } },
      ...(meta ? { meta } : {}),
    },
    headers,
  )
  expect(reply.status).toBe(201)
  return reply.body.data
}

describe('cases', () => {
  it('creates a case in the template’s initial status, with creator, queue, fields and SLA', async () => {
    const kase = await createCase(
      {
        'creator-email-address': 'analyst@example.test',
        'case-queue-id': 'cqueue_high_risk',
        fields: { 'risk-band': 'high', score: 87 },
      },
      { 'sla-expires-in-seconds': 7200 },
    )
    expect(kase.id).toMatch(/^case_/)
    expect(kase.attributes).toMatchObject({
      status: 'Open',
      name: 'KCAS-1',
      resolution: null,
      'created-at': '2030-01-01T00:00:00.000Z',
      'sla-expires-at': '2030-01-01T02:00:00.000Z',
      'creator-id': 'analyst@example.test',
      'creator-type': 'user',
      'assignee-id': null,
      tags: [],
      attachments: [],
      fields: { 'risk-band': { type: 'string', value: 'high' }, score: { type: 'number', value: 87 } },
    })
    expect(kase.relationships).toMatchObject({
      'case-template': { data: { type: 'case-template', id: 'ctmpl_default' } },
      'case-queue': { data: { type: 'case-queue', id: 'cqueue_high_risk' } },
      inquiries: { data: [] },
      accounts: { data: [] },
    })
    expect((await createCase()).attributes.name).toBe('KCAS-2')
    expect(eventNames()).toEqual(['case.created', 'case.created'])
  })

  it('relates accounts and inquiries given in meta.object-ids, and refuses unknown ids', async () => {
    const { account, inquiry } = seedObjects()
    const kase = await createCase({}, { 'object-ids': [account.id, inquiry.id] })
    expect(kase.relationships.accounts.data).toEqual([{ type: 'account', id: account.id }])
    expect(kase.relationships.inquiries.data).toEqual([{ type: 'inquiry', id: inquiry.id }])
    const unknown = await persona.call(
      'POST',
      '/cases',
      {
        data: { attributes: { 'case-template-id': 'ctmpl_default' } },
        meta: { 'object-ids': ['inq_missing'] },
      },
      modern,
    )
    expect(unknown.status).toBe(404)
    expect(persona.context.state.collection('case').size).toBe(1)
  })

  it('requires a case template and keeps the SLA within 90 days', async () => {
    const missing = await persona.call('POST', '/cases', { data: { attributes: {} } })
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toEqual([
      { title: 'Bad Request', details: 'data.attributes.case-template-id is missing' },
    ])
    // The checking fetch rightly flagged that request as breaking the schema.
    expect(persona.checkedFetch.violations.splice(0)).toMatchObject([{ direction: 'request' }])
    const tooLong = await persona.call('POST', '/cases', {
      data: { attributes: { 'case-template-id': 'ctmpl_default' } },
      meta: { 'sla-expires-in-seconds': 91 * 24 * 3600 },
    })
    expect(tooLong.status).toBe(422)
    expect(tooLong.body.errors[0].source).toEqual({ pointer: '/meta/sla-expires-in-seconds' })
  })

  it('retrieves a case and answers 404 for an unknown one', async () => {
    const kase = await createCase()
    const retrieved = await persona.call('GET', `/cases/${kase.id}`, undefined, modern)
    expect(retrieved.body.data).toEqual(kase)
    expect(await persona.call('GET', '/cases/case_missing')).toMatchObject({
      status: 404,
      body: { errors: [{ title: 'Record not found' }] },
    })
  })

  it('lists cases newest first with status, template, account, reference and inquiry filters', async () => {
    const { account, inquiry } = seedObjects()
    const first = await createCase({ 'case-template-id': 'ctmpl_a' }, { 'object-ids': [account.id] })
    const second = await createCase({ 'case-template-id': 'ctmpl_b' }, { 'object-ids': [inquiry.id] })
    const third = await createCase({ 'case-template-id': 'ctmpl_a' })
    await persona.call('POST', `/cases/${third.id}/set-status`, { meta: { status: 'Pending' } }, modern)
    const ids = async (query: string) =>
      ((await persona.call('GET', `/cases${query}`, undefined, modern)).body.data as Json[]).map(
        (item) => item.id,
      )
    expect(await ids('')).toEqual([third.id, second.id, first.id])
    expect(await ids('?filter[status]=Open')).toEqual([second.id, first.id])
    expect(await ids('?filter[case-template-id]=ctmpl_a')).toEqual([third.id, first.id])
    expect(await ids(`?filter[account-id]=${account.id}`)).toEqual([first.id])
    expect(await ids('?filter[reference-id]=user-42')).toEqual([first.id])
    expect(await ids(`?filter[inquiry-id]=${inquiry.id}`)).toEqual([second.id])
    const page = await persona.call('GET', '/cases?page[size]=2', undefined, modern)
    expect((page.body.links as Json).next).toBe(`/api/v1/cases?page%5Bsize%5D=2&page%5Bafter%5D=${second.id}`)
  })

  it('moves through statuses: status-updated, resolved with a resolution, reopened', async () => {
    const kase = await createCase()
    const setStatus = (status: unknown) =>
      persona.call('POST', `/cases/${kase.id}/set-status`, { meta: { status } }, modern)
    await persona.clock.advance(1_000)
    expect((await setStatus('Pending')).body.data.attributes).toMatchObject({
      status: 'Pending',
      resolution: null,
      'updated-at': '2030-01-01T00:00:01.000Z',
    })
    const approved = await setStatus('approved')
    expect(approved.body.data.attributes).toMatchObject({
      status: 'Approved',
      resolution: 'Approved',
      'resolved-at': '2030-01-01T00:00:01.000Z',
    })
    const reopened = await setStatus('Open')
    expect(reopened.body.data.attributes).toMatchObject({
      status: 'Open',
      resolution: null,
      'resolved-at': null,
    })
    expect(eventNames()).toEqual([
      'case.created',
      'case.status-updated',
      'case.status-updated',
      'case.resolved',
      'case.status-updated',
      'case.reopened',
    ])

    const unknown = await setStatus('Escalated')
    expect(unknown.status).toBe(422)
    expect(unknown.body.errors[0].source).toEqual({ pointer: '/meta/status' })
    const missing = await persona.call('POST', `/cases/${kase.id}/set-status`, { meta: {} }, modern)
    expect(missing.status).toBe(400)
    expect(persona.checkedFetch.violations.splice(0)).toMatchObject([{ direction: 'request' }])
  })

  it('uses a template defined through the control API', async () => {
    definePersonaCaseTemplate(persona.context, {
      id: 'ctmpl_kyc',
      namePrefix: 'KYC',
      initialStatus: 'New',
      intermediateStatuses: ['Waiting on customer'],
      endStatuses: ['Cleared'],
    })
    const kase = await createCase({ 'case-template-id': 'ctmpl_kyc' })
    expect(kase.attributes).toMatchObject({ status: 'New', name: 'KYC-1' })
    expect(
      (await persona.call('POST', `/cases/${kase.id}/set-status`, { meta: { status: 'Approved' } })).status,
    ).toBe(422)
    const cleared = await persona.call(
      'POST',
      `/cases/${kase.id}/set-status`,
      { meta: { status: 'Cleared' } },
      modern,
    )
    expect(cleared.body.data.attributes.resolution).toBe('Cleared')
  })

  it('assigns a case to a user', async () => {
    const kase = await createCase()
    await persona.clock.advance(5_000)
    const assigned = await persona.call(
      'POST',
      `/cases/${kase.id}/assign`,
      { meta: { 'user-email-address': 'reviewer@example.test' } },
      modern,
    )
    expect(assigned.body.data.attributes).toMatchObject({
      'assignee-id': 'reviewer@example.test',
      'assigned-at': '2030-01-01T00:00:05.000Z',
    })
    expect(eventNames()).toEqual(['case.created', 'case.assigned'])
    const missing = await persona.call('POST', `/cases/${kase.id}/assign`, { meta: {} })
    expect(missing.status).toBe(400)
    expect(persona.checkedFetch.violations.splice(0)).toMatchObject([{ direction: 'request' }])
  })

  it('adds inquiries and accounts once each', async () => {
    const { account, inquiry } = seedObjects()
    const kase = await createCase()
    const add = (ids: string[]) =>
      persona.call('POST', `/cases/${kase.id}/add-objects`, { meta: { 'object-ids': ids } }, modern)
    await add([inquiry.id])
    const both = await add([account.id, inquiry.id])
    expect(both.body.data.relationships.inquiries.data).toEqual([{ type: 'inquiry', id: inquiry.id }])
    expect(both.body.data.relationships.accounts.data).toEqual([{ type: 'account', id: account.id }])
    expect((await add(['act_missing'])).status).toBe(404)
  })

  it('adds, removes and sets tags', async () => {
    const kase = await createCase()
    const tag = (action: string, meta: Record<string, unknown>) =>
      persona.call('POST', `/cases/${kase.id}/${action}`, { meta }, modern)
    await tag('add-tag', { 'tag-name': 'fraud-ring' })
    expect((await tag('add-tag', { 'tag-name': 'vip' })).body.data.attributes.tags).toEqual([
      'fraud-ring',
      'vip',
    ])
    expect((await tag('remove-tag', { 'tag-name': 'fraud-ring' })).body.data.attributes.tags).toEqual(['vip'])
    expect((await tag('set-tags', { 'tag-name': ['a', 'b'] })).body.data.attributes.tags).toEqual(['a', 'b'])
    expect(eventNames().filter((name) => name === 'case.updated-tags')).toHaveLength(4)
  })

  it('updates fields, attachments, queue and SLA, then redacts', async () => {
    const kase = await createCase({ fields: { note: 'first' } })
    await persona.clock.advance(60_000)
    const patched = await persona.call(
      'PATCH',
      `/cases/${kase.id}`,
      {
        data: {
          attributes: {
            fields: { note: 'second', extra: true },
            attachments: [
              { data: Buffer.from('%PDF-1.4 evidence').toString('base64'), filename: 'evidence.pdf' },
            ],
            'case-queue-id': 'cqueue_second_line',
          },
        },
        meta: { 'sla-expires-in-seconds': 60 },
      },
      modern,
    )
    expect(patched.status).toBe(200)
    expect(patched.body.data.attributes).toMatchObject({
      fields: { note: { type: 'string', value: 'second' }, extra: { type: 'boolean', value: true } },
      'sla-expires-at': '2030-01-01T00:02:00.000Z',
      'updated-at': '2030-01-01T00:01:00.000Z',
    })
    expect(patched.body.data.attributes.attachments).toEqual([
      expect.objectContaining({ filename: 'evidence.pdf', 'byte-size': 17 }),
    ])
    expect(patched.body.data.relationships['case-queue'].data).toEqual({
      type: 'case-queue',
      id: 'cqueue_second_line',
    })

    const redacted = await persona.call('DELETE', `/cases/${kase.id}`, undefined, modern)
    expect(redacted.body.data.attributes).toMatchObject({
      'redacted-at': '2030-01-01T00:01:00.000Z',
      fields: {},
      attachments: [],
    })
    expect(eventNames()).toEqual(['case.created', 'case.updated', 'case.updated-fields', 'case.redacted'])
  })

  it('includes related accounts and inquiries by default before 2025-10-27 and on request after', async () => {
    // A real account (its own endpoint), so the included object is rendered as Persona renders accounts.
    const created = await persona.call('POST', '/accounts', {
      data: { attributes: { 'reference-id': 'user-7' } },
    })
    const account = created.body.data as Json
    const legacy = await persona.call('POST', '/cases', {
      data: { attributes: { 'case-template-id': 'ctmpl_default' } },
      meta: { 'object-ids': [account.id] },
    })
    expect((legacy.body.included as Json[]).map((item) => item.id)).toEqual([account.id])
    const id = (legacy.body.data as Json).id
    expect((await persona.call('GET', `/cases/${id}`, undefined, modern)).body.included).toBeUndefined()
    const requested = await persona.call('GET', `/cases/${id}?include=accounts`, undefined, modern)
    expect((requested.body.included as Json[]).map((item) => item.id)).toEqual([account.id])
  })

  it('emits case events whose webhook bodies match the schemas', async () => {
    const kase = await createCase()
    await persona.call('POST', `/cases/${kase.id}/set-status`, { meta: { status: 'Declined' } }, modern)
    const events = persona.context.state.collection('event').list()
    expect(events.length).toBe(3)
    for (const event of events) {
      const body: Json = { data: persona.context.present(event, { apiVersion: '2023-01-05' }) }
      expect(body.data.attributes.payload.data).toMatchObject({ type: 'case', id: kase.id })
      expect(validatePersonaWebhookBody({ body })).toMatchObject({ valid: true, errors: [] })
    }
  })
})
