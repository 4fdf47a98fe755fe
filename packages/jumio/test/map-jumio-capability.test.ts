import { CheckSchema, ReasonCodeSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  jumioCapabilityKinds,
  jumioReasonTable,
  mapJumioCapabilities,
  mapJumioCapability,
  mapJumioCheckKind,
  mapJumioCheckOutcome,
  mapJumioReasonCode,
} from '../src/map-jumio-capability.js'

const reasonRows = Object.entries(jumioReasonTable).flatMap(([capability, labels]) =>
  Object.entries(labels).map(([label, code]) => ({ capability, label, code })),
)

describe('mapJumioReasonCode', () => {
  it('has a row for every documented label', () => {
    expect(reasonRows.length).toBeGreaterThan(80)
  })

  it.each(reasonRows)('$capability $label → $code', ({ capability, label, code }) => {
    expect(ReasonCodeSchema.options).toContain(code)
    expect(mapJumioReasonCode(capability, label)).toBe(code)
    const check = mapJumioCapability(capability, {
      credentials: [{ id: 'c1', category: 'ID' }],
      decision: { type: 'REJECTED', details: { label } },
    })
    expect(check.reasons).toEqual([{ code, raw: label }])
  })

  it.each([
    ['usability', 'TECHNICAL_ERROR', 'technical_error'],
    ['liveness', 'TECHNICAL_ERROR', 'technical_error'],
    ['imageChecks', 'PRECONDITION_NOT_FULFILLED', 'other'],
    ['watchlistScreening', 'TECHNICAL_ERROR', 'technical_error'],
  ] as const)('common label %s %s → %s', (capability, label, code) => {
    expect(mapJumioReasonCode(capability, label)).toBe(code)
  })

  it('maps unknown labels and unknown capabilities to other, never throwing', () => {
    expect(mapJumioReasonCode('usability', 'SOMETHING_NEW')).toBe('other')
    expect(mapJumioReasonCode('quantumChecks', 'REPEATED_FACE')).toBe('other')
    expect(mapJumioReasonCode('', '')).toBe('other')
  })

  it('reads a label in the context of its capability', () => {
    expect(mapJumioReasonCode('imageChecks', 'DIGITAL_COPY')).toBe('document_tampered')
    expect(mapJumioReasonCode('liveness', 'DIGITAL_COPY')).toBe('liveness_failed')
  })
})

describe('mapJumioCheckKind', () => {
  it.each(Object.entries(jumioCapabilityKinds))('%s → %s', (capability, kind) => {
    expect(mapJumioCheckKind(capability, ['ID'])).toBe(kind)
  })

  it('treats usability of a selfie or face map as part of liveness', () => {
    expect(mapJumioCheckKind('usability', ['SELFIE'])).toBe('liveness')
    expect(mapJumioCheckKind('usability', ['FACEMAP'])).toBe('liveness')
    expect(mapJumioCheckKind('usability', ['DOCUMENT'])).toBe('document_quality')
  })

  it('maps an unknown capability to other', () => {
    expect(mapJumioCheckKind('ageEstimation', [])).toBe('other')
  })
})

describe('mapJumioCheckOutcome', () => {
  it.each([
    ['PASSED', 'passed'],
    ['REJECTED', 'failed'],
    ['WARNING', 'warning'],
    ['NOT_EXECUTED', 'not_executed'],
    ['SOMETHING_NEW', 'warning'],
    [undefined, 'warning'],
  ] as const)('%s → %s', (type, outcome) => {
    expect(mapJumioCheckOutcome(type)).toBe(outcome)
  })
})

describe('mapJumioCapability', () => {
  it('keeps the vendor words in raw and gives no reason for a pass', () => {
    const check = mapJumioCapability('similarity', {
      id: 'x',
      credentials: [
        { id: 'a', category: 'SELFIE' },
        { id: 'b', category: 'ID' },
      ],
      decision: { type: 'PASSED', details: { label: 'MATCH' } },
      data: { similarity: 'MATCH' },
    })
    expect(check).toEqual({
      kind: 'face_match',
      outcome: 'passed',
      reasons: [],
      raw: { name: 'similarity', label: 'MATCH', type: 'PASSED', credentials: ['SELFIE', 'ID'] },
    })
    expect(CheckSchema.parse(check)).toEqual(check)
  })

  it('never copies capability data (it may hold personal data) into the check', () => {
    const check = mapJumioCapability('extraction', {
      credentials: [{ id: 'a', category: 'ID' }],
      decision: { type: 'PASSED', details: { label: 'OK' } },
      data: { firstName: 'ERIKA', documentNumber: 'C01X00T47' },
    })
    expect(JSON.stringify(check)).not.toMatch(/ERIKA|C01X00T47/)
  })

  it('survives a capability with no decision at all', () => {
    const check = mapJumioCapability('usability', {})
    expect(check).toMatchObject({ kind: 'document_quality', outcome: 'warning', reasons: [] })
  })

  it('orders capabilities stably whatever order Jumio sends them in', () => {
    const entry = { decision: { type: 'PASSED', details: { label: 'OK' } } }
    const forward = mapJumioCapabilities({ usability: [entry], liveness: [entry], zeta: [entry] })
    const backward = mapJumioCapabilities({ zeta: [entry], liveness: [entry], usability: [entry] })
    expect(forward.map((check) => check.raw.name)).toEqual(['usability', 'liveness', 'zeta'])
    expect(backward).toEqual(forward)
  })
})
