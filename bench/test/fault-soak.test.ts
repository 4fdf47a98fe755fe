import type { Verification, VerificationReference } from '@openkyc/core'
import { createJumioSimulator, type JumioSimulator } from '@openkyc/simulator-jumio'
import {
  createOnfidoSimulator,
  type OnfidoSimulator,
  onfidoSimulatorApiToken,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator, type PersonaSimulator } from '@openkyc/simulator-persona'
import { type Scenario, scenarios } from '@openkyc/testkit/catalogue'
import { createJpeg } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import { createFaultInjectingFetch, type FaultCounts, soakFaultRates } from '../src/fault-injection.js'
import {
  createBenchJumio,
  createBenchOnfido,
  createBenchPersona,
  jumioEvidenceFor,
} from '../src/providers.js'
import { createSeededRandom } from '../src/random.js'
import { type Capture, createCapture, personalDataFound } from './support/capture.js'
import {
  catalogueMismatches,
  type RetryTally,
  runPool,
  summarize,
  type VerificationSummary,
  withApplicationRetries,
} from './support/flows.js'

/**
 * Fault soak: 1,000 verification flows per provider against a simulator that fails 10 % of requests
 * with a 5xx, 5 % with 429 + Retry-After, resets 2 % of connections and lets 1 % time out. Sleeps
 * are instant (the adapters' injected `sleep`), so only the 1 % of timeouts cost real time.
 *
 * Every flow must complete, end in its catalogue scenario's state (and in exactly the state a
 * fault-free run of the same adapter reaches), and the simulator must hold exactly one record per
 * flow: a retry never creates a second inquiry, account or workflow execution.
 */

const flows = 1000
const concurrency = 25
/** Long enough that a busy machine never times out a healthy in-process request. */
const timeoutMs = 1500
const retries = 8
const instantSleep = async () => {}

type FlowContext = { capture: Capture; tally: RetryTally }

function scenarioFor(index: number): Scenario {
  return scenarios[index % scenarios.length]!
}

const isAbandon = (scenario: Scenario) => scenario.id === 'applicant_abandons'

function faultLine(counts: FaultCounts): string {
  const injected =
    counts.serverError +
    counts.rateLimited +
    counts.connectionReset +
    counts.lostResponse +
    counts.connectTimeout
  return (
    `${counts.requests} requests, ${injected} faults injected (${counts.serverError} 5xx, ${counts.rateLimited} 429, ` +
    `${counts.connectionReset} resets, ${counts.lostResponse + counts.connectTimeout} timeouts: ` +
    `${counts.lostResponse} lost responses (${counts.lostPostResponse} of POSTs), ${counts.connectTimeout} before the vendor)`
  )
}

function expectFaultsInjected(counts: FaultCounts): void {
  expect(counts.serverError).toBeGreaterThan(counts.requests * 0.05)
  expect(counts.rateLimited).toBeGreaterThan(counts.requests * 0.02)
  expect(counts.connectionReset).toBeGreaterThan(0)
  expect(counts.lostResponse + counts.connectTimeout).toBeGreaterThan(0)
}

// ── Jumio ────────────────────────────────────────────────────────────────────────────────────────

function createJumioSoakAdapter(simulator: JumioSimulator, fetch: typeof globalThis.fetch, capture: Capture) {
  return createBenchJumio(
    { fetch, now: () => simulator.clock.now(), sleep: instantSleep, logger: capture.logger },
    { retries, timeoutMs },
  )
}

/** Create, upload front and selfie, finalize; a person reviews when the scenario says so. Abandons stop after create. */
async function jumioFlow(
  adapter: ReturnType<typeof createBenchJumio>,
  simulator: JumioSimulator,
  scenario: Scenario,
  subjectReference: string,
  { capture, tally }: FlowContext,
): Promise<VerificationReference> {
  const retry = <T>(call: () => Promise<T>) => withApplicationRetries(call, capture, tally)
  const { verification } = await retry(() =>
    adapter.createVerification({ subjectReference, channel: isAbandon(scenario) ? 'hosted' : 'api' }),
  )
  const { reference } = verification
  if (isAbandon(scenario)) return reference
  const evidence = jumioEvidenceFor(scenario)
  const document = {
    documentType: scenario.applicant.documentType,
    country: scenario.applicant.issuingCountry,
  }
  await retry(() =>
    adapter.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      ...document,
      content: evidence.front,
      contentType: 'image/jpeg',
    }),
  )
  await retry(() =>
    adapter.uploadCredential({
      reference,
      kind: 'selfie',
      part: 'face',
      content: evidence.selfie,
      contentType: 'image/jpeg',
    }),
  )
  await retry(() => adapter.submitVerification({ reference }))
  if (scenario.expected.intermediate !== undefined)
    await simulator.review(String(reference.workflowExecutionId))
  return reference
}

