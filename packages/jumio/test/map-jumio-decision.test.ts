import type { Check } from '@openkyc/core'
import { DecisionSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { mapJumioDecision, mapJumioDecisionOutcome } from '../src/map-jumio-decision.js'

function check(
  outcome: Check['outcome'],
  code: Check['reasons'][number]['code'] | undefined,
  raw = 'X',
): Check {
  return {
    kind: 'document_quality',
    outcome,
    reasons: code === undefined ? [] : [{ code, raw }],
    raw: { name: 'usability' },
  }
}

describe('mapJumioDecisionOutcome', () => {
  it.each([
    ['PASSED', 'approved'],
    ['WARNING', 'review'],
    ['REJECTED', 'declined'],
    ['NOT_EXECUTED', 'review'],
    ['SOMETHING_NEW', 'review'],
    [undefined, 'review'],
  ] as const)('%s → %s', (type, outcome) => {
    expect(mapJumioDecisionOutcome(type)).toBe(outcome)
  })
})

describe('mapJumioDecision', () => {
  it('approves without reasons and keeps the risk score', () => {
    const decision = mapJumioDecision({
      decision: { type: 'PASSED', details: { label: 'PASSED' }, risk: { score: 12.5 } },
      checks: [check('passed', undefined)],
      decidedAt: '2023-03-24T11:36:12.004Z',
    })
    expect(decision).toEqual({
      outcome: 'approved',
      reasons: [],
      riskScore: 12.5,
      decidedBy: 'provider',
      decidedAt: '2023-03-24T11:36:12.004Z',
      raw: { status: 'PASSED', label: 'PASSED', riskScore: 12.5 },
    })
    expect(DecisionSchema.parse(decision)).toEqual(decision)
  })

  it('explains a decline with the failed checks only', () => {
    const decision = mapJumioDecision({
      decision: { type: 'REJECTED', details: { label: 'REJECTED' }, risk: { score: 100 } },
      checks: [
        check('failed', 'document_incomplete', 'MISSING_SIGNATURE'),
        check('warning', 'repeated_face', 'REPEATED_FACE'),
        check('failed', 'document_incomplete', 'MISSING_SIGNATURE'),
        check('not_executed', 'other', 'PRECONDITION_NOT_FULFILLED'),
      ],
    })
    expect(decision.outcome).toBe('declined')
    expect(decision.reasons).toEqual([{ code: 'document_incomplete', raw: 'MISSING_SIGNATURE' }])
  })

  it('explains a review with warnings and failures', () => {
    const decision = mapJumioDecision({
      decision: { type: 'WARNING', details: { label: 'WARNING' }, risk: { score: 50 } },
      checks: [check('warning', 'repeated_face', 'REPEATED_FACE'), check('passed', undefined)],
    })
    expect(decision).toMatchObject({ outcome: 'review', riskScore: 50 })
    expect(decision.reasons).toEqual([{ code: 'repeated_face', raw: 'REPEATED_FACE' }])
  })

  it('falls back to the overall label when no capability explains the outcome', () => {
    expect(
      mapJumioDecision({
        decision: { type: 'NOT_EXECUTED', details: { label: 'TECHNICAL_ERROR' } },
        checks: [],
      }).reasons,
    ).toEqual([{ code: 'technical_error', raw: 'TECHNICAL_ERROR' }])
    expect(
      mapJumioDecision({ decision: { type: 'REJECTED', details: { label: 'CUSTOM_RULE_7' } }, checks: [] })
        .reasons,
    ).toEqual([{ code: 'other', raw: 'CUSTOM_RULE_7' }])
  })

  it('reads an unexplained rejection of an applicant under the minimum age as age_requirement', () => {
    const rejected = { type: 'REJECTED', details: { label: 'REJECTED' }, risk: { score: 100 } }
    const passedChecks = [check('passed', undefined)]
    expect(
      mapJumioDecision({ decision: rejected, checks: passedChecks, age: 14, minimumAge: 18 }).reasons,
    ).toEqual([{ code: 'age_requirement' }])
    // Of age, or the inference turned off, or no age read: the label stays the reason.
    for (const options of [
      { age: 18, minimumAge: 18 },
      { age: 14, minimumAge: false as const },
      { age: undefined, minimumAge: 18 },
    ]) {
      expect(mapJumioDecision({ decision: rejected, checks: passedChecks, ...options }).reasons).toEqual([
        { code: 'other', raw: 'REJECTED' },
      ])
    }
    // A capability that explains the rejection wins over the inference.
    expect(
      mapJumioDecision({
        decision: rejected,
        checks: [check('failed', 'document_tampered', 'FAKE')],
        age: 14,
        minimumAge: 18,
      }).reasons,
    ).toEqual([{ code: 'document_tampered', raw: 'FAKE' }])
    // An approval stays an approval, whatever the age.
    expect(
      mapJumioDecision({ decision: { type: 'PASSED' }, checks: passedChecks, age: 14, minimumAge: 18 })
        .outcome,
    ).toBe('approved')
  })

  it('reads an approval over a capability that warned or failed as a person’s decision', () => {
    const approved = { type: 'PASSED', details: { label: 'PASSED' }, risk: { score: 0 } }
    for (const outcome of ['warning', 'failed'] as const) {
      const decision = mapJumioDecision({
        decision: approved,
        checks: [check('passed', undefined), check(outcome, 'data_mismatch')],
      })
      expect(decision).toMatchObject({
        outcome: 'approved',
        reasons: [],
        decidedBy: 'manual',
        raw: { overridesCapabilities: true },
      })
    }
    // All capabilities passed, or the detection turned off, or a decline: the provider decided.
    expect(mapJumioDecision({ decision: approved, checks: [check('passed', undefined)] }).decidedBy).toBe(
      'provider',
    )
    expect(
      mapJumioDecision({
        decision: approved,
        checks: [check('warning', 'data_mismatch')],
        detectManualDecisions: false,
      }).decidedBy,
    ).toBe('provider')
    expect(
      mapJumioDecision({ decision: { type: 'REJECTED' }, checks: [check('failed', 'face_mismatch')] })
        .decidedBy,
    ).toBe('provider')
    // A decision implied from the capabilities is never an override.
    expect(
      mapJumioDecision({ decision: undefined, checks: [check('not_executed', 'other')] }).decidedBy,
    ).toBe('provider')
  })

  it('drops a score outside 0–100 (Jumio sends -1 for not executed)', () => {
    const decision = mapJumioDecision({
      decision: { type: 'NOT_EXECUTED', details: { label: 'TECHNICAL_ERROR' }, risk: { score: -1 } },
      checks: [],
    })
    expect(decision.riskScore).toBeUndefined()
    expect(decision.raw.riskScore).toBe(-1)
  })

  it.each([
    [['failed', 'passed'], 'declined'],
    [['warning', 'passed'], 'review'],
    [['passed', 'passed'], 'approved'],
    [[], 'review'],
  ] as const)('implies the decision from the checks %o when Jumio sent none → %s', (outcomes, expected) => {
    const decision = mapJumioDecision({
      decision: undefined,
      checks: outcomes.map((outcome) => check(outcome, outcome === 'passed' ? undefined : 'other')),
    })
    expect(decision.outcome).toBe(expected)
    expect(decision.raw.implied).toBe(true)
  })
})
