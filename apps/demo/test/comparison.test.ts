import { kycCapabilities, type Verification } from '@openkyc/core'
import { createMockVerification } from '@openkyc/core/test'
import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import {
  buildRow,
  capabilityMatrix,
  compareAttempts,
  expectationMismatches,
  identityDifferences,
  rawView,
  summarizeAgreement,
  summarizeLatency,
} from '../src/comparison.js'

const approved = (overrides: Partial<Verification> = {}): Verification =>
  createMockVerification({
    provider: 'jumio',
    status: 'completed',
    decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'PASSED' } },
    checks: [
      { kind: 'document_authenticity', outcome: 'passed', reasons: [], raw: { name: 'imageChecks' } },
      { kind: 'face_match', outcome: 'passed', reasons: [], raw: { name: 'similarity' } },
      { kind: 'liveness', outcome: 'passed', reasons: [], raw: { name: 'liveness' } },
    ],
    ...overrides,
  })

const declined = (code: 'document_expired' | 'face_mismatch', overrides: Partial<Verification> = {}) =>
  createMockVerification({
    provider: 'persona',
    status: 'completed',
    decision: {
      outcome: 'declined',
      reasons: [{ code }],
      decidedBy: 'provider',
      raw: { status: 'declined' },
    },
    ...overrides,
  })

describe('expectationMismatches', () => {
  it('is empty when a verification matches the catalogue', () => {
    expect(expectationMismatches(approved(), scenarioById('clean_approve').expected)).toEqual([])
  })

  it('names each departure: status, outcome, reasons, a missing check, who decided', () => {
    const expected = scenarioById('manual_review_then_approve').expected
    const verification = declined('face_mismatch', { checks: [] })
    expect(expectationMismatches(verification, expected)).toEqual([
      'outcome declined, expected approved',
      'reasons [face_mismatch], expected [none]',
      'no data_consistency check',
      'decided by provider, expected manual',
    ])
    expect(
      expectationMismatches(
        createMockVerification({ status: 'in_progress' }),
        scenarioById('applicant_abandons').expected,
      ),
    ).toEqual(['status in_progress, expected expired'])
    expect(expectationMismatches(undefined, scenarioById('underage').expected)).toEqual(['no verification'])
  })

  it('compares reason codes as a set', () => {
    const verification = declined('document_expired', { checks: [] })
    verification.decision!.reasons.push({ code: 'document_expired', raw: 'again' })
    expect(
      expectationMismatches(verification, { ...scenarioById('expired_document').expected, checkKinds: [] }),
    ).toEqual([])
  })
})

describe('identityDifferences', () => {
  it('lists differing and one-sided fields by dotted name only, ignoring case and spacing', () => {
    const differences = identityDifferences(
      { firstName: 'Quillonda', lastName: 'TESTPERSON-APPROVE', sex: 'female', address: { city: 'Berlin' } },
      {
        firstName: 'Quillonda ',
        lastName: 'Testperson-Approve',
        sex: 'male',
        address: { city: 'Bonn' },
        nationality: 'DE',
      },
    )
    expect(differences).toEqual(['address.city', 'nationality', 'sex'])
    expect(JSON.stringify(differences)).not.toMatch(/Berlin|Bonn|Quillonda/)
  })

  it('is empty for identical or absent identity data', () => {
    expect(identityDifferences(undefined, undefined)).toEqual([])
    expect(identityDifferences({ firstName: 'A' }, { firstName: 'a' })).toEqual([])
  })
})

