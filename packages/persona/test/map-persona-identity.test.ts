import type { DocumentType } from '@openkyc/core'
import { IdentityDataSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  mapPersonaCountry,
  mapPersonaDate,
  mapPersonaIdClass,
  mapPersonaIdentity,
  mapPersonaSex,
  personaIdClassFor,
} from '../src/map-persona-identity.js'
import { includedVerifications } from '../src/map-persona-inquiry.js'
import { inquiryFixture } from './fixtures.js'

describe('mapPersonaCountry', () => {
  it.each([
    ['US', 'US'],
    ['us', 'US'],
    [' de ', 'DE'],
    ['UK', 'GB'],
    ['EL', 'GR'],
    ['USA', undefined],
    ['U1', undefined],
    ['', undefined],
    [null, undefined],
    [42, undefined],
  ])('%j → %j', (input, expected) => {
    expect(mapPersonaCountry(input)).toBe(expected)
  })
})

describe('mapPersonaIdClass (README table)', () => {
  it.each([
    ['pp', 'passport'],
    ['ppc', 'passport'],
    ['dl', 'driving_license'],
    ['mdl', 'driving_license'],
    ['DL', 'driving_license'],
    ['id', 'id_card'],
    ['nric', 'id_card'],
    ['myn', 'id_card'],
    ['visa', 'visa'],
    ['rp', 'residence_permit'],
    ['pr', 'residence_permit'],
    ['cct', 'other'],
    [null, undefined],
    ['', undefined],
  ] as const)('%j → %j', (idClass, expected) => {
    expect(mapPersonaIdClass(idClass)).toBe(expected)
  })

  it.each([
    ['passport', 'pp'],
    ['driving_license', 'dl'],
    ['id_card', 'id'],
    ['visa', 'visa'],
    ['residence_permit', 'rp'],
    ['other', undefined],
  ] as [DocumentType, string | undefined][])('%s has the id-class hint %j', (documentType, idClass) => {
    expect(personaIdClassFor(documentType)).toBe(idClass)
    if (idClass) expect(mapPersonaIdClass(idClass)).toBe(documentType)
  })
})

describe('mapPersonaSex and mapPersonaDate', () => {
  it.each([
    ['M', 'male'],
    ['f', 'female'],
    ['Female', 'female'],
    ['X', 'unspecified'],
    ['?', undefined],
    [null, undefined],
  ] as const)('sex %j → %j', (sex, expected) => {
    expect(mapPersonaSex(sex)).toBe(expected)
  })

  it.each([
    ['1990-01-01', '1990-01-01'],
    ['2023-03-29T19:06:45.000Z', '2023-03-29'],
    ['1990-02-30', undefined],
    ['01/02/1990', undefined],
    [null, undefined],
  ])('date %j → %j', (value, expected) => {
    expect(mapPersonaDate(value)).toBe(expected)
  })
})

describe('mapPersonaIdentity', () => {
  it('prefers what the government ID says, and fills the rest from the inquiry fields', () => {
    const document = inquiryFixture('inquiry-approved.json')
    const governmentId = includedVerifications(document).find((v) => v.type === 'verification/government-id')
    const identity = mapPersonaIdentity(document.data, governmentId)
    expect(identity).toEqual({
      firstName: 'JANE',
      middleName: 'Marie',
      lastName: 'DOE',
      dateOfBirth: '1990-01-01',
      documentNumber: 'Y123ABC',
      documentType: 'driving_license',
      issuingCountry: 'US',
      nationality: 'US',
      issueDate: '2020-07-28',
      expiryDate: '2025-01-01',
      sex: 'female',
      address: {
        line1: '123 MAIN ST',
        city: 'SAN FRANCISCO',
        subdivision: 'CA',
        postalCode: '94111',
        country: 'US',
      },
    })
    expect(IdentityDataSchema.parse(identity)).toEqual(identity)
  })

  it('reads snake_case field keys (API versions from 2025-10-27) when nothing was extracted', () => {
    const document = inquiryFixture('inquiry-created-2025-10-27.json')
    expect(mapPersonaIdentity(document.data, undefined)).toEqual({
      firstName: 'Jane',
      lastName: 'Doe',
      dateOfBirth: '1995-09-08',
      address: { country: 'US' },
    })
  })

  it('has nothing to say about a redacted inquiry', () => {
    const document = inquiryFixture('inquiry-redacted.json')
    expect(mapPersonaIdentity(document.data, includedVerifications(document)[0])).toBeUndefined()
  })
})
