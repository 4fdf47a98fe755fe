import {
  type BodySignatureForgery,
  type CapturedWebhook,
  type ConformanceDriver,
  simulatorControls,
  toCapturedWebhook,
} from '@openkyc/testkit/harness'
import {
  createOnfidoSimulator,
  type OnfidoSimulator,
  type OnfidoSimulatorOptions,
} from './onfido-simulator.js'
import { onfidoSignatureHeader, signOnfidoWebhook } from './onfido-webhooks.js'
import {
  createOnfidoSchemaCheckingFetch,
  type OnfidoSchemaViolation,
} from './openapi/schema-checking-fetch.js'

/**
 * The conformance suite's back door into the Onfido simulator. Onfido signs the raw body with the
 * webhook token (`webhookSecurity: 'body-signature'`): no timestamp, so the suite runs every forgery
 * but a stale timestamp, and replays must be absorbed by dedupe.
 */

type Reference = Parameters<ConformanceDriver['runScenario']>[0]['reference']

/** A driver plus the simulator it drives (for tests that want the Onfido controls too). */
export type OnfidoConformanceDriver = ConformanceDriver & {
  simulator: OnfidoSimulator
  /**
   * Every exchange through `driver.fetch` that did not match the official spec: requests the adapter
   * sent (JSON bodies) and responses the simulator gave. A `malformedNext` fault shows up here by
   * design (it is a body that is not JSON).
   */
  schemaViolations(): readonly OnfidoSchemaViolation[]
  /** How many responses `driver.fetch` checked against the spec. */
  checkedResponses(): number
}

/**
 * The workflow run a verification reference names: `workflowRunId` (what a Studio-based adapter
 * keeps), else the newest run of `applicantId`.
 */
function runIdOf(simulator: OnfidoSimulator, reference: Reference): string {
  const runId = reference.workflowRunId
  if (typeof runId === 'string') return runId
  const applicantId = reference.applicantId
  if (typeof applicantId === 'string') {
    const run = simulator
      .runs()
      .filter((candidate) => candidate.applicantId === applicantId)
      .at(-1)
    if (run !== undefined) return run.id
  }
  throw new TypeError(
    'An Onfido verification reference needs workflowRunId (or an applicantId with a workflow run)',
  )
}

function hasRun(simulator: OnfidoSimulator, reference: Reference): boolean {
  return simulator.runs().some((run) => run.applicantId === reference.applicantId)
}

function applicantIdOf(simulator: OnfidoSimulator, reference: Reference): string {
  const applicantId = reference.applicantId
  if (typeof applicantId === 'string') return applicantId
  return simulator.run(runIdOf(simulator, reference)).applicantId
}

/**
 * Creates a {@link ConformanceDriver} over a fresh Onfido simulator, with its default webhook
 * (token `onfidoSimulatorWebhookToken`) captured in process. `driver.fetch` checks every exchange
 * against Onfido's official spec; read the findings with `schemaViolations()`.
 *
 * `runScenario` acts as the applicant in the hosted flow (evidence the adapter already uploaded is
 * kept): for `applicant_abandons` it opens the link and lets the clock run past the interactive-task
 * timeout; for every other scenario it completes the flow and lets the run process; `stage: 'final'`
 * then performs the back-office review of a run that ended in `review`.
 *
 * @example
 * ```ts
 * describeAdapterConformance({
 *   name: 'onfido',
 *   createAdapter: ({ fetch, now }) => createOnfido({ apiToken: onfidoSimulatorApiToken, webhookToken: onfidoSimulatorWebhookToken, workflowId: onfidoSimulatorWorkflowId, fetch, now }),
 *   driver: () => createOnfidoConformanceDriver(),
 * })
 * ```
 */
export function createOnfidoConformanceDriver(options: OnfidoSimulatorOptions = {}): OnfidoConformanceDriver {
  const simulator = createOnfidoSimulator(options)
  const checkedFetch = createOnfidoSchemaCheckingFetch(simulator.fetch)
  const interactiveTimeoutMs = options.interactiveTaskTimeoutMs ?? 24 * 60 * 60 * 1000
  return {
    ...simulatorControls(simulator),
    fetch: checkedFetch,
    simulator,
    schemaViolations: () => checkedFetch.violations,
    checkedResponses: () => checkedFetch.checkedResponses(),
    webhookSecurity: 'body-signature',
    async runScenario({ reference, scenario, stage = 'final' }) {
      // An API-channel verification (`{applicantId}` without a run) is decided by its classic check,
      // which completes on its own: there is no applicant step left to play.
      if (reference.workflowRunId === undefined && !hasRun(simulator, reference)) return
      const runId = runIdOf(simulator, reference)
      const run = simulator.run(runId)
      if (scenario.id === 'applicant_abandons') {
        if (run.status !== 'awaiting_input') return
        simulator.assignScenario(runId, scenario.id)
        simulator.open(runId)
        await simulator.advanceTime(interactiveTimeoutMs + 1000)
        await simulator.deliveriesIdle()
        return
      }
      if (run.status === 'awaiting_input') {
        await simulator.resolve(runId, { scenarioId: scenario.id })
      }
      const after = simulator.run(runId)
      if (stage === 'final' && scenario.expected.intermediate !== undefined && after.status === 'review') {
        await simulator.review(runId)
      }
    },
    async webhookDeliveries({ reference } = {}) {
      await simulator.deliveriesIdle()
      const subject = reference === undefined ? undefined : applicantIdOf(simulator, reference)
      return simulator.deliveries
        .filter(
          (message) => message.copyOf === undefined && (subject === undefined || message.subject === subject),
        )
        .map((message) => toCapturedWebhook(message))
    },
    forgeWebhook(kind: BodySignatureForgery, delivery: CapturedWebhook): CapturedWebhook {
      const headers = new Headers(delivery.headers)
      headers.delete('content-length')
      const signature = headers.get(onfidoSignatureHeader) ?? ''
      const forged = (rawBody: string): CapturedWebhook => ({
        headers,
        rawBody,
        ...(delivery.sentAt === undefined ? {} : { sentAt: delivery.sentAt }),
      })
      switch (kind) {
        case 'bad-signature': {
          const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1)
          headers.set(onfidoSignatureHeader, flipped)
          return forged(delivery.rawBody)
        }
        case 'tampered-body': {
          const body = JSON.parse(delivery.rawBody) as { payload?: { object?: { status?: string } } }
          if (body.payload?.object !== undefined) {
            body.payload.object.status = body.payload.object.status === 'approved' ? 'declined' : 'approved'
          }
          return forged(JSON.stringify(body))
        }
        case 'unknown-secret':
          headers.set(
            onfidoSignatureHeader,
            signOnfidoWebhook(delivery.rawBody, 'a-token-the-receiver-never-had'),
          )
          return forged(delivery.rawBody)
      }
    },
    async close() {
      simulator.shutdown()
      simulator.clearFaults()
    },
  }
}
