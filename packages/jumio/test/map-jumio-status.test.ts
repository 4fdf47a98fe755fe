import { describe, expect, it } from 'vitest'
import { mapJumioStatus } from '../src/map-jumio-status.js'

describe('mapJumioStatus', () => {
  it.each([
    ['INITIATED', {}, 'created'],
    ['INITIATED', { started: true }, 'in_progress'],
    ['ACQUISITION_STARTED', {}, 'in_progress'],
    ['ACQUIRED', {}, 'submitted'],
    ['PROCESSED', {}, 'completed'],
    ['PROCESSED', { detailsAvailable: false }, 'submitted'],
    ['PROCESSED', { decisionLabel: 'TOKEN_EXPIRED' }, 'expired'],
    ['PROCESSED', { decisionLabel: 'SESSION_EXPIRED' }, 'expired'],
    ['PROCESSED', { decisionLabel: 'WARNING' }, 'completed'],
    ['TOKEN_EXPIRED', {}, 'expired'],
    ['SESSION_EXPIRED', {}, 'expired'],
    ['SOMETHING_NEW', {}, 'in_progress'],
  ] as const)('%s %o → %s', (status, context, expected) => {
    expect(mapJumioStatus(status, context)).toBe(expected)
  })
})