describe('compareAttempts', () => {
  it('agrees when status and outcome match, and still reports other differences', () => {
    const left = approved({ identity: { firstName: 'Ann', sex: 'female' } })
    const right = approved({
      provider: 'persona',
      decision: { outcome: 'approved', reasons: [], decidedBy: 'manual', raw: { status: 'approved' } },
      checks: [
        { kind: 'document_authenticity', outcome: 'passed', reasons: [], raw: { name: 'id_tamper' } },
        { kind: 'face_match', outcome: 'warning', reasons: [], raw: { name: 'selfie_id_comparison' } },
        { kind: 'face_match', outcome: 'passed', reasons: [], raw: { name: 'selfie_pose' } },
        { kind: 'watchlist', outcome: 'passed', reasons: [], raw: { name: 'watchlist' } },
      ],
      identity: { firstName: 'Ann' },
    })
    const comparison = compareAttempts([
      { provider: 'jumio', verification: left, latencyMs: 10 },
      { provider: 'persona', verification: right, latencyMs: 20 },
    ])
    expect(comparison).toEqual({
      outcomeAgrees: true,
      differences: ['decidedBy'],
      checkDifferences: [
        // Several checks of one kind count with their worst outcome.
        { kind: 'face_match', outcomes: { jumio: 'passed', persona: 'warning' } },
        { kind: 'liveness', outcomes: { jumio: 'passed' } },
        { kind: 'watchlist', outcomes: { persona: 'passed' } },
      ],
      identityDifferences: ['sex'],
    })
  })

  it('disagrees on a different outcome or status', () => {
    const comparison = compareAttempts([
      { provider: 'jumio', verification: approved(), latencyMs: 1 },
      { provider: 'persona', verification: declined('face_mismatch'), latencyMs: 1 },
    ])
    expect(comparison.outcomeAgrees).toBe(false)
    expect(comparison.differences).toEqual(['outcome', 'reasons'])
  })

  it('compares nothing when one provider failed or is missing', () => {
    const none = { outcomeAgrees: null, differences: [], checkDifferences: [], identityDifferences: [] }
    expect(compareAttempts([{ provider: 'jumio', verification: approved(), latencyMs: 1 }])).toEqual(none)
    expect(
      compareAttempts([
        { provider: 'jumio', verification: approved(), latencyMs: 1 },
        { provider: 'persona', latencyMs: 1, error: 'The persona API answered 503.' },
      ]),
    ).toEqual(none)
  })
})

describe('buildRow', () => {
  it('keeps identity values and session secrets out of the row, and redacts the raw view', () => {
    const verification = approved({
      identity: { firstName: 'Quillonda', dateOfBirth: '1986-03-14', documentNumber: 'ZZ4100001' },
      session: { url: 'https://flow.example.test/?token=secret-token' },
      decision: {
        outcome: 'approved',
        reasons: [],
        decidedBy: 'provider',
        raw: { status: 'PASSED', firstName: 'Quillonda', documentNumber: 'ZZ4100001' },
      },
    })
    const row = buildRow({
      id: 'catalogue:clean_approve',
      source: 'catalogue',
      scenario: scenarioById('clean_approve'),
      attempts: [{ provider: 'jumio', verification, latencyMs: 12.345 }],
    })
    const text = JSON.stringify(row)
    for (const secret of ['Quillonda', '1986-03-14', 'ZZ4100001', 'secret-token'])
      expect(text).not.toContain(secret)
    expect(row.results.jumio).toMatchObject({
      status: 'completed',
      outcome: 'approved',
      identityFields: ['dateOfBirth', 'documentNumber', 'firstName'],
      latencyMs: 12.3,
      expectationMismatches: [],
      raw: { decision: { status: 'PASSED', firstName: '[redacted]' } },
    })
  })

  it('flags a result that differs from the catalogue, on rows started from the page too once they end', () => {
    const scenario = scenarioById('expired_document')
    const attempts = [{ provider: 'jumio' as const, verification: approved(), latencyMs: 1 }]
    expect(
      buildRow({ id: 'a', source: 'catalogue', scenario, attempts }).results.jumio?.expectationMismatches,
    ).toContain('outcome approved, expected declined')
    expect(
      buildRow({ id: 'b', source: 'new', scenario, attempts }).results.jumio?.expectationMismatches,
    ).toContain('outcome approved, expected declined')
    // While the applicant is still in the hosted flow there is nothing to judge yet.
    const waiting = [
      { provider: 'jumio' as const, verification: approved({ status: 'in_progress' }), latencyMs: 1 },
    ]
    expect(
      buildRow({ id: 'c', source: 'new', scenario, attempts: waiting }).results.jumio?.expectationMismatches,
    ).toBeNull()
  })

  it('keeps the vendor check name beside our kind', () => {
    const row = buildRow({
      id: 'a',
      source: 'catalogue',
      scenario: scenarioById('clean_approve'),
      attempts: [
        {
          provider: 'persona',
          latencyMs: 1,
          verification: approved({
            checks: [
              { kind: 'other', outcome: 'passed', reasons: [], raw: { name: 'selfie_glare_detection' } },
            ],
          }),
        },
      ],
    })
    expect(row.results.persona?.checks).toEqual([
      { kind: 'other', outcome: 'passed', name: 'selfie_glare_detection' },
    ])
  })

  it('shows a failed call as an error result', () => {
    const row = buildRow({
      id: 'a',
      source: 'catalogue',
      scenario: scenarioById('underage'),
      attempts: [{ provider: 'persona', latencyMs: 3, error: 'The persona API answered 401.' }],
    })
    expect(row.results.persona).toMatchObject({
      status: null,
      error: 'The persona API answered 401.',
      expectationMismatches: ['error: The persona API answered 401.'],
    })
  })
})

