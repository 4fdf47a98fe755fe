import {
  createMemoryStore,
  createWebhookPipeline,
  type KycAdapter,
  type Verification,
  type VerificationReference,
} from '@openkyc/core'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createOnfidoSimulator, onfidoSimulatorWebhookToken } from '@openkyc/simulator-onfido'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { type Scenario, scenarios } from '@openkyc/testkit/catalogue'
import { type CapturedWebhook, toCapturedWebhook } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import {
  createBenchJumio,
  createBenchOnfido,
  createBenchPersona,
  personaTestCredentials,
} from '../src/providers.js'
import { createSeededRandom, shuffled } from '../src/random.js'
import { createCapture, personalDataFound } from './support/capture.js'
import { catalogueMismatches, runPool, summarize } from './support/flows.js'

/**
 * Webhook storm: 1,000 verifications per provider reach their catalogue outcome; every event the
 * vendor sent is delivered three times, all shuffled together, 32 at a time, through one
 * `createWebhookPipeline`. Afterwards the state the pipeline stored for every verification must be
 * the ground truth: what the vendor's API says now (read through the adapter), and the catalogue's
 * expectation. Deliveries arrive at-least-once and unordered; nothing may be lost or moved backwards.
 */

const verifications = 1000
const copies = 3
const concurrency = 32

const inquiryEvents = [
  'inquiry.created',
  'inquiry.started',
  'inquiry.completed',
  'inquiry.failed',
  'inquiry.expired',
  'inquiry.marked-for-review',
  'inquiry.approved',
  'inquiry.declined',
]

type Subject = { scenario: Scenario; reference: VerificationReference }

async function storm(options: {
  adapter: KycAdapter
  deliveries: CapturedWebhook[]
  subjects: Subject[]
  seed: number
  capture: ReturnType<typeof createCapture>
}) {
  const store = createMemoryStore({ maxEntries: 1_000_000 })
  const pipeline = createWebhookPipeline({ adapter: options.adapter, store, logger: options.capture.logger })
  const queue = shuffled(
    options.deliveries.flatMap((delivery) => Array.from({ length: copies }, () => delivery)),
    createSeededRandom(options.seed),
  )
  let processed = 0
  let duplicates = 0
  let failures = 0
  await runPool(queue.length, concurrency, async (index) => {
    const delivery = queue[index]!
    try {
      const outcome = await pipeline.handle({
        rawBody: delivery.rawBody,
        headers: delivery.headers,
        ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
      })
      processed += outcome.events.length
      duplicates += outcome.duplicates.length
    } catch (error) {
      failures += 1
      options.capture.record(error)
    }
  })
  const problems: string[] = []
  const stored: Verification[] = []
  await runPool(options.subjects.length, concurrency, async (index) => {
    const { scenario, reference } = options.subjects[index]!
    const truth = await options.adapter.getVerification({ reference })
    const state = await store.verifications.get({ provider: options.adapter.provider, id: truth.id })
    if (state === undefined) {
      problems.push(`${truth.id} (${scenario.id}): no state stored`)
      return
    }
    stored.push(state)
    if (JSON.stringify(summarize(state)) !== JSON.stringify(summarize(truth)))
      problems.push(
        `${truth.id} (${scenario.id}): stored ${JSON.stringify(summarize(state))} ≠ API ${JSON.stringify(summarize(truth))}`,
      )
    for (const problem of catalogueMismatches(state, scenario))
      problems.push(`${truth.id} (${scenario.id}): ${problem}`)
  })
  return { deliveries: queue.length, processed, duplicates, failures, problems, stored }
}

