import { createKyc } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describe, expect, it } from 'vitest'
import { describeShares, realSplit, splitShares } from '../src/benchmarks/routing-overhead.js'
import { createBenchPersona } from '../src/providers.js'

/**
 * The routing-overhead row's routed side must be a real split, as deployments use (not a degenerate one with one
 * provider holding every new subject, which would let any router shortcut for that case flatter the row): the row's
 * split sends new subjects to both adapters, about 70/30, and `splitShares` reads that back from the store's split
 * assignments.
 */
describe('routing-overhead: the routed side splits', () => {
  it('realSplit sends new subjects to both providers, about 70/30, as splitShares reads back', async () => {
    const persona = createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      webhook: { enabledEvents: [] },
    })
    const context = { fetch: persona.fetch, now: () => persona.clock.now() }
    const settings = { handoff: 'hosted-url', rateLimit: false } as const
    const client = createKyc({
      adapters: {
        persona: createBenchPersona(context, settings),
        spare: createBenchPersona(context, settings),
      },
      env: {},
      routing: { split: { weights: realSplit('persona', 'spare') } },
    })
    expect(realSplit('persona', 'spare')).toEqual({ persona: 70, spare: 30 })
    const references = Array.from({ length: 300 }, (_, index) => `routed-${index}`)
    for (const subjectReference of references)
      await client.createVerification({ subjectReference, country: 'DE' })

    const shares = await splitShares(client.store.keyValue, references)
    expect(Object.keys(shares).sort()).toEqual(['persona', 'spare'])
    expect((shares.persona ?? 0) + (shares.spare ?? 0)).toBe(references.length)
    expect((shares.persona ?? 0) / references.length).toBeGreaterThan(0.6)
    expect((shares.persona ?? 0) / references.length).toBeLessThan(0.8)
    expect(await splitShares(client.store.keyValue, ['never-created'])).toEqual({ '(none)': 1 })
  })

  it('describeShares gives the shares of the assignments still held, and says so when none is held', () => {
    expect(describeShares({ persona: 7, spare: 3, '(none)': 10 })).toBe(
      'persona 70.0 %, spare 30.0 % (of the 10 of 20 assignments still held)',
    )
    expect(describeShares({ '(none)': 5 })).toBe('(no assignment still held, of 5)')
    expect(describeShares({})).toBe('(no assignment still held, of 0)')
  })
})
