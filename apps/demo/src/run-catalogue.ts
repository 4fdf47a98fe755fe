import { performance } from 'node:perf_hooks'
import { type CreateVerificationOptions, isKycError } from '@openkyc/core'
import type { Scenario } from '@openkyc/testkit/catalogue'
import type { DemoState } from './demo-state.js'
import type { ProviderName } from './provider-name.js'
import type { ProviderRuntime } from './provider-runtime.js'

/**
 * A failure as the demo shows it: a `KycError`'s message (written to carry no personal data or
 * secrets), or only the name of anything else, whose message we cannot vouch for.
 */
export function describeFailure(error: unknown): string {
  if (isKycError(error)) return error.message
  if (error instanceof Error) return `unexpected ${error.name}`
  return 'unexpected failure'
}

/** Times one async call, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await work()
  return { value, ms: performance.now() - started }
}

/** The row id of a catalogue scenario. */
export function catalogueRowId(scenario: Pick<Scenario, 'id'>): string {
  return `catalogue:${scenario.id}`
}

/**
 * What an application passes when it starts a verification for a catalogue applicant: its own
 * user id, the document country, and the applicant's names for the providers' consistency checks.
 */
export function createOptionsFor(
  scenario: Scenario,
  subjectReference: string,
  redirectUrl?: string,
): CreateVerificationOptions {
  const { applicant } = scenario
  return {
    subjectReference,
    country: applicant.issuingCountry,
    prefill: {
      firstName: applicant.firstName,
      lastName: applicant.lastName,
      dateOfBirth: applicant.dateOfBirth,
    },
    ...(redirectUrl === undefined ? {} : { redirectUrl }),
  }
}

/** One step of a catalogue run, for progress bars. */
export type CatalogueProgress = {
  provider: ProviderName
  scenario: Scenario
  completed: number
  total: number
}

/** Options for {@link runCatalogue}. */
export type RunCatalogueOptions = {
  runtimes: readonly ProviderRuntime[]
  scenarios: readonly Scenario[]
  state: DemoState
  /** Makes subject references unique per run (providers link returning subjects). */
  runId: string
  /** Called after each scenario finished at a provider. */
  onProgress?: (progress: CatalogueProgress) => void
}

async function runOne(runtime: ProviderRuntime, scenario: Scenario, options: RunCatalogueOptions) {
  const rowId = catalogueRowId(scenario)
  const { state } = options
  let created: Awaited<ReturnType<ProviderRuntime['client']['createVerification']>>
  try {
    const creation = await timed(() =>
      runtime.client.createVerification(createOptionsFor(scenario, `demo-${scenario.id}-${options.runId}`)),
    )
    created = creation.value
    state.track(runtime.name, created.verification.id, rowId)
    state.record(rowId, runtime.name, {
      verification: created.verification,
      timings: { createMs: creation.ms, readMs: 0 },
    })
  } catch (error) {
    state.record(rowId, runtime.name, { error: describeFailure(error) })
    return
  }
  const { reference } = created.verification
  try {
    await runtime.realiseScenario({ reference, scenario })
    const read = await timed(() => runtime.client.getVerification({ reference }))
    state.record(rowId, runtime.name, { verification: read.value, timings: { readMs: read.ms } })
  } catch (error) {
    state.record(rowId, runtime.name, { error: describeFailure(error) })
  }
}

/**
 * Runs every scenario through every provider and records the results in `state`. One call at a
 * time, scenario by scenario: the simulators share this process, so running providers side by side
 * would charge one provider's latency with the other's work (and the vendors' rate limits are
 * respected either way). A failure at one provider is recorded on its row, never thrown: the
 * comparison shows it.
 *
 * @example
 * ```ts
 * await runCatalogue({ runtimes, scenarios, state, runId: '1', onProgress: ({ completed }) => bar.update(completed) })
 * ```
 */
export async function runCatalogue(options: RunCatalogueOptions): Promise<void> {
  const { runtimes, scenarios, state } = options
  for (const scenario of scenarios) {
    state.addRow({ id: catalogueRowId(scenario), source: 'catalogue', scenario })
  }
  const total = runtimes.length * scenarios.length
  let completed = 0
  for (const scenario of scenarios) {
    for (const runtime of runtimes) {
      await runOne(runtime, scenario, options)
      completed += 1
      options.onProgress?.({ provider: runtime.name, scenario, completed, total })
    }
  }
}