describe('rawView', () => {
  it('keeps the vendor words and redacts personal data in them', () => {
    const view = rawView(
      approved({
        raw: { status: 'PROCESSED', nationality: 'DE', workflowId: 'wf_1' },
        credentials: [{ kind: 'id_document', parts: ['front'], documentType: 'passport' }],
      }),
    ) as Record<string, unknown>
    expect(view).toMatchObject({
      verification: { status: 'PROCESSED', nationality: '[redacted]', workflowId: 'wf_1' },
      checks: [{ check: 'imageChecks' }, { check: 'similarity' }, { check: 'liveness' }],
      credentials: [{ kind: 'id_document', parts: ['front'], documentType: 'passport' }],
    })
  })
})

describe('summaries', () => {
  const rowFor = (id: string, jumio: Verification, persona: Verification, latencies = [10, 30]) =>
    buildRow({
      id,
      source: 'catalogue',
      scenario: scenarios.find((scenario) => scenario.id === id)!,
      attempts: [
        { provider: 'jumio', verification: jumio, latencyMs: latencies[0]! },
        { provider: 'persona', verification: { ...persona, provider: 'persona' }, latencyMs: latencies[1]! },
      ],
    })

  it('counts agreement overall and per scenario kind, skipping rows that cannot be compared', () => {
    const rows = [
      rowFor('clean_approve', approved(), approved()),
      rowFor(
        'expired_document',
        declined('document_expired', { provider: 'jumio' }),
        declined('document_expired'),
      ),
      rowFor('tampered_document', approved(), declined('face_mismatch')),
      buildRow({
        id: 'underage',
        source: 'catalogue',
        scenario: scenarioById('underage'),
        attempts: [{ provider: 'jumio', verification: approved(), latencyMs: 1 }],
      }),
    ]
    expect(summarizeAgreement(rows)).toEqual({
      agreed: 2,
      compared: 3,
      rate: 2 / 3,
      byKind: [
        { kind: 'baseline', agreed: 1, compared: 1, rate: 1 },
        { kind: 'document', agreed: 1, compared: 2, rate: 0.5 },
        { kind: 'compliance', agreed: 0, compared: 0, rate: null },
      ],
    })
  })

  it('summarizes latency per provider', () => {
    const rows = [
      rowFor('clean_approve', approved(), approved(), [10, 40]),
      rowFor('expired_document', approved(), approved(), [30, 20]),
      rowFor('underage', approved(), approved(), [20, 60]),
    ]
    const [jumio, persona] = summarizeLatency(['jumio', 'persona'], rows)
    expect(jumio).toMatchObject({
      provider: 'jumio',
      count: 3,
      minMs: 10,
      medianMs: 20,
      meanMs: 20,
      maxMs: 30,
    })
    expect(persona).toMatchObject({ count: 3, minMs: 20, medianMs: 40, meanMs: 40, maxMs: 60 })
    expect(jumio?.samples).toEqual([
      { rowId: 'clean_approve', latencyMs: 10 },
      { rowId: 'expired_document', latencyMs: 30 },
      { rowId: 'underage', latencyMs: 20 },
    ])
    expect(summarizeLatency(['jumio'], [])[0]).toMatchObject({ count: 0, medianMs: null, meanMs: null })
  })

  it('builds the capability matrix from the declarations', () => {
    const declared = Object.fromEntries(
      kycCapabilities.map((capability) => [capability, capability === 'upload']),
    )
    const matrix = capabilityMatrix([
      { provider: 'jumio', capabilities: declared as never },
      { provider: 'persona', capabilities: { ...declared, upload: false, lists: true } as never },
    ])
    expect(matrix.capabilities).toEqual(kycCapabilities)
    expect(matrix.providers[0]?.declared.upload).toBe(true)
    expect(matrix.providers[0]?.declared.lists).toBe(false)
    expect(matrix.providers[1]?.declared).toMatchObject({ upload: false, lists: true, cases: false })
  })
})
