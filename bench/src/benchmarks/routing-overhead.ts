import { createKyc, type KycAdapter, type KycCapabilities, type Verification } from '@openkyc/core'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import {
  compareInterleaved,
  describeSpread,
  type InterleavedOptions,
  type InterleavedResult,
  processCpuMilliseconds,
} from '../measure.js'
import { createBenchJumio, createBenchPersona, jumioEvidenceFor } from '../providers.js'
import type { BenchmarkResult, Figure } from '../report.js'

/**
 * How many rounds are timed: `rounds` short blocks per side (default 400 blocks of 5 Persona calls,
 * and half as many blocks of 2 Jumio flows), after `warmupRounds` (default 20). Many short
 * alternating blocks rather than a few long ones: a collection of the whole heap, or another
 * process evicting this one's caches, then spoils a few blocks instead of moving a few long ones, and
 * the median of each side over hundreds of blocks does not see them.
 */
export type RoutingOverheadOptions = { rounds?: number; warmupRounds?: number; batch?: number }

/**
 * The goal statistic: the median CPU time per call of the routed side ÷ that of the direct side, each
 * over every measured block. The per-round ratios (their IQR in the notes) show the spread of single
 * blocks; the median of each side over hundreds of blocks is what holds still between runs.
 */
function ratioOfMedians(result: InterleavedResult): number {
  return result.subjectMs.median / result.baselineMs.median
}

const goalRatio = 1.05

/** The goal rows (CPU time) and the wall-clock context row of one comparison. */
function figures(name: string, cpu: InterleavedResult, wall: InterleavedResult): Figure[] {
  const ratio = ratioOfMedians(cpu)
  return [
    {
      name: `${name}: routed client ÷ adapter called directly, CPU time (ratio of the medians per call)`,
      value: ratio,
      unit: 'ratio',
      ratio,
      goal: `≤ ${goalRatio.toFixed(2)}`,
      met: ratio <= goalRatio,
    },
    {
      name: `${name}: CPU time routing adds per call (median)`,
      value: cpu.subjectMs.median - cpu.baselineMs.median,
      unit: 'ms',
      baseline: cpu.baselineMs.median,
    },
    {
      name: `${name}: routed client ÷ adapter called directly, wall time (context: moved by other processes' load)`,
      value: ratioOfMedians(wall),
      unit: 'ratio',
      ratio: ratioOfMedians(wall),
    },
  ]
}

/** Both clocks, one after the other, over the same pair of sides. */
async function compareOnBothClocks(options: InterleavedOptions) {
  const cpu = await compareInterleaved({ ...options, clock: processCpuMilliseconds })
  const wall = await compareInterleaved(options)
  return { cpu, wall }
}

const instantCapabilities: KycCapabilities = {
  upload: false,
  sessionLink: false,
  cancel: false,
  manualReview: false,
  deleteData: false,
  simulate: false,
  lists: false,
  cases: false,
}

/** An adapter that answers at once, without any request: what remains of a routed call is routing's own work. */
function createInstantAdapter(): KycAdapter {
  let count = 0
  const verificationFor = (subjectReference: string): Verification => {
    count += 1
    const id = `instant_${count}`
    return {
      id,
      provider: 'instant',
      reference: { id },
      subjectReference,
      status: 'created',
      checks: [],
      credentials: [],
      session: { url: `https://instant.test/flow/${id}` },
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
      raw: { status: 'created' },
    }
  }
  return {
    specificationVersion: 'v1',
    provider: 'instant',
    capabilities: instantCapabilities,
    createVerification: async (options) => ({ verification: verificationFor(options.subjectReference) }),
    getVerification: async () => verificationFor('unknown'),
    parseWebhook: async () => [],
  }
}

/**
 * Routing overhead: the same calls through a routed `createKyc` client (rules checked, sticky split
 * read from the store, coverage, the verification, a routing audit entry and a new subject's split
 * assignment stored in one transaction of the default memory store) and through the same adapter called directly, against
 * one in-process simulator, in alternating batches.
 */