/** The applicants who abandon open the hosted journey and the simulator clock passes its 15-minute timeout. */
async function expireJumioAbandons(simulator: JumioSimulator, references: readonly VerificationReference[]) {
  for (const reference of references) simulator.startJourney(String(reference.workflowExecutionId))
  await simulator.advanceTime(16 * 60_000)
  await simulator.callbacksIdle()
}

async function jumioReferenceStates(): Promise<Map<string, VerificationSummary>> {
  const simulator = createJumioSimulator({ rateLimits: false })
  const context: FlowContext = { capture: createCapture(), tally: { calls: 0, repeated: 0, gaveUp: 0 } }
  const adapter = createJumioSoakAdapter(simulator, simulator.fetch, context.capture)
  const references = new Map<Scenario, VerificationReference>()
  for (const scenario of scenarios) {
    references.set(
      scenario,
      await jumioFlow(adapter, simulator, scenario, `reference-${scenario.id}`, context),
    )
  }
  await expireJumioAbandons(
    simulator,
    scenarios.filter(isAbandon).map((scenario) => references.get(scenario)!),
  )
  const states = new Map<string, VerificationSummary>()
  for (const [scenario, reference] of references) {
    states.set(scenario.id, summarize(await adapter.getVerification({ reference })))
  }
  simulator.shutdown()
  return states
}

// ── Persona ──────────────────────────────────────────────────────────────────────────────────────

function createPersonaSoakSimulator(): PersonaSimulator {
  // The soak injects its own 429s; the simulator's windows stay out of the way (they are the
  // rate-limit benchmark's subject), and events are not needed here.
  return createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
}

function createPersonaSoakAdapter(
  simulator: PersonaSimulator,
  fetch: typeof globalThis.fetch,
  capture: Capture,
) {
  return createBenchPersona(
    { fetch, now: () => simulator.clock.now(), sleep: instantSleep, logger: capture.logger },
    // The client-side budget runs on the wall clock; 1,000 flows in seconds would wait minutes for it.
    { maxRetries: retries, timeoutMs, rateLimit: false },
  )
}

/** Create (with prefilled personal data and a one-time link), the applicant's part, a person's approval when due. */
async function personaFlow(
  adapter: ReturnType<typeof createBenchPersona>,
  simulator: PersonaSimulator,
  scenario: Scenario,
  subjectReference: string,
  { capture, tally }: FlowContext,
): Promise<VerificationReference> {
  const retry = <T>(call: () => Promise<T>) => withApplicationRetries(call, capture, tally)
  const { applicant } = scenario
  const { verification } = await retry(() =>
    adapter.createVerification({
      subjectReference,
      country: applicant.issuingCountry,
      prefill: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
      },
    }),
  )
  const { reference } = verification
  const manual = scenario.expected.intermediate !== undefined
  await simulator.persona.resolve(String(reference.inquiryId), scenario.id, {
    stage: manual ? 'intermediate' : 'final',
    applicant,
  })
  if (manual) await retry(() => adapter.reviewVerification!({ reference, action: 'approve' }))
  return reference
}

/** The applicants who abandon started their inquiry; the clock passes its expiry. */
async function expirePersonaAbandons(simulator: PersonaSimulator) {
  await simulator.advanceTime(86_400_000 + 60_000)
  await simulator.persona.webhooksIdle()
}

