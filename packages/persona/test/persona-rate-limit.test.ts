import { KycConfigurationError } from '@openkyc/core'
import { createRateLimiter } from '@openkyc/core/http'
import { describe, expect, it } from 'vitest'
import { createPersona } from '../src/create-persona.js'
import type { PersonaSettings } from '../src/persona-settings.js'
import { createFakePersona } from './fake-persona.js'

const minute = 60_000

/**
 * Lets the requests already granted reach `fetch` before a sleeping waiter moves the fake clock, so
 * each request is recorded at the instant it was allowed to start.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A clock that only moves when the adapter sleeps, and the instants at which requests reached Persona. */
function setup(settings: PersonaSettings = {}) {
  const fake = createFakePersona()
  let clock = Date.parse('2026-01-01T00:00:00.000Z')
  const sentAt: number[] = []
  const sleeps: number[] = []
  const persona = createPersona({
    apiKey: 'persona_sandbox_rate-limit',
    templateId: 'itmpl_RateLimit',
    env: {},
    now: () => clock,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds)
      await nextTurn()
      clock += milliseconds
    },
    fetch: (input, init) => {
      sentAt.push(clock)
      return fake.fetch(input as Request, init)
    },
    ...settings,
  })
  return { persona, reference: { inquiryId: fake.inquiryId }, sentAt, sleeps, elapsed: () => clock }
}

/** The most requests that started within any window of `intervalMs` (a sliding window over start times). */
function busiestWindow(sentAt: readonly number[], intervalMs: number): number {
  const sorted = [...sentAt].sort((left, right) => left - right)
  let busiest = 0
  let first = 0
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= intervalMs) first += 1
    busiest = Math.max(busiest, last - first + 1)
  }
  return busiest
}

describe('client-side rate limit', () => {
  it("keeps Persona's 300 requests a minute on the injected clock by default", async () => {
    const { persona, reference, sentAt, elapsed } = setup()
    const started = elapsed()
    await Promise.all(Array.from({ length: 750 }, () => persona.getVerification({ reference })))
    expect(sentAt).toHaveLength(750)
    expect(busiestWindow(sentAt, minute)).toBe(300)
    // 750 requests at 300 a minute need two full windows of waiting on the fake clock, and no more.
    expect(elapsed() - started).toBe(2 * minute)
  })

  it('takes a custom budget', async () => {
    const { persona, reference, sentAt } = setup({ rateLimit: { requests: 7, intervalMs: 1_000 } })
    await Promise.all(Array.from({ length: 50 }, () => persona.getVerification({ reference })))
    expect(sentAt).toHaveLength(50)
    expect(busiestWindow(sentAt, 1_000)).toBe(7)
  })

  it('keeps requestsPerMinute working as the older shorthand', async () => {
    const { persona, reference, sentAt } = setup({ requestsPerMinute: 10 })
    await Promise.all(Array.from({ length: 35 }, () => persona.getVerification({ reference })))
    expect(busiestWindow(sentAt, minute)).toBe(10)
    expect(persona.settings.rateLimit).toEqual({ requests: 10, intervalMs: minute })
  })

  it('shares a given limiter between adapters', async () => {
    let clock = 0
    const limiter = createRateLimiter({
      requests: 4,
      intervalMs: 1_000,
      now: () => clock,
      sleep: async (milliseconds) => {
        await nextTurn()
        clock += milliseconds
      },
    })
    const sentAt: number[] = []
    const adapters = [1, 2].map(() => {
      const fake = createFakePersona()
      const persona = createPersona({
        apiKey: 'persona_sandbox_rate-limit',
        templateId: 'itmpl_RateLimit',
        env: {},
        rateLimit: limiter,
        fetch: (input, init) => {
          sentAt.push(clock)
          return fake.fetch(input as Request, init)
        },
      })
      return { persona, reference: { inquiryId: fake.inquiryId } }
    })
    await Promise.all(
      adapters.flatMap(({ persona, reference }) =>
        Array.from({ length: 10 }, () => persona.getVerification({ reference })),
      ),
    )
    expect(sentAt).toHaveLength(20)
    expect(busiestWindow(sentAt, 1_000)).toBe(4)
  })

  it('can be turned off', async () => {
    const { persona, reference, sentAt, sleeps } = setup({ rateLimit: false })
    await Promise.all(Array.from({ length: 400 }, () => persona.getVerification({ reference })))
    expect(sentAt).toHaveLength(400)
    expect(sleeps).toEqual([])
  })

  it('refuses rateLimit and requestsPerMinute together, and a malformed budget', () => {
    expect(() => setup({ rateLimit: { requests: 5, intervalMs: 1_000 }, requestsPerMinute: 5 })).toThrow(
      KycConfigurationError,
    )
    expect(() => setup({ rateLimit: { requests: 0, intervalMs: 1_000 } })).toThrow(/rateLimit/)
  })
})
