import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  describeIssues,
  IdentityDataSchema,
  isKycError,
  KycAuthenticationError,
  KycConfigurationError,
  KycError,
  type KycErrorCode,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  KycInvalidStateError,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycRateLimitedError,
  KycUnsupportedCapabilityError,
  KycWebhookVerificationError,
} from '../src/index.js'
import { seededPii, seededPiiValues } from './fixtures.js'

/** A vendor error body as providers send it: full of the applicant's data. */
const vendorBody = {
  errors: [{ title: 'Invalid', details: `name-first ${seededPii.firstName} does not match` }],
  data: {
    attributes: {
      'name-first': seededPii.firstName,
      'name-last': seededPii.lastName,
      birthdate: seededPii.dateOfBirth,
      'identification-number': seededPii.documentNumber,
    },
  },
}

const cause = Object.assign(new Error(`request with Authorization: Bearer ${seededPii.apiKey} failed`), {
  response: { status: 422, body: vendorBody },
  request: { headers: { authorization: `Bearer ${seededPii.apiKey}` } },
})

type Subclass = {
  name: string
  create: () => KycError
  code: KycErrorCode
  retryable: boolean
}

const options = {
  message: 'The provider rejected the request.',
  provider: 'persona',
  status: 422,
  requestId: 'req_1',
  cause,
}

const subclasses: Subclass[] = [
  {
    name: 'KycAuthenticationError',
    create: () => new KycAuthenticationError(options),
    code: 'authentication',
    retryable: false,
  },
  {
    name: 'KycNotFoundError',
    create: () => new KycNotFoundError(options),
    code: 'not_found',
    retryable: false,
  },
  {
    name: 'KycRateLimitedError',
    create: () => new KycRateLimitedError({ ...options, retryAfterMs: 2000 }),
    code: 'rate_limited',
    retryable: true,
  },
  {
    name: 'KycInvalidRequestError',
    create: () =>
      new KycInvalidRequestError({ ...options, issues: [{ path: ['dateOfBirth'], message: 'invalid' }] }),
    code: 'invalid_request',
    retryable: false,
  },
  {
    name: 'KycInvalidProviderResponseError',
    create: () => new KycInvalidProviderResponseError(options),
    code: 'invalid_provider_response',
    retryable: false,
  },
  {
    name: 'KycProviderUnavailableError',
    create: () => new KycProviderUnavailableError(options),
    code: 'provider_unavailable',
    retryable: true,
  },
  {
    name: 'KycWebhookVerificationError',
    create: () => new KycWebhookVerificationError(options),
    code: 'webhook_verification',
    retryable: false,
  },
  {
    name: 'KycUnsupportedCapabilityError',
    create: () => new KycUnsupportedCapabilityError({ ...options, capability: 'lists' }),
    code: 'unsupported_capability',
    retryable: false,
  },
  {
    name: 'KycInvalidStateError',
    create: () => new KycInvalidStateError(options),
    code: 'invalid_state',
    retryable: false,
  },
  {
    name: 'KycConfigurationError',
    create: () => new KycConfigurationError(options),
    code: 'configuration',
    retryable: false,
  },
]

describe.each(subclasses)('$name', ({ name, create, code, retryable }) => {
  it('is a KycError with its code, name and retryability', () => {
    const error = create()
    expect(error).toBeInstanceOf(KycError)
    expect(error).toBeInstanceOf(Error)
    expect(isKycError(error)).toBe(true)
    expect(KycError.isInstance(error)).toBe(true)
    expect(error.code).toBe(code)
    expect(error.name).toBe(name)
    expect(error.retryable).toBe(retryable)
    expect(error.provider).toBe('persona')
    expect(error.status).toBe(422)
    expect(error.requestId).toBe('req_1')
  })

  it('keeps the cause for debugging but leaves it out of toJSON', () => {
    const error = create()
    expect(error.cause).toBe(cause)
    const json = error.toJSON()
    expect(json).not.toHaveProperty('cause')
    expect(json).not.toHaveProperty('stack')
    expect(json).toMatchObject({
      name,
      code,
      provider: 'persona',
      status: 422,
      requestId: 'req_1',
      retryable,
    })
  })

  it('never shows the personal data or secrets held by its cause', () => {
    const error = create()
    const serialized = JSON.stringify(error)
    for (const value of seededPiiValues) {
      expect(error.message).not.toContain(value)
      expect(serialized).not.toContain(value)
      expect(String(error)).not.toContain(value)
    }
  })
})

