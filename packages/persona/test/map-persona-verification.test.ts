import { CredentialSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  mapPersonaCredential,
  mapPersonaVerificationType,
  personaVerificationHasEvidence,
} from '../src/map-persona-verification.js'

describe('mapPersonaVerificationType (README table)', () => {
  it.each([
    ['verification/government-id', { kind: 'id_document' }],
    ['verification/government-id-nfc', { kind: 'id_document' }],
    ['verification/passport', { kind: 'id_document', documentType: 'passport' }],
    ['verification/driver-license', { kind: 'id_document', documentType: 'driving_license' }],
    ['verification/national-identity-card', { kind: 'id_document', documentType: 'id_card' }],
    ['verification/other-identity-card', { kind: 'id_document', documentType: 'other' }],
    ['verification/selfie', { kind: 'selfie' }],
    ['verification/document', { kind: 'document' }],
    ['verification/database', { kind: 'personal_data' }],
    ['verification/database-standard', { kind: 'personal_data' }],
    ['verification/database-tin', { kind: 'personal_data' }],
    ['verification/aamva', { kind: 'personal_data' }],
    ['verification/phone-number', { kind: 'personal_data' }],
    ['verification/email-address', { kind: 'personal_data' }],
    ['verification/telepathy', undefined],
  ])('%s → %j', (type, expected) => {
    expect(mapPersonaVerificationType(type)).toEqual(expected)
  })
})

describe('personaVerificationHasEvidence (README table)', () => {
  it.each([
    ['submitted', true],
    ['passed', true],
    ['failed', true],
    ['requires_retry', true],
    ['initiated', false],
    ['confirmed', false],
    ['canceled', false],
    ['skipped', false],
    ['teleported', false],
    [null, false],
  ])('%j → %j', (status, expected) => {
    expect(personaVerificationHasEvidence(status)).toBe(expected)
  })
})

describe('mapPersonaCredential', () => {
  it('lists a submitted government ID with its document type, country and sides, never its images', () => {
    const credential = mapPersonaCredential({
      type: 'verification/government-id',
      id: 'ver_1',
      attributes: {
        status: 'passed',
        'id-class': 'pp',
        'country-code': 'de',
        'front-photo-url': 'https://files.withpersona.com/front.jpg?access_token=SECRET',
        'photo-urls': [{ page: 'front' }, { page: 'back' }],
      },
    })
    expect(credential).toEqual({
      id: 'ver_1',
      kind: 'id_document',
      documentType: 'passport',
      issuingCountry: 'DE',
      parts: ['front', 'back'],
    })
    expect(CredentialSchema.parse(credential)).toEqual(credential)
    expect(JSON.stringify(credential)).not.toContain('access_token')
  })

  it('keeps the document type of a legacy verification type without an id-class', () => {
    expect(
      mapPersonaCredential({
        type: 'verification/driver-license',
        id: 'ver_2',
        attributes: { status: 'failed' },
      }),
    ).toEqual({ id: 'ver_2', kind: 'id_document', documentType: 'driving_license', parts: [] })
  })

  it('lists selfies and documents with their parts', () => {
    expect(
      mapPersonaCredential({ type: 'verification/selfie', id: 'v', attributes: { status: 'passed' } }),
    ).toEqual({
      id: 'v',
      kind: 'selfie',
      parts: ['face'],
    })
    expect(
      mapPersonaCredential({ type: 'verification/document', id: 'd', attributes: { status: 'submitted' } }),
    ).toEqual({ id: 'd', kind: 'document', parts: ['page'] })
  })

  it('leaves out verifications without evidence and types it does not know', () => {
    expect(
      mapPersonaCredential({ type: 'verification/selfie', id: 'v', attributes: { status: 'initiated' } }),
    ).toBe(undefined)
    expect(
      mapPersonaCredential({ type: 'verification/unknown', id: 'v', attributes: { status: 'passed' } }),
    ).toBe(undefined)
  })
})
