import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  assertClock,
  assertTolerance,
  computeHmacSha256,
  KycConfigurationError,
  KycWebhookVerificationError,
  signTimestampedPayload,
  timingSafeEqualStrings,
  verifyTimestampedSignature,
} from '../src/index.js'
import { seededPii } from './fixtures.js'

const secret = seededPii.webhookSecret
const nowSeconds = 1_764_686_826
const now = () => nowSeconds * 1000
const rawBody = JSON.stringify({
  data: { type: 'event', id: 'evt_1', attributes: { name: 'inquiry.completed' } },
})

async function verificationError(run: () => Promise<unknown>): Promise<KycWebhookVerificationError> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycWebhookVerificationError)
    return error as KycWebhookVerificationError
  }
  throw new Error('expected verification to fail')
}

describe('computeHmacSha256', () => {
  it('matches node:crypto for strings and bytes', () => {
    const expected = createHmac('sha256', 'key').update('payload').digest('hex')
    expect(computeHmacSha256('key', 'payload')).toBe(expected)
    expect(computeHmacSha256(new TextEncoder().encode('key'), new TextEncoder().encode('payload'))).toBe(
      expected,
    )
  })

  it('matches a published test vector (RFC 4231 case 2)', () => {
    expect(computeHmacSha256('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })
})

describe('timingSafeEqualStrings', () => {
  it('is plain equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqualStrings(a, b)).toBe(a === b)
        expect(timingSafeEqualStrings(a, a)).toBe(true)
      }),
    )
  })
})

describe('verifyTimestampedSignature', () => {
  it('accepts a Persona-style header: HMAC over the timestamp, a dot and the raw body', async () => {
    const v1 = createHmac('sha256', secret).update(`${nowSeconds}.${rawBody}`).digest('hex')
    await expect(
      verifyTimestampedSignature({ header: `t=${nowSeconds},v1=${v1}`, rawBody, secrets: [secret], now }),
    ).resolves.toEqual({ timestamp: nowSeconds })
  })

  it('verifies the raw bytes, including bytes that are not valid UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])
    const header = signTimestampedPayload({ rawBody: bytes, secrets: secret, now })
    await expect(
      verifyTimestampedSignature({ header, rawBody: bytes, secrets: [secret], now }),
    ).resolves.toEqual({ timestamp: expect.any(Number) })
    const decoded = new TextDecoder().decode(bytes)
    await expect(
      verifyTimestampedSignature({ header, rawBody: decoded, secrets: [secret], now }),
    ).rejects.toThrow(KycWebhookVerificationError)
  })

  it('accepts any of several v1 values and any of several secrets (rotation)', async () => {
    const oldSecret = 'wbhsec_old'
    for (const layout of ['sets', 'signatures'] as const) {
      const header = signTimestampedPayload({ rawBody, secrets: ['wbhsec_other', oldSecret], now, layout })
      await expect(
        verifyTimestampedSignature({ header, rawBody, secrets: [oldSecret], now }),
      ).resolves.toEqual({ timestamp: expect.any(Number) })
      await expect(
        verifyTimestampedSignature({ header, rawBody, secrets: ['wbhsec_new', oldSecret], now }),
      ).resolves.toEqual({ timestamp: expect.any(Number) })
      await expect(
        verifyTimestampedSignature({ header, rawBody, secrets: ['wbhsec_new'], now }),
      ).rejects.toThrow(/no signature matches/)
    }
  })

  it('accepts Persona rotation sets with different timestamps', async () => {
    const fresh = signTimestampedPayload({ rawBody, secrets: 'wbhsec_new', timestamp: nowSeconds })
    const older = signTimestampedPayload({ rawBody, secrets: 'wbhsec_old', timestamp: nowSeconds - 10 })
    const header = `${fresh} ${older}`
    await expect(
      verifyTimestampedSignature({ header, rawBody, secrets: ['wbhsec_old'], now }),
    ).resolves.toEqual({
      timestamp: nowSeconds - 10,
    })
    await expect(
      verifyTimestampedSignature({ header, rawBody, secrets: ['wbhsec_new'], now }),
    ).resolves.toEqual({
      timestamp: nowSeconds,
    })
  })

  it('tolerates spaces after commas', async () => {
    const header = signTimestampedPayload({ rawBody, secrets: secret, now }).replace(',', ', ')
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [secret], now })).resolves.toEqual({
      timestamp: expect.any(Number),
    })
  })

  it('rejects a tampered body, a wrong secret and a forged signature', async () => {
    const header = signTimestampedPayload({ rawBody, secrets: secret, now })
    await verificationError(() =>
      verifyTimestampedSignature({
        header,
        rawBody: rawBody.replace('evt_1', 'evt_2'),
        secrets: [secret],
        now,
      }),
    )
    await verificationError(() =>
      verifyTimestampedSignature({ header, rawBody, secrets: ['wbhsec_wrong'], now }),
    )
    await verificationError(() =>
      verifyTimestampedSignature({
        header: `t=${nowSeconds},v1=${'0'.repeat(64)}`,
        rawBody,
        secrets: [secret],
        now,
      }),
    )
  })

  it('rejects a timestamp outside the tolerance, either way, and honours a custom tolerance', async () => {
    const stale = signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds - 301 })
    const future = signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds + 301 })
    const edge = signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds - 300 })
    expect(
      (
        await verificationError(() =>
          verifyTimestampedSignature({ header: stale, rawBody, secrets: [secret], now }),
        )
      ).message,
    ).toMatch(/outside the 300 s tolerance/)
    await verificationError(() =>
      verifyTimestampedSignature({ header: future, rawBody, secrets: [secret], now }),
    )
    await expect(
      verifyTimestampedSignature({ header: edge, rawBody, secrets: [secret], now }),
    ).resolves.toEqual({ timestamp: expect.any(Number) })
    await expect(
      verifyTimestampedSignature({ header: stale, rawBody, secrets: [secret], now, toleranceSeconds: 600 }),
    ).resolves.toEqual({ timestamp: expect.any(Number) })
  })

  it.each([
    ['missing', undefined, /header is missing/],
    ['empty', '   ', /header is missing/],
    ['no timestamp', 'v1=abc', /no timestamped signature/],
    ['no signature', `t=${nowSeconds}`, /no timestamped signature/],
    ['non-numeric timestamp', 't=yesterday,v1=abc', /no timestamped signature/],
    ['garbage', 'garbage', /no timestamped signature/],
  ])('rejects a %s header', async (_case, header, reason) => {
    const error = await verificationError(() =>
      verifyTimestampedSignature({ header, rawBody, secrets: [secret], now }),
    )
    expect(error.message).toMatch(reason)
  })

  it('never puts a signature, a secret or the body in the error', async () => {
    const header = signTimestampedPayload({ rawBody, secrets: 'wbhsec_sender', now })
    const signature = header.split('v1=')[1]!
    const expected = signTimestampedPayload({ rawBody, secrets: secret, now }).split('v1=')[1]!
    const error = await verificationError(() =>
      verifyTimestampedSignature({ header, rawBody, secrets: [secret], now }),
    )
    const exposed = `${error.message} ${JSON.stringify(error)} ${String(error)}`
    for (const forbidden of [signature, expected, secret, 'wbhsec_sender', rawBody, 'evt_1']) {
      expect(exposed).not.toContain(forbidden)
    }
  })

  it('treats a missing secret as a configuration error', async () => {
    const header = signTimestampedPayload({ rawBody, secrets: secret, now })
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [], now })).rejects.toThrow(
      KycConfigurationError,
    )
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [''], now })).rejects.toThrow(
      KycConfigurationError,
    )
  })

  it('supports another header format', async () => {
    const format = { timestampKey: 'ts', signatureKey: 'sig' }
    const header = signTimestampedPayload({ rawBody, secrets: secret, now, format })
    expect(header).toMatch(/^ts=\d+,sig=[0-9a-f]{64}$/)
    await expect(
      verifyTimestampedSignature({ header, rawBody, secrets: [secret], now, format }),
    ).resolves.toEqual({ timestamp: expect.any(Number) })
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [secret], now })).rejects.toThrow(
      KycWebhookVerificationError,
    )
  })

  it('round-trips any body and secret (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.string({ minLength: 1 }), async (body, key) => {
        const header = signTimestampedPayload({ rawBody: body, secrets: key, now })
        const verified = await verifyTimestampedSignature({ header, rawBody: body, secrets: [key], now })
        expect(verified.timestamp).toBe(nowSeconds)
      }),
      { numRuns: 200 },
    )
  })
})

