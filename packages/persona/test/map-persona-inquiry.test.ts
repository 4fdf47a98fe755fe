import { EventVerificationSchema, VerificationSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { mapPersonaInquiry, mapPersonaScreeningReport } from '../src/map-persona-inquiry.js'
import { PersonaInquiryDocumentSchema } from '../src/persona-schemas.js'
import { fixture, fixturePersonalData, inquiryFixture } from './fixtures.js'

function withoutIdentity(value: unknown): string {
  const { identity: _identity, ...rest } = value as Record<string, unknown>
  return JSON.stringify(rest)
}

describe('mapPersonaInquiry', () => {
  it('maps an approved inquiry with its verifications into a valid verification', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-approved.json'))
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      id: 'inq_zEx4jL84ShbUyuwX6AzPSqt6',
      provider: 'persona',
      reference: { inquiryId: 'inq_zEx4jL84ShbUyuwX6AzPSqt6' },
      subjectReference: 'abc-123',
      status: 'completed',
      decision: {
        outcome: 'approved',
        reasons: [],
        decidedBy: 'provider',
        decidedAt: '2023-03-30T19:11:00.000Z',
        raw: { status: 'approved' },
      },
      createdAt: '2023-03-29T19:06:45.000Z',
      updatedAt: '2023-03-30T19:12:00.000Z',
      completedAt: '2023-03-30T19:11:00.000Z',
      raw: { status: 'approved', accountId: 'act_n2uq9eKMboaCQzu9ALWYcVdN' },
    })
    expect(verification.credentials.map((credential) => credential.kind)).toEqual(['id_document', 'selfie'])
    const kinds = new Set(verification.checks.map((check) => check.kind))
    for (const kind of [
      'document_authenticity',
      'face_match',
      'liveness',
      'data_consistency',
      'data_extraction',
    ]) {
      expect(kinds).toContain(kind)
    }
    expect(verification.identity?.lastName).toBe('DOE')
  })

  it('keeps personal data in `identity` only: raw, checks and credentials hold none', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-approved.json'))
    const text = withoutIdentity(verification)
    for (const value of fixturePersonalData) expect(text).not.toContain(value)
    expect(text).not.toContain('access_token')
  })

  it('gives the reasons of the failed required checks for a decline, not of incidental ones', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-declined-expired-document.json'))
    expect(verification.status).toBe('completed')
    expect(verification.decision).toMatchObject({
      outcome: 'declined',
      reasons: [{ code: 'document_expired', raw: 'expired' }],
    })
    const barcode = verification.checks.find((check) => check.raw.name === 'id_barcode_detection')
    expect(barcode).toMatchObject({ outcome: 'failed', reasons: [{ code: 'document_unreadable' }] })
  })

  it('falls back to every failed check when none of them was required', () => {
    const document = inquiryFixture('inquiry-declined-expired-document.json')
    for (const resource of document.included ?? []) {
      const checks =
        (resource as { attributes?: { checks?: { requirement?: string }[] } }).attributes?.checks ?? []
      for (const check of checks) check.requirement = 'not_required'
    }
    const reparsed = PersonaInquiryDocumentSchema.parse(document)
    const codes = mapPersonaInquiry(reparsed).decision?.reasons.map((reason) => reason.code)
    expect(codes?.sort()).toEqual(['document_expired', 'document_unreadable'])
  })

  it('turns a watchlist match into a watchlist check and a review reason', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-needs-review-watchlist.json'))
    expect(verification.decision).toMatchObject({
      outcome: 'review',
      reasons: [{ code: 'watchlist_hit', raw: 'report/watchlist.matched' }],
      decidedAt: '2023-03-30T19:11:00.000Z',
    })
    expect(verification.checks).toContainEqual({
      kind: 'watchlist',
      outcome: 'failed',
      reasons: [{ code: 'watchlist_hit', raw: 'report/watchlist.matched' }],
      raw: { name: 'report/watchlist', label: 'ready', hasMatch: true },
    })
    expect(verification.raw.reports).toEqual([
      { type: 'report/watchlist', id: 'rep_ARR4XUoYJRgQd7VMVaGEY2Gc', status: 'ready', hasMatch: true },
    ])
  })

  it.each([
    ['pending', 'submitted', undefined],
    ['review', 'completed', 'review'],
    ['approved', 'completed', 'approved'],
  ] as const)('reads `completed` as the policy says (%s)', (completedMeans, status, outcome) => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-completed.json'), {
      policy: { completedMeans },
    })
    expect(verification.status).toBe(status)
    expect(verification.decision?.outcome).toBe(outcome)
    expect(verification.completedAt).toBe(outcome === undefined ? undefined : '2023-03-30T19:10:00.000Z')
  })

  // The README's decided-by table, row by row.
  it.each([
    ['approved', { type: 'user', id: 'user_1' }, null, 'manual'],
    ['approved', { type: 'workflow-run', id: 'wfr_1' }, '2023-03-30T19:10:30.000Z', 'provider'],
    ['declined', { type: 'workflow', id: 'wfl_1' }, null, 'provider'],
    ['approved', {}, '2023-03-30T19:10:30.000Z', 'manual'],
    ['declined', null, '2023-03-30T19:10:30.000Z', 'manual'],
    ['approved', {}, null, 'provider'],
    ['needs_review', {}, '2023-03-30T19:10:30.000Z', 'provider'],
    ['failed', null, null, 'provider'],
  ] as const)(
    'a %s inquiry with reviewer %j, marked for review at %s, was decided by %s',
    (status, reviewer, markedAt, expected) => {
      const document = inquiryFixture('inquiry-approved.json')
      document.data.attributes.status = status
      document.data.attributes['marked-for-review-at'] = markedAt
      document.data.relationships = { ...document.data.relationships, reviewer: { data: reviewer } }
      expect(mapPersonaInquiry(document).decision?.decidedBy).toBe(expected)
    },
  )

  it('reads an expired inquiry tagged by cancelVerification as cancelled, and only that one', () => {
    const document = inquiryFixture('inquiry-created-2025-10-27.json')
    document.data.attributes.status = 'expired'
    expect(mapPersonaInquiry(document).status).toBe('expired')
    document.data.attributes.tags = ['vip', 'openkyc-cancelled']
    expect(mapPersonaInquiry(document).status).toBe('cancelled')
    document.data.attributes.status = 'approved'
    expect(mapPersonaInquiry(document).status).toBe('completed')
  })

  it('reads a new inquiry of API version 2025-10-27 (nothing included)', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-created-2025-10-27.json'), {
      subjectReference: 'user_123',
      session: { url: 'https://withpersona.com/verify?code=abc' },
    })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      status: 'created',
      checks: [],
      credentials: [],
      subjectReference: 'abc-123',
      session: { url: 'https://withpersona.com/verify?code=abc' },
    })
    expect(verification.decision).toBeUndefined()
  })

  it('drops identity, credentials and session after redaction, keeping the decision', () => {
    const verification = mapPersonaInquiry(inquiryFixture('inquiry-redacted.json'), {
      session: { url: 'https://withpersona.com/verify?code=abc' },
    })
    expect(verification.redactedAt).toBe('2023-04-01T00:00:00.000Z')
    expect(verification.identity).toBeUndefined()
    expect(verification.session).toBeUndefined()
    expect(verification.credentials).toEqual([])
    expect(verification.decision?.outcome).toBe('declined')
    expect(EventVerificationSchema.parse(verification)).toBeTruthy()
  })

  it('never crashes on an unknown status or unknown included resources', () => {
    const document = fixture('inquiry-approved.json') as {
      data: { attributes: { status: string } }
      included: unknown[]
    }
    document.data.attributes.status = 'quantum_superposition'
    document.included.push({
      type: 'verification/brand-new',
      id: 'ver_new',
      attributes: { status: 'passed', checks: [] },
    })
    document.included.push({
      type: 'verification/selfie',
      id: 'ver_broken',
      attributes: { checks: 'not-a-list' },
    })
    const verification = mapPersonaInquiry(PersonaInquiryDocumentSchema.parse(document))
    expect(verification.status).toBe('in_progress')
    expect(verification.raw.status).toBe('quantum_superposition')
    expect(VerificationSchema.parse(verification)).toEqual(verification)
  })
})

describe('mapPersonaScreeningReport', () => {
  it.each([
    [{ status: 'ready', 'has-match': true }, 'failed'],
    [{ status: 'ready', 'has-match': false }, 'passed'],
    [{ status: 'pending', 'has-match': false }, 'not_executed'],
  ])('%j → %s', (attributes, outcome) => {
    expect(mapPersonaScreeningReport({ type: 'report/watchlist', id: 'rep_1', attributes })?.outcome).toBe(
      outcome,
    )
  })

  it('treats PEP and adverse media as screening, other reports not', () => {
    expect(mapPersonaScreeningReport({ type: 'report/politically-exposed-person', id: 'r' })?.kind).toBe(
      'watchlist',
    )
    expect(mapPersonaScreeningReport({ type: 'report/adverse-media', id: 'r' })?.kind).toBe('watchlist')
    expect(mapPersonaScreeningReport({ type: 'report/phone-number', id: 'r' })).toBeUndefined()
  })
})
