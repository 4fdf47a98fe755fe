import { isKycError } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { createSimulatorClock } from '@openkyc/testkit/harness'
import { createBenchPersona } from '../providers.js'
import type { BenchmarkResult } from '../report.js'
import { createVirtualTime } from '../virtual-time.js'

/** Size of the run. */
export type RateLimitOptions = { creations?: number; workers?: number }

const limit = 300
const windowMs = 60_000

/**
 * Benchmark 4: 600 Persona inquiry creations against the simulator's 300 requests/minute window,
 * with time scaled: the adapter's `sleep` waits on the simulator clock (see `createVirtualTime`), so
 * two minutes of rate windows pass in well under a second. Counts what reached the caller, what the
 * simulator answered, and the creations per window.
 */
export async function runRateLimit(options: RateLimitOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const creations = options.creations ?? 600
  const workers = options.workers ?? 50
  // The simulator counts fixed windows aligned to its clock's minute: start on a minute boundary.
  const clock = createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' })
  const simulator = createPersonaSimulator({
    clock,
    rateLimit: { limit, windowMs },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const time = createVirtualTime(clock)
  const fetch: typeof globalThis.fetch = async (input, init) => {
    time.touch()
    try {
      return await simulator.fetch(input, init)
    } finally {
      time.touch()
    }
  }
  const adapter = createBenchPersona(
    { fetch, now: () => clock.now(), sleep: time.sleep },
    // The adapter's default client-side budget (300/min) runs on the injected clock and sleep, so it
    // is time-scaled with the simulator; core's retry policy is the second line (RateLimit-Reset).
    { handoff: 'hosted-url', maxRetries: 4 },
  )

  const startedAt = clock.now()
  let next = 0
  let succeeded = 0
  const callerErrors: string[] = []
  const completedAt: number[] = []
  const worker = async () => {
    while (next < creations) {
      const index = next
      next += 1
      try {
        await adapter.createVerification({ subjectReference: `rate-limit-${index}` })
        succeeded += 1
        completedAt.push(clock.now())
      } catch (error) {
        callerErrors.push(isKycError(error) ? error.code : 'unexpected')
      }
    }
  }
  await time.run(Promise.all(Array.from({ length: workers }, worker)))

  const creates = simulator.requests.filter(
    (request) => request.method === 'POST' && request.path === '/api/v1/inquiries',
  )
  const refused = creates.filter((request) => request.status === 429).length
  const perWindow = new Map<number, number>()
  for (const request of creates) {
    if (request.status !== 201 && request.status !== 200) continue
    const window = Math.floor((Date.parse(request.at) - startedAt) / windowMs)
    perWindow.set(window, (perWindow.get(window) ?? 0) + 1)
  }
  const windowsUsed = perWindow.size === 0 ? 0 : Math.max(...perWindow.keys()) + 1
  const busiestWindow = Math.max(0, ...perWindow.values())
  const throughput = succeeded / windowsUsed
  const rateLimitedAtCaller = callerErrors.filter((code) => code === 'rate_limited').length
  const elapsedSeconds = (Math.max(startedAt, ...completedAt) - startedAt) / 1000

  return {
    id: 'rate-limit',
    title: `Rate-limit compliance: ${creations} Persona inquiry creations against ${limit}/minute`,
    baseline: `the simulator's limit, ${limit} requests per fixed one-minute window`,
    figures: [
      {
        name: 'creations that succeeded',
        value: succeeded,
        unit: 'calls',
        baseline: creations,
        ratio: succeeded / creations,
        goal: `= ${creations}`,
        met: succeeded === creations,
      },
      {
        name: '429s that reached the caller',
        value: rateLimitedAtCaller,
        unit: 'errors',
        goal: '= 0',
        met: rateLimitedAtCaller === 0,
      },
      {
        name: 'other errors that reached the caller',
        value: callerErrors.length - rateLimitedAtCaller,
        unit: 'errors',
        goal: '= 0',
        met: callerErrors.length === 0,
      },
      {
        name: 'creations per rate window (throughput)',
        value: throughput,
        unit: 'per minute',
        baseline: limit,
        ratio: throughput / limit,
        goal: '≥ 95 % of the limit',
        met: throughput >= 0.95 * limit,
      },
      {
        name: 'busiest window',
        value: busiestWindow,
        unit: 'creations',
        baseline: limit,
        ratio: busiestWindow / limit,
        goal: `≤ ${limit}`,
        met: busiestWindow <= limit,
      },
      { name: '429s the simulator sent (absorbed by retries)', value: refused, unit: 'responses' },
    ],
    notes: [
      `${workers} concurrent callers; hosted-url hand-off, so one request per creation; ${windowsUsed} windows of simulated time used, ${elapsedSeconds.toFixed(1)} s of simulated time until the last creation; ${time.stats.sleeps} adapter sleeps totalling ${(time.stats.sleptMs / 1000).toFixed(1)} simulated seconds.`,
      "The Persona adapter's default client-side budget (300 requests per sliding minute) runs on the simulated clock; any 429 the simulator still sends is absorbed by core's retry policy, which waits as long as RateLimit-Reset says.",
      "The simulator's separate inquiry-creation quota (150/minute, Persona's documented default) is switched off: the benchmark is about the 300/minute request window.",
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
