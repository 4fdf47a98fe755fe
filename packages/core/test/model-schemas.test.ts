import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  AddressSchema,
  CheckKindSchema,
  CheckOutcomeSchema,
  CheckSchema,
  CountryCodeSchema,
  CredentialKindSchema,
  CredentialPartSchema,
  CredentialSchema,
  checkSource,
  DecisionOutcomeSchema,
  DecisionSchema,
  DocumentTypeSchema,
  deriveChecks,
  EventVerificationSchema,
  eventTypeForStatus,
  IdentityDataSchema,
  isCountryCode,
  isTerminalStatus,
  KycEventSchema,
  KycEventTypeSchema,
  ReasonCodeSchema,
  ReasonSchema,
  VerificationReferenceSchema,
  VerificationSchema,
  VerificationSessionSchema,
  VerificationStatusSchema,
} from '../src/index.js'
import { seededIdentity } from './fixtures.js'

const verification = {
  id: 'inq_1',
  provider: 'persona',
  reference: { inquiryId: 'inq_1' },
  status: 'completed',
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
  checks: [{ kind: 'face_match', outcome: 'passed', reasons: [], raw: { name: 'selfie_id_comparison' } }],
  credentials: [{ kind: 'id_document', documentType: 'passport', issuingCountry: 'DE', parts: ['front'] }],
  identity: seededIdentity,
  createdAt: '2025-06-01T08:00:00.000Z',
  updatedAt: '2025-06-01T08:10:00+02:00',
  raw: { status: 'approved' },
}

type Case = { name: string; schema: z.ZodType; valid: unknown[]; invalid: unknown[] }