describe('webhook storm', () => {
  it(`persona: ${verifications} verifications' events, each delivered ${copies} times and shuffled, end in the true state`, async () => {
    const simulator = createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      // The application's subscription: the inquiry events, the ones that carry a verification's
      // state, on the current API version, whose payloads include the verifications as they were then.
      webhook: {
        secret: personaTestCredentials.webhookSecret,
        enabledEvents: inquiryEvents,
        apiVersion: '2025-10-27',
      },
    })
    const capture = createCapture()
    const adapter = createBenchPersona(
      { fetch: simulator.fetch, now: () => simulator.clock.now(), logger: capture.logger },
      { handoff: 'hosted-url', rateLimit: false },
    )
    const subjects: Subject[] = []
    for (let index = 0; index < verifications; index += 1) {
      const scenario = scenarios[index % scenarios.length]!
      const { verification } = await adapter.createVerification({ subjectReference: `storm-${index}` })
      const inquiryId = String(verification.reference.inquiryId)
      const manual = scenario.expected.intermediate !== undefined
      await simulator.persona.resolve(inquiryId, scenario.id, {
        stage: manual ? 'intermediate' : 'final',
        applicant: scenario.applicant,
      })
      if (manual) await simulator.persona.review(inquiryId, 'approved')
      // The applicant who abandons runs out of time now (the clock stays put, so signatures stay fresh).
      if (scenario.id === 'applicant_abandons') await simulator.persona.expireInquiry(inquiryId)
      subjects.push({ scenario, reference: verification.reference })
    }
    await simulator.persona.webhooksIdle()
    const deliveries = simulator.persona.webhooks.deliverer.messages
      .filter((message) => message.copyOf === undefined)
      .map((message) => toCapturedWebhook(message))

    const result = await storm({ adapter, deliveries, subjects, seed: 7_100, capture })
    const leaks = personalDataFound({
      ...capture,
      lines: [...capture.lines, ...result.stored.map((state) => JSON.stringify(state))],
    })
    console.log(
      `webhook storm persona: ${verifications} verifications, ${deliveries.length} distinct signed deliveries × ${copies} = ${result.deliveries} shuffled, ${concurrency} at a time; ` +
        `${result.processed} events applied, ${result.duplicates} duplicates skipped, ${result.failures} deliveries failed; ` +
        `${result.problems.length} problems (lost or wrong states) among ${verifications}; PII hits ${leaks.length}`,
    )

    expect(result.failures).toBe(0)
    expect(result.problems).toEqual([])
    expect(result.stored).toHaveLength(verifications)
    expect(result.duplicates).toBe(result.processed * (copies - 1))
    expect(leaks).toEqual([])
  })

  it(`jumio: ${verifications} verifications' callbacks, each delivered ${copies} times and shuffled, end in the true state`, async () => {
    const simulator = createJumioSimulator({ rateLimits: false })
    const capture = createCapture()
    const adapter = createBenchJumio({
      fetch: simulator.fetch,
      now: () => simulator.clock.now(),
      logger: capture.logger,
      sleep: async () => {},
    })
    const subjects: Subject[] = []
    const abandoning: string[] = []
    await runPool(verifications, 16, async (index) => {
      const scenario = scenarios[index % scenarios.length]!
      const { verification } = await adapter.createVerification({ subjectReference: `storm-${index}` })
      const executionId = String(verification.reference.workflowExecutionId)
      if (scenario.id === 'applicant_abandons') abandoning.push(executionId)
      else {
        await simulator.resolve(executionId, scenario.id, {
          applicant: { ...scenario.applicant },
          stage: 'final',
        })
      }
      subjects.push({ scenario, reference: verification.reference })
    })
    for (const executionId of abandoning) simulator.startJourney(executionId)
    await simulator.advanceTime(16 * 60_000)
    await simulator.callbacksIdle()
    const deliveries = simulator.callbacks
      .filter((message) => message.copyOf === undefined)
      .map((message) => toCapturedWebhook(message))

    const result = await storm({ adapter, deliveries, subjects, seed: 7_200, capture })
    const leaks = personalDataFound({
      ...capture,
      lines: [...capture.lines, ...result.stored.map((state) => JSON.stringify(state))],
    })
    console.log(
      `webhook storm jumio: ${verifications} verifications, ${deliveries.length} distinct callbacks × ${copies} = ${result.deliveries} shuffled, ${concurrency} at a time (each confirmed through the Retrieval API); ` +
        `${result.processed} events applied, ${result.duplicates} duplicates skipped, ${result.failures} deliveries failed; ` +
        `${result.problems.length} problems (lost or wrong states) among ${verifications}; PII hits ${leaks.length}`,
    )

    expect(result.failures).toBe(0)
    expect(result.problems).toEqual([])
    expect(result.stored).toHaveLength(verifications)
    expect(result.duplicates).toBeGreaterThanOrEqual(result.processed * (copies - 1))
    expect(leaks).toEqual([])
    simulator.shutdown()
  })
  it(`onfido: ${verifications} verifications' signed events, each delivered ${copies} times and shuffled, end in the true state`, async () => {
    // The application's webhook: the run events, which carry the run's state (the task events do not decide anything).
    const simulator = createOnfidoSimulator({
      rateLimit: false,
      webhooks: [
        {
          url: 'https://app.example.test/onfido',
          token: onfidoSimulatorWebhookToken,
          events: ['workflow_run.completed'],
        },
      ],
    })
    const capture = createCapture()
    const adapter = createBenchOnfido({
      fetch: simulator.fetch,
      now: () => simulator.clock.now(),
      logger: capture.logger,
      sleep: async () => {},
    })
    const subjects: Subject[] = []
    await runPool(verifications, 16, async (index) => {
      const scenario = scenarios[index % scenarios.length]!
      const { applicant } = scenario
      const { verification } = await adapter.createVerification({
        subjectReference: `storm-${index}`,
        prefill: { firstName: applicant.firstName, lastName: applicant.lastName },
      })
      const runId = String(verification.reference.workflowRunId)
      // The applicant who abandons runs out of time now; the others finish the hosted flow.
      if (scenario.id === 'applicant_abandons') await simulator.abandon(runId)
      else await simulator.resolve(runId)
      if (scenario.expected.intermediate !== undefined) await simulator.review(runId)
      subjects.push({ scenario, reference: verification.reference })
    })
    await simulator.deliveriesIdle()
    const deliveries = simulator.deliveries
      .filter((message) => message.copyOf === undefined)
      .map((message) => toCapturedWebhook(message))

    const result = await storm({ adapter, deliveries, subjects, seed: 7_300, capture })
    const leaks = personalDataFound({
      ...capture,
      lines: [...capture.lines, ...result.stored.map((state) => JSON.stringify(state))],
    })
    console.log(
      `webhook storm onfido: ${verifications} verifications, ${deliveries.length} distinct signed deliveries × ${copies} = ${result.deliveries} shuffled, ${concurrency} at a time; ` +
        `${result.processed} events applied, ${result.duplicates} duplicates skipped, ${result.failures} deliveries failed; ` +
        `${result.problems.length} problems (lost or wrong states) among ${verifications}; ${simulator.runs().length} runs; PII hits ${leaks.length}`,
    )

    expect(result.failures).toBe(0)
    expect(result.problems).toEqual([])
    expect(result.stored).toHaveLength(verifications)
    expect(simulator.runs()).toHaveLength(verifications)
    expect(result.duplicates).toBeGreaterThanOrEqual(result.processed * (copies - 1))
    expect(leaks).toEqual([])
    simulator.shutdown()
  })
})
