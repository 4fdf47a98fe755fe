import {
  createMemoryStore,
  type KycAdapter,
  KycProviderUnavailableError,
  kycCapabilities,
  type Verification,
} from '@openkyc/core'
import type { RateLimiter } from '@openkyc/core/http'
import { describe, expect, it } from 'vitest'
import { createReconciler } from '../src/index.js'

const lastName = 'Quarterbridge'

function state(id: string, overrides: Partial<Verification> = {}): Verification {
  return {
    id,
    provider: 'fake',
    reference: { verificationId: id },
    subjectReference: `subject-${id}`,
    status: 'in_progress',
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: '2025-06-01T08:00:00.000Z',
    raw: { status: 'started' },
    ...overrides,
  }
}

/** A provider whose truth the test sets; reads of ids in `failing` fail as the provider being down. */
function fakeProvider(provider = 'fake') {
  const truth = new Map<string, Verification>()
  const failing = new Set<string>()
  const reads: string[] = []
  const notUsed = () => Promise.reject(new Error('not used'))
  const adapter: KycAdapter = {
    specificationVersion: 'v1',
    provider,
    capabilities: Object.fromEntries(kycCapabilities.map((capability) => [capability, false])) as never,
    createVerification: notUsed,
    parseWebhook: notUsed,
    async getVerification({ reference }) {
      const id = String(reference.verificationId)
      reads.push(id)
      if (failing.has(id)) {
        throw new KycProviderUnavailableError({
          provider,
          message: `${provider} answered 503 for ${lastName}`,
        })
      }
      const found = truth.get(id)
      if (found === undefined) throw new Error('unknown id')
      return { ...found, identity: { lastName } }
    },
  }
  return { adapter, truth, failing, reads }
}

async function seed(store: ReturnType<typeof createMemoryStore>, states: Verification[]) {
  await store.transaction(async (transaction) => {
    for (const verification of states) await transaction.applyVerification(verification)
  })
}

describe('reconciler runs', () => {
  it('are bounded by maxPerRun and fair: the next run continues where the last stopped, then starts over', async () => {
    const store = createMemoryStore()
    const provider = fakeProvider()
    const ids = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']
    await seed(
      store,
      ids.map((id) => state(id)),
    )
    for (const id of ids) provider.truth.set(id, state(id))
    const reconciler = createReconciler({
      store,
      adapters: [provider.adapter],
      staleAfterMs: 0,
      maxPerRun: 3,
      concurrency: 1,
    })
    const runs: string[][] = []
    for (let run = 0; run < 4; run += 1) {
      provider.reads.length = 0
      const summary = await reconciler.run()
      expect(summary.stale).toBe(summary.providers.fake?.stale)
      runs.push([...provider.reads])
    }
    expect(runs).toEqual([
      ['v1', 'v2', 'v3'],
      ['v4', 'v5', 'v6'],
      ['v7', 'v1', 'v2'],
      ['v3', 'v4', 'v5'],
    ])
  })

  it('leaves alone what moved recently, what ended, and what is redacted', async () => {
    let now = Date.parse('2025-06-01T12:00:00.000Z')
    const store = createMemoryStore({ now: () => now })
    const provider = fakeProvider()
    await seed(store, [
      state('old'),
      state('done', {
        status: 'completed',
        decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
      }),
      state('redacted', { redactedAt: '2025-06-01T09:00:00.000Z' }),
      state('review', {
        status: 'completed',
        decision: { outcome: 'review', reasons: [], decidedBy: 'provider', raw: { status: 'needs_review' } },
      }),
    ])
    now += 20 * 60_000
    await seed(store, [state('fresh')])
    for (const id of ['old', 'fresh', 'review']) provider.truth.set(id, state(id))
    const reconciler = createReconciler({ store, adapters: [provider.adapter], staleAfterMs: 15 * 60_000 })
    const summary = await reconciler.run()
    // Unended first, then decisions pending a person.
    expect(provider.reads).toEqual(['old', 'review'])
    expect(summary).toMatchObject({ stale: 2, moved: 0, failed: 0, skipped: 0 })
  })

  it('applies what it reads through the webhook path, counts moves and failures, and throws for neither', async () => {
    const store = createMemoryStore()
    const provider = fakeProvider()
    const other = fakeProvider('elsewhere')
    await seed(store, [state('a'), state('b'), state('c'), { ...state('x'), provider: 'unknown' }])
    provider.truth.set(
      'a',
      state('a', {
        status: 'completed',
        decision: {
          outcome: 'declined',
          reasons: [{ code: 'face_mismatch' }],
          decidedBy: 'provider',
          raw: { status: 'declined' },
        },
        updatedAt: '2025-06-01T09:00:00.000Z',
        completedAt: '2025-06-01T09:00:00.000Z',
      }),
    )
    provider.truth.set('b', state('b'))
    provider.failing.add('c')
    const handled: string[] = []
    const logged: string[] = []
    const acquired: string[] = []
    const limiterOf = (name: string): RateLimiter => ({
      async acquire() {
        acquired.push(name)
      },
    })
    const reconciler = createReconciler({
      store,
      adapters: [provider.adapter, other.adapter],
      onEvent: ({ verification, changed }) => {
        if (changed) handled.push(`${verification?.id}:${verification?.status}`)
      },
      logger: { warn: (message, fields) => logged.push(JSON.stringify([message, fields])) },
      rateLimits: { fake: limiterOf('fake'), elsewhere: limiterOf('elsewhere') },
      staleAfterMs: 0,
    })
    const summary = await reconciler.run()
    expect(summary).toEqual({
      stale: 3,
      moved: 1,
      changed: 1,
      failed: 1,
      skipped: 1,
      providers: { fake: { stale: 3, moved: 1, changed: 1, failed: 1 } },
      failures: [{ provider: 'fake', verificationId: 'c', error: 'provider_unavailable' }],
    })
    expect(handled).toEqual(['a:completed'])
    expect(acquired).toEqual(['fake', 'fake', 'fake'])
    const audit: string[] = []
    for await (const entry of store.audit.read()) audit.push(`${entry.verificationId}:${entry.action}`)
    expect(audit).toEqual(['a:state_changed'])
    // The read's identity is not kept, and no personal data reaches the summary or the log.
    expect((await store.verifications.get({ provider: 'fake', id: 'a' }))?.identity).toBeUndefined()
    expect(JSON.stringify([summary, logged])).not.toContain(lastName)
    expect(logged).toHaveLength(1)
  })

  it('refuses settings that make no sense, naming the setting', () => {
    const store = createMemoryStore()
    for (const settings of [{ maxPerRun: 0 }, { concurrency: 1.5 }, { staleAfterMs: -1 }]) {
      expect(() => createReconciler({ store, adapters: [], ...settings })).toThrow(
        new RegExp(Object.keys(settings)[0]!),
      )
    }
    const { adapter } = fakeProvider()
    expect(() => createReconciler({ store, adapters: [adapter, adapter] })).toThrow(/two adapters/)
  })
})
