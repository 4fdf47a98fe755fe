import { beforeEach, describe, expect, it, vi } from 'vitest'
import { cryptoEngine } from '../src/crypto/node-crypto.js'
import {
  KycWebhookVerificationError,
  maxSignatureHeaderLength,
  signBody,
  signTimestampedPayload,
  verifyBodySignature,
  verifyTimestampedSignature,
} from '../src/index.js'

// Counts every HMAC the verifiers compute (through the engine `#crypto` gives core on Node): the
// pre-authentication cost of a forged delivery is the number of times its body is hashed, so the
// bounds below are asserted as counts, not as timings.
const hmacCalls = vi.spyOn(cryptoEngine, 'hmacSha256HexSync')

const secret = 'wbhsec_cost'
const rawBody = 'x'.repeat(1024)
const nowSeconds = 1_764_686_826
const now = () => nowSeconds * 1000
const forgedSignature = 'ab'.repeat(32)

async function rejected(run: () => Promise<unknown>): Promise<void> {
  await expect(run()).rejects.toThrow(KycWebhookVerificationError)
}

beforeEach(() => {
  hmacCalls.mockClear()
})

describe('verifyBodySignature pre-authentication cost', () => {
  it('hashes the body once per distinct secret', async () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    hmacCalls.mockClear()
    await verifyBodySignature({ header, rawBody, secrets: [secret, 'other', secret, ''], encoding: 'hex' })
    expect(hmacCalls).toHaveBeenCalledTimes(2)
  })

  it('does not hash at all for a header that cannot be one digest', async () => {
    for (const header of ['a'.repeat(1_000_000), `${'a'.repeat(64)} ${'b'.repeat(64)}`, 'abc']) {
      await rejected(() => verifyBodySignature({ header, rawBody, secrets: [secret], encoding: 'hex' }))
    }
    expect(hmacCalls).not.toHaveBeenCalled()
  })
})

// Each test below fails on main before issue 12: there the verifier hashed the body once per set
// and per secret, whatever the header held (a ~1,800-set header made ~1,800 hashes of a 1 MiB body).
describe('verifyTimestampedSignature pre-authentication cost (issue 12, class 1)', () => {
  it('regression: refuses a header packed with ~1,800 sets without hashing the body', async () => {
    const header = Array.from({ length: 1800 }, () => `t=${nowSeconds},v1=${forgedSignature}`).join(' ')
    expect(header.length).toBeGreaterThan(maxSignatureHeaderLength)
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [secret], now })).rejects.toThrow(
      /too long/,
    )
    expect(hmacCalls).not.toHaveBeenCalled()
  })

  it('regression: refuses more timestamps or signatures than a rotation needs, unhashed', async () => {
    const manySets = Array.from({ length: 5 }, (_, index) => `t=${nowSeconds - index},v1=${'a'.repeat(64)}`)
    await expect(
      verifyTimestampedSignature({ header: manySets.join(' '), rawBody, secrets: [secret], now }),
    ).rejects.toThrow(/too many timestamps/)
    const manySignatures = [`t=${nowSeconds}`, ...Array.from({ length: 17 }, () => 'v1=ab')].join(',')
    await expect(
      verifyTimestampedSignature({ header: manySignatures, rawBody, secrets: [secret], now }),
    ).rejects.toThrow(/too many signatures/)
    expect(hmacCalls).not.toHaveBeenCalled()
  })

  it('regression: rejects out-of-tolerance timestamps before hashing', async () => {
    const stale = Array.from(
      { length: 4 },
      (_, index) => `t=${nowSeconds - 301 - index},v1=${forgedSignature}`,
    )
    await expect(
      verifyTimestampedSignature({ header: stale.join(' '), rawBody, secrets: [secret, 'other'], now }),
    ).rejects.toThrow(/outside the 300 s tolerance/)
    expect(hmacCalls).not.toHaveBeenCalled()
  })

  it('regression: hashes once per distinct timestamp per secret, not per set or signature', async () => {
    const sameTimestamp = Array.from(
      { length: 4 },
      () => `t=${nowSeconds},v1=${forgedSignature},v1=${'cd'.repeat(32)}`,
    )
    await rejected(() =>
      verifyTimestampedSignature({
        header: sameTimestamp.join(' '),
        rawBody,
        secrets: [secret, 'other'],
        now,
      }),
    )
    expect(hmacCalls).toHaveBeenCalledTimes(2)
    hmacCalls.mockClear()
    const twoTimestamps = [...sameTimestamp.slice(0, 3), `t=${nowSeconds - 1},v1=${forgedSignature}`]
    await rejected(() =>
      verifyTimestampedSignature({
        header: twoTimestamps.join(' '),
        rawBody,
        secrets: [secret, 'other'],
        now,
      }),
    )
    expect(hmacCalls).toHaveBeenCalledTimes(4)
  })

  it('does not hash for signatures that cannot be a SHA-256 hex digest', async () => {
    await rejected(() =>
      verifyTimestampedSignature({
        header: `t=${nowSeconds},v1=zz,v1=${'a'.repeat(63)}`,
        rawBody,
        secrets: [secret],
        now,
      }),
    )
    expect(hmacCalls).not.toHaveBeenCalled()
  })

  it('still verifies a genuine header after the bounds, with one hash per secret', async () => {
    const header = signTimestampedPayload({ rawBody, secrets: ['rotated', secret], now })
    hmacCalls.mockClear()
    await expect(verifyTimestampedSignature({ header, rawBody, secrets: [secret], now })).resolves.toEqual({
      timestamp: nowSeconds,
    })
    expect(hmacCalls).toHaveBeenCalledTimes(1)
  })
})
