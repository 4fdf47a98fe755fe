import { beforeAll, describe, expect, it } from 'vitest'
import { KycConfigurationError } from '../../src/errors.js'
import { createHttpClient, createRateLimiter } from '../../src/http/index.js'
import { jsonResponse, manualClock, scriptedFetch } from './helpers.js'

beforeAll(async () => {
  // A process's first call imports the OpenTelemetry API (core loads it on first use): real I/O, which
  // the manual clock below cannot drive. One call first, so the clocked calls find it loaded.
  const warmUp = createHttpClient({
    provider: 'acme',
    baseUrl: 'https://api.acme.test/',
    fetch: async () => jsonResponse(200, {}),
  })
  await warmUp.request({ path: 'warm-up' })
})

/** The most requests that started within any window of `intervalMs`. */
function busiestWindow(arrivals: number[], intervalMs: number): number {
  const sorted = [...arrivals].sort((left, right) => left - right)
  return Math.max(
    ...sorted.map((start) => sorted.filter((at) => at >= start && at < start + intervalMs).length),
  )
}

describe('client-side rate limit', () => {
  it('never lets 100 concurrent calls exceed the declared rate in any window', async () => {
    const clock = manualClock()
    const server = scriptedFetch([jsonResponse(200, { ok: true })], clock.now)
    const http = createHttpClient({
      provider: 'persona',
      baseUrl: 'https://api.withpersona.test/api/v1/',
      fetch: server.fetch,
      now: clock.now,
      sleep: clock.sleep,
      rateLimit: { requests: 5, intervalMs: 1000 },
    })

    const calls = Array.from({ length: 100 }, (_, index) =>
      http.request({ path: 'inquiries/{inquiryId}', pathParams: { inquiryId: `inq_${index}` } }),
    )
    await clock.run(Promise.all(calls))

    const arrivals = server.requests.map((request) => request.at)
    expect(arrivals).toHaveLength(100)
    expect(busiestWindow(arrivals, 1000)).toBe(5)
    // The limiter should not be stricter than declared either: 100 requests at 5 per second.
    expect(Math.max(...arrivals)).toBe(19_000)
  })

  it('counts retries against the same budget', async () => {
    const clock = manualClock()
    const server = scriptedFetch(
      [jsonResponse(503, {}), jsonResponse(503, {}), jsonResponse(200, {})],
      clock.now,
    )
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0,
      rateLimit: { requests: 1, intervalMs: 1000 },
    })
    await clock.run(http.request({ path: 'inquiries' }))
    expect(server.requests.map((request) => request.at)).toEqual([0, 1000, 2000])
  })
})

describe('createRateLimiter', () => {
  it('serves waiters first come, first served', async () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ requests: 2, intervalMs: 100, now: clock.now, sleep: clock.sleep })
    const served: number[] = []
    const waiters = Array.from({ length: 7 }, (_, index) => limiter.acquire().then(() => served.push(index)))
    await clock.run(Promise.all(waiters))
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('lets an aborted waiter leave at once without using the budget', async () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ requests: 1, intervalMs: 1000, now: clock.now, sleep: clock.sleep })
    const grantedAt: Record<string, number> = {}
    await limiter.acquire()
    const controller = new AbortController()
    const reason = new Error('no longer needed')
    const aborted = limiter.acquire(controller.signal)
    const next = limiter.acquire().then(() => {
      grantedAt.next = clock.now()
    })
    controller.abort(reason)
    await expect(aborted).rejects.toBe(reason)
    await clock.run(next)
    expect(grantedAt.next).toBe(1000)
  })

  it('ends the wait of the first in line when its signal aborts', async () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ requests: 1, intervalMs: 1000, now: clock.now, sleep: clock.sleep })
    await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    const next = limiter.acquire()
    // Let the first waiter reach its sleep before aborting it.
    await new Promise((resolve) => setImmediate(resolve))
    controller.abort(new Error('cancelled'))
    await expect(waiting).rejects.toThrow('cancelled')
    await clock.run(next)
    expect(clock.now()).toBe(1000)
  })

  it('does not let a newcomer overtake a waiter once the window has room again', async () => {
    let time = 0
    const pendingSleeps: (() => void)[] = []
    const limiter = createRateLimiter({
      requests: 1,
      intervalMs: 1000,
      now: () => time,
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          pendingSleeps.push(() => {
            time += ms
            resolve()
          }),
        ),
    })
    const served: string[] = []
    await limiter.acquire()
    const first = limiter.acquire().then(() => served.push('waiter'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(pendingSleeps).toHaveLength(1)
    // The window has room now, but the waiter has not woken up yet: the newcomer must queue behind it.
    time = 1000
    const second = limiter.acquire().then(() => served.push('newcomer'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(served).toEqual([])
    pendingSleeps.shift()?.()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    expect(served).toEqual(['waiter'])
    pendingSleeps.shift()?.()
    await second
    expect(served).toEqual(['waiter', 'newcomer'])
  })

  it('does not wait while the window has room', async () => {
    let sleeps = 0
    const limiter = createRateLimiter({
      requests: 3,
      intervalMs: 1000,
      now: () => 0,
      sleep: async () => {
        sleeps++
      },
    })
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()])
    expect(sleeps).toBe(0)
  })

  it('tryAcquire grants only while the window has room, and never waits', () => {
    let time = 0
    const limiter = createRateLimiter({ requests: 2, intervalMs: 1000, now: () => time })
    expect([limiter.tryAcquire?.(), limiter.tryAcquire?.(), limiter.tryAcquire?.()]).toEqual([
      true,
      true,
      false,
    ])
    time = 1000
    expect(limiter.tryAcquire?.()).toBe(true)
  })

  it('tryAcquire does not overtake a caller already waiting in line', async () => {
    let time = 0
    const wakers: (() => void)[] = []
    const limiter = createRateLimiter({
      requests: 1,
      intervalMs: 1000,
      now: () => time,
      sleep: () => new Promise<void>((resolve) => wakers.push(resolve)),
    })
    await limiter.acquire()
    const waiting = limiter.acquire()
    await new Promise((resolve) => setImmediate(resolve))
    time = 1000
    expect(limiter.tryAcquire?.()).toBe(false)
    wakers.shift()?.()
    await waiting
  })

  it.each([
    { requests: 0, intervalMs: 1000 },
    { requests: 1.5, intervalMs: 1000 },
    { requests: 1, intervalMs: 0 },
    { requests: 1, intervalMs: Number.NaN },
  ])('rejects the nonsensical budget %o', (budget) => {
    expect(() => createRateLimiter(budget)).toThrow(KycConfigurationError)
  })
})