export async function runRoutingOverhead(options: RoutingOverheadOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rounds = options.rounds ?? 400
  const warmupRounds = options.warmupRounds ?? 20
  const batch = options.batch ?? 5
  // A Jumio flow is 7 requests: fewer, shorter blocks keep its part as long as Persona's.
  const jumioRounds = Math.max(1, Math.round(rounds / 2))
  const jumioBatch = Math.max(1, Math.round(batch / 2))

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
  const personaResult = await compareOnBothClocks({
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
    clock: processCpuMilliseconds,
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
  const jumioResult = await compareOnBothClocks({
    subject: (index) => jumioFlow(jumioRouted, `routed-${index}`),
    baseline: (index) => jumioFlow(jumioDirect, `direct-${index}`),
    rounds: jumioRounds,
    warmupRounds,
    batch: jumioBatch,
  })
  jumio.shutdown()

  // Routing's own work, with nothing else in the call: the same routing settings as the Persona rows.
  const instantDirect = createInstantAdapter()
  const instantRouted = createKyc({
    adapters: { instant: createInstantAdapter(), spare: createInstantAdapter() },
    env: {},
    routing: {
      coverage: { instant: { countries: ['DE', 'FR', 'GB'] } },
      rules: [{ name: 'brazil', when: { countries: ['BR'] }, providers: ['spare'] }],
      split: { weights: { instant: 100, spare: 0 } },
      fallback: ['spare'],
    },
  })
  const instantResult = await compareInterleaved({
    subject: (index) =>
      instantRouted.createVerification({ subjectReference: `routed-${index}`, country: 'DE' }),
    baseline: (index) =>
      instantDirect.createVerification({ subjectReference: `direct-${index}`, country: 'DE' }),
    rounds: Math.max(1, Math.round(rounds / 4)),
    warmupRounds,
    batch: 100,
    clock: processCpuMilliseconds,
  })
  // The memory store hashes the audit chain when the log is first read: that deferred work, per entry.
  const hashStarted = processCpuMilliseconds()
  const head = await personaRouted.store.audit.head()
  const deferredHashMs = (processCpuMilliseconds() - hashStarted) / Math.max(1, head?.sequence ?? 0)

  return {
    id: 'routing-overhead',
    title: 'Routing overhead: createKyc with routing vs. the adapter called directly',
    baseline: 'the same adapter, configured alike, called directly against the same in-process simulator',
    figures: [
      ...figures('persona createVerification (hosted)', personaResult.cpu, personaResult.wall),
      {
        name: 'persona createVerification (hosted): routed client ÷ createKyc without routing, CPU time (context)',
        value: ratioOfMedians(personaPlainResult),
        unit: 'ratio',
        ratio: ratioOfMedians(personaPlainResult),
      },
      ...figures('jumio API-channel flow (create, 2 uploads, submit)', jumioResult.cpu, jumioResult.wall),
      {
        name: "routing's own CPU time per createVerification (an adapter that answers at once; baseline: that adapter called directly)",
        value: instantResult.subjectMs.median,
        unit: 'ms',
        baseline: instantResult.baselineMs.median,
      },
    ],
    notes: [
      `Spread of the per-round CPU ratios (median, IQR, extremes): Persona ${describeSpread(personaResult.cpu.ratio)}; Jumio ${describeSpread(jumioResult.cpu.ratio)}; Persona routed ÷ createKyc without routing ${describeSpread(personaPlainResult.ratio)}.`,
      `Total CPU time of every measured round, routed ÷ direct (every collection and outlier included): Persona ${personaResult.cpu.totalRatio.toFixed(3)}, Jumio ${jumioResult.cpu.totalRatio.toFixed(3)}.`,
      `Persona: ${rounds} measured rounds (after ${warmupRounds} warm-up rounds) of ${batch} calls per side; Jumio: ${jumioRounds} rounds of ${jumioBatch} flows; sides alternating which goes first; goal ratio = median CPU time per call of the routed side ÷ that of the direct side.`,
      `The audit chain's hashes are computed when the memory store's log is first read, not in the routed call: ${(deferredHashMs * 1000).toFixed(1)} µs of CPU per entry, paid by the first read after the run (${head?.sequence ?? 0} entries). A Postgres store computes them in the commit's statement.`,
      'Goal rows use this process’s CPU time (process.cpuUsage: user + system, all threads): the calls never wait (in-process simulators), and CPU time leaves out what other processes take on a loaded machine. The wall-time rows, measured right after over the same sides, are context.',
      'The routed client checks a rule, reads the sticky split assignment, checks coverage, and stores the verification (parsed once, kept as a copy), a routing audit entry (sent with the commit; SHA-256 chained when the log is read) and a new subject’s split assignment in one memory-store transaction per create.',
      'Both sides go through the same simulator; the routed side also pays createKyc capability enforcement and the no-op telemetry wrapper, which the context row (routed ÷ createKyc without routing) leaves out.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