async function personaReferenceStates(): Promise<Map<string, VerificationSummary>> {
  const simulator = createPersonaSoakSimulator()
  const context: FlowContext = { capture: createCapture(), tally: { calls: 0, repeated: 0, gaveUp: 0 } }
  const adapter = createPersonaSoakAdapter(simulator, simulator.fetch, context.capture)
  const references = new Map<Scenario, VerificationReference>()
  for (const scenario of scenarios) {
    references.set(
      scenario,
      await personaFlow(adapter, simulator, scenario, `reference-${scenario.id}`, context),
    )
  }
  await expirePersonaAbandons(simulator)
  const states = new Map<string, VerificationSummary>()
  for (const [scenario, reference] of references) {
    states.set(scenario.id, summarize(await adapter.getVerification({ reference })))
  }
  return states
}

// ── Onfido ───────────────────────────────────────────────────────────────────────────────────────

function createOnfidoSoakSimulator(): OnfidoSimulator {
  // The soak injects its own 429s; the simulator's 400/minute window stays out of the way.
  return createOnfidoSimulator({ rateLimit: false })
}

function createOnfidoSoakAdapter(
  simulator: OnfidoSimulator,
  fetch: typeof globalThis.fetch,
  capture: Capture,
) {
  return createBenchOnfido(
    { fetch, now: () => simulator.clock.now(), sleep: instantSleep, logger: capture.logger },
    { maxRetries: retries, timeoutMs },
  )
}

/** Create (applicant with prefilled personal data, Studio run), the applicant's part in the hosted flow, the back office's review when due. */
async function onfidoFlow(
  adapter: ReturnType<typeof createBenchOnfido>,
  simulator: OnfidoSimulator,
  scenario: Scenario,
  subjectReference: string,
  { capture, tally }: FlowContext,
): Promise<VerificationReference> {
  const retry = <T>(call: () => Promise<T>) => withApplicationRetries(call, capture, tally)
  const { applicant } = scenario
  const { verification } = await retry(() =>
    adapter.createVerification({
      subjectReference,
      prefill: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
      },
    }),
  )
  const { reference } = verification
  if (isAbandon(scenario)) return reference
  const runId = String(reference.workflowRunId)
  await simulator.resolve(runId)
  if (scenario.expected.intermediate !== undefined) await simulator.review(runId)
  return reference
}

/** The applicants who abandon open the link; the clock passes the interactive task's timeout. */
async function expireOnfidoAbandons(
  simulator: OnfidoSimulator,
  references: readonly VerificationReference[],
) {
  for (const reference of references) simulator.open(String(reference.workflowRunId))
  await simulator.advanceTime(24 * 3_600_000 + 60_000)
  await simulator.deliveriesIdle()
}

async function onfidoReferenceStates(): Promise<Map<string, VerificationSummary>> {
  const simulator = createOnfidoSoakSimulator()
  const context: FlowContext = { capture: createCapture(), tally: { calls: 0, repeated: 0, gaveUp: 0 } }
  const adapter = createOnfidoSoakAdapter(simulator, simulator.fetch, context.capture)
  const references = new Map<Scenario, VerificationReference>()
  for (const scenario of scenarios) {
    references.set(
      scenario,
      await onfidoFlow(adapter, simulator, scenario, `reference-${scenario.id}`, context),
    )
  }
  await expireOnfidoAbandons(
    simulator,
    scenarios.filter(isAbandon).map((scenario) => references.get(scenario)!),
  )
  const states = new Map<string, VerificationSummary>()
  for (const [scenario, reference] of references) {
    states.set(scenario.id, summarize(await adapter.getVerification({ reference })))
  }
  simulator.shutdown()
  return states
}

// ── The soak ─────────────────────────────────────────────────────────────────────────────────────

type SoakOutcome = {
  finals: { scenario: Scenario; verification: Verification }[]
  context: FlowContext
}

