import { describe, expect, it } from 'vitest'
import {
  KycInvalidRequestError,
  nestDottedKeys,
  pathSegment,
  safeKeySegments,
  toSafeRecord,
  uuidPattern,
} from '../src/index.js'

function thrown(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('nestDottedKeys', () => {
  it('nests dotted keys into objects without a prototype', () => {
    const nested = nestDottedKeys(
      { 'address.city': 'Berlin', 'address.country': 'DE', firstName: 'A' },
      {
        what: 'prepared data',
      },
    )
    expect(JSON.parse(JSON.stringify(nested))).toEqual({
      address: { city: 'Berlin', country: 'DE' },
      firstName: 'A',
    })
    expect(Object.getPrototypeOf(nested)).toBeNull()
    expect(Object.getPrototypeOf(nested.address)).toBeNull()
  })

  // Fails on main before issue 12: toJumioPreparedData wrote through `__proto__` into Object.prototype.
  it.each(['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__', 'prototype', 'a..b', ''])(
    'refuses the key %j with KycInvalidRequestError and leaves Object.prototype alone',
    (key) => {
      const error = thrown(() => nestDottedKeys({ [key]: 'yes' }, { what: 'prepared data', path: ['data'] }))
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect((error as KycInvalidRequestError).issues[0]?.path).toEqual(['data', 0])
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    },
  )

  it('refuses a JSON-parsed own __proto__ key', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, unknown>
    expect(() => toSafeRecord(hostile, { what: 'metadata' })).toThrow(KycInvalidRequestError)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('never echoes the key in the message (it may be applicant text)', () => {
    const error = thrown(() =>
      safeKeySegments('erika.__proto__', 3, { what: 'list item', separator: '.', provider: 'persona' }),
    ) as KycInvalidRequestError
    expect(error.message).toBe(
      'Invalid list item: field name number 4 uses a reserved name (__proto__, constructor, prototype).',
    )
    expect(JSON.stringify(error)).not.toContain('erika')
  })

  it('applies an allow-list pattern to every segment', () => {
    expect(
      safeKeySegments('address.postalCode', 0, { what: 'x', separator: '.', pattern: /^[a-zA-Z]+$/ }),
    ).toEqual(['address', 'postalCode'])
    expect(() =>
      safeKeySegments('address.po$tal', 0, { what: 'x', separator: '.', pattern: /^[a-zA-Z]+$/ }),
    ).toThrow(KycInvalidRequestError)
  })
})

describe('pathSegment', () => {
  it('returns a value that keeps the rules and matches the pattern', () => {
    const id = '3f5a0a3c-9d6f-4f4b-9e0e-2d0c6b1b9a77'
    expect(pathSegment(id, { name: 'workflowExecutionId', pattern: uuidPattern })).toBe(id)
    expect(pathSegment(42, { name: 'page' })).toBe('42')
  })

  it.each([['..'], ['.'], [''], ['a/b'], ['a?b'], ['a#b'], ['%2e'], ['x'.repeat(257)], [undefined], [{}]])(
    'refuses %j before anything is sent',
    (value) => {
      const error = thrown(() => pathSegment(value, { provider: 'jumio', name: 'accountId' }))
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect((error as KycInvalidRequestError).message).toMatch(/^Invalid accountId: /)
    },
  )

  it('names the expected format, never the value', () => {
    const error = thrown(() =>
      pathSegment('inq_../../secret', {
        name: 'inquiryId',
        pattern: /^inq_[A-Za-z0-9]+$/,
        format: 'an inq_ id',
      }),
    ) as KycInvalidRequestError
    expect(error.message).not.toContain('secret')
    const other = thrown(() =>
      pathSegment('ver_123', { name: 'inquiryId', pattern: /^inq_[A-Za-z0-9]+$/, format: 'an inq_ id' }),
    ) as KycInvalidRequestError
    expect(other.message).toBe('Invalid inquiryId: expected an inq_ id.')
  })
})
