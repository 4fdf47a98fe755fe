import { VerificationSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  jumioAccountResponseSchema,
  jumioDetailsResponseSchema,
  jumioExtractionDataSchema,
  jumioStatusResponseSchema,
} from '../src/jumio-schemas.js'
import { jumioApplicantAge } from '../src/map-jumio-identity.js'
import {
  mapJumioAccountResponse,
  mapJumioDetails,
  mapJumioStatusResponse,
} from '../src/map-jumio-verification.js'
import { loadFixture } from './load-fixture.js'

const now = () => Date.parse('2024-01-01T00:00:00.000Z')

function details(name: string) {
  const verification = mapJumioDetails(jumioDetailsResponseSchema.parse(loadFixture(name)), { now })
  expect(VerificationSchema.parse(verification)).toEqual(verification)
  return verification
}

describe('mapJumioDetails on the seed retrieval example (WARNING with REPEATED_FACE)', () => {
  const verification = details('retrieval-details-warning-repeated-face')

  it('is completed with outcome review, reason repeated_face and the risk score', () => {
    expect(verification.status).toBe('completed')
    expect(verification.decision).toMatchObject({
      outcome: 'review',
      reasons: [{ code: 'repeated_face', raw: 'REPEATED_FACE' }],
      riskScore: 50,
      decidedBy: 'provider',
      decidedAt: '2022-11-28T23:50:55.232Z',
      raw: { status: 'WARNING', label: 'WARNING' },
    })
  })

  it('extracts JOHN JACOB / SMITH / 1969-01-18 / N1234567 / driving_license / US', () => {
    expect(verification.identity).toEqual({
      firstName: 'JOHN JACOB',
      lastName: 'SMITH',
      dateOfBirth: '1969-01-18',
      documentNumber: 'N1234567',
      documentType: 'driving_license',
      issuingCountry: 'US',
      issueDate: '2019-12-26',
      expiryDate: '2025-01-18',
      sex: 'male',
    })
  })

  it('has one check per capability result, the image check a warning', () => {
    expect(verification.checks.map((check) => [check.kind, check.outcome])).toEqual([
      ['document_quality', 'passed'],
      ['liveness', 'passed'],
      ['liveness', 'passed'],
      ['document_authenticity', 'warning'],
      ['data_extraction', 'passed'],
      ['data_consistency', 'passed'],
      ['liveness', 'passed'],
      ['face_match', 'passed'],
    ])
    expect(verification.checks.find((check) => check.kind === 'document_authenticity')).toEqual({
      kind: 'document_authenticity',
      outcome: 'warning',
      reasons: [{ code: 'repeated_face', raw: 'REPEATED_FACE' }],
      raw: { name: 'imageChecks', label: 'REPEATED_FACE', type: 'WARNING', credentials: ['SELFIE', 'ID'] },
    })
  })

  it('lists the evidence with its parts and the document read from it', () => {
    expect(verification.credentials).toEqual([
      { id: 'UUID', kind: 'selfie', parts: ['face'] },
      { id: 'UUID', kind: 'liveness', parts: ['face'] },
      {
        id: 'UUID',
        kind: 'id_document',
        documentType: 'driving_license',
        issuingCountry: 'US',
        parts: ['front', 'back'],
      },
    ])
  })

  it('keeps the vendor words and the timestamps', () => {
    expect(verification).toMatchObject({
      id: 'UUID',
      provider: 'jumio',
      reference: { accountId: 'UUID', workflowExecutionId: 'UUID' },
      subjectReference: 'MyUser',
      createdAt: '2022-11-28T23:45:02.528Z',
      updatedAt: '2022-11-28T23:50:55.232Z',
      completedAt: '2022-11-28T23:50:55.232Z',
      raw: {
        status: 'PROCESSED',
        definitionKey: '10011',
        decisionType: 'WARNING',
        decisionLabel: 'WARNING',
        riskScore: 50,
      },
    })
  })
})

