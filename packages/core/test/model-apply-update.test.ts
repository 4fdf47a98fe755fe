import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyVerificationUpdate,
  compareVerificationProgress,
  type Verification,
  VerificationSchema,
  type VerificationUpdate,
} from '../src/index.js'
import { forwardSequenceArbitrary, seededIdentity, toEventView } from './fixtures.js'

function applyAll(updates: readonly VerificationUpdate[]): Verification | undefined {
  let state: Verification | undefined
  for (const update of updates) state = applyVerificationUpdate(state, update)
  return state
}

/** A sequence plus a delivery: some of its states, duplicated and shuffled. */
const deliveryArbitrary = forwardSequenceArbitrary.chain((sequence) =>
  fc
    .record({
      kept: fc.subarray(
        sequence.map((_, index) => index),
        { minLength: 1 },
      ),
      duplicates: fc.array(fc.nat({ max: sequence.length - 1 }), { maxLength: 8 }),
      seed: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 32, maxLength: 32 }),
    })
    .map(({ kept, duplicates, seed }) => {
      const pool = [...kept, ...duplicates.filter((index) => kept.includes(index))]
      // Sort by random keys: a shuffle driven (and shrunk) by fast-check.
      const order = pool
        .map((index, position) => ({ index, key: seed[position % seed.length]! + position * 1e-9 }))
        .sort((a, b) => a.key - b.key)
        .map(({ index }) => index)
      return { sequence, kept, order }
    }),
)

describe('applyVerificationUpdate (properties)', () => {
  it('generated sequences are valid verifications and strictly forward', () => {
    fc.assert(
      fc.property(forwardSequenceArbitrary, (sequence) => {
        for (const state of sequence) expect(VerificationSchema.safeParse(state).success).toBe(true)
        for (let index = 1; index < sequence.length; index++) {
          expect(compareVerificationProgress(sequence[index]!, sequence[index - 1]!)).toBeGreaterThan(0)
        }
      }),
    )
  })

  it('applying the whole sequence in order ends at its last state', () => {
    fc.assert(
      fc.property(forwardSequenceArbitrary, (sequence) => {
        expect(applyAll(sequence)).toEqual(sequence.at(-1))
      }),
    )
  })

  it('duplicated and shuffled deliveries end where the in-order sequence ends', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ sequence, kept, order }) => {
        const inOrder = applyAll(kept.map((index) => sequence[index]!))
        // Deliveries are copies, as a JSON round trip through a queue would produce.
        const shuffled = applyAll(order.map((index) => structuredClone(sequence[index]!)))
        expect(shuffled).toEqual(inOrder)
        expect(shuffled).toEqual(sequence[Math.max(...kept)])
      }),
      { numRuns: 300 },
    )
  })

  it('the same holds for event views, which carry no identity or session', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ sequence, kept, order }) => {
        const views = sequence.map(toEventView)
        const inOrder = applyAll(kept.map((index) => views[index]!))
        const shuffled = applyAll(order.map((index) => structuredClone(views[index]!)))
        expect(shuffled).toEqual(inOrder)
        expect(shuffled).not.toHaveProperty('identity')
      }),
    )
  })

  it('never moves the state backwards, whatever the order', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ sequence, order }) => {
        let state: Verification | undefined
        for (const index of order) {
          const next = applyVerificationUpdate(state, sequence[index]!)
          if (state !== undefined) expect(compareVerificationProgress(next, state)).toBeGreaterThanOrEqual(0)
          state = next
        }
      }),
    )
  })

  it('a stale or duplicated update returns the very same object', () => {
    fc.assert(
      fc.property(
        forwardSequenceArbitrary.chain((sequence) =>
          fc.record({
            sequence: fc.constant(sequence),
            upTo: fc.nat({ max: sequence.length - 1 }),
            stale: fc.nat({ max: sequence.length - 1 }),
            asEvent: fc.boolean(),
          }),
        ),
        ({ sequence, upTo, stale, asEvent }) => {
          const current = applyAll(sequence.slice(0, upTo + 1))!
          const old = structuredClone(sequence[Math.min(stale, upTo)]!)
          const result = applyVerificationUpdate(current, asEvent ? toEventView(old) : old)
          expect(result).toBe(current)
        },
      ),
    )
  })
})

