import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import type { SimulatorRequestRecord } from '@openkyc/testkit/harness'
import { runJumioFlowByHand, runPersonaFlowByHand } from '../baseline-clients.js'
import { compareInterleaved } from '../measure.js'
import { createBenchJumio, createBenchPersona, jumioEvidenceFor, personaSimulatorApi } from '../providers.js'
import type { BenchmarkResult, Figure } from '../report.js'

/** How many flows are timed; the defaults keep each provider to a few seconds on 2 cores. */
export type AdapterOverheadOptions = { rounds?: number; warmupRounds?: number; batch?: number }

const goalRatio = 1.1

/** A request log as `METHOD /path` with every identifier replaced, to compare two clients' requests. */
export function requestShape(requests: readonly SimulatorRequestRecord[]): string[] {
  return requests.map(
    (request) =>
      `${request.method} ${request.path
        .split('/')
        .map((segment) => (/^[0-9a-f-]{36}$/i.test(segment) || /^inq_/.test(segment) ? ':id' : segment))
        .join('/')}`,
  )
}

function ratioFigures(
  provider: string,
  result: Awaited<ReturnType<typeof compareInterleaved>>,
  requestsPerFlow: number,
): Figure[] {
  const addedPerRequest = (result.subjectMs.median - result.baselineMs.median) / requestsPerFlow
  return [
    {
      name: `${provider}: flow time, adapter ÷ bare fetch (median of rounds)`,
      value: result.ratio.median,
      unit: 'ratio',
      ratio: result.ratio.median,
      goal: `≤ ${goalRatio.toFixed(2)}`,
      met: result.ratio.median <= goalRatio,
    },
    {
      name: `${provider}: one flow through the adapter (median)`,
      value: result.subjectMs.median,
      unit: 'ms',
      baseline: result.baselineMs.median,
      ratio: result.subjectMs.median / result.baselineMs.median,
    },
    { name: `${provider}: time the adapter adds per request`, value: addedPerRequest, unit: 'ms' },
  ]
}

function latencyFigure(
  provider: string,
  latencyMs: number,
  result: Awaited<ReturnType<typeof compareInterleaved>>,
): Figure {
  return {
    name: `${provider}: flow time ratio with ${latencyMs} ms simulated latency per request (context)`,
    value: result.ratio.median,
    unit: 'ratio',
    ratio: result.ratio.median,
  }
}

/**
 * Benchmark 1: what the adapter adds on top of the requests themselves. The same flow runs through
 * the adapter and through a hand-written `fetch` client, against the same in-process simulator,
 * with the same request bodies, in alternating batches.
 */
