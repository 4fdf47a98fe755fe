import type { KycAdapterV1, Verification } from '@openkyc/core'
import { createBulkRuns, createClusterRateLimiter, type Jobs, openJobs } from '@openkyc/jobs'
import { openDatabase, type SqlExecutor } from '@openkyc/postgres'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { createSimulatorClock, fractionOfLimit, peakInAnyWindow } from '@openkyc/testkit/harness'
import { createBenchPersona } from '../providers.js'
import type { BenchmarkResult, Figure } from '../report.js'
import { startThrowawayPostgres, type ThrowawayPostgres } from '../throwaway-postgres.js'

/** Sizes; the defaults keep the benchmark near two minutes on 2 cores. */
export type BulkRunsOptions = { windowMs?: number; workerCounts?: readonly number[]; overheadItems?: number }

const creationsPerWindow = 150 // Persona's inquiry creations a minute, in a time-scaled minute

async function waitUntilFinished(bulk: ReturnType<typeof createBulkRuns>, batchId: string): Promise<void> {
  for (;;) {
    const status = await bulk.status(batchId)
    if (status !== undefined && status.remaining === 0) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const createdVerification = (id: string): { verification: Verification } => ({
  verification: {
    id,
    provider: 'persona',
    reference: { inquiryId: id },
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    raw: { status: 'created' },
  },
})

/**
 * Bulk runs: items per second for 1, 2 and 4 workers against the Persona simulator, as a ratio to its
 * (time-scaled) creation quota, with the cluster-wide limiters in front; and the queue's cost per job
 * (pg-boss fetch and complete, the item's rows, the limiter left out) against calling the same
 * function directly, in the same run.
 */
export async function runBulkRuns(options: BulkRunsOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const windowMs = options.windowMs ?? 10_000
  const workerCounts = options.workerCounts ?? [1, 2, 4]
  const overheadItems = options.overheadItems ?? 200
  let throwaway: ThrowawayPostgres | undefined
  let database: SqlExecutor | undefined
  let jobs: Jobs | undefined
  const figures: Figure[] = []
  try {
    throwaway = await startThrowawayPostgres()
    database = await openDatabase(throwaway === undefined ? {} : { url: throwaway.url, maxConnections: 8 })
    jobs = await openJobs({ database, ...(throwaway === undefined ? {} : { url: throwaway.url }) })
    const openedJobs = jobs
    for (const workers of workerCounts) {
      const simulator = createPersonaSimulator({
        clock: createSimulatorClock({ mode: 'real' }),
        rateLimit: { limit: 300, windowMs },
        inquiryCreationQuota: { limit: creationsPerWindow, windowMs },
        webhook: { enabledEvents: [] },
      })
      // As the jobs README advises: each creation is claimed with the slot of its POST (`requestLimiter`),
      // and the request budget, which every creation spends twice, gets two thirds of the default 1 %
      // margin that the creation budget keeps, so its queue drains.
      const requestLimiter = createClusterRateLimiter({
        jobs: openedJobs,
        key: `persona:${workers}`,
        limit: { requests: 300, intervalMs: windowMs },
        marginMs: (windowMs / 100) * (2 / 3),
      })
      const persona = createBenchPersona(
        { fetch: simulator.fetch, now: () => simulator.clock.now() },
        { rateLimit: requestLimiter },
      )
      const bulk = createBulkRuns({
        jobs: openedJobs,
        adapters: { persona },
        startLimiters: {
          persona: createClusterRateLimiter({
            jobs: openedJobs,
            key: `persona:starts:${workers}`,
            limit: { requests: creationsPerWindow, intervalMs: windowMs },
            requestLimiter,
          }),
        },
      })
      const stop = await bulk.work({ concurrency: workers })
      const items = 2 * creationsPerWindow + 1
      const { batchId } = await bulk.submit(
        Array.from({ length: items }, (_, index) => ({
          provider: 'persona',
          subjectReference: `w${workers}-${index}`,
        })),
      )
      await waitUntilFinished(bulk, batchId)
      await stop()
      // The simulator's count: its inquiries' creation times and its requests' arrival times.
      const creations = simulator.persona.state
        .collection('inquiry')
        .list()
        .map((inquiry) => inquiry.createdAtMs)
      const fraction = fractionOfLimit(creations, creationsPerWindow, windowMs)
      const limit = creationsPerWindow / (windowMs / 1000)
      const arrivals = simulator.requests.map((request) => Date.parse(request.at))
      figures.push({
        name: `${workers} worker${workers === 1 ? '' : 's'}: items/s ÷ Persona's creation quota (time-scaled)`,
        value: fraction * limit,
        unit: 'items/s',
        baseline: limit,
        ratio: fraction,
        goal: 'ratio ≥ 0.95',
      })
      figures.push({
        name: `${workers} worker${workers === 1 ? '' : 's'}: the busiest sliding window at the simulator, creations`,
        value: peakInAnyWindow(creations, windowMs),
        unit: 'creations',
        baseline: creationsPerWindow,
        ratio: peakInAnyWindow(creations, windowMs) / creationsPerWindow,
        goal: 'ratio ≤ 1',
      })
      figures.push({
        name: `${workers} worker${workers === 1 ? '' : 's'}: the busiest sliding window at the simulator, requests`,
        value: peakInAnyWindow(arrivals, windowMs),
        unit: 'requests',
        baseline: 300,
        ratio: peakInAnyWindow(arrivals, windowMs) / 300,
        goal: 'ratio ≤ 1',
      })
    }

    // Queue overhead: a function that does nothing, through bulk runs with one worker, and called directly.
    const direct = async (): Promise<{ verification: Verification }> => createdVerification('inq_direct')
    const directStarted = performance.now()
    for (let index = 0; index < overheadItems; index++) await direct()
    const directMs = (performance.now() - directStarted) / overheadItems
    const instant: Pick<KycAdapterV1, 'createVerification'> = { createVerification: direct }
    const bulk = createBulkRuns({ jobs: openedJobs, adapters: { persona: instant } })
    const stop = await bulk.work({ concurrency: 1, pollingIntervalSeconds: 0.5 })
    const queuedStarted = performance.now()
    const { batchId } = await bulk.submit(
      Array.from({ length: overheadItems }, (_, index) => ({
        provider: 'persona',
        subjectReference: `o-${index}`,
      })),
    )
    await waitUntilFinished(bulk, batchId)
    const queuedMs = (performance.now() - queuedStarted) / overheadItems
    await stop()
    figures.push({
      name: 'queue overhead per job (one worker: pg-boss fetch + complete, item rows) vs a direct call',
      value: queuedMs - directMs,
      unit: 'ms',
      baseline: directMs,
    })
    return {
      id: 'bulk-runs',
      title:
        'Bulk runs on pg-boss: items/s per worker count against the vendor limit, and queue overhead per job',
      baseline: `the vendor's limit (Persona: ${creationsPerWindow} creations per ${windowMs / 1000} s scaled minute); a direct call`,
      figures,
      notes: [
        `database: ${throwaway === undefined ? 'PGlite (PostgreSQL is not installed)' : 'a throwaway PostgreSQL server'}`,
        'each run is 2 windows + 1 item; the limiters keep their default safety margin (1 % of the window), so the best possible ratio is 0.99',
        'worker count = items in flight in one process; 4 processes with a SIGKILL: packages/jobs/test/bulk-cluster.test.ts',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    }
  } finally {
    await jobs?.stop({ timeoutMs: 2_000 })
    await database?.close()
    await throwaway?.stop()
  }
}
