import { describe, expect, it } from 'vitest'
import { KycInvalidRequestError, type Verification } from '../src/index.js'
import { markParsedVerificationUpdate, parseVerificationUpdate } from '../src/store/validate.js'

const verification: Verification = {
  id: 'inq_1',
  provider: 'mock',
  reference: { verificationId: 'inq_1' },
  status: 'submitted',
  checks: [],
  credentials: [],
  createdAt: '2025-06-01T08:00:00.000Z',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted' },
}

describe('parseVerificationUpdate', () => {
  it('parses an update into a copy, and rejects an invalid one with the paths only', () => {
    const parsed = parseVerificationUpdate(verification)
    expect(parsed).toEqual(verification)
    expect(parsed).not.toBe(verification)
    expect(() => parseVerificationUpdate({ ...verification, status: 'approved-ish' })).toThrow(
      KycInvalidRequestError,
    )
  })

  it('takes an update the pipeline has just parsed as it is, once: the next call parses again', () => {
    const update = structuredClone(verification)
    expect(parseVerificationUpdate(markParsedVerificationUpdate(update))).toBe(update)
    // Changed after its one trusted use: checked like any other value.
    ;(update as { status: string }).status = 'approved-ish'
    expect(() => parseVerificationUpdate(update)).toThrow(KycInvalidRequestError)
  })
})
