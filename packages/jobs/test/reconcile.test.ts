import {
  createWebhookPipeline,
  type KycStore,
  type ProcessedWebhookEvent,
  type Verification,
  verificationProgressKey,
  type WebhookEventHandler,
} from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { createReconciler, type ReconcileSummary } from '../src/index.js'
import { testDatabases } from './databases.js'
import { createFor, personaPair } from './providers.js'
import { useTestStores } from './stores.js'
import { installTelemetry } from './telemetry.js'

const telemetry = installTelemetry()

/** The handler's calls that carried a change, per verification: `status/outcome` of the state it moved to. */
function recordChanges() {
  const changes = new Map<string, string[]>()
  const onEvent: WebhookEventHandler<never> = (processed: ProcessedWebhookEvent) => {
    if (!processed.changed || processed.verification === undefined) return
    const { id, status, decision } = processed.verification
    changes.set(id, [...(changes.get(id) ?? []), `${status}/${decision?.outcome ?? '-'}`])
  }
  return { changes, onEvent }
}

/** Creates `count` Persona verifications through the catalogue, records each as the application does, and resolves them. */
async function seed(
  store: KycStore<never>,
  pair: ReturnType<typeof personaPair>,
  count: number,
  onEvent: WebhookEventHandler<never>,
  options: { expireAbandons: boolean; recordInBatches: boolean },
): Promise<Verification[]> {
  const recorder = createWebhookPipeline({ adapter: pair.adapter, store, onEvent })
  recorder.close()
  const created: Verification[] = []
  for (let index = 0; index < count; index += 1) {
    const scenario = scenarios[index % scenarios.length]!
    created.push(await createFor(pair.adapter, `subject-${index}`, scenario))
  }
  if (options.recordInBatches) {
    // Faster on PGlite: a hundred new verifications per transaction, no handler (it sees only the reconciler's changes).
    for (let index = 0; index < created.length; index += 100) {
      await store.transaction(async (transaction) => {
        for (const verification of created.slice(index, index + 100))
          await transaction.applyVerification(verification)
      })
    }
  } else {
    for (const verification of created) await recorder.applyVerification(verification)
  }
  for (const [index, verification] of created.entries()) {
    const scenario = scenarios[index % scenarios.length]!
    await pair.simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
      applicant: scenario.applicant,
    })
  }
  // The applicants who abandon: the simulator's clock passes their inquiries' expiry. (Not with
  // webhooks on: deliveries signed a day earlier would be refused as replays.)
  if (options.expireAbandons) await pair.simulator.advanceTime(86_400_000 + 60_000)
  await pair.simulator.persona.webhooksIdle()
  return created
}

async function expectCaughtUp(
  store: KycStore<never>,
  pair: ReturnType<typeof personaPair>,
  created: Verification[],
) {
  let behind = 0
  for (const verification of created) {
    const truth = await pair.adapter.getVerification({ reference: verification.reference })
    const stored = await store.verifications.get({ provider: 'persona', id: verification.id })
    if (stored === undefined || verificationProgressKey(stored) !== verificationProgressKey(truth))
      behind += 1
  }
  expect(behind).toBe(0)
}

describe.each(testDatabases())('the reconciler on $name', (target) => {
  const stores = useTestStores(target)

  it('with webhooks switched off, every verification of a 1,000-item run reaches its final state within the bound (ceil(1,000 / maxPerRun) runs)', async () => {
    const store = await stores.open()
    const pair = personaPair({ webhooks: false })
    const { changes, onEvent } = recordChanges()
    const created = await seed(store, pair, 1_000, onEvent, { expireAbandons: true, recordInBatches: true })
    expect(pair.simulator.persona.webhooks.captured()).toHaveLength(0)

    const maxPerRun = 250
    const reconciler = createReconciler({
      store,
      adapters: [pair.adapter],
      onEvent,
      staleAfterMs: 0,
      maxPerRun,
    })
    const summaries: ReconcileSummary[] = []
    for (let run = 0; run < Math.ceil(1_000 / maxPerRun); run += 1) summaries.push(await reconciler.run())
    await expectCaughtUp(store, pair, created)

    expect(summaries.map((summary) => summary.stale)).toEqual([250, 250, 250, 250])
    expect(summaries.reduce((total, summary) => total + summary.moved, 0)).toBe(1_000)
    expect(summaries.every((summary) => summary.failed === 0 && summary.skipped === 0)).toBe(true)
    // The handler saw each verification's one real change once.
    expect([...changes.values()].every((seen) => seen.length === 1 && seen[0] !== 'created/-')).toBe(true)
    expect(changes.size).toBe(1_000)
    // Nothing left to do but the reviews still pending a person (re-read, never moved).
    const next = await reconciler.run()
    expect(next.moved).toBe(0)
    const pending = created.filter((_, index) =>
      ['repeated_face', 'watchlist_hit'].includes(scenarios[index % scenarios.length]!.id),
    ).length
    expect(next.stale).toBe(pending)
    // The counts are also metrics.
    const stale = await telemetry.points('openkyc.reconciler.stale')
    const moved = await telemetry.points('openkyc.reconciler.moved')
    expect(stale.some((point) => point.attributes['openkyc.provider'] === 'persona')).toBe(true)
    expect(moved.reduce((total, point) => total + point.value, 0)).toBeGreaterThanOrEqual(1_000)
  }, 900_000)

  it('with webhooks on, the reconciler and the webhooks racing run the handler exactly once per change', async () => {
    const store = await stores.open()
    const pair = personaPair({ webhooks: true })
    const { changes, onEvent } = recordChanges()
    const created = await seed(store, pair, 60, onEvent, { expireAbandons: false, recordInBatches: false })
    const deliveries = pair.simulator.persona.webhooks.captured()
    expect(deliveries.length).toBeGreaterThan(60)

    const pipeline = createWebhookPipeline({ adapter: pair.adapter, store, onEvent })
    const reconciler = createReconciler({
      store,
      adapters: [pair.adapter],
      onEvent,
      staleAfterMs: 0,
      maxPerRun: 20,
    })
    const deliver = (delivery: (typeof deliveries)[number]) =>
      pipeline.handle({ rawBody: delivery.rawBody, headers: delivery.headers })
    // Every delivery twice (at-least-once), in a shuffled order, while reconciler runs go on.
    const order = [...deliveries, ...deliveries].sort(() => Math.random() - 0.5)
    const reconciling = (async () => {
      const summaries: ReconcileSummary[] = []
      for (let run = 0; run < 6; run += 1) summaries.push(await reconciler.run())
      return summaries
    })()
    const chunks: (typeof order)[] = []
    for (let index = 0; index < order.length; index += 8) chunks.push(order.slice(index, index + 8))
    for (const chunk of chunks) await Promise.all(chunk.map(deliver))
    const summaries = await reconciling
    for (let run = 0; run < 4; run += 1) summaries.push(await reconciler.run())
    await expectCaughtUp(store, pair, created)

    expect(summaries.reduce((total, summary) => total + summary.failed, 0)).toBe(0)
    for (const verification of created) {
      const seen = changes.get(verification.id) ?? []
      // No state was handed to the handler as a change twice, and the final one was handed over once.
      expect(new Set(seen).size).toBe(seen.length)
      const final = await store.verifications.get({ provider: 'persona', id: verification.id })
      expect(
        seen.filter((state) => state === `${final?.status}/${final?.decision?.outcome ?? '-'}`),
      ).toHaveLength(1)
    }
  })
})