describe('applyVerificationUpdate (examples)', () => {
  const base: Verification = {
    id: 'inq_1',
    provider: 'acme',
    reference: { inquiryId: 'inq_1' },
    status: 'in_progress',
    checks: [],
    credentials: [],
    identity: seededIdentity,
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: '2025-06-01T08:05:00.000Z',
    raw: { status: 'pending' },
  }

  it('takes the first update as the state, as a copy', () => {
    const result = applyVerificationUpdate(undefined, base)
    expect(result).toEqual(base)
    expect(result).not.toBe(base)
  })

  it('keeps identity from the current state when an event view wins', () => {
    const event = toEventView({ ...base, status: 'submitted', updatedAt: '2025-06-01T08:06:00.000Z' })
    const result = applyVerificationUpdate(base, event)
    expect(result.status).toBe('submitted')
    expect(result.identity).toEqual(seededIdentity)
  })

  it('a late expiry never hides a decision', () => {
    const completed = applyVerificationUpdate(base, {
      ...base,
      status: 'completed',
      decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
      updatedAt: '2025-06-01T08:10:00.000Z',
    })
    const expired = { ...base, status: 'expired' as const, updatedAt: '2025-06-02T08:10:00.000Z' }
    expect(applyVerificationUpdate(completed, expired)).toBe(completed)
  })

  it('redaction is sticky: identity, session and credentials stay gone', () => {
    const redacted = applyVerificationUpdate(base, {
      ...toEventView(base),
      credentials: [{ kind: 'selfie', parts: ['face'] }],
      updatedAt: '2025-06-01T09:00:00.000Z',
      redactedAt: '2025-06-01T09:00:00.000Z',
    })
    expect(redacted.identity).toBeUndefined()
    expect(redacted.credentials).toEqual([])
    expect(redacted.redactedAt).toBe('2025-06-01T09:00:00.000Z')
  })

  describe('resubmission requests', () => {
    const submitted: Verification = { ...base, status: 'submitted', updatedAt: '2025-06-01T08:06:00.000Z' }
    const request: Verification = {
      ...base,
      status: 'in_progress',
      attempt: 2,
      decision: {
        outcome: 'resubmission_requested',
        reasons: [{ code: 'document_unreadable', raw: 'image_blurry' }],
        decidedBy: 'provider',
        attempt: 1,
        raw: { status: 'resubmission_requested' },
      },
      updatedAt: '2025-06-01T08:07:00.000Z',
    }
    const approved: Verification = {
      ...base,
      status: 'completed',
      attempt: 2,
      decision: {
        outcome: 'approved',
        reasons: [],
        decidedBy: 'provider',
        attempt: 2,
        raw: { status: 'approved' },
      },
      updatedAt: '2025-06-01T08:20:00.000Z',
    }

    it('moves a submitted first attempt forward to the request, though its status is in_progress', () => {
      expect(applyVerificationUpdate(submitted, request)).toEqual(request)
    })

    it('a late state of the earlier attempt never overwrites the request', () => {
      const state = applyVerificationUpdate(submitted, request)
      const lateFirstAttempt = { ...submitted, updatedAt: '2025-06-01T08:30:00.000Z' }
      expect(applyVerificationUpdate(state, lateFirstAttempt)).toBe(state)
    })

    it("the next attempt's decision replaces the request, and the request never comes back", () => {
      const decided = applyVerificationUpdate(applyVerificationUpdate(submitted, request), approved)
      expect(decided.decision).toMatchObject({ outcome: 'approved', attempt: 2 })
      expect(applyVerificationUpdate(decided, toEventView(request))).toBe(decided)
    })

    it('a final decision of the same attempt outranks a pending request', () => {
      const declinedSameAttempt: Verification = {
        ...request,
        decision: { ...request.decision!, outcome: 'declined', reasons: [{ code: 'attempt_limit_reached' }] },
      }
      expect(compareVerificationProgress(declinedSameAttempt, request)).toBeGreaterThan(0)
    })
  })

  it('refuses an update for another verification', () => {
    expect(() => applyVerificationUpdate(base, { ...base, id: 'inq_2' })).toThrow(TypeError)
    expect(() => applyVerificationUpdate(base, { ...base, provider: 'other' })).toThrow(TypeError)
  })
})