/** Runs every flow through faults: the non-abandoning ones concurrently, then the abandoning ones. */
async function soak(
  runFlow: (index: number, scenario: Scenario, context: FlowContext) => Promise<VerificationReference>,
  expireAbandons: (references: VerificationReference[]) => Promise<void>,
  read: (reference: VerificationReference, context: FlowContext) => Promise<Verification>,
): Promise<SoakOutcome> {
  const context: FlowContext = { capture: createCapture(), tally: { calls: 0, repeated: 0, gaveUp: 0 } }
  const references: (VerificationReference | undefined)[] = new Array(flows)
  const ordinary = Array.from({ length: flows }, (_, index) => index).filter(
    (index) => !isAbandon(scenarioFor(index)),
  )
  const abandoning = Array.from({ length: flows }, (_, index) => index).filter((index) =>
    isAbandon(scenarioFor(index)),
  )
  await runPool(ordinary.length, concurrency, async (position) => {
    const index = ordinary[position]!
    references[index] = await runFlow(index, scenarioFor(index), context)
  })
  await runPool(abandoning.length, concurrency, async (position) => {
    const index = abandoning[position]!
    references[index] = await runFlow(index, scenarioFor(index), context)
  })
  await expireAbandons(abandoning.map((index) => references[index]!))
  const finals: SoakOutcome['finals'] = new Array(flows)
  await runPool(flows, concurrency, async (index) => {
    finals[index] = { scenario: scenarioFor(index), verification: await read(references[index]!, context) }
  })
  return { finals, context }
}

function wrongStates(outcome: SoakOutcome, reference: Map<string, VerificationSummary>): string[] {
  const problems: string[] = []
  outcome.finals.forEach(({ scenario, verification }, index) => {
    for (const problem of catalogueMismatches(verification, scenario))
      problems.push(`flow ${index} (${scenario.id}): ${problem}`)
    const expected = reference.get(scenario.id)
    if (JSON.stringify(summarize(verification)) !== JSON.stringify(expected))
      problems.push(`flow ${index} (${scenario.id}): differs from the fault-free run`)
  })
  return problems
}

