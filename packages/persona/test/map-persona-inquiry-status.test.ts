import { describe, expect, it } from 'vitest'
import { mapPersonaInquiryStatus, type PersonaCompletedMeaning } from '../src/map-persona-inquiry-status.js'

// The README's status table, row by row.
const rows: [string, PersonaCompletedMeaning, string, string | undefined][] = [
  ['created', 'pending', 'created', undefined],
  ['pending', 'pending', 'in_progress', undefined],
  ['completed', 'pending', 'submitted', undefined],
  ['completed', 'review', 'completed', 'review'],
  ['completed', 'approved', 'completed', 'approved'],
  ['needs_review', 'pending', 'completed', 'review'],
  ['approved', 'pending', 'completed', 'approved'],
  ['declined', 'pending', 'completed', 'declined'],
  ['failed', 'pending', 'completed', 'declined'],
  ['expired', 'pending', 'expired', undefined],
  ['archived_in_2030', 'pending', 'in_progress', undefined],
  ['', 'pending', 'in_progress', undefined],
]

describe('mapPersonaInquiryStatus', () => {
  it.each(rows)('%s (completed means %s) → %s / %s', (status, completedMeans, expectedStatus, outcome) => {
    const mapped = mapPersonaInquiryStatus(status, { completedMeans })
    expect(mapped.status).toBe(expectedStatus)
    expect(mapped.outcome).toBe(outcome)
  })

  it('reads `completed` as awaiting a decision by default', () => {
    expect(mapPersonaInquiryStatus('completed')).toEqual({ status: 'submitted' })
  })

  it('only `completed` depends on the policy', () => {
    for (const status of [
      'created',
      'pending',
      'needs_review',
      'approved',
      'declined',
      'failed',
      'expired',
    ]) {
      const readings = (['approved', 'review', 'pending'] as const).map((completedMeans) =>
        mapPersonaInquiryStatus(status, { completedMeans }),
      )
      expect(readings[1]).toEqual(readings[0])
      expect(readings[2]).toEqual(readings[0])
    }
  })
})
