import { afterAll, describe, expect, it } from 'vitest'
import { createBulkRuns, createClusterRateLimiter, type Jobs, openJobs, parseBulkCsv } from '../src/index.js'
import { freshSchema, testDatabases } from './databases.js'
import {
  createScaledPersona,
  createTestPersona,
  inquiriesPerSubject,
  personaLimits,
} from './support/providers.js'
import { maxInAnyWindow } from './window.js'

/** Waits until every item of the batch has finished. */
async function finished(bulk: ReturnType<typeof createBulkRuns>, batchId: string, timeout: number) {
  await expect.poll(async () => (await bulk.status(batchId))?.remaining, { timeout, interval: 250 }).toBe(0)
  return (await bulk.status(batchId))!
}

describe.each(testDatabases())('bulk runs on $name (one process)', (target) => {
  const opened: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of opened.splice(0).reverse()) await close()
  })

  async function open(): Promise<Jobs> {
    const database = await target.open()
    opened.push(() => database.close())
    const jobs = await openJobs({
      database,
      url: target.url,
      schema: freshSchema(),
      boss: { maintenanceIntervalSeconds: 1 },
    })
    opened.push(() => jobs.stop({ timeoutMs: 2_000 }))
    return jobs
  }

  it('runs a CSV batch at ≥ 95 % of Persona’s time-scaled limits and within them in every window, each item once', async () => {
    const jobs = await open()
    // Persona's minute, scaled: 300 requests and 150 creations in every `windowMs`. Scaled so the limit,
    // not the machine, binds: one process makes ≈ 35 items/s (2 cores under load); PGlite is slower.
    const windowMs = target.name === 'server' ? 12_000 : 30_000
    // 3 % of the window absorbs the spread between a start on the database clock and its arrival at the
    // simulator on a 2-core machine shared with other test runs (load average 20+); production keeps 1 %.
    const marginMs = windowMs * 0.03
    const { simulator, seen, fetch } = createScaledPersona(windowMs)
    const rateLimit = createClusterRateLimiter({
      jobs,
      key: 'persona',
      limit: { requests: personaLimits.requests, intervalMs: windowMs },
      marginMs,
    })
    const startLimit = createClusterRateLimiter({
      jobs,
      key: 'persona:inquiry-creations',
      limit: { requests: personaLimits.creations, intervalMs: windowMs },
      marginMs,
    })
    const bulk = createBulkRuns({
      jobs,
      adapters: { persona: createTestPersona(fetch, rateLimit) },
      startLimiters: { persona: startLimit },
    })
    const items = 2 * personaLimits.creations + 1 // two full windows after the first creation
    const csv = [
      'provider,subject_reference,first_name,last_name',
      ...Array.from({ length: items }, (_, index) => `persona,subject-${index + 1},Ada${index},Lovelace`),
    ].join('\n')
    const stop = await bulk.work({ concurrency: 12 })
    opened.push(stop)
    const { batchId, total } = await bulk.submit(parseBulkCsv(csv), { label: 'portfolio re-verification' })
    expect(total).toBe(items)
    const status = await finished(bulk, batchId, 120_000)
    expect(status).toMatchObject({ total: items, done: items, failed: 0, remaining: 0, submitted: true })
    expect(status.finishedAt).toEqual(expect.any(String))

    // Exactly one inquiry per subject, in the simulator's own state.
    const perSubject = inquiriesPerSubject(simulator)
    expect(perSubject.size).toBe(items)
    expect([...perSubject.values()].every((count) => count === 1)).toBe(true)
    // Every result names its verification and a hosted link; the prefill (personal data) is gone.
    const results = []
    for await (const result of bulk.results(batchId)) results.push(result)
    expect(results).toHaveLength(items)
    expect(
      results.every((result) => result.state === 'done' && result.verificationId?.startsWith('inq_')),
    ).toBe(true)
    expect(results.every((result) => result.sessionUrl?.startsWith('https://'))).toBe(true)
    const stored = await jobs.database.query<{ request: unknown }>({
      name: 'stored requests',
      text: `SELECT DISTINCT request FROM ${jobs.schema}.bulk_item`,
      values: [],
    })
    expect(stored).toEqual([{ request: {} }])

    // The vendor's count: never over the limit in any window, never a 429, ≥ 95 % of the creation quota.
    const requestTimes = seen.map((request) => request.at)
    const creations = seen
      .filter((request) => request.method === 'POST' && request.path === '/api/v1/inquiries')
      .map((request) => request.at)
      .sort((a, b) => a - b)
    expect(seen.filter((request) => request.status === 429)).toHaveLength(0)
    expect(maxInAnyWindow(requestTimes, windowMs)).toBeLessThanOrEqual(personaLimits.requests)
    expect(maxInAnyWindow(creations, windowMs)).toBeLessThanOrEqual(personaLimits.creations)
    const windows = Math.floor((creations.length - 1) / personaLimits.creations)
    const achieved =
      (windows * personaLimits.creations) / (creations[windows * personaLimits.creations]! - creations[0]!)
    expect(achieved / (personaLimits.creations / windowMs)).toBeGreaterThanOrEqual(0.95)
  }, 240_000)
})
