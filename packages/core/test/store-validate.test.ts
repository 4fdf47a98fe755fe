import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KycInvalidRequestError, type Verification, VerificationSchema } from '../src/index.js'
import {
  markParsedVerificationUpdate,
  parseKeyValueWrite,
  parseTransactionClaimRequest,
  parseVerificationUpdate,
  plainVerification,
} from '../src/store/validate.js'

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

  it('keeps a mark once however often it is given, and past 256 outstanding marks lets the oldest go (parsed again)', () => {
    const twice = structuredClone(verification)
    markParsedVerificationUpdate(markParsedVerificationUpdate(twice))
    expect(parseVerificationUpdate(twice)).toBe(twice)
    expect(parseVerificationUpdate(twice)).not.toBe(twice)

    const updates = Array.from({ length: 257 }, () =>
      markParsedVerificationUpdate(structuredClone(verification)),
    )
    // The first was pushed out by the 257th: parsed into a copy. Every other is still taken as it is.
    expect(parseVerificationUpdate(updates[0])).not.toBe(updates[0])
    for (const update of updates.slice(1)) expect(parseVerificationUpdate(update)).toBe(update)
    for (const update of updates) expect(parseVerificationUpdate(update)).not.toBe(update)
  })

  it('takes a plain verification by hand only when the schema accepts it, and gives what the schema gives', () => {
    const timestamp = fc.oneof(
      {
        arbitrary: fc
          .date({ min: new Date(-1e13), max: new Date(4e12), noInvalidDate: true })
          .map((date) => date.toISOString()),
        weight: 20,
      },
      fc.constantFrom(
        '2025-06-01T08:00:00Z',
        '2025-06-01T08:00:00.000+02:00',
        '2025-02-30T08:00:00.000Z',
        '2024-02-29T08:00:00.000Z',
        '2023-02-29T08:00:00.000Z',
        '2000-02-29T23:59:59.999Z',
        '1900-02-29T00:00:00.000Z',
        '2025-04-31T00:00:00.000Z',
        '2025-12-31T23:59:60.000Z',
        '2025-13-01T00:00:00.000Z',
        '2025-00-10T00:00:00.000Z',
        '2025-06-00T00:00:00.000Z',
        '0000-01-01T00:00:00.000Z',
        '2025-06-01T08:60:00.000Z',
        '2025-06-01T08:00:00.0a0Z',
        '2025-06-01T08:00:00,000Z',
        '2025-06-01T24:00:00.000Z',
        '+012025-06-01T08:00:00.000Z',
        '2025-06-01 08:00:00.000Z',
        '',
      ),
      fc.anything(),
    )
    // Absent a third of the time (fast-check's `freq`: one in `freq` values is the `nil`).
    const sometimes = <Value>(arbitrary: fc.Arbitrary<Value>) =>
      fc.option(arbitrary, { nil: undefined, freq: 3 })
    // Mostly absent: what sends a verification to the schema when present.
    const rarely = <Value>(arbitrary: fc.Arbitrary<Value>) =>
      fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary, weight: 1 })
    // Mostly valid values, so that many candidates pass the schema; now and then anything at all.
    const mostly = <Value>(valid: fc.Arbitrary<Value>) =>
      fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.anything(), weight: 1 })
    const candidate = fc.record(
      {
        id: mostly(fc.string()),
        provider: mostly(fc.constantFrom('persona', 'jumio', '')),
        reference: mostly(
          fc.dictionary(
            fc.oneof(
              { arbitrary: fc.string(), weight: 20 },
              { arbitrary: fc.constant('__proto__'), weight: 1 },
            ),
            fc.string(),
            { maxKeys: 3 },
          ),
        ),
        subjectReference: sometimes(mostly(fc.string())),
        status: mostly(
          fc.constantFrom(
            'created',
            'in_progress',
            'submitted',
            'completed',
            'expired',
            'cancelled',
            'approved',
          ),
        ),
        attempt: sometimes(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.constant(2 ** 60))),
        checks: mostly(fc.constant([])),
        credentials: mostly(fc.constant([])),
        decision: rarely(fc.anything()),
        session: rarely(fc.record({ url: fc.webUrl() })),
        createdAt: timestamp,
        updatedAt: timestamp,
        completedAt: sometimes(timestamp),
        redactedAt: sometimes(timestamp),
        observedTimes: sometimes(
          mostly(
            fc.array(fc.constantFrom('createdAt', 'updatedAt', 'completedAt', 'occurredAt'), {
              maxLength: 2,
            }),
          ),
        ),
        raw: fc.oneof(
          fc.record({ status: mostly(fc.string()) }, { requiredKeys: [] }),
          {
            arbitrary: fc
              .dictionary(fc.string(), fc.jsonValue())
              .map((extra) => ({ ...extra, status: 'created' })),
            weight: 6,
          },
          fc.anything(),
        ),
        unknownKey: rarely(fc.anything()),
      },
      {
        requiredKeys: [
          'id',
          'provider',
          'reference',
          'status',
          'createdAt',
          'updatedAt',
          'raw',
          'decision',
          'session',
        ],
      },
    )
    let taken = 0
    fc.assert(
      fc.property(candidate, (value) => {
        // As the router stores a created verification: exactly what it gives for the verification
        // without its session and with the call's subject reference when it has none.
        const { session: _session, ...withoutSession } = value
        const asStoredInput =
          withoutSession.subjectReference === undefined
            ? { ...withoutSession, subjectReference: 'subject_1' }
            : withoutSession
        const asStored = plainVerification(value, { subjectReference: 'subject_1' })
        expect(asStored).toStrictEqual(plainVerification(asStoredInput))
        if (asStored !== undefined) {
          expect(Object.keys(asStored)).toEqual(Object.keys(plainVerification(asStoredInput) ?? {}))
          expect(asStored).not.toHaveProperty('session')
        }
        const plain = plainVerification(value)
        if (plain === undefined) return
        taken += 1
        const parsed = VerificationSchema.safeParse(value)
        expect(parsed.success).toBe(true)
        expect(plain).toStrictEqual(parsed.data)
        expect(plain).not.toBe(value)
      }),
      { numRuns: 5000 },
    )
    // The generator reaches the hand-checked path often enough for the property to mean something.
    expect(taken).toBeGreaterThan(20)
  })

  it('takes a plain verification as a copy that shares no object with the input', () => {
    const parsed = parseVerificationUpdate(verification)
    expect(parsed).toStrictEqual(VerificationSchema.parse(verification))
    expect(parsed.reference).not.toBe(verification.reference)
    expect(parsed.raw).not.toBe(verification.raw)
    expect(parsed.checks).not.toBe(verification.checks)
  })

  it('takes a timestamp by hand exactly when it is what toISOString writes, and never one the schema refuses', () => {
    const withCreatedAt = (createdAt: unknown) => ({ ...verification, createdAt })
    for (const [timestamp, taken] of [
      ['2024-02-29T08:00:00.000Z', true],
      ['2000-02-29T23:59:59.999Z', true],
      ['0000-01-01T00:00:00.000Z', true],
      ['2023-02-29T08:00:00.000Z', false],
      ['1900-02-29T00:00:00.000Z', false],
      ['2025-04-31T00:00:00.000Z', false],
      ['2025-12-31T23:59:60.000Z', false],
      ['2025-06-01T24:00:00.000Z', false],
      ['2025-06-01T08:00:00.0a0Z', false],
      ['2025-06-01T08:00:00Z', false],
      ['2025-06-01T08:00:00.000+00:00', false],
    ] as const) {
      expect(plainVerification(withCreatedAt(timestamp)) !== undefined, timestamp).toBe(taken)
    }
    // Every string of the right shape, digits anywhere: taken only when the schema accepts it too.
    const digit = fc.constantFrom(...'0123456789')
    const digits = (count: number) =>
      fc.array(digit, { minLength: count, maxLength: count }).map((list) => list.join(''))
    const shaped = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
      .map(
        ([year, month, day, hour, minute, second, millis]) =>
          `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}Z`,
      )
    fc.assert(
      fc.property(
        fc.oneof(
          shaped,
          fc
            .date({ noInvalidDate: true, min: new Date(-62e12), max: new Date(253e12) })
            .map((date) => date.toISOString()),
        ),
        (timestamp) => {
          const taken = plainVerification(withCreatedAt(timestamp)) !== undefined
          const canonical =
            !Number.isNaN(Date.parse(timestamp)) && new Date(timestamp).toISOString() === timestamp
          expect(taken).toBe(canonical)
          if (taken) expect(VerificationSchema.safeParse(withCreatedAt(timestamp)).success).toBe(true)
        },
      ),
      { numRuns: 3000 },
    )
  })
})