export async function runAdapterOverhead(options: AdapterOverheadOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rounds = options.rounds ?? 30
  const warmupRounds = options.warmupRounds ?? 4
  const batch = options.batch ?? 10
  const notes: string[] = []
  const evidence = jumioEvidenceFor(scenarioById('clean_approve'))
  const latencyMs = 5
  const latencyRounds = { rounds: 6, warmupRounds: 1, batch: 4 }

  // Jumio: token, account, two uploads, finalize, retrieval. The adapter's clock moves two hours
  // per flow (the simulator's does not), so it fetches a fresh token every flow, like the baseline.
  const jumio = createJumioSimulator({ rateLimits: false })
  let adapterClockOffset = 0
  const jumioAdapter = createBenchJumio({
    fetch: jumio.fetch,
    now: () => jumio.clock.now() + adapterClockOffset,
  })
  const hosts = jumio.urls()
  const jumioThroughAdapter = async (index: number) => {
    adapterClockOffset += 2 * 3_600_000
    const { verification } = await jumioAdapter.createVerification({
      subjectReference: `overhead-adapter-${index}`,
      channel: 'api',
    })
    const { reference } = verification
    await jumioAdapter.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: evidence.front,
      contentType: 'image/jpeg',
    })
    await jumioAdapter.uploadCredential({
      reference,
      kind: 'selfie',
      part: 'face',
      content: evidence.selfie,
      contentType: 'image/jpeg',
    })
    const submitted = await jumioAdapter.submitVerification({ reference })
    if (submitted.decision?.outcome !== 'approved') throw new Error('the Jumio flow did not end approved')
  }
  const jumioByHand = (index: number) =>
    runJumioFlowByHand(jumio.fetch, hosts, evidence, `overhead-baseline-${index}`)

  const jumioShapes = await sameRequests(
    jumio,
    () => jumioThroughAdapter(-1),
    () => jumioByHand(-1),
  )
  notes.push(`Jumio requests per flow: ${jumioShapes.join(', ')} (identical for adapter and baseline).`)
  const jumioResult = await compareInterleaved({
    subject: jumioThroughAdapter,
    baseline: jumioByHand,
    rounds,
    warmupRounds,
    batch,
  })
  // Context: the same comparison when every response takes a few milliseconds, as on a network.
  jumio.setLatency(latencyMs)
  const jumioLatencyResult = await compareInterleaved({
    subject: jumioThroughAdapter,
    baseline: jumioByHand,
    ...latencyRounds,
  })
  jumio.setLatency(0)
  jumio.shutdown()

  // Persona: create, simulate to approved, retrieve.
  const persona = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const personaAdapter = createBenchPersona(
    { fetch: persona.fetch, now: () => persona.clock.now() },
    { handoff: 'hosted-url', rateLimit: false },
  )
  const personaThroughAdapter = async (index: number) => {
    const { verification } = await personaAdapter.createVerification({
      subjectReference: `overhead-adapter-${index}`,
    })
    await personaAdapter.simulateVerification!({ reference: verification.reference, outcome: 'approved' })
    const read = await personaAdapter.getVerification({ reference: verification.reference })
    if (read.decision?.outcome !== 'approved') throw new Error('the Persona flow did not end approved')
  }
  const personaByHand = (index: number) =>
    runPersonaFlowByHand(persona.fetch, personaSimulatorApi, `overhead-baseline-${index}`)
  const personaShapes = await sameRequests(
    persona,
    () => personaThroughAdapter(-1),
    () => personaByHand(-1),
  )
  notes.push(`Persona requests per flow: ${personaShapes.join(', ')} (identical for adapter and baseline).`)
  const personaResult = await compareInterleaved({
    subject: personaThroughAdapter,
    baseline: personaByHand,
    rounds,
    warmupRounds,
    batch,
  })
  persona.setLatency(latencyMs)
  const personaLatencyResult = await compareInterleaved({
    subject: personaThroughAdapter,
    baseline: personaByHand,
    ...latencyRounds,
  })
  persona.setLatency(0)

  notes.push(
    `${rounds} measured rounds (after ${warmupRounds} warm-up rounds) of ${batch} flows per side, sides alternating first; ratio = median of the per-round ratios.`,
    'The baseline does no validation, retries, rate limiting, logging or mapping: the ratio is the cost of all of them together.',
    'In process a simulated request costs well under a millisecond, so per-request costs of the HTTP layer (ky plus a per-attempt AbortController and timer in @openkyc/core/http) dominate the ratio; the latency rows show the same flows when each response takes a few milliseconds.',
    `Latency rows: ${latencyRounds.rounds} rounds of ${latencyRounds.batch} flows per side with the simulator's setLatency(${latencyMs}); context only, no goal.`,
  )
  return {
    id: 'adapter-overhead',
    title: 'Adapter overhead: a full verification flow, adapter vs. a bare fetch client',
    baseline:
      'the same requests (same bodies and headers) sent by a hand-written fetch client to the same simulator',
    figures: [
      ...ratioFigures('jumio', jumioResult, jumioShapes.length),
      latencyFigure('jumio', latencyMs, jumioLatencyResult),
      ...ratioFigures('persona', personaResult, personaShapes.length),
      latencyFigure('persona', latencyMs, personaLatencyResult),
    ],
    notes,
    durationSeconds: (performance.now() - started) / 1000,
  }
}

/** Runs one flow of each side and checks that both sent the same requests; returns their shape. */
async function sameRequests(
  simulator: { requests: readonly SimulatorRequestRecord[] },
  subject: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<string[]> {
  const before = simulator.requests.length
  await subject()
  const middle = simulator.requests.length
  await baseline()
  const subjectShape = requestShape(simulator.requests.slice(before, middle))
  const baselineShape = requestShape(simulator.requests.slice(middle))
  if (subjectShape.join('\n') !== baselineShape.join('\n')) {
    throw new Error(
      `adapter and baseline send different requests:\n${subjectShape.join('\n')}\nvs\n${baselineShape.join('\n')}`,
    )
  }
  return subjectShape
}
