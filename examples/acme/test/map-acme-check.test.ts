import { describe, expect, it } from 'vitest'
import { acmeCheckKinds, acmeReasonCodes, mapAcmeStatus } from '../src/index.js'
import { toVerification } from '../src/map-acme-check.js'

const baseCheck = {
  id: 'chk_1',
  status: 'complete',
  created_at: '2030-01-01T00:00:00.000Z',
  updated_at: '2030-01-01T00:05:00.000Z',
}

describe('Acme mapping tables (every row of the README)', () => {
  it.each([
    ['pending', 'created'],
    ['started', 'in_progress'],
    ['processing', 'submitted'],
    ['complete', 'completed'],
    ['expired', 'expired'],
    ['cancelled', 'cancelled'],
    ['archived_by_acme_tomorrow', 'in_progress'],
  ])('status %s → %s', (acme, ours) => {
    expect(mapAcmeStatus(acme)).toBe(ours)
  })

  it.each([
    ['clear', 'approved'],
    ['reject', 'declined'],
    ['consider', 'review'],
    ['something_new', 'review'],
  ])('decision %s → %s', (decision, outcome) => {
    const verification = toVerification({ ...baseCheck, result: { decision } })
    expect(verification.decision?.outcome).toBe(outcome)
    expect(verification.decision?.raw.status).toBe(decision)
  })

  it.each([...Object.entries(acmeReasonCodes), ['brand_new_label', 'other']])(
    'reason %s → %s',
    (label, code) => {
      const verification = toVerification({ ...baseCheck, result: { decision: 'reject', reasons: [label] } })
      expect(verification.decision?.reasons).toEqual([{ code, raw: label }])
    },
  )

  it.each([...Object.entries(acmeCheckKinds), ['brand_new_check', 'other']])(
    'check %s → %s',
    (name, kind) => {
      const verification = toVerification({ ...baseCheck, checks: [{ name, result: 'pass' }] })
      expect(verification.checks).toEqual([
        { kind, outcome: 'passed', reasons: [], raw: { name, label: 'pass' } },
      ])
    },
  )

  it.each([
    ['pass', 'passed'],
    ['fail', 'failed'],
    ['warn', 'warning'],
    ['not_run', 'not_executed'],
    ['unheard_of', 'warning'],
  ])('check result %s → %s', (result, outcome) => {
    expect(toVerification({ ...baseCheck, checks: [{ name: 'liveness', result }] }).checks[0]?.outcome).toBe(
      outcome,
    )
  })

  it('marks an analyst’s decision as manual', () => {
    const verification = toVerification({
      ...baseCheck,
      result: { decision: 'clear', reviewed_by: 'analyst' },
    })
    expect(verification.decision?.decidedBy).toBe('manual')
  })

  it('drops identity once Acme redacted the check', () => {
    const verification = toVerification({
      ...baseCheck,
      redacted_at: '2030-01-02T00:00:00.000Z',
      document: { first_name: 'Quillonda' },
    })
    expect(verification.redactedAt).toBe('2030-01-02T00:00:00.000Z')
    expect(verification.identity).toBeUndefined()
  })
})
