import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import type { SimulatorRequestRecord } from '@openkyc/testkit/harness'
import { runJumioFlowByHand, runPersonaFlowByHand, sendWithKy } from '../baseline-clients.js'
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
  versusKy: Awaited<ReturnType<typeof compareInterleaved>>,
  versusFetch: Awaited<ReturnType<typeof compareInterleaved>>,
  requestsPerFlow: number,
): Figure[] {
  const addedPerRequest = (versusFetch.subjectMs.median - versusFetch.baselineMs.median) / requestsPerFlow
  return [
    {
      name: `${provider}: flow time, adapter ÷ bare ky (median of rounds)`,
      value: versusKy.ratio.median,
      unit: 'ratio',
      ratio: versusKy.ratio.median,
      goal: `≤ ${goalRatio.toFixed(2)}`,
      met: versusKy.ratio.median <= goalRatio,
    },
    {
      name: `${provider}: flow time, adapter ÷ bare fetch (median of rounds)`,
      value: versusFetch.ratio.median,
      unit: 'ratio',
      ratio: versusFetch.ratio.median,
    },
    {
      name: `${provider}: one flow through the adapter (median)`,
      value: versusFetch.subjectMs.median,
      unit: 'ms',
      baseline: versusFetch.baselineMs.median,
      ratio: versusFetch.subjectMs.median / versusFetch.baselineMs.median,
    },
    {
      name: `${provider}: one flow through bare ky (median)`,
      value: versusKy.baselineMs.median,
      unit: 'ms',
    },
    {
      name: `${provider}: time the adapter adds per request, over bare fetch`,
      value: addedPerRequest,
      unit: 'ms',
    },
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
  const rounds = options.rounds ?? 20
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
  const jumioWithKy = sendWithKy(jumio.fetch)
  const jumioByKy = (index: number) =>
    runJumioFlowByHand(jumioWithKy, hosts, evidence, `overhead-ky-${index}`)

  const jumioShapes = await sameRequests(
    jumio,
    () => jumioThroughAdapter(-1),
    () => jumioByHand(-1),
  )
  await sameRequests(
    jumio,
    () => jumioThroughAdapter(-2),
    () => jumioByKy(-2),
  )
  notes.push(`Jumio requests per flow: ${jumioShapes.join(', ')} (identical for adapter and both baselines).`)
  const jumioVersusKy = await compareInterleaved({
    subject: jumioThroughAdapter,
    baseline: jumioByKy,
    rounds,
    warmupRounds,
    batch,
  })
  const jumioVersusFetch = await compareInterleaved({
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
  const personaWithKy = sendWithKy(persona.fetch)
  const personaByKy = (index: number) =>
    runPersonaFlowByHand(personaWithKy, personaSimulatorApi, `overhead-ky-${index}`)
  const personaShapes = await sameRequests(
    persona,
    () => personaThroughAdapter(-1),
    () => personaByHand(-1),
  )
  await sameRequests(
    persona,
    () => personaThroughAdapter(-2),
    () => personaByKy(-2),
  )
  notes.push(
    `Persona requests per flow: ${personaShapes.join(', ')} (identical for adapter and both baselines).`,
  )
  const personaVersusKy = await compareInterleaved({
    subject: personaThroughAdapter,
    baseline: personaByKy,
    rounds,
    warmupRounds,
    batch,
  })
  const personaVersusFetch = await compareInterleaved({
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
    'Two baselines send the same requests: a hand-written client on bare fetch, and the same client sending through bare ky (ky.create({ fetch }): its default timeout and retry policy, no hooks). Neither does validation, retries after errors, rate limiting, logging or mapping: the ratio is the cost of all of them together (the goal is stated against ky, the transport the project is built on; the fetch ratio is reported beside it). Each ratio is a separate alternating comparison in the same run.',
    'In process a simulated request costs well under a millisecond, so per-request costs of the HTTP layer dominate the ratio (against fetch, mostly what ky itself does per request: a Request, its clone for retries and an AbortController); the latency rows show the same flows when each response takes a few milliseconds.',
    `Latency rows: ${latencyRounds.rounds} rounds of ${latencyRounds.batch} flows per side with the simulator's setLatency(${latencyMs}); context only, no goal.`,
  )
  return {
    id: 'adapter-overhead',
    title: 'Adapter overhead: a full verification flow, adapter vs. bare ky and bare fetch clients',
    baseline:
      'the same requests (same bodies and headers) sent by a hand-written client to the same simulator, through bare ky and through bare fetch',
    figures: [
      ...ratioFigures('jumio', jumioVersusKy, jumioVersusFetch, jumioShapes.length),
      latencyFigure('jumio', latencyMs, jumioLatencyResult),
      ...ratioFigures('persona', personaVersusKy, personaVersusFetch, personaShapes.length),
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
