import { createKyc } from '@openkyc/core'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { compareInterleaved, type InterleavedResult } from '../measure.js'
import { createBenchJumio, createBenchPersona, jumioEvidenceFor } from '../providers.js'
import type { BenchmarkResult, Figure } from '../report.js'

/** How many rounds are timed; the defaults keep the benchmark to a few seconds on 2 cores. */
export type RoutingOverheadOptions = { rounds?: number; warmupRounds?: number; batch?: number }

const goalRatio = 1.05

function figures(name: string, result: InterleavedResult): Figure[] {
  return [
    {
      name: `${name}: routed client ÷ adapter called directly (median of rounds)`,
      value: result.ratio.median,
      unit: 'ratio',
      ratio: result.ratio.median,
      goal: `≤ ${goalRatio.toFixed(2)}`,
      met: result.ratio.median <= goalRatio,
    },
    {
      name: `${name}: time routing adds per call (median)`,
      value: result.subjectMs.median - result.baselineMs.median,
      unit: 'ms',
      baseline: result.baselineMs.median,
    },
  ]
}

/**
 * Routing overhead: the same calls through a routed `createKyc` client (rules checked, sticky split
 * read and written in the store, coverage, the verification and a routing audit entry stored in one
 * transaction of the default memory store) and through the same adapter called directly, against
 * one in-process simulator, in alternating batches.
 */
export async function runRoutingOverhead(options: RoutingOverheadOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rounds = options.rounds ?? 20
  const warmupRounds = options.warmupRounds ?? 4
  const batch = options.batch ?? 10

  // Persona, hosted channel: one create (one POST) per call.
  const persona = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const personaContext = { fetch: persona.fetch, now: () => persona.clock.now() }
  const personaSettings = { handoff: 'hosted-url', rateLimit: false } as const
  const personaDirect = createBenchPersona(personaContext, personaSettings)
  const personaRouted = createKyc({
    adapters: {
      persona: createBenchPersona(personaContext, personaSettings),
      spare: createBenchPersona(personaContext, personaSettings),
    },
    env: {},
    routing: {
      coverage: { persona: { countries: ['DE', 'FR', 'GB'] } },
      rules: [{ name: 'brazil', when: { countries: ['BR'] }, providers: ['spare'] }],
      split: { weights: { persona: 100, spare: 0 } },
      fallback: ['spare'],
    },
  })
  const personaPlain = createKyc({
    adapters: { persona: createBenchPersona(personaContext, personaSettings) },
    env: {},
  })
  const personaResult = await compareInterleaved({
    subject: (index) =>
      personaRouted.createVerification({ subjectReference: `routed-${index}`, country: 'DE' }),
    baseline: (index) =>
      personaDirect.createVerification({ subjectReference: `direct-${index}`, country: 'DE' }),
    rounds,
    warmupRounds,
    batch,
  })
  // Context: the same routed calls against createKyc without routing, which isolates routing's own
  // cost from createKyc's capability enforcement and telemetry wrapper.
  const personaPlainResult = await compareInterleaved({
    subject: (index) =>
      personaRouted.createVerification({ subjectReference: `routed-again-${index}`, country: 'DE' }),
    baseline: (index) =>
      personaPlain.createVerification({ subjectReference: `plain-${index}`, country: 'DE' }),
    rounds,
    warmupRounds,
    batch,
  })

  // Jumio, API channel: create, two uploads, submit (token, account, two uploads, finalize, retrieval).
  const jumio = createJumioSimulator({ rateLimits: false })
  const evidence = jumioEvidenceFor(scenarioById('clean_approve'))
  const jumioContext = { fetch: jumio.fetch, now: () => jumio.clock.now() }
  const jumioDirect = createBenchJumio(jumioContext)
  const jumioRouted = createKyc({
    adapters: { jumio: createBenchJumio(jumioContext), spare: createBenchJumio(jumioContext) },
    env: {},
    routing: { split: { weights: { jumio: 100, spare: 0 } }, fallback: ['spare'] },
  })
  const jumioFlow = async (client: typeof jumioDirect | typeof jumioRouted, subjectReference: string) => {
    const { verification } = await client.createVerification({ subjectReference, channel: 'api' })
    const { reference } = verification
    const upload = { reference, contentType: 'image/jpeg' } as const
    await client.uploadCredential({ ...upload, kind: 'id_document', part: 'front', content: evidence.front })
    await client.uploadCredential({ ...upload, kind: 'selfie', part: 'face', content: evidence.selfie })
    const submitted = await client.submitVerification({ reference })
    if (submitted.decision?.outcome !== 'approved') throw new Error('the Jumio flow did not end approved')
  }
  const jumioResult = await compareInterleaved({
    subject: (index) => jumioFlow(jumioRouted, `routed-${index}`),
    baseline: (index) => jumioFlow(jumioDirect, `direct-${index}`),
    rounds,
    warmupRounds,
    batch,
  })
  jumio.shutdown()

  return {
    id: 'routing-overhead',
    title: 'Routing overhead: createKyc with routing vs. the adapter called directly',
    baseline: 'the same adapter, configured alike, called directly against the same in-process simulator',
    figures: [
      ...figures('persona createVerification (hosted)', personaResult),
      {
        name: 'persona createVerification (hosted): routed client ÷ createKyc without routing (context)',
        value: personaPlainResult.ratio.median,
        unit: 'ratio',
        ratio: personaPlainResult.ratio.median,
      },
      ...figures('jumio API-channel flow (create, 2 uploads, submit)', jumioResult),
    ],
    notes: [
      `${rounds} measured rounds (after ${warmupRounds} warm-up rounds) of ${batch} calls per side, sides alternating first; ratio = median of the per-round ratios.`,
      'The routed client checks a rule, reads and writes the sticky split assignment, checks coverage, and stores the verification and a routing audit entry (SHA-256 chained) in one memory-store transaction per create.',
      'Both sides go through the same simulator; the routed side also pays createKyc capability enforcement and the no-op telemetry wrapper, which the context row (routed ÷ createKyc without routing) leaves out.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