// Both tests fail on main before issue 12: a NaN clock or tolerance made every timestamp look fresh,
// so a year-old signature was accepted.
describe('replay protection fails closed (issue 12, class 8)', () => {
  const yearOld = signTimestampedPayload({ rawBody, secrets: secret, timestamp: nowSeconds - 365 * 86_400 })

  it.each([
    ['NaN', () => Number.NaN],
    ['a string', () => '1764686826000' as unknown as number],
    ['undefined', () => undefined as unknown as number],
    ['Infinity', () => Number.POSITIVE_INFINITY],
  ])(
    'regression: a clock returning %s is a configuration error, not an accepted stale signature',
    async (_case, brokenNow) => {
      await expect(
        verifyTimestampedSignature({ header: yearOld, rawBody, secrets: [secret], now: brokenNow }),
      ).rejects.toThrow(KycConfigurationError)
    },
  )

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['zero', 0],
    ['negative', -300],
    ['a string', '300' as unknown as number],
  ])('regression: a tolerance of %s is a configuration error', async (_case, toleranceSeconds) => {
    await expect(
      verifyTimestampedSignature({ header: yearOld, rawBody, secrets: [secret], now, toleranceSeconds }),
    ).rejects.toThrow(KycConfigurationError)
  })

  it('assertClock and assertTolerance accept the defaults and sane values, and name only the setting', () => {
    expect(() => assertClock(undefined)).not.toThrow()
    expect(() => assertClock(now)).not.toThrow()
    expect(() => assertTolerance(undefined)).not.toThrow()
    expect(() => assertTolerance(0.5)).not.toThrow()
    let error: unknown
    try {
      assertTolerance(Number.NaN, { provider: 'acme', setting: 'webhookToleranceSeconds' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(KycConfigurationError)
    expect(error).toMatchObject({
      provider: 'acme',
      message: expect.stringMatching(/webhookToleranceSeconds/),
    })
    expect(() => assertClock(() => Number.NaN, { setting: 'now' })).toThrow(KycConfigurationError)
    expect(() => assertClock('Date.now', { setting: 'now' })).toThrow(/Invalid setting now/)
  })
})