const cases: Case[] = [
  {
    name: 'CountryCodeSchema',
    schema: CountryCodeSchema,
    valid: ['DE', 'US', 'XK', 'ZW'],
    invalid: ['DEU', 'de', '', 49, 'XX', 'UK', 'EU'],
  },
  {
    name: 'ReasonCodeSchema',
    schema: ReasonCodeSchema,
    valid: ['document_expired', 'repeated_face', 'other'],
    invalid: ['REPEATED_FACE', 'expired', ''],
  },
  {
    name: 'ReasonSchema',
    schema: ReasonSchema,
    valid: [{ code: 'face_mismatch' }, { code: 'other', raw: 'SOMETHING_NEW' }],
    invalid: [{ code: 'nope' }, { raw: 'X' }, { code: 'other', raw: 7 }],
  },
  {
    name: 'CheckKindSchema',
    schema: CheckKindSchema,
    valid: ['liveness', 'watchlist', 'other'],
    invalid: ['selfie', ''],
  },
  {
    name: 'CheckOutcomeSchema',
    schema: CheckOutcomeSchema,
    valid: ['passed', 'warning', 'not_executed'],
    invalid: ['PASSED', 'ok'],
  },
  {
    name: 'CheckSchema',
    schema: CheckSchema,
    valid: [
      {
        kind: 'liveness',
        outcome: 'failed',
        reasons: [{ code: 'liveness_failed' }],
        raw: { name: 'LIVENESS' },
      },
      {
        kind: 'document_quality',
        outcome: 'warning',
        raw: { name: 'USABILITY', label: 'BLURRED', extra: 1 },
      },
    ],
    invalid: [
      { kind: 'liveness', outcome: 'failed' },
      { kind: 'liveness', outcome: 'maybe', raw: { name: 'x' } },
      { kind: 'liveness', outcome: 'passed', raw: {} },
    ],
  },
  {
    name: 'CredentialKindSchema',
    schema: CredentialKindSchema,
    valid: ['id_document', 'personal_data'],
    invalid: ['passport'],
  },
  {
    name: 'DocumentTypeSchema',
    schema: DocumentTypeSchema,
    valid: ['passport', 'other'],
    invalid: ['PASSPORT'],
  },
  {
    name: 'CredentialPartSchema',
    schema: CredentialPartSchema,
    valid: ['front', 'video'],
    invalid: ['side'],
  },
  {
    name: 'CredentialSchema',
    schema: CredentialSchema,
    valid: [
      { kind: 'selfie' },
      {
        id: 'doc_1',
        kind: 'id_document',
        documentType: 'id_card',
        issuingCountry: 'FR',
        parts: ['front', 'back'],
      },
    ],
    invalid: [
      { kind: 'selfie', issuingCountry: 'FRA' },
      { documentType: 'passport' },
      { kind: 'selfie', parts: ['side'] },
    ],
  },
  {
    name: 'DecisionOutcomeSchema',
    schema: DecisionOutcomeSchema,
    valid: ['approved', 'declined', 'review'],
    invalid: ['rejected', 'pending'],
  },
  {
    name: 'DecisionSchema',
    schema: DecisionSchema,
    valid: [
      { outcome: 'review', decidedBy: 'provider', riskScore: 0, raw: { status: 'needs_review' } },
      {
        outcome: 'declined',
        reasons: [{ code: 'document_tampered' }],
        riskScore: 100,
        decidedBy: 'manual',
        decidedAt: '2025-06-01T08:00:00Z',
        raw: { status: 'declined' },
      },
    ],
    invalid: [
      { outcome: 'approved', decidedBy: 'provider', riskScore: 101, raw: { status: 'x' } },
      { outcome: 'approved', decidedBy: 'robot', raw: { status: 'x' } },
      { outcome: 'approved', decidedBy: 'provider' },
      { outcome: 'approved', decidedBy: 'provider', decidedAt: 'yesterday', raw: { status: 'x' } },
    ],
  },
  {
    name: 'AddressSchema',
    schema: AddressSchema,
    valid: [{}, { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' }],
    invalid: [{ country: 'USA' }, { line1: 12 }],
  },
  {
    name: 'IdentityDataSchema',
    schema: IdentityDataSchema,
    valid: [{}, seededIdentity, { sex: 'unspecified', expiryDate: '2031-01-31', nationality: 'GB' }],
    invalid: [
      { dateOfBirth: '14/03/1987' },
      { sex: 'f' },
      { expiryDate: '2031-02-30' },
      { issuingCountry: 'GBR' },
    ],
  },
  {
    name: 'VerificationStatusSchema',
    schema: VerificationStatusSchema,
    valid: ['created', 'in_progress', 'submitted', 'completed', 'expired', 'cancelled'],
    invalid: ['approved', 'pending'],
  },
  {
    name: 'VerificationReferenceSchema',
    schema: VerificationReferenceSchema,
    valid: [{ inquiryId: 'inq_1' }, { accountId: 'a', workflowExecutionId: 'w' }],
    invalid: [{ inquiryId: 1 }, 'inq_1', null],
  },
  {
    name: 'VerificationSessionSchema',
    schema: VerificationSessionSchema,
    valid: [{}, { url: 'https://example.test/v/1', sdkToken: 'token', expiresAt: '2025-06-01T08:00:00Z' }],
    invalid: [{ url: 'not a url' }, { expiresAt: '2025-06-01' }],
  },
  {
    name: 'VerificationSchema',
    schema: VerificationSchema,
    valid: [
      verification,
      { ...verification, decision: undefined, checks: undefined, credentials: undefined, status: 'created' },
    ],
    invalid: [
      { ...verification, id: '' },
      { ...verification, status: 'approved' },
      { ...verification, updatedAt: '2025-06-01 08:10' },
      { ...verification, raw: {} },
      { ...verification, reference: 'inq_1' },
    ],
  },
  {
    name: 'EventVerificationSchema',
    schema: EventVerificationSchema,
    valid: [{ ...verification, identity: undefined }],
    invalid: [{ ...verification, createdAt: undefined }],
  },
  {
    name: 'KycEventTypeSchema',
    schema: KycEventTypeSchema,
    valid: ['verification.completed', 'list.import_completed'],
    invalid: ['inquiry.completed'],
  },
  {
    name: 'KycEventSchema',
    schema: KycEventSchema,
    valid: [
      {
        id: 'evt_1',
        provider: 'persona',
        type: 'verification.completed',
        occurredAt: '2025-06-01T08:00:00Z',
        verification,
        raw: { type: 'inquiry.completed' },
      },
      {
        id: 'evt_2',
        provider: 'persona',
        type: 'case.updated',
        occurredAt: '2025-06-01T08:00:00Z',
        raw: { type: 'case.status-updated' },
      },
    ],
    invalid: [
      {
        id: '',
        provider: 'persona',
        type: 'case.updated',
        occurredAt: '2025-06-01T08:00:00Z',
        raw: { type: 'x' },
      },
      { id: 'evt_3', provider: 'persona', type: 'case.updated', occurredAt: 'now', raw: { type: 'x' } },
      {
        id: 'evt_4',
        provider: 'persona',
        type: 'verification.completed',
        occurredAt: '2025-06-01T08:00:00Z',
        verification: { ...verification, status: 'done' },
        raw: { type: 'x' },
      },
    ],
  },
]

describe.each(cases)('$name', ({ schema, valid, invalid }) => {
  it.each(valid.map((sample, index) => [index, sample]))('accepts valid sample %i', (_index, sample) => {
    expect(schema.safeParse(sample).success).toBe(true)
  })
  it.each(invalid.map((sample, index) => [index, sample]))('rejects invalid sample %i', (_index, sample) => {
    expect(schema.safeParse(sample).success).toBe(false)
  })
})

describe('schema details', () => {
  it('fills empty arrays by default', () => {
    const parsed = VerificationSchema.parse({ ...verification, checks: undefined, credentials: undefined })
    expect(parsed.checks).toEqual([])
    expect(parsed.credentials).toEqual([])
  })

  it('the event view drops identity and session', () => {
    const parsed = EventVerificationSchema.parse({
      ...verification,
      session: { url: 'https://example.test/s' },
    })
    expect(parsed).not.toHaveProperty('identity')
    expect(parsed).not.toHaveProperty('session')
  })

  it('keeps vendor words in raw', () => {
    const parsed = CheckSchema.parse({
      kind: 'other',
      outcome: 'warning',
      raw: { name: 'NEW_CHECK', label: 'ODD', score: 3 },
    })
    expect(parsed.raw).toEqual({ name: 'NEW_CHECK', label: 'ODD', score: 3 })
  })

  it('a check is reported unless it says it was derived', () => {
    const unmarked = CheckSchema.parse({ kind: 'liveness', outcome: 'passed', raw: { name: 'x' } })
    expect(unmarked.source).toBeUndefined()
    expect(checkSource(unmarked)).toBe('reported')
    const derived = CheckSchema.parse({
      kind: 'face_match',
      outcome: 'failed',
      source: 'derived',
      raw: { name: 'x' },
    })
    expect(derived.source).toBe('derived')
    expect(
      CheckSchema.safeParse({ kind: 'liveness', outcome: 'passed', source: 'guessed', raw: { name: 'x' } })
        .success,
    ).toBe(false)
  })

  it('a resubmission request is its own outcome, with the attempt it belongs to', () => {
    const request = DecisionSchema.parse({
      outcome: 'resubmission_requested',
      reasons: [{ code: 'document_unreadable', raw: 'blurry' }],
      decidedBy: 'provider',
      attempt: 1,
      raw: { status: 'resubmission_requested' },
    })
    expect(request.outcome).not.toBe('declined')
    expect(DecisionSchema.safeParse({ ...request, attempt: 0 }).success).toBe(false)
    expect(DecisionSchema.safeParse({ ...request, attempt: 1.5 }).success).toBe(false)
    const next = VerificationSchema.parse({
      ...verification,
      status: 'in_progress',
      attempt: 2,
      decision: request,
    })
    expect(next.attempt).toBe(2)
    expect(next.decision?.attempt).toBe(1)
  })

  it('derives checks from a decision only where its reasons speak about one, never a pass', () => {
    expect(deriveChecks({ outcome: 'approved', reasons: [] })).toEqual([])
    expect(
      deriveChecks({
        outcome: 'declined',
        reasons: [
          { code: 'face_mismatch', raw: 'FACE_NO_MATCH' },
          { code: 'repeated_face', raw: 'SEEN_BEFORE' },
          { code: 'suspected_fraud', raw: 'RISKY' },
        ],
      }),
    ).toEqual([
      {
        kind: 'face_match',
        outcome: 'failed',
        reasons: [
          { code: 'face_mismatch', raw: 'FACE_NO_MATCH' },
          { code: 'repeated_face', raw: 'SEEN_BEFORE' },
        ],
        source: 'derived',
        raw: { name: 'decision', label: 'FACE_NO_MATCH,SEEN_BEFORE' },
      },
    ])
    const pending = deriveChecks({ outcome: 'review', reasons: [{ code: 'watchlist_hit' }] })
    expect(pending).toEqual([
      {
        kind: 'watchlist',
        outcome: 'warning',
        reasons: [{ code: 'watchlist_hit' }],
        source: 'derived',
        raw: { name: 'decision' },
      },
    ])
    for (const check of pending) expect(CheckSchema.safeParse(check).success).toBe(true)
  })

  it('knows the reason families real vendors report', () => {
    for (const code of [
      'suspected_fraud',
      'duplicate_identity',
      'restricted_location',
      'document_damaged',
      'selfie_unusable',
      'attempt_limit_reached',
    ]) {
      expect(ReasonCodeSchema.safeParse(code).success, code).toBe(true)
    }
  })

  it('marks timestamps the adapter observed because the vendor gave none', () => {
    expect(VerificationSchema.parse({ ...verification, observedTimes: ['createdAt'] }).observedTimes).toEqual(
      ['createdAt'],
    )
    expect(VerificationSchema.safeParse({ ...verification, observedTimes: ['decidedAt'] }).success).toBe(
      false,
    )
    const event = {
      id: 'e',
      provider: 'p',
      type: 'verification.completed',
      occurredAt: '2025-06-01T08:00:00Z',
      raw: { type: 'x' },
    }
    expect(KycEventSchema.parse({ ...event, observedTimes: ['occurredAt'] }).observedTimes).toEqual([
      'occurredAt',
    ])
    expect(KycEventSchema.safeParse({ ...event, observedTimes: ['createdAt'] }).success).toBe(false)
  })

  it('knows the terminal statuses', () => {
    expect(VerificationStatusSchema.options.filter(isTerminalStatus)).toEqual([
      'completed',
      'expired',
      'cancelled',
    ])
  })
})

describe('country codes', () => {
  it('accept only assigned ISO 3166-1 alpha-2 codes, and say "upper case" without repeating the value', () => {
    expect(isCountryCode('DE')).toBe(true)
    expect(isCountryCode('XX')).toBe(false)
    for (const value of ['de', 'XX']) {
      const parsed = CountryCodeSchema.safeParse(value)
      expect(parsed.error?.issues[0]?.message).toBe(
        'expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE"',
      )
    }
  })
})

describe('eventTypeForStatus', () => {
  it('maps each status to its event type, and a person’s decision to verification.reviewed', () => {
    const decided = (decidedBy: 'provider' | 'manual') => ({
      status: 'completed' as const,
      decision: { outcome: 'approved' as const, reasons: [], decidedBy, raw: { status: 'approved' } },
    })
    expect(eventTypeForStatus(decided('provider'))).toBe('verification.completed')
    expect(eventTypeForStatus(decided('manual'))).toBe('verification.reviewed')
    expect(
      (['created', 'in_progress', 'submitted', 'expired', 'cancelled'] as const).map((status) =>
        eventTypeForStatus({ status }),
      ),
    ).toEqual([
      'verification.created',
      'verification.started',
      'verification.submitted',
      'verification.expired',
      'verification.cancelled',
    ])
  })
})
