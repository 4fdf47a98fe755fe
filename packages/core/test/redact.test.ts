import { describe, expect, it } from 'vitest'
import { isSensitiveKey, REDACTED, redact, redactUrl } from '../src/index.js'
import { seededPii, seededPiiValues } from './fixtures.js'

describe('redact', () => {
  it('covers nested objects and arrays', () => {
    const input = {
      data: {
        attributes: {
          status: 'approved',
          fields: { nameFirst: { value: seededPii.firstName } },
          documents: [{ documentNumber: seededPii.documentNumber, kind: 'passport' }],
        },
      },
      included: [[{ birthdate: seededPii.dateOfBirth }]],
    }
    const output = redact(input)
    expect(output.data.attributes.status).toBe('approved')
    expect(output.data.attributes.fields.nameFirst).toBe(REDACTED)
    expect(output.data.attributes.documents[0]).toEqual({ documentNumber: REDACTED, kind: 'passport' })
    expect(output.included[0]![0]).toEqual({ birthdate: REDACTED })
    const serialized = JSON.stringify(output)
    for (const value of seededPiiValues) expect(serialized).not.toContain(value)
    // The input is left alone.
    expect(input.data.attributes.documents[0]!.documentNumber).toBe(seededPii.documentNumber)
  })

  it('matches kebab, snake and camel case keys alike', () => {
    const output = redact({
      'name-first': seededPii.firstName,
      name_last: seededPii.lastName,
      dateOfBirth: seededPii.dateOfBirth,
      'document-number': seededPii.documentNumber,
      document_number: seededPii.documentNumber,
      'X-Api-Key': seededPii.apiKey,
      api_key: seededPii.apiKey,
      country: 'DE',
    })
    expect(output).toEqual({
      'name-first': REDACTED,
      name_last: REDACTED,
      dateOfBirth: REDACTED,
      'document-number': REDACTED,
      document_number: REDACTED,
      'X-Api-Key': REDACTED,
      api_key: REDACTED,
      country: 'DE',
    })
  })

  it('redacts Headers by name', () => {
    const headers = new Headers({
      authorization: `Bearer ${seededPii.apiKey}`,
      'persona-signature': 't=1,v1=abcdef',
      'content-type': 'application/json',
    })
    expect(redact({ headers })).toEqual({
      headers: { authorization: REDACTED, 'content-type': 'application/json', 'persona-signature': REDACTED },
    })
  })

  it('redacts bearer and basic credentials wherever they appear, and binary content', () => {
    expect(redact({ note: `Bearer ${seededPii.apiKey}`, other: 'Basic dXNlcjpwYXNz' })).toEqual({
      note: REDACTED,
      other: REDACTED,
    })
    expect(redact({ upload: new Uint8Array([1, 2, 3]) })).toEqual({ upload: REDACTED })
  })

  it('accepts extra keys and survives cycles', () => {
    const cyclic: Record<string, unknown> = { customerCode: 'abc', status: 'ok' }
    cyclic.self = cyclic
    expect(redact(cyclic, ['customer-code'])).toEqual({
      customerCode: REDACTED,
      status: 'ok',
      self: '[circular]',
    })
  })

  it('keeps null and undefined as they are', () => {
    expect(redact({ name: null, email: undefined })).toEqual({ name: null, email: undefined })
  })

  it('isSensitiveKey ignores separators and case', () => {
    for (const key of ['First_Name', 'first-name', 'firstName', 'AUTHORIZATION', 'Set-Cookie']) {
      expect(isSensitiveKey(key)).toBe(true)
    }
    for (const key of ['status', 'country', 'kind']) expect(isSensitiveKey(key)).toBe(false)
  })
})

describe('redactUrl', () => {
  it('redacts token-like query parameters and keeps the rest', () => {
    const url = new URL(
      redactUrl(`https://verify.example.test/flow?inquiry-id=inq_1&session-token=${seededPii.apiKey}`),
    )
    expect(url.searchParams.get('inquiry-id')).toBe('inq_1')
    expect(url.searchParams.get('session-token')).toBe(REDACTED)
  })

  it('returns text that is not a URL unchanged', () => {
    expect(redactUrl('not a url')).toBe('not a url')
  })
})

// Fails on main before issue 12: redact() knew only Persona's secret header, and redactUrl() used a
// second, different rule (a `key` query parameter was hidden in URLs but not in objects, and the
// other way round for vendor headers).
describe('one rule for redact and redactUrl (issue 12, class 9)', () => {
  const vendorSecrets = [
    'x-auth-client',
    'X-HMAC-SIGNATURE',
    'x-api-key',
    'X-App-Token',
    'X-App-Access-Sig',
    'X-SHA2-Signature',
    'authorization',
    'Persona-Signature',
    'tokens',
    'sdk_token',
    'webhookSecret',
    'document.number',
    'document[number]',
  ]

  it('regression: covers the common vendor secret headers and fields', () => {
    for (const key of vendorSecrets) expect(isSensitiveKey(key), key).toBe(true)
    const output = redact({
      headers: new Headers({ 'x-auth-client': seededPii.apiKey, 'x-sha2-signature': 'ab'.repeat(32) }),
      document: { number: seededPii.documentNumber, type: 'passport' },
      'document.number': seededPii.documentNumber,
      auth: `Token token=${seededPii.apiKey}`,
    })
    expect(output).toEqual({
      headers: { 'x-auth-client': REDACTED, 'x-sha2-signature': REDACTED },
      document: { number: REDACTED, type: 'passport' },
      'document.number': REDACTED,
      auth: REDACTED,
    })
  })

  it('regression: a key is hidden in a URL exactly when it is hidden in an object', () => {
    const keys = [
      ...vendorSecrets,
      'key',
      'inquiry-id',
      'status',
      'country',
      'step',
      'email',
      'refresh_token',
    ]
    for (const key of keys) {
      const inObject = redact({ [key]: 'value' })[key] === REDACTED
      const url = new URL(redactUrl(`https://flow.example.test/?${encodeURIComponent(key)}=value`))
      const inUrl = url.searchParams.get(key) === REDACTED
      expect(inUrl, key).toBe(inObject)
      expect(inObject, key).toBe(isSensitiveKey(key))
    }
  })

  it('redacts URLs inside objects, and credentials written into a URL', () => {
    const output = redact({
      link: `https://user:${seededPii.apiKey}@flow.example.test/l?session-token=${seededPii.apiKey}&step=2`,
    })
    expect(output.link).not.toContain(seededPii.apiKey)
    expect(new URL(output.link).searchParams.get('step')).toBe('2')
  })
})
