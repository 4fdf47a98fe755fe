import { KycEventSchema, KycInvalidProviderResponseError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { mapPersonaEvent, toEventVerification } from '../src/map-persona-event.js'
import { mapPersonaInquiry } from '../src/map-persona-inquiry.js'
import { PersonaEventDocumentSchema } from '../src/persona-schemas.js'
import { fixture, fixturePersonalData, inquiryFixture } from './fixtures.js'

type EventBody = {
  data: {
    id: string
    attributes: {
      name: string
      'created-at': string
      payload: {
        data: { type: string; id: string; attributes: Record<string, unknown>; relationships?: unknown }
      }
    }
  }
}

function event(name: string, status?: string, extra: Record<string, unknown> = {}): EventBody {
  const body = fixture('event-inquiry-approved.json') as EventBody
  body.data.attributes.name = name
  if (status !== undefined) body.data.attributes.payload.data.attributes.status = status
  Object.assign(body.data.attributes.payload.data.attributes, extra)
  return body
}

const parse = (body: unknown) => PersonaEventDocumentSchema.parse(body)

describe('mapPersonaEvent', () => {
  it('maps inquiry.approved into a completed verification event without personal data', () => {
    const events = mapPersonaEvent(parse(fixture('event-inquiry-approved.json')))
    expect(events).toHaveLength(1)
    const [approved] = events
    expect(KycEventSchema.parse(approved)).toEqual(approved)
    expect(approved).toMatchObject({
      id: 'evt_o9byQRbjygu76Jbtea9wuJ1boP7a',
      provider: 'persona',
      type: 'verification.completed',
      occurredAt: '2024-02-15T23:48:17.732Z',
      raw: { type: 'inquiry.approved', eventId: 'evt_o9byQRbjygu76Jbtea9wuJ1boP7a', objectType: 'inquiry' },
      verification: { status: 'completed', decision: { outcome: 'approved' } },
    })
    expect(approved?.verification).not.toHaveProperty('identity')
    expect(approved?.verification).not.toHaveProperty('session')
    const text = JSON.stringify(events)
    for (const value of fixturePersonalData) expect(text).not.toContain(value)
  })

  // The README's event table: the type follows the inquiry's new state.
  it.each([
    ['inquiry.created', 'created', 'verification.created'],
    ['inquiry.started', 'pending', 'verification.started'],
    ['inquiry.completed', 'completed', 'verification.submitted'],
    ['inquiry.failed', 'failed', 'verification.completed'],
    ['inquiry.expired', 'expired', 'verification.expired'],
    ['inquiry.approved', 'approved', 'verification.completed'],
    ['inquiry.declined', 'declined', 'verification.completed'],
    ['inquiry.marked-for-review', 'needs_review', 'verification.completed'],
    ['inquiry.transitioned', 'pending', 'verification.started'],
    ['inquiry.something-new', 'approved', 'verification.completed'],
  ])('%s with status %s → %s', (name, status, type) => {
    const [mapped] = mapPersonaEvent(parse(event(name, status)))
    expect(mapped?.type).toBe(type)
  })

  it('follows the decision policy for inquiry.completed', () => {
    const [mapped] = mapPersonaEvent(parse(event('inquiry.completed', 'completed')), {
      completedMeans: 'approved',
    })
    expect(mapped).toMatchObject({
      type: 'verification.completed',
      verification: { decision: { outcome: 'approved' } },
    })
  })

  it('reports a person’s decision as verification.reviewed', () => {
    const body = event('inquiry.approved', 'approved')
    body.data.attributes.payload.data.relationships = {
      ...(body.data.attributes.payload.data.relationships as object),
      reviewer: { data: { type: 'user', id: 'user_1' } },
    }
    const [mapped] = mapPersonaEvent(parse(body))
    expect(mapped).toMatchObject({
      type: 'verification.reviewed',
      verification: { decision: { decidedBy: 'manual' } },
    })
  })

  it('maps inquiry.redacted to verification.redacted, redacted even if the payload predates it', () => {
    const [mapped] = mapPersonaEvent(parse(event('inquiry.redacted', 'approved', { 'redacted-at': null })))
    expect(mapped).toMatchObject({
      type: 'verification.redacted',
      verification: { redactedAt: '2024-02-15T23:48:17.732Z', credentials: [] },
    })
  })

  it('maps case events to case.updated and ignores what it does not model', () => {
    const caseEvent = {
      data: {
        type: 'event',
        id: 'evt_case',
        attributes: {
          name: 'case.status-updated',
          'created-at': '2024-02-15T23:48:17.732Z',
          payload: { data: { type: 'case', id: 'case_1', attributes: { status: 'Approved' } } },
        },
      },
    }
    expect(mapPersonaEvent(parse(caseEvent))).toEqual([
      {
        id: 'evt_case',
        provider: 'persona',
        type: 'case.updated',
        occurredAt: '2024-02-15T23:48:17.732Z',
        raw: { type: 'case.status-updated', eventId: 'evt_case', objectType: 'case', objectId: 'case_1' },
      },
    ])
    for (const name of [
      'verification.passed',
      'account.created',
      'report/watchlist.matched',
      'document.processed',
    ]) {
      const other = structuredClone(caseEvent)
      other.data.attributes.name = name
      expect(mapPersonaEvent(parse(other))).toEqual([])
    }
  })

  it('refuses an inquiry event whose payload is not an inquiry it can read, without echoing it', () => {
    const body = event('inquiry.approved', 'approved')
    ;(body.data.attributes.payload.data.attributes as Record<string, unknown>).status = 42
    const attempt = () => mapPersonaEvent(parse(body))
    expect(attempt).toThrow(KycInvalidProviderResponseError)
    try {
      attempt()
    } catch (error) {
      for (const value of fixturePersonalData) expect(JSON.stringify(error)).not.toContain(value)
    }
  })

  it('reads the spec’s own inquiry.completed example', () => {
    const [mapped] = mapPersonaEvent(parse(fixture('event-inquiry-completed.json')))
    // The example's payload says `pending`: the state wins over the event name.
    expect(mapped).toMatchObject({ type: 'verification.started', verification: { status: 'in_progress' } })
  })

  // Events read the inquiry narrowly (no inquiry fields, no extraction attributes): what they report
  // must still be exactly the full reading less the identity and the session.
  it.each([
    'inquiry-approved.json',
    'inquiry-completed.json',
    'inquiry-created-2025-10-27.json',
    'inquiry-declined-expired-document.json',
    'inquiry-needs-review-watchlist.json',
    'inquiry-redacted.json',
  ])('an event on %s reports the full reading of the inquiry, less identity and session', (name) => {
    const document = fixture(name) as { data: unknown; included?: unknown }
    const body = event('inquiry.transitioned')
    body.data.attributes.payload = {
      ...document,
      data: document.data,
    } as EventBody['data']['attributes']['payload']
    const [mapped] = mapPersonaEvent(parse(body))
    const occurredAt = body.data.attributes['created-at']
    const full = mapPersonaInquiry(inquiryFixture(name), { now: () => Date.parse(occurredAt) })
    expect(mapped?.verification).toEqual(toEventVerification(full))
    expect(mapped?.verification?.checks.length).toBe(full.checks.length)
  })

  it('does not validate identity data an event does not carry, and still refuses what it reads', () => {
    const body = event('inquiry.declined', 'declined')
    const [expected] = mapPersonaEvent(parse(structuredClone(body)))
    const inquiry = body.data.attributes.payload.data.attributes
    inquiry.fields = 'not fields'
    const [mapped] = mapPersonaEvent(parse(body))
    expect(mapped).toEqual(expected)
    inquiry.tags = 'not tags'
    expect(() => mapPersonaEvent(parse(body))).toThrow(KycInvalidProviderResponseError)
  })

  it('orders timestamps outside years 0–9999 by time, not as text', () => {
    const body = event('inquiry.approved', 'approved', {
      'created-at': '2024-02-15T23:40:00Z',
      'updated-at': '+010000-01-01T00:00:00.000Z',
    })
    const [mapped] = mapPersonaEvent(parse(body))
    expect(mapped?.verification?.createdAt).toBe('2024-02-15T23:40:00.000Z')
    expect(mapped?.verification?.updatedAt).toBe('+010000-01-01T00:00:00.000Z')
  })

  it('skips a verification whose checks it cannot read, and refuses resources without a type and id', () => {
    const document = fixture('inquiry-declined-expired-document.json') as {
      data: unknown
      included: { type: string; id: string | number; attributes?: { checks?: unknown[] } }[]
    }
    const body = event('inquiry.declined')
    body.data.attributes.payload = document as unknown as EventBody['data']['attributes']['payload']
    const [readable] = mapPersonaEvent(parse(structuredClone(body)))
    const governmentId = document.included.find((resource) => resource.type === 'verification/government-id')
    const checkCount = governmentId?.attributes?.checks?.length ?? 0
    expect(checkCount).toBeGreaterThan(0)
    governmentId?.attributes?.checks?.push({ name: 42, status: 'failed' })
    const [skipped] = mapPersonaEvent(parse(structuredClone(body)))
    expect(skipped?.verification?.checks.length).toBe(
      (readable?.verification?.checks.length ?? 0) - checkCount,
    )
    if (governmentId) governmentId.id = 7
    expect(PersonaEventDocumentSchema.safeParse(body).success).toBe(false)
  })
})
