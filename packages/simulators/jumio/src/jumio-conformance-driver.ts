import type { VerificationReference } from '@openkyc/core'
import {
  type CapturedWebhook,
  type ConformanceDriver,
  simulatorControls,
  toCapturedWebhook,
} from '@openkyc/testkit/harness'
import {
  createJumioSimulator,
  type JumioSimulator,
  type JumioSimulatorOptions,
  jumioCallbackIpRanges,
} from './jumio-simulator.js'

/**
 * The conformance suite's back door into the Jumio simulator. Jumio callbacks are unsigned hints
 * (`webhookSecurity: 'unsigned-fetch-back'`): the adapter must fetch the truth from retrieval, so
 * the forged callback this driver offers lies about the status and keeps the ids.
 */

/** The workflow execution id in an adapter's reference (`{ accountId, workflowExecutionId }`). */
function executionIdOf(reference: VerificationReference): string {
  const id = reference.workflowExecutionId
  if (id === undefined) {
    throw new TypeError('A Jumio verification reference needs workflowExecutionId (and accountId)')
  }
  return id
}

/** A driver plus the simulator it drives (for tests that want the Jumio controls too). */
export type JumioConformanceDriver = ConformanceDriver & { simulator: JumioSimulator }

/**
 * Creates a {@link ConformanceDriver} over a fresh Jumio simulator.
 *
 * `runScenario` acts as the applicant: for `applicant_abandons` it opens the hosted journey and lets
 * the simulator clock run past the 15-minute session timeout; for every other scenario it captures
 * the applicant's evidence (images carrying the magic last name, a facemap when the workflow has a
 * web channel), finalizes, and lets Jumio process; `stage: 'final'` then performs the back-office
 * review of multi-step scenarios. Evidence the adapter already uploaded is kept.
 *
 * @example
 * ```ts
 * describeAdapterConformance({
 *   name: 'jumio',
 *   createAdapter: ({ fetch, now }) => createJumio({ clientId: jumioSimulatorClient.id, clientSecret: jumioSimulatorClient.secret, fetch, now }),
 *   simulator: () => createJumioConformanceDriver(),
 * })
 * ```
 */
export function createJumioConformanceDriver(options: JumioSimulatorOptions = {}): JumioConformanceDriver {
  const simulator = createJumioSimulator(options)
  const remoteAddress = jumioCallbackIpRanges[simulator.region][0]!
  return {
    ...simulatorControls(simulator),
    simulator,
    webhookSecurity: 'unsigned-fetch-back',
    async runScenario({ reference, scenario, stage = 'final' }) {
      const id = executionIdOf(reference)
      const snapshot = simulator.execution(id)
      if (scenario.id === 'applicant_abandons') {
        if (snapshot.status !== 'INITIATED') return
        simulator.startJourney(id)
        await simulator.advanceTime(15 * 60 * 1000 + 1000)
        await simulator.callbacksIdle()
        return
      }
      if (snapshot.status === 'PROCESSED' && snapshot.scenarioId === scenario.id) {
        // The intermediate stage ran before: only the back-office review is left.
        if (stage === 'final' && scenario.expected.intermediate !== undefined) await simulator.review(id)
        return
      }
      await simulator.resolve(id, scenario.id, {
        applicant: { ...scenario.applicant },
        stage,
        source: 'document',
      })
    },
    async webhookDeliveries({ reference } = {}) {
      await simulator.callbacksIdle()
      const subject = reference === undefined ? undefined : executionIdOf(reference)
      return simulator.callbacks
        .filter(
          (message) => message.copyOf === undefined && (subject === undefined || message.subject === subject),
        )
        .map((message) => toCapturedWebhook(message, remoteAddress))
    },
    forgeWebhook(_kind, delivery): CapturedWebhook {
      const body = JSON.parse(delivery.rawBody) as { workflowExecution?: { status?: string } }
      if (body.workflowExecution !== undefined) {
        body.workflowExecution.status =
          body.workflowExecution.status === 'PROCESSED' ? 'TOKEN_EXPIRED' : 'PROCESSED'
      }
      const rawBody = JSON.stringify(body)
      const headers = new Headers(delivery.headers)
      headers.delete('content-length')
      return {
        headers,
        rawBody,
        ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
      }
    },
    async close() {
      simulator.shutdown()
      simulator.clearFaults()
    },
  }
}
