import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from '../../src/http/index.js'

const now = Date.parse('2025-06-01T12:00:00Z')
const parse = (headers: Record<string, string>) => parseRetryAfter(new Headers(headers), now)

describe('parseRetryAfter', () => {
  it('reads Retry-After delay-seconds', () => {
    expect(parse({ 'retry-after': '120' })).toBe(120_000)
    expect(parse({ 'retry-after': '0' })).toBe(0)
    expect(parse({ 'retry-after': '1.5' })).toBe(1500)
  })

  it('reads a Retry-After HTTP date against the given clock', () => {
    expect(parse({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' })).toBe(30_000)
  })

  it('reads a Retry-After date in the past as no wait', () => {
    expect(parse({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' })).toBe(0)
  })

  it('reads RateLimit-Reset seconds', () => {
    expect(parse({ 'ratelimit-reset': '42' })).toBe(42_000)
  })

  it('reads a RateLimit-Reset that can only be a Unix timestamp as one', () => {
    expect(parse({ 'ratelimit-reset': String(now / 1000 + 20) })).toBe(20_000)
  })

  it('prefers Retry-After over RateLimit-Reset', () => {
    expect(parse({ 'retry-after': '5', 'ratelimit-reset': '50' })).toBe(5000)
  })

  it('falls back to RateLimit-Reset when Retry-After is unreadable', () => {
    expect(parse({ 'retry-after': 'soon', 'ratelimit-reset': '50' })).toBe(50_000)
  })

  it('returns undefined when the provider said nothing usable', () => {
    expect(parse({})).toBeUndefined()
    expect(parse({ 'retry-after': 'soon' })).toBeUndefined()
    expect(parse({ 'retry-after': '-3' })).toBeUndefined()
    expect(parse({ 'ratelimit-reset': 'tomorrow' })).toBeUndefined()
  })
})