describe('isKycError', () => {
  it('recognises an error from a duplicate copy of the package by its Symbol.for marker', () => {
    // What another copy of @openkyc/core would construct: a different class, the same global symbol.
    class ForeignKycError extends Error {
      readonly code = 'not_found'
      constructor(message: string) {
        super(message)
        Object.defineProperty(this, Symbol.for('@openkyc/core/error'), { value: true })
      }
    }
    const foreign = new ForeignKycError('not found')
    expect(foreign).not.toBeInstanceOf(KycError)
    expect(isKycError(foreign)).toBe(true)
    expect(KycError.isInstance(foreign)).toBe(true)
  })

  it('a subclass recognises only its own kind (and its subclasses), here and from a duplicate copy', () => {
    const notFound = new KycNotFoundError({ message: 'gone' })
    const unavailable = new KycProviderUnavailableError({ message: 'down' })
    expect(KycNotFoundError.isInstance(notFound)).toBe(true)
    expect(KycNotFoundError.isInstance(unavailable)).toBe(false)
    expect(KycRateLimitedError.isInstance(notFound)).toBe(false)
    expect(KycError.isInstance(unavailable)).toBe(true)
    expect(
      KycInvalidRequestError.isInstance(new KycInvalidRequestError({ message: 'bad', issues: [] })),
    ).toBe(true)
    expect(
      KycInvalidRequestError.isInstance(new KycInvalidProviderResponseError({ message: 'odd', issues: [] })),
    ).toBe(false)

    // Another copy of the package: classes with the same names, the same global marker, no shared prototype.
    const foreignBase = class KycError extends Error {
      constructor() {
        super('foreign')
        Object.defineProperty(this, Symbol.for('@openkyc/core/error'), { value: true })
      }
    }
    const foreignNotFound = new (class KycNotFoundError extends foreignBase {})()
    expect(KycNotFoundError.isInstance(foreignNotFound)).toBe(true)
    expect(KycProviderUnavailableError.isInstance(foreignNotFound)).toBe(false)
    expect(KycError.isInstance(foreignNotFound)).toBe(true)
  })

  it('rejects look-alikes', () => {
    expect(isKycError(new Error('x'))).toBe(false)
    expect(isKycError({ code: 'not_found', name: 'KycNotFoundError' })).toBe(false)
    expect(isKycError({ [Symbol('@openkyc/core/error')]: true })).toBe(false)
    expect(isKycError(null)).toBe(false)
    expect(isKycError('KycError')).toBe(false)
  })
})

describe('error details', () => {
  it('KycRateLimitedError serializes retryAfterMs', () => {
    expect(new KycRateLimitedError({ message: 'slow down', retryAfterMs: 1500 }).toJSON()).toMatchObject({
      retryAfterMs: 1500,
    })
  })

  it('KycUnsupportedCapabilityError names the capability and provider', () => {
    const error = new KycUnsupportedCapabilityError({ provider: 'jumio', capability: 'lists' })
    expect(error.message).toBe('The jumio adapter does not support the "lists" capability.')
    expect(error.toJSON()).toMatchObject({ capability: 'lists' })
  })

  it('KycInvalidRequestError keeps zod paths and messages, never the offending values', () => {
    const parsed = IdentityDataSchema.extend({ note: z.string().max(3) }).safeParse({
      dateOfBirth: seededPii.firstName,
      documentNumber: 42,
      issuingCountry: seededPii.documentNumber,
      note: seededPii.lastName,
    })
    expect(parsed.success).toBe(false)
    const error = new KycInvalidRequestError({
      message: 'Invalid applicant data.',
      issues: parsed.error!.issues,
    })
    expect(error.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([['dateOfBirth'], ['documentNumber'], ['issuingCountry'], ['note']]),
    )
    const serialized = JSON.stringify(error)
    for (const value of seededPiiValues) expect(serialized).not.toContain(value)
  })

  it('describeIssues puts each path and rule in one line, never the value', () => {
    const parsed = IdentityDataSchema.safeParse({
      dateOfBirth: seededPii.firstName,
      issuingCountry: 'de',
      address: { country: 'XX' },
    })
    const line = describeIssues(parsed.error!.issues)
    expect(line).toContain('dateOfBirth: ')
    expect(line).toContain(
      'issuingCountry: expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE"',
    )
    expect(line).toContain('address.country: ')
    for (const value of seededPiiValues) expect(line).not.toContain(value)
    expect(describeIssues([{ path: [], message: 'Required.' }])).toBe('Required')
    const many = Array.from({ length: 5 }, (_, index) => ({ path: [`field${index}`], message: 'bad' }))
    expect(describeIssues(many)).toBe('field0: bad; field1: bad; field2: bad (and 2 more)')
  })

  it('has no cause property when none is given', () => {
    expect('cause' in new KycNotFoundError({ message: 'gone' })).toBe(false)
  })
})
