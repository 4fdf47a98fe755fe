import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  KycConfigurationError,
  KycWebhookVerificationError,
  maxSignatureHeaderLength,
  signBody,
  verifyBodySignature,
} from '../src/index.js'
import { seededPii } from './fixtures.js'

const secret = seededPii.webhookSecret
const rawBody = JSON.stringify({ payload: { resource_type: 'check', action: 'check.completed' } })

async function verificationError(run: () => Promise<unknown>): Promise<KycWebhookVerificationError> {
  try {
    await run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycWebhookVerificationError)
    return error as KycWebhookVerificationError
  }
  throw new Error('expected verification to fail')
}

describe('verifyBodySignature', () => {
  it('accepts a published test vector in hex and base64 (RFC 4231 case 2)', async () => {
    const options = { rawBody: 'what do ya want for nothing?', secrets: ['Jefe'] }
    const hex = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    await expect(verifyBodySignature({ ...options, header: hex, encoding: 'hex' })).resolves.toBeUndefined()
    await expect(
      verifyBodySignature({ ...options, header: hex.toUpperCase(), encoding: 'hex' }),
    ).resolves.toBeUndefined()
    for (const header of [
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM',
    ]) {
      await expect(verifyBodySignature({ ...options, header, encoding: 'base64' })).resolves.toBeUndefined()
    }
  })

  it('verifies the raw bytes, including bytes that are not valid UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])
    const header = signBody({ rawBody: bytes, secret, encoding: 'hex' })
    await expect(
      verifyBodySignature({ header, rawBody: bytes, secrets: [secret], encoding: 'hex' }),
    ).resolves.toBeUndefined()
    const decoded = new TextDecoder().decode(bytes)
    await verificationError(() =>
      verifyBodySignature({ header, rawBody: decoded, secrets: [secret], encoding: 'hex' }),
    )
  })

  it('accepts a signature under any configured secret (rotation)', async () => {
    const header = signBody({ rawBody, secret: 'token_old', encoding: 'base64' })
    await expect(
      verifyBodySignature({ header, rawBody, secrets: ['token_new', 'token_old'], encoding: 'base64' }),
    ).resolves.toBeUndefined()
    expect(
      (
        await verificationError(() =>
          verifyBodySignature({ header, rawBody, secrets: ['token_new'], encoding: 'base64' }),
        )
      ).message,
    ).toMatch(/no signature matches/)
  })

  it('rejects a tampered body, a wrong secret and a forged digest', async () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    await verificationError(() =>
      verifyBodySignature({ header, rawBody: `${rawBody} `, secrets: [secret], encoding: 'hex' }),
    )
    await verificationError(() =>
      verifyBodySignature({ header, rawBody, secrets: ['wrong'], encoding: 'hex' }),
    )
    await verificationError(() =>
      verifyBodySignature({ header: '0'.repeat(64), rawBody, secrets: [secret], encoding: 'hex' }),
    )
  })

  it.each([
    ['missing', undefined, 'hex', /header is missing/],
    ['empty', '  ', 'hex', /header is missing/],
    ['short hex', 'abcd', 'hex', /not one hex digest/],
    ['hex with trailing junk', `${'a'.repeat(64)}zz`, 'hex', /not one hex digest/],
    ['hex in a base64 header', 'a'.repeat(64), 'base64', /not one base64 digest/],
    ['two digests', `${'a'.repeat(64)},${'b'.repeat(64)}`, 'hex', /not one hex digest/],
    ['a prefixed digest', `sha256=${'a'.repeat(64)}`, 'hex', /not one hex digest/],
    ['an over-long header', 'a'.repeat(maxSignatureHeaderLength + 1), 'hex', /too long/],
  ] as const)('rejects a %s header', async (_case, header, encoding, reason) => {
    const error = await verificationError(() =>
      verifyBodySignature({ header, rawBody, secrets: [secret], encoding }),
    )
    expect(error.message).toMatch(reason)
  })

  it('accepts the digest in either case, but no character that merely folds onto one of its digits', async () => {
    const genuine = signBody({ rawBody, secret, encoding: 'hex' })
    const mixed = [...genuine].map((digit, index) => (index % 2 ? digit.toUpperCase() : digit)).join('')
    await expect(
      verifyBodySignature({ header: mixed, rawBody, secrets: [secret], encoding: 'hex' }),
    ).resolves.toBeUndefined()
    // Clearing the lower-case bit of a digit ('0'–'9') or a letter ('a'–'f' → 'A'–'F' is fine, but '0' →
    // U+0010 is not hex): each such header is refused before any hashing.
    for (const [index, digit] of [...genuine].entries()) {
      if (digit >= 'a') continue
      const folded = `${genuine.slice(0, index)}${String.fromCharCode(digit.charCodeAt(0) & ~0x20)}${genuine.slice(index + 1)}`
      const error = await verificationError(() =>
        verifyBodySignature({ header: folded, rawBody, secrets: [secret], encoding: 'hex' }),
      )
      expect(error.message).toMatch(/not one hex digest/)
    }
    for (const header of ['g'.repeat(64), `${genuine.slice(0, 63)}G`, `${genuine.slice(0, 63)}/`]) {
      const error = await verificationError(() =>
        verifyBodySignature({ header, rawBody, secrets: [secret], encoding: 'hex' }),
      )
      expect(error.message).toMatch(/not one hex digest/)
    }
  })

  it('never puts a signature, a secret or the body in the error', async () => {
    const signature = signBody({ rawBody, secret: 'token_sender', encoding: 'hex' })
    const expected = signBody({ rawBody, secret, encoding: 'hex' })
    const error = await verificationError(() =>
      verifyBodySignature({ header: signature, rawBody, secrets: [secret], encoding: 'hex' }),
    )
    const exposed = `${error.message} ${JSON.stringify(error)} ${String(error)}`
    for (const forbidden of [signature, expected, secret, 'token_sender', rawBody, 'check.completed']) {
      expect(exposed).not.toContain(forbidden)
    }
  })

  it('treats a missing secret or an unknown algorithm as a configuration error', async () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    for (const secrets of [[], ['']]) {
      await expect(verifyBodySignature({ header, rawBody, secrets, encoding: 'hex' })).rejects.toThrow(
        KycConfigurationError,
      )
    }
    await expect(
      verifyBodySignature({
        header,
        rawBody,
        secrets: [secret],
        encoding: 'hex',
        algorithm: 'md5' as 'sha256',
      }),
    ).rejects.toThrow(KycConfigurationError)
  })

  it('round-trips any body and secret in both encodings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }),
        fc.string({ minLength: 1 }),
        fc.constantFrom('hex' as const, 'base64' as const),
        async (body, key, encoding) => {
          const header = signBody({ rawBody: body, secret: key, encoding })
          await expect(
            verifyBodySignature({ header, rawBody: body, secrets: [key], encoding }),
          ).resolves.toBeUndefined()
        },
      ),
      { numRuns: 200 },
    )
  })
})