describe('parseTransactionClaimRequest', () => {
  const key = { provider: verification.provider, id: verification.id }

  it('takes an update of the verification it names, parsed, and leaves a request without one as it is', () => {
    const plain = { provider: 'mock', eventId: 'evt_1', verification: key }
    expect(parseTransactionClaimRequest(plain)).toBe(plain)
    const parsed = parseTransactionClaimRequest({ ...plain, update: verification })
    expect(parsed.update).toEqual(verification)
    // An update core marked as parsed is taken as it is.
    const marked = markParsedVerificationUpdate({ ...verification })
    expect(parseTransactionClaimRequest({ ...plain, update: marked }).update).toBe(marked)
  })

  it('refuses an update without a verification, of another verification, or invalid, naming only the path', () => {
    for (const request of [
      { provider: 'mock', eventId: 'evt_1', update: verification },
      { provider: 'mock', eventId: 'evt_1', verification: { ...key, id: 'inq_2' }, update: verification },
      {
        provider: 'mock',
        eventId: 'evt_1',
        verification: key,
        update: { ...verification, status: 'approved-ish' },
      },
    ]) {
      expect(() => parseTransactionClaimRequest(request)).toThrow(KycInvalidRequestError)
    }
    const error = (() => {
      try {
        parseTransactionClaimRequest({
          provider: 'mock',
          eventId: 'evt_1',
          verification: { ...key, id: 'inq_2' },
          update: { ...verification, subjectReference: 'Quartermain' },
        })
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(JSON.stringify(error)).not.toMatch(/Quartermain/)
    expect(String((error as Error).message)).toMatch(/update/)
  })
})

describe('parseKeyValueWrite', () => {
  const write = (value: unknown) => parseKeyValueWrite('namespace', 'key', value, undefined)

  it('takes JSON values as JSON.stringify writes them: holes in arrays as null, inherited keys left out', () => {
    expect(write({ provider: 'persona', weights: [1, 2.5, null, true, 'x', { nested: [] }] })).toBe(
      '{"provider":"persona","weights":[1,2.5,null,true,"x",{"nested":[]}]}',
    )
    // A hole is not a value: skipped by the check, written as null.
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this test is about
    expect(write([1, , 3])).toBe('[1,null,3]')
    // An object with another prototype is not a plain JSON object: refused whole, whatever it inherits.
    const inheriting = Object.create({ inherited: () => 'not JSON' }) as Record<string, unknown>
    expect(() => write(inheriting)).toThrow(KycInvalidRequestError)
    const polluted = { own: 1 }
    Object.defineProperty(Object.prototype, 'hSInherited', {
      value: () => 'not JSON',
      enumerable: true,
      configurable: true,
      writable: true,
    })
    try {
      // An enumerable key on Object.prototype is not the value's own: checked no more than written.
      expect(write(polluted)).toBe('{"own":1}')
    } finally {
      delete (Object.prototype as Record<string, unknown>).hSInherited
    }
  })

  it('refuses what is not JSON anywhere inside, however it nests', () => {
    for (const value of [
      undefined,
      () => 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(0),
      { when: new Date(0) },
      [1, [2, [undefined]]],
      { list: [{ deeper: Symbol('x') }] },
      { big: 10n },
    ]) {
      expect(() => write(value)).toThrow(KycInvalidRequestError)
    }
    let deep: unknown = 'leaf'
    for (let depth = 0; depth < 70; depth += 1) deep = depth % 2 === 0 ? [deep] : { inner: deep }
    expect(() => write(deep)).toThrow(/nests deeper than 64 levels/)
  })
})
