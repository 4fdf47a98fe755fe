import { createMemoryStore, type KycStore, type Verification } from '@openkyc/core'
import { createReconciler } from '@openkyc/jobs'
import { openPostgresStore } from '@openkyc/postgres'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarios } from '@openkyc/testkit/catalogue'
import { summarize } from '../measure.js'
import { createBenchPersona } from '../providers.js'
import type { BenchmarkResult } from '../report.js'

/** Sizes; the defaults keep the benchmark under a minute on 2 cores. */
export type ReconcilerThroughputOptions = {
  verifications?: number
  rounds?: number
  pgliteVerifications?: number
}

const concurrency = 4

/** Runs `work` over `items`, `concurrency` at a time. */
async function pool<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

async function seed(store: KycStore, created: readonly Verification[]): Promise<void> {
  for (let index = 0; index < created.length; index += 100) {
    await store.transaction(async (transaction) => {
      for (const verification of created.slice(index, index + 100))
        await transaction.applyVerification(verification)
    })
  }
}

/**
 * Reconciler throughput: stale verifications re-read and applied through the webhook path (claim,
 * forward-only apply, audit entry, commit) per second, against the same re-reads made directly with
 * `adapter.getVerification`, `concurrency` at a time both, from the same in-process Persona simulator.
 * The ratio is the reconciler's cost over the reads it cannot avoid.
 */
export async function runReconcilerThroughput(
  options: ReconcilerThroughputOptions = {},
): Promise<BenchmarkResult> {
  const started = performance.now()
  const count = options.verifications ?? 150
  const rounds = options.rounds ?? 3
  const pgliteCount = options.pgliteVerifications ?? 100
  const simulator = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const adapter = createBenchPersona(
    { fetch: simulator.fetch, now: () => simulator.clock.now() },
    { rateLimit: false, handoff: 'hosted-url' },
  )
  const created: Verification[] = []
  for (let index = 0; index < count; index += 1) {
    const scenario = scenarios[index % scenarios.length]!
    const { verification } = await adapter.createVerification({ subjectReference: `bench-${index}` })
    await simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
      applicant: scenario.applicant,
    })
    created.push(verification)
  }

  const ratios: number[] = []
  const subjectRates: number[] = []
  const baselineRates: number[] = []
  for (let round = 0; round < rounds + 1; round += 1) {
    const store = createMemoryStore({ maxEntries: count * 2 })
    await seed(store as KycStore, created)
    const reconciler = createReconciler({
      store,
      adapters: [adapter],
      staleAfterMs: 0,
      maxPerRun: count,
      concurrency,
    })
    const timeReconciler = async () => {
      const at = performance.now()
      const summary = await reconciler.run()
      if (summary.moved !== count) throw new Error(`the reconciler moved ${summary.moved} of ${count}`)
      return count / ((performance.now() - at) / 1000)
    }
    const timeReads = async () => {
      const at = performance.now()
      await pool(created, (verification) => adapter.getVerification({ reference: verification.reference }))
      return count / ((performance.now() - at) / 1000)
    }
    // Alternate which side goes first; the first round warms up and is not kept.
    let subject: number
    let baseline: number
    if (round % 2 === 0) {
      subject = await timeReconciler()
      baseline = await timeReads()
    } else {
      baseline = await timeReads()
      subject = await timeReconciler()
    }
    if (round === 0) continue
    subjectRates.push(subject)
    baselineRates.push(baseline)
    ratios.push(subject / baseline)
  }

  // One round on PGlite: the same run, through @openkyc/postgres.
  const pglite = await openPostgresStore()
  const pgliteCreated = created.slice(0, pgliteCount)
  await seed(pglite as unknown as KycStore, pgliteCreated)
  const pgliteReconciler = createReconciler({
    store: pglite,
    adapters: [adapter],
    staleAfterMs: 0,
    maxPerRun: pgliteCount,
    concurrency,
  })
  let at = performance.now()
  const pgliteSummary = await pgliteReconciler.run()
  const pgliteRate = pgliteCount / ((performance.now() - at) / 1000)
  at = performance.now()
  await pool(pgliteCreated, (verification) => adapter.getVerification({ reference: verification.reference }))
  const pgliteBaseline = pgliteCount / ((performance.now() - at) / 1000)
  await pglite.close()
  if (pgliteSummary.moved !== pgliteCount) throw new Error('the PGlite run did not move every verification')

  const ratio = summarize(ratios)
  return {
    id: 'reconciler-throughput',
    title: 'Reconciler: stale verifications re-read and applied per second vs. the direct adapter reads',
    baseline: `the same ${count} getVerification calls made directly, ${concurrency} at a time, against the same in-process Persona simulator`,
    figures: [
      {
        name: 'memory store: reconciler',
        value: summarize(subjectRates).median,
        unit: 'items/s',
        baseline: summarize(baselineRates).median,
        ratio: ratio.median,
      },
      {
        name: 'PGlite (one round): reconciler',
        value: pgliteRate,
        unit: 'items/s',
        baseline: pgliteBaseline,
        ratio: pgliteRate / pgliteBaseline,
      },
    ],
    notes: [
      `${count} stale verifications (every catalogue scenario, resolved at the simulator, stored as created), ${rounds} measured rounds after one warm-up, sides alternating first; ratio = median of per-round ratios. PGlite: ${pgliteCount} verifications, one round.`,
      'Each reconciled item: one getVerification, one committed-state read, an inbox claim, and one transaction (forward-only apply, audit entry, claim completion).',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
