import { setTimeout as sleep } from 'node:timers/promises'
import type { SqlExecutor } from '@openkyc/postgres'
import { fractionOfLimit, peakInAnyWindow } from '@openkyc/testkit/harness'
import { afterAll, describe, expect, it } from 'vitest'
import { createClusterRateLimiter, type Jobs, openJobs, vendorRateLimits } from '../src/index.js'
import { withStartSlot } from '../src/rate-limit.js'
import { freshSchema, testDatabases } from './databases.js'

describe.each(testDatabases())('createClusterRateLimiter on $name', (target) => {
  const opened: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of opened.splice(0).reverse()) await close()
  })

  /** One "process": its own database connection (a pool on the server), all on one schema. */
  async function participant(schema: string): Promise<Jobs> {
    const database = await target.open()
    opened.push(() => database.close())
    const jobs = await openJobs({ database, url: target.url, schema })
    opened.push(() => jobs.stop({ timeoutMs: 1_000 }))
    return jobs
  }

  it('keeps the starts of several limiters sharing a key within the budget in every window, at ≥ 95 % of it', async () => {
    const schema = freshSchema()
    // PGlite lives in one process: one database, three limiters. The server: three pools, as three processes.
    const participants =
      target.name === 'server'
        ? await Promise.all([participant(schema), participant(schema), participant(schema)])
        : [await participant(schema)]
    const limit = { requests: 20, intervalMs: 4_000 }
    // 2.5 % of the window absorbs the spread between a grant and the start on a loaded 2-core machine.
    const marginMs = 100
    const limiters = [0, 1, 2].map((index) =>
      createClusterRateLimiter({
        jobs: participants[index % participants.length]!,
        key: 'persona',
        limit,
        marginMs,
      }),
    )
    const starts: number[] = []
    const perLimiter = 21 // 63 starts: three full windows of 20, and three more
    await Promise.all(
      limiters.flatMap((limiter) =>
        Array.from({ length: perLimiter }, async () => {
          await limiter.acquire()
          starts.push(performance.now())
        }),
      ),
    )
    expect(starts).toHaveLength(63)
    // Every window of the budget's length holds at most its number of starts.
    expect(peakInAnyWindow(starts, limit.intervalMs)).toBeLessThanOrEqual(limit.requests)
    // Spaced, not bursty: the schedule puts 5 starts in a quarter of the window, where a burst would put
    // all 20 in the first instant. Up to 10: a stall of this process (it shares 2 cores with the other
    // test files) wakes several callers whose slots passed at once, and the sliding window lets them start.
    expect(peakInAnyWindow(starts, limit.intervalMs / 4)).toBeLessThanOrEqual(limit.requests / 2)
    // Saturated, the budget is used at ≥ 95 %.
    expect(fractionOfLimit(starts, limit.requests, limit.intervalMs)).toBeGreaterThanOrEqual(0.95)
  })

  it('a caller that learns of its claim late (a stall after the database recorded it) claims again: no window goes over the budget', async () => {
    const jobs = await participant(freshSchema())
    const limit = { requests: 10, intervalMs: 1_000 }
    const marginMs = 40
    // Every claim whose answer arrives between 1.2 s and 1.6 s after the start is held until 1.6 s, as a
    // stalled event loop holds it: the database recorded those starts on time, the caller sends them late,
    // bunched with the starts recorded after the stall.
    const began = performance.now()
    const stalled: Pick<Jobs, 'database' | 'schema'> = {
      schema: jobs.schema,
      database: {
        ...jobs.database,
        query: (async (statement: Parameters<SqlExecutor['query']>[0]) => {
          const rows = await jobs.database.query(statement)
          const at = performance.now() - began
          if (at >= 1_200 && at < 1_600) await sleep(1_600 - at)
          return rows
        }) as SqlExecutor['query'],
      },
    }
    const limiter = createClusterRateLimiter({ jobs: stalled, key: 'persona', limit, marginMs })
    const sent: number[] = []
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        await limiter.acquire()
        sent.push(performance.now()) // the request goes out now
      }),
    )
    expect(sent).toHaveLength(40)
    expect(peakInAnyWindow(sent, limit.intervalMs)).toBeLessThanOrEqual(limit.requests)
  })

  it('a start limiter paired with the request limiter claims each start with the slot of the request that makes it', async () => {
    const jobs = await participant(freshSchema())
    const requestLimiter = createClusterRateLimiter({
      jobs,
      key: 'persona',
      limit: { requests: 20, intervalMs: 2_000 },
      marginMs: 20,
    })
    const startLimiter = createClusterRateLimiter({
      jobs,
      key: 'persona:inquiry-creations',
      limit: { requests: 5, intervalMs: 2_000 },
      marginMs: 20,
      requestLimiter,
    })
    const controller = new AbortController()
    // Other requests keep the request budget's queue busy all along.
    const background = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!controller.signal.aborted)
          await requestLimiter.acquire(controller.signal).catch(() => undefined)
      }),
    )
    // Each start makes two requests, as Persona's create (POST /inquiries, then the one-time link) does.
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withStartSlot(startLimiter, AbortSignal.timeout(20_000), async () => {
          await requestLimiter.acquire()
          await requestLimiter.acquire()
        }),
      ),
    )
    controller.abort()
    await background
    const rows = await jobs.database.query<{ key: string; slot_at: number; claimed: boolean }>({
      name: 'rate limit slots',
      text: `SELECT key, slot_at, claimed FROM ${jobs.schema}.rate_limit_slot ORDER BY slot_at`,
      values: [],
    })
    const starts = rows.filter((row) => row.key === 'persona:inquiry-creations')
    const requestSlots = new Set(
      rows.filter((row) => row.key === 'persona' && row.claimed).map((row) => row.slot_at),
    )
    expect(starts).toHaveLength(6)
    // Every start was claimed at the very instant of a request slot: one SQL call took both.
    expect(starts.filter((start) => !start.claimed || !requestSlots.has(start.slot_at))).toEqual([])
  })

  it('gives each key its own budget', async () => {
    const [jobs] = [await participant(freshSchema())]
    const limit = { requests: 2, intervalMs: 10_000 }
    const persona = createClusterRateLimiter({ jobs: jobs!, key: 'persona', limit })
    const onfido = createClusterRateLimiter({ jobs: jobs!, key: 'onfido', limit })
    const started = performance.now()
    await Promise.all([persona.acquire(), onfido.acquire()])
    // Each key's first start is immediate: the other key's start took nothing from it.
    expect(performance.now() - started).toBeLessThan(4_000)
    // The next persona start is spaced 5 s (10 s / 2) after the first: it waits, and can be aborted.
    const controller = new AbortController()
    const second = persona.acquire(controller.signal)
    controller.abort(new Error('stop waiting'))
    await expect(second).rejects.toThrow('stop waiting')
    // The aborted caller gave its slot back: the next one waits no longer than the spacing.
    const waited = performance.now()
    await persona.acquire()
    expect(performance.now() - waited).toBeLessThan(5_500)
  })

  it('refuses budgets that cannot be kept and states the documented vendor limits', () => {
    const jobs = { database: undefined as never, schema: '"openkyc_jobs"' }
    expect(() =>
      createClusterRateLimiter({ jobs, key: 'x', limit: { requests: 0, intervalMs: 1_000 } }),
    ).toThrow(/positive whole number/)
    expect(() => createClusterRateLimiter({ jobs, key: '', limit: vendorRateLimits.persona })).toThrow(/key/)
    expect(vendorRateLimits).toEqual({
      jumio: { requests: 1, intervalMs: 1_000 },
      persona: { requests: 300, intervalMs: 60_000 },
      onfido: { requests: 400, intervalMs: 60_000 },
    })
  })
})
