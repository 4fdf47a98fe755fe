import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { runJumioFlowByHand } from '../baseline-clients.js'
import { createBenchJumio, jumioEvidenceFor } from '../providers.js'
import type { BenchmarkResult } from '../report.js'

/** Sizes of the two phases. */
export type TokenEconomyOptions = { verifications?: number; concurrentCallers?: number }

function tokenRequests(simulator: ReturnType<typeof createJumioSimulator>, from: number): number {
  return simulator.requests.slice(from).filter((request) => request.path === '/oauth2/token').length
}

/**
 * Benchmark 3: Jumio OAuth token requests. Jumio bills and rate-limits token requests, so the
 * adapter should ask once per token lifetime, and a burst of callers at expiry should share one
 * refresh. Counted from the simulator's request log; the baseline is a client that asks for a token
 * per verification (the hand-written flow), run against the same simulator.
 */
export async function runTokenEconomy(options: TokenEconomyOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const verifications = options.verifications ?? 1000
  const concurrentCallers = options.concurrentCallers ?? 200
  const simulator = createJumioSimulator({ rateLimits: false, accessTokenLifetimeSeconds: 3600 })
  const adapter = createBenchJumio({ fetch: simulator.fetch, now: () => simulator.clock.now() })

  // Phase 1: 1,000 verifications (hosted hand-off: token + account create each), 20 at a time,
  // all within one token lifetime (the simulator clock does not move).
  let from = simulator.requests.length
  const references: { accountId: string; workflowExecutionId: string }[] = []
  for (let offset = 0; offset < verifications; offset += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, verifications - offset) }, (_, index) =>
        adapter.createVerification({ subjectReference: `token-economy-${offset + index}` }),
      ),
    )
    for (const { verification } of batch) {
      references.push({
        accountId: String(verification.reference.accountId),
        workflowExecutionId: String(verification.reference.workflowExecutionId),
      })
    }
  }
  const lifetimeRequests = tokenRequests(simulator, from)

  // Phase 2: the token is about to expire (past the adapter's refresh margin); 200 callers at once.
  await simulator.advanceTime(3600_000 - 60_000)
  from = simulator.requests.length
  const reads = await Promise.allSettled(
    Array.from({ length: concurrentCallers }, (_, index) =>
      adapter.getVerification({ reference: references[index % references.length]! }),
    ),
  )
  const burstRequests = tokenRequests(simulator, from)
  const failedReads = reads.filter((read) => read.status === 'rejected').length

  // Baseline: the hand-written client asks for a token per verification.
  from = simulator.requests.length
  const baselineFlows = 50
  const evidence = jumioEvidenceFor(scenarioById('clean_approve'))
  for (let index = 0; index < baselineFlows; index += 1) {
    await runJumioFlowByHand(simulator.fetch, simulator.urls(), evidence, `token-baseline-${index}`)
  }
  const baselinePerVerification = tokenRequests(simulator, from) / baselineFlows
  simulator.shutdown()

  return {
    id: 'token-economy',
    title: 'Token economy: Jumio OAuth requests',
    baseline: 'a client that requests a token per verification (the hand-written flow), measured on 50 flows',
    figures: [
      {
        name: `token requests for ${verifications.toLocaleString('en-US')} verifications within one token lifetime`,
        value: lifetimeRequests,
        unit: 'requests',
        baseline: baselinePerVerification * verifications,
        ratio: lifetimeRequests / (baselinePerVerification * verifications),
        goal: '= 1',
        met: lifetimeRequests === 1,
      },
      {
        name: `token refreshes for ${concurrentCallers} concurrent callers at expiry`,
        value: burstRequests,
        unit: 'requests',
        baseline: baselinePerVerification * concurrentCallers,
        ratio: burstRequests / (baselinePerVerification * concurrentCallers),
        goal: '= 1',
        met: burstRequests === 1,
      },
      {
        name: 'calls that failed during the burst',
        value: failedReads,
        unit: 'calls',
        goal: '= 0',
        met: failedReads === 0,
      },
    ],
    notes: [
      'Phase 1 creates verifications 20 at a time on a standing simulator clock; phase 2 moves the clock to one minute before the 3,600 s token expires (inside the adapter’s refresh margin) and starts 200 getVerification calls at once.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