describe('mapJumioDetails on other recorded shapes', () => {
  it('approves a clean passport verification and converts every alpha-3 country', () => {
    const verification = details('retrieval-details-passed')
    expect(verification.decision).toMatchObject({ outcome: 'approved', reasons: [], riskScore: 0 })
    expect(verification.checks.every((check) => check.outcome === 'passed')).toBe(true)
    expect(verification.identity).toMatchObject({
      documentType: 'passport',
      issuingCountry: 'DE',
      nationality: 'DE',
      sex: 'female',
      address: { city: 'KOELN', country: 'DE', postalCode: '51147', line1: 'HEIDESTRASSE 17' },
    })
  })

  it('declines with the failed capabilities as reasons', () => {
    const verification = details('retrieval-details-rejected')
    expect(verification.decision).toMatchObject({
      outcome: 'declined',
      riskScore: 100,
      reasons: [
        { code: 'document_incomplete', raw: 'MISSING_SIGNATURE' },
        { code: 'face_mismatch', raw: 'NO_MATCH' },
      ],
    })
    expect(verification.identity).toBeUndefined()
    expect(verification.checks.filter((check) => check.outcome === 'not_executed')).toHaveLength(3)
  })

  it('maps PROCESSED with NOT_EXECUTED / TOKEN_EXPIRED to expired without a decision', () => {
    const verification = details('retrieval-details-token-expired')
    expect(verification.status).toBe('expired')
    expect(verification.decision).toBeUndefined()
    expect(verification.credentials).toEqual([])
    expect(verification.raw).toMatchObject({
      decisionType: 'NOT_EXECUTED',
      decisionLabel: 'TOKEN_EXPIRED',
      riskScore: -1,
    })
  })

  it('maps the observed SESSION_EXPIRED shape (REJECTED/100) to expired, not declined', () => {
    const verification = details('retrieval-details-session-expired')
    expect(verification.status).toBe('expired')
    expect(verification.decision).toBeUndefined()
  })

  it('maps ACQUIRED to submitted', () => {
    const verification = details('retrieval-details-acquired')
    expect(verification.status).toBe('submitted')
    expect(verification.decision).toBeUndefined()
    expect(verification.updatedAt).toBe('2023-03-24T11:35:01.120Z')
  })

  it('redacts identity and evidence once Jumio wiped the execution', () => {
    const payload = loadFixture('retrieval-details-passed')
    payload.wipedOutAt = '2023-04-01T00:00:00.000Z'
    const verification = mapJumioDetails(jumioDetailsResponseSchema.parse(payload), { now })
    expect(verification.redactedAt).toBe('2023-04-01T00:00:00.000Z')
    expect(verification.identity).toBeUndefined()
    expect(verification.credentials).toEqual([])
    expect(JSON.stringify(verification)).not.toMatch(/MUSTERMANN|C01X00T47|1964-08-12/)
  })

  it('drops values that are not usable instead of failing: N/A names, bad dates, unknown countries', () => {
    const payload = loadFixture('retrieval-details-passed') as {
      capabilities: { extraction: { data: object }[] }
    }
    payload.capabilities.extraction[0]!.data = {
      type: 'SOMETHING_NEW',
      firstName: 'N/A',
      lastName: 'MUSTERMANN',
      dateOfBirth: '1964-02-30',
      issuingCountry: 'ZZZ',
      gender: 'Q',
    }
    const verification = mapJumioDetails(jumioDetailsResponseSchema.parse(payload), { now })
    expect(verification.identity).toEqual({ lastName: 'MUSTERMANN', documentType: 'other' })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
  })
})

describe('jumioApplicantAge', () => {
  it.each([
    [{ currentAge: 54, dateOfBirth: '1969-01-18' }, '2024-01-01T00:00:00.000Z', 54],
    [{ dateOfBirth: '2010-06-15' }, '2024-06-14T23:59:59.000Z', 13],
    [{ dateOfBirth: '2010-06-15' }, '2024-06-15', 14],
    [{ dateOfBirth: 'unknown' }, '2024-06-15', undefined],
    [{}, '2024-06-15', undefined],
  ] as const)('%o at %s → %s', (data, at, age) => {
    expect(jumioApplicantAge(jumioExtractionDataSchema.parse(data), at)).toBe(age)
  })
})

describe('mapJumioStatusResponse', () => {
  it('reads a status without details as submitted (no decision can be read yet)', () => {
    const verification = mapJumioStatusResponse(
      jumioStatusResponseSchema.parse(loadFixture('retrieval-status-processed')),
      { now },
    )
    expect(verification).toMatchObject({
      id: '22222222-2222-2222-2222-aaaaaaaaaaaa',
      status: 'submitted',
      reference: {
        accountId: '11111111-1111-1111-1111-aaaaaaaaaaaa',
        workflowExecutionId: '22222222-2222-2222-2222-aaaaaaaaaaaa',
      },
      createdAt: '2024-01-01T00:00:00.000Z',
      raw: { status: 'PROCESSED', detailsAvailable: false },
    })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
  })
})

describe('mapJumioAccountResponse', () => {
  it('starts as created with the hosted URL and SDK token as the hand-off', () => {
    const response = jumioAccountResponseSchema.parse(loadFixture('account-create-response'))
    const verification = mapJumioAccountResponse(response, {
      now,
      subjectReference: 'user-42',
      workflowKey: '10011',
      expiresAt: Date.parse('2021-05-28T09:47:50.240Z'),
    })
    expect(verification).toMatchObject({
      id: '22222222-2222-2222-2222-aaaaaaaaaaaa',
      status: 'created',
      subjectReference: 'user-42',
      session: {
        url: expect.stringMatching(
          /^https:\/\/acme\.web\.amer-1\.jumio\.ai\/web\/v4\/app\?authorizationToken=/,
        ),
        sdkToken: 'eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.sdk-token.sig',
        expiresAt: '2021-05-28T09:47:50.240Z',
      },
      createdAt: '2021-05-28T09:17:50.240Z',
      raw: { status: 'INITIATED', definitionKey: '10011' },
    })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
  })
})