describe('fault soak', () => {
  it(`jumio: ${flows} API-channel flows through 18 % faults all complete, in the right state, without duplicates`, async () => {
    const reference = await jumioReferenceStates()
    const simulator = createJumioSimulator({ rateLimits: false })
    const faults = createFaultInjectingFetch({
      simulator,
      rates: soakFaultRates,
      random: createSeededRandom(20_240_901),
      // Jumio takes no idempotency key: a lost answer to an account creation cannot be retried safely
      // by anyone, so those timeouts happen before Jumio acts (see the README).
      connectTimeoutOnly: (request) =>
        request.method === 'POST' && new URL(request.url).pathname === '/api/v1/accounts',
    })
    const capture = createCapture()
    const adapter = createJumioSoakAdapter(simulator, faults.fetch, capture)
    const outcome = await soak(
      (index, scenario, context) => jumioFlow(adapter, simulator, scenario, `soak-${index}`, context),
      (references) => expireJumioAbandons(simulator, references),
      (reference, { capture: flowCapture, tally }) =>
        withApplicationRetries(() => adapter.getVerification({ reference }), flowCapture, tally),
    )
    outcome.context.capture.lines.push(...capture.lines)
    const executions = simulator.executions()
    const accounts = new Set(executions.map((execution) => execution.accountId))
    const verificationIds = new Set(outcome.finals.map(({ verification }) => verification.id))
    const problems = wrongStates(outcome, reference)
    const leaks = personalDataFound(outcome.context.capture)
    const { tally } = outcome.context
    console.log(
      `fault soak jumio: ${flows} flows (${scenarios.length} scenarios, ${concurrency} at a time); ${faultLine(faults.counts)}; ` +
        `${tally.repeated} calls repeated by the application after the adapter gave up; completed ${verificationIds.size}/${flows}, ` +
        `${problems.length} wrong states; ${executions.length} workflow executions on ${accounts.size} accounts; ` +
        `PII hits ${leaks.length} in ${outcome.context.capture.lines.length} log lines and ${outcome.context.capture.errors.length} errors`,
    )

    expectFaultsInjected(faults.counts)
    expect(tally.gaveUp).toBe(0)
    expect(verificationIds.size).toBe(flows)
    expect(problems).toEqual([])
    expect(executions).toHaveLength(flows)
    expect(accounts.size).toBe(flows)
    expect(simulator.handlerErrors).toEqual([])
    expect(leaks).toEqual([])
    simulator.shutdown()
  })

  it(`persona: ${flows} flows through 18 % faults all complete, in the right state, without duplicates`, async () => {
    const reference = await personaReferenceStates()
    const simulator = createPersonaSoakSimulator()
    const faults = createFaultInjectingFetch({
      simulator,
      rates: soakFaultRates,
      random: createSeededRandom(20_240_902),
    })
    const capture = createCapture()
    const adapter = createPersonaSoakAdapter(simulator, faults.fetch, capture)
    const outcome = await soak(
      (index, scenario, context) => personaFlow(adapter, simulator, scenario, `soak-${index}`, context),
      () => expirePersonaAbandons(simulator),
      (reference, { capture: flowCapture, tally }) =>
        withApplicationRetries(() => adapter.getVerification({ reference }), flowCapture, tally),
    )
    outcome.context.capture.lines.push(...capture.lines)
    const inquiries = simulator.persona.state.collection('inquiry').size
    const accounts = simulator.persona.state.collection('account').size
    const verificationIds = new Set(outcome.finals.map(({ verification }) => verification.id))
    const problems = wrongStates(outcome, reference)
    const leaks = personalDataFound(outcome.context.capture)
    const { tally } = outcome.context
    console.log(
      `fault soak persona: ${flows} flows (${scenarios.length} scenarios, ${concurrency} at a time); ${faultLine(faults.counts)}; ` +
        `${tally.repeated} calls repeated by the application after the adapter gave up; completed ${verificationIds.size}/${flows}, ` +
        `${problems.length} wrong states; ${inquiries} inquiries and ${accounts} accounts created; ` +
        `PII hits ${leaks.length} in ${outcome.context.capture.lines.length} log lines and ${outcome.context.capture.errors.length} errors`,
    )

    expectFaultsInjected(faults.counts)
    expect(tally.gaveUp).toBe(0)
    expect(verificationIds.size).toBe(flows)
    expect(problems).toEqual([])
    expect(inquiries).toBe(flows)
    expect(accounts).toBe(flows)
    expect(simulator.handlerErrors).toEqual([])
    expect(leaks).toEqual([])
  })
  it(`onfido: ${flows} hosted flows through 18 % faults all complete, in the right state, without duplicates`, async () => {
    const reference = await onfidoReferenceStates()
    const simulator = createOnfidoSoakSimulator()
    const faults = createFaultInjectingFetch({
      simulator,
      rates: soakFaultRates,
      random: createSeededRandom(20_240_903),
      // Onfido takes no idempotency key: a lost answer to an applicant or run creation cannot be
      // retried safely by anyone, so those timeouts happen before Onfido acts (see the README).
      connectTimeoutOnly: (request) =>
        request.method === 'POST' &&
        /^\/v3\.6\/(applicants|workflow_runs)$/.test(new URL(request.url).pathname),
    })
    const capture = createCapture()
    const adapter = createOnfidoSoakAdapter(simulator, faults.fetch, capture)
    const outcome = await soak(
      (index, scenario, context) => onfidoFlow(adapter, simulator, scenario, `soak-${index}`, context),
      (references) => expireOnfidoAbandons(simulator, references),
      (reference, { capture: flowCapture, tally }) =>
        withApplicationRetries(() => adapter.getVerification({ reference }), flowCapture, tally),
    )
    outcome.context.capture.lines.push(...capture.lines)
    const runs = simulator.runs()
    const applicants = new Set(runs.map((run) => run.applicantId))
    const listed = await simulator.fetch('https://api.eu.onfido.com/v3.6/applicants?per_page=1', {
      headers: { authorization: `Token token=${onfidoSimulatorApiToken}` },
    })
    const applicantCount = Number(listed.headers.get('x-total-count'))
    const verificationIds = new Set(outcome.finals.map(({ verification }) => verification.id))
    const problems = wrongStates(outcome, reference)
    const leaks = personalDataFound(outcome.context.capture)
    const { tally } = outcome.context
    console.log(
      `fault soak onfido: ${flows} flows (${scenarios.length} scenarios, ${concurrency} at a time); ${faultLine(faults.counts)}; ` +
        `${tally.repeated} calls repeated by the application after the adapter gave up; completed ${verificationIds.size}/${flows}, ` +
        `${problems.length} wrong states; ${applicantCount} applicants and ${runs.length} workflow runs created; ` +
        `PII hits ${leaks.length} in ${outcome.context.capture.lines.length} log lines and ${outcome.context.capture.errors.length} errors`,
    )

    expectFaultsInjected(faults.counts)
    expect(tally.gaveUp).toBe(0)
    expect(verificationIds.size).toBe(flows)
    expect(problems).toEqual([])
    expect(runs).toHaveLength(flows)
    expect(applicants.size).toBe(flows)
    expect(applicantCount).toBe(flows)
    expect(simulator.handlerErrors).toEqual([])
    expect(leaks).toEqual([])
    simulator.shutdown()
  })

  it(`onfido: ${flows} API-channel flows (upload, submit) through 18 % faults all complete, with one check per applicant`, async () => {
    const simulator = createOnfidoSoakSimulator()
    const faults = createFaultInjectingFetch({
      simulator,
      rates: soakFaultRates,
      random: createSeededRandom(20_261_205),
      // As in the hosted soak, a lost answer to an applicant creation cannot be retried safely by anyone,
      // and a repeated upload only adds a second image (Onfido checks the most recent one). A lost
      // answer to POST /checks is the case a repeated submitVerification must absorb: no second check.
      connectTimeoutOnly: (request) =>
        request.method === 'POST' &&
        /^\/v3\.6\/(applicants|documents|live_photos)$/.test(new URL(request.url).pathname),
    })
    const capture = createCapture()
    const tally: RetryTally = { calls: 0, repeated: 0, gaveUp: 0 }
    const adapter = createOnfidoSoakAdapter(simulator, faults.fetch, capture)
    const retry = <T>(call: () => Promise<T>) => withApplicationRetries(call, capture, tally)
    // Within the simulator's size limits (live photos ≥ 32 KiB), small enough for 2,000 uploads.
    const image = createJpeg({ width: 200, height: 200 })
    const applicantIds: string[] = []
    const statuses = new Map<string, number>()
    await runPool(flows, concurrency, async (index) => {
      const { applicant } = scenarioFor(index)
      const { verification } = await retry(() =>
        adapter.createVerification({
          subjectReference: `soak-api-${index}`,
          channel: 'api',
          prefill: { firstName: applicant.firstName, lastName: applicant.lastName },
        }),
      )
      applicantIds.push(verification.id)
      const { reference } = verification
      await retry(() =>
        adapter.uploadCredential({
          reference,
          kind: 'id_document',
          part: 'front',
          documentType: 'passport',
          content: image,
          contentType: 'image/jpeg',
        }),
      )
      await retry(() =>
        adapter.uploadCredential({
          reference,
          kind: 'selfie',
          part: 'face',
          content: image,
          contentType: 'image/jpeg',
        }),
      )
      const submitted = await retry(() => adapter.submitVerification({ reference }))
      statuses.set(submitted.status, (statuses.get(submitted.status) ?? 0) + 1)
    })
    const checksPerApplicant = new Map<number, number>()
    for (const applicantId of applicantIds) {
      const listed = await simulator.fetch(
        `https://api.eu.onfido.com/v3.6/checks?applicant_id=${applicantId}`,
        {
          headers: { authorization: `Token token=${onfidoSimulatorApiToken}` },
        },
      )
      const { checks } = (await listed.json()) as { checks: unknown[] }
      checksPerApplicant.set(checks.length, (checksPerApplicant.get(checks.length) ?? 0) + 1)
    }
    const leaks = personalDataFound(capture)
    console.log(
      `fault soak onfido API channel: ${flows} flows (${concurrency} at a time); ${faultLine(faults.counts)}; ` +
        `${tally.repeated} calls repeated by the application after the adapter gave up; submitted ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `applicants by number of checks ${JSON.stringify(Object.fromEntries(checksPerApplicant))}; PII hits ${leaks.length}`,
    )

    expectFaultsInjected(faults.counts)
    // Lost answers to POST /checks happened, and the repeated submits found the check they had created.
    expect(faults.counts.lostPostResponse).toBeGreaterThan(0)
    expect(tally.gaveUp).toBe(0)
    expect(new Set(applicantIds).size).toBe(flows)
    expect((statuses.get('submitted') ?? 0) + (statuses.get('completed') ?? 0)).toBe(flows)
    expect(Object.fromEntries(checksPerApplicant)).toEqual({ 1: flows })
    expect(simulator.handlerErrors).toEqual([])
    expect(leaks).toEqual([])
    simulator.shutdown()
  })
})
