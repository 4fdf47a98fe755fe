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

function verificationError(run: () => unknown): KycWebhookVerificationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycWebhookVerificationError)
    return error as KycWebhookVerificationError
  }
  throw new Error('expected verification to fail')
}

describe('verifyBodySignature', () => {
  it('accepts a published test vector in hex and base64 (RFC 4231 case 2)', () => {
    const options = { rawBody: 'what do ya want for nothing?', secrets: ['Jefe'] }
    const hex = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
    expect(() => verifyBodySignature({ ...options, header: hex, encoding: 'hex' })).not.toThrow()
    expect(() =>
      verifyBodySignature({ ...options, header: hex.toUpperCase(), encoding: 'hex' }),
    ).not.toThrow()
    for (const header of [
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=',
      'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM',
    ]) {
      expect(() => verifyBodySignature({ ...options, header, encoding: 'base64' })).not.toThrow()
    }
  })

  it('verifies the raw bytes, including bytes that are not valid UTF-8', () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])
    const header = signBody({ rawBody: bytes, secret, encoding: 'hex' })
    expect(() =>
      verifyBodySignature({ header, rawBody: bytes, secrets: [secret], encoding: 'hex' }),
    ).not.toThrow()
    const decoded = new TextDecoder().decode(bytes)
    verificationError(() =>
      verifyBodySignature({ header, rawBody: decoded, secrets: [secret], encoding: 'hex' }),
    )
  })

  it('accepts a signature under any configured secret (rotation)', () => {
    const header = signBody({ rawBody, secret: 'token_old', encoding: 'base64' })
    expect(() =>
      verifyBodySignature({ header, rawBody, secrets: ['token_new', 'token_old'], encoding: 'base64' }),
    ).not.toThrow()
    expect(
      verificationError(() =>
        verifyBodySignature({ header, rawBody, secrets: ['token_new'], encoding: 'base64' }),
      ).message,
    ).toMatch(/no signature matches/)
  })

  it('rejects a tampered body, a wrong secret and a forged digest', () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    verificationError(() =>
      verifyBodySignature({ header, rawBody: `${rawBody} `, secrets: [secret], encoding: 'hex' }),
    )
    verificationError(() => verifyBodySignature({ header, rawBody, secrets: ['wrong'], encoding: 'hex' }))
    verificationError(() =>
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
  ] as const)('rejects a %s header', (_case, header, encoding, reason) => {
    const error = verificationError(() =>
      verifyBodySignature({ header, rawBody, secrets: [secret], encoding }),
    )
    expect(error.message).toMatch(reason)
  })

  it('never puts a signature, a secret or the body in the error', () => {
    const signature = signBody({ rawBody, secret: 'token_sender', encoding: 'hex' })
    const expected = signBody({ rawBody, secret, encoding: 'hex' })
    const error = verificationError(() =>
      verifyBodySignature({ header: signature, rawBody, secrets: [secret], encoding: 'hex' }),
    )
    const exposed = `${error.message} ${JSON.stringify(error)} ${String(error)}`
    for (const forbidden of [signature, expected, secret, 'token_sender', rawBody, 'check.completed']) {
      expect(exposed).not.toContain(forbidden)
    }
  })

  it('treats a missing secret or an unknown algorithm as a configuration error', () => {
    const header = signBody({ rawBody, secret, encoding: 'hex' })
    for (const secrets of [[], ['']]) {
      expect(() => verifyBodySignature({ header, rawBody, secrets, encoding: 'hex' })).toThrow(
        KycConfigurationError,
      )
    }
    expect(() =>
      verifyBodySignature({
        header,
        rawBody,
        secrets: [secret],
        encoding: 'hex',
        algorithm: 'md5' as 'sha256',
      }),
    ).toThrow(KycConfigurationError)
  })

  it('round-trips any body and secret in both encodings (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.string({ minLength: 1 }),
        fc.constantFrom('hex' as const, 'base64' as const),
        (body, key, encoding) => {
          const header = signBody({ rawBody: body, secret: key, encoding })
          expect(() => verifyBodySignature({ header, rawBody: body, secrets: [key], encoding })).not.toThrow()
        },
      ),
      { numRuns: 200 },
    )
  })
})
