import { KycProviderUnavailableError } from '@openkyc/core'
import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { describe, expect, it } from 'vitest'
import { capabilityMatrix } from '../src/comparison.js'
import { createDemoState, type DemoChange } from '../src/demo-state.js'
import { type CatalogueProgress, describeFailure, runCatalogue } from '../src/run-catalogue.js'
import { createFakeRuntime } from './support/fake-runtime.js'

function stateFor(runtimes: ReturnType<typeof createFakeRuntime>[]) {
  return createDemoState({
    providers: runtimes.map((runtime) => ({
      provider: runtime.name,
      mode: runtime.mode,
      description: runtime.description,
    })),
    capabilities: capabilityMatrix(
      runtimes.map((runtime) => ({ provider: runtime.name, capabilities: runtime.adapter.capabilities })),
    ),
  })
}

describe('runCatalogue', () => {
  it('creates, plays and reads every scenario at every provider, with progress', async () => {
    const jumio = createFakeRuntime({ name: 'jumio' })
    const persona = createFakeRuntime({ name: 'persona' })
    const state = stateFor([jumio, persona])
    const progress: CatalogueProgress[] = []
    await runCatalogue({
      runtimes: [jumio, persona],
      scenarios,
      state,
      runId: 'run1',
      onProgress: (step) => progress.push(step),
    })

    const snapshot = state.snapshot()
    expect(snapshot.rows.map((row) => row.id)).toEqual(
      scenarios.map((scenario) => `catalogue:${scenario.id}`),
    )
    for (const row of snapshot.rows) {
      expect(row.results.jumio?.expectationMismatches, row.id).toEqual([])
      expect(row.results.persona?.expectationMismatches, row.id).toEqual([])
      expect(row.comparison.outcomeAgrees, row.id).toBe(true)
    }
    expect(snapshot.agreement).toMatchObject({
      agreed: scenarios.length,
      compared: scenarios.length,
      rate: 1,
    })
    expect(progress.map((step) => step.completed)).toEqual(
      Array.from({ length: scenarios.length * 2 }, (_, index) => index + 1),
    )
    expect(new Set(progress.map((step) => step.total))).toEqual(new Set([scenarios.length * 2]))

    const creates = jumio.adapter.calls.filter((call) => call.method === 'createVerification')
    expect(creates).toHaveLength(scenarios.length)
    expect(creates[0]?.options).toMatchObject({
      subjectReference: 'demo-clean_approve-run1',
      country: 'DE',
      prefill: { lastName: 'Testperson-Approve' },
    })
    // Each verification is read once, after the scenario was played.
    expect(jumio.adapter.calls.filter((call) => call.method === 'getVerification')).toHaveLength(
      scenarios.length,
    )
  })

  it('records disagreement and failures on the rows instead of throwing', async () => {
    const jumio = createFakeRuntime({
      name: 'jumio',
      decide: (scenario) =>
        scenario.id === 'watchlist_hit'
          ? {
              decision: {
                outcome: 'declined',
                reasons: [{ code: 'watchlist_hit' }],
                decidedBy: 'provider',
                raw: { status: 'REJECTED' },
              },
            }
          : {},
    })
    const persona = createFakeRuntime({
      name: 'persona',
      createError: new KycProviderUnavailableError({
        provider: 'persona',
        message: 'The persona API answered 503.',
      }),
    })
    const state = stateFor([jumio, persona])
    await runCatalogue({
      runtimes: [jumio, persona],
      scenarios: [scenarioById('watchlist_hit')],
      state,
      runId: 'x',
    })
    const [row] = state.snapshot().rows
    expect(row?.results.jumio?.expectationMismatches).toEqual(['outcome declined, expected review'])
    expect(row?.results.persona).toMatchObject({ status: null, error: 'The persona API answered 503.' })
    expect(row?.comparison.outcomeAgrees).toBeNull()
  })

  it('tells subscribers about every step', async () => {
    const jumio = createFakeRuntime({ name: 'jumio' })
    const state = stateFor([jumio])
    const changes: DemoChange[] = []
    state.subscribe((change) => changes.push(change))
    await runCatalogue({ runtimes: [jumio], scenarios: [scenarioById('clean_approve')], state, runId: 'x' })
    // Row added, verification created, verification read.
    expect(changes.map((change) => change.row.results.jumio?.status ?? 'none')).toEqual([
      'none',
      'created',
      'completed',
    ])
    expect(changes.at(-1)?.latency[0]?.count).toBe(1)
  })
})

describe('describeFailure', () => {
  it('keeps KycError messages and hides the messages of anything else', () => {
    expect(
      describeFailure(new KycProviderUnavailableError({ provider: 'jumio', message: 'Jumio is down.' })),
    ).toBe('Jumio is down.')
    expect(describeFailure(new TypeError('name Quillonda not allowed'))).toBe('unexpected TypeError')
    expect(describeFailure('nope')).toBe('unexpected failure')
  })
})
