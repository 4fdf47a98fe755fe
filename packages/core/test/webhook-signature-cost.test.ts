import { createHmac } from 'node:crypto'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { KycWebhookVerificationError, signBody, verifyBodySignature } from '../src/index.js'

// Counts every HMAC the verifiers start: the pre-authentication cost of a forged delivery is the number
// of times its body is hashed, so the bounds below are asserted as counts, not as timings.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>()
  return { ...original, createHmac: vi.fn(original.createHmac) }
})
const hmacCalls = vi.mocked(createHmac)

const secret = 'wbhsec_cost'
const rawBody = 'x'.repeat(1024)

function rejected(run: () => unknown): void {
  expect(run).toThrow(KycWebhookVerificationError)
}

beforeEach(() => {
  hmacCalls.mockClear()
})

describe('verifyBodySignature pre-authentication cost', () => {
  it('hashes the body once per distinct secret', () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    hmacCalls.mockClear()
    verifyBodySignature({ header, rawBody, secrets: [secret, 'other', secret, ''], encoding: 'hex' })
    expect(hmacCalls).toHaveBeenCalledTimes(2)
  })

  it('does not hash at all for a header that cannot be one digest', () => {
    for (const header of ['a'.repeat(1_000_000), `${'a'.repeat(64)} ${'b'.repeat(64)}`, 'abc']) {
      rejected(() => verifyBodySignature({ header, rawBody, secrets: [secret], encoding: 'hex' }))
    }
    expect(hmacCalls).not.toHaveBeenCalled()
  })
})
