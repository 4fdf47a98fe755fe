import {
  type Check,
  checkSource,
  createMemoryStore,
  createWebhookPipeline,
  type EventVerification,
  isKycError,
  type KycAdapter,
  type KycError,
  type KycErrorCode,
  type KycEvent,
  type KycLogger,
  type Verification,
  VerificationSchema,
  type WebhookOutcome,
} from '@openkyc/core'
import { expect } from 'vitest'
import type { Scenario, ScenarioExpectation, SyntheticApplicant } from '../catalogue/scenario.js'
import type { CapturedWebhook } from '../harness/driver.js'

/** One line a logger received. */
export type CapturedLogLine = { level: keyof KycLogger; message: string; fields: unknown }

/** A logger that keeps every line, so the suite can search them for personal data. */
export function createCapturingLogger(): { logger: Required<KycLogger>; lines: CapturedLogLine[] } {
  const lines: CapturedLogLine[] = []
  const at =
    (level: keyof KycLogger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields })
    }
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

/**
 * The adapter's `sleep`: waits one macrotask instead of the requested time, so retries with backoff
 * and `Retry-After` run at once. Abort-aware, like the real one.
 */
export function instantSleep(_ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    setImmediate(resolve)
  })
}

/** Runs `work` and returns what it threw; fails the test when it does not throw. */
export async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work
  } catch (error) {
    return error
  }
  expect.fail('expected the call to throw, but it succeeded')
}

/**
 * Asserts a `KycError` of the given code, recognised the way applications recognise it (the
 * cross-copy marker, not `instanceof`), and that it serializes safely.
 */
export function expectKycError(error: unknown, code: KycErrorCode): KycError {
  expect(isKycError(error), `expected a KycError, got ${describeThrown(error)}`).toBe(true)
  const kycError = error as KycError
  expect(kycError.code).toBe(code)
  expect(JSON.parse(JSON.stringify(kycError))).toMatchObject({ code })
  return kycError
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return typeof error
}

/** The distinct reason codes of a decision, sorted. */
function reasonCodesOf(state: Pick<Verification, 'decision'>): string[] {
  return [...new Set(state.decision?.reasons.map((reason) => reason.code) ?? [])].sort()
}

/** Options for {@link expectScenarioState}. */
export type ScenarioStateOptions = {
  /** Assert who decided (default true). */
  checkDecidedBy?: boolean
  /** What the driver declared about per-check results (default `reported`). */
  checkResults?: 'reported' | 'derived'
}

/**
 * Asserts that a verification (read, or carried by an event) is in the state a scenario expects.
 * Who decided (`decidedBy`) is only asserted for adapters that declare `manualReview`: a provider
 * without a review API (Jumio) documents no field telling a reviewer's decision from its own.
 *
 * The expected check kinds are satisfied by reported checks only: a check the adapter derived from a
 * reason proves nothing about what the vendor ran. When the vendor reports no per-check results
 * (`checkResults: 'derived'`), the kinds are not asserted and every check must say it was derived.
 */
export function expectScenarioState(
  state: Verification | EventVerification | undefined,
  expected: ScenarioExpectation,
  via: string,
  { checkDecidedBy = true, checkResults = 'reported' }: ScenarioStateOptions = {},
): void {
  expect(state, `${via}: no verification state`).toBeDefined()
  if (state === undefined) return
  expect(state.status, `${via}: status`).toBe(expected.status)
  expect(state.decision?.outcome, `${via}: decision outcome`).toBe(expected.outcome)
  expect(reasonCodesOf(state), `${via}: decision reason codes`).toEqual([...expected.reasonCodes].sort())
  if (checkResults === 'derived') {
    for (const check of state.checks) {
      expect(
        checkSource(check),
        `${via}: the vendor reports no per-check results, yet a "${check.kind}" check says it was reported`,
      ).toBe('derived')
    }
  } else {
    const reportedKinds = new Set(
      state.checks.filter((check) => checkSource(check) === 'reported').map((check) => check.kind),
    )
    for (const kind of expected.checkKinds) {
      expect(reportedKinds.has(kind), `${via}: a reported "${kind}" check is present`).toBe(true)
    }
  }
  if (checkDecidedBy && expected.decidedBy !== undefined) {
    expect(state.decision?.decidedBy, `${via}: decided by`).toBe(expected.decidedBy)
  }
}

/** One line per derived check, for the report: `face_match failed (face_mismatch)`. */
export function describeDerivedChecks(checks: readonly Check[]): string {
  const derived = checks.filter((check) => checkSource(check) === 'derived')
  if (derived.length === 0) return 'no derived checks'
  return derived
    .map(
      (check) =>
        `${check.kind} ${check.outcome} (${check.reasons.map((reason) => reason.code).join(', ') || 'no reason'})`,
    )
    .join('; ')
}

/** Asserts that `getVerification` returned a valid normalized model for this verification. */
export function expectValidVerification(verification: Verification, adapter: KycAdapter, id?: string): void {
  const parsed = VerificationSchema.safeParse(verification)
  expect(parsed.success, `not a valid Verification: ${parsed.error?.issues[0]?.path.join('.')}`).toBe(true)
  expect(verification.provider).toBe(adapter.provider)
  if (id !== undefined) expect(verification.id).toBe(id)
}

/** Runs `work` with the adapter's clock set to when the vendor sent `delivery`. */
export type DeliveryClock = <T>(delivery: CapturedWebhook, work: () => Promise<T>) => Promise<T>

/**
 * Feeds deliveries through `@openkyc/core`'s webhook pipeline, as an application's endpoint would,
 * remembering every processed event. The pipeline keeps its store between calls to `replay`.
 */
export function createWebhookReplayer(
  adapter: KycAdapter,
  options: { logger?: KycLogger; receiving?: DeliveryClock } = {},
) {
  const { logger } = options
  const receiving = options.receiving ?? ((_delivery, work) => work())
  const store = createMemoryStore()
  const pipeline = createWebhookPipeline({ adapter, store, ...(logger === undefined ? {} : { logger }) })
  const events: KycEvent[] = []
  let changes = 0
  const handle = (delivery: CapturedWebhook) =>
    pipeline.handle({
      rawBody: delivery.rawBody,
      headers: delivery.headers,
      ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
    })
  const record = (outcome: WebhookOutcome) => {
    for (const processed of outcome.events) {
      events.push(processed.event)
      if (processed.changed) changes += 1
    }
    return outcome
  }
  return {
    events,
    /** How many events changed what an application acts on (status, outcome, reasons, redaction). */
    changes: () => changes,
    async replay(deliveries: readonly CapturedWebhook[]): Promise<void> {
      for (const delivery of deliveries) record(await receiving(delivery, () => handle(delivery)))
    },
    /**
     * Delivers once more, received now (the adapter's clock is not set back to when it was sent), as
     * an attacker replaying a captured delivery would. Returns the outcome, or throws as the pipeline does.
     */
    async replayNow(delivery: CapturedWebhook): Promise<WebhookOutcome> {
      return record(await handle(delivery))
    },
    /** The state the application would have stored for a verification. */
    state: async (id: string): Promise<Verification | undefined> =>
      store.verifications.get({ provider: adapter.provider, id }),
  }
}

/** What an application passes when it starts a verification for a catalogue applicant. */
export function createOptionsFor(scenario: Scenario) {
  const { applicant } = scenario
  return {
    subjectReference: `conformance-${scenario.id}`,
    country: applicant.issuingCountry,
    prefill: {
      firstName: applicant.firstName,
      lastName: applicant.lastName,
      dateOfBirth: applicant.dateOfBirth,
    },
  }
}

/** The personal data of applicants, as strings to search for. */
export function personalDataOf(applicants: readonly SyntheticApplicant[]): string[] {
  return applicants.flatMap((applicant) => [
    applicant.firstName,
    applicant.lastName,
    applicant.dateOfBirth,
    applicant.documentNumber,
  ])
}

/** Asserts that none of `needles` occurs in the JSON of `haystack`; names the place it leaked to. */
export function expectNoPersonalData(haystack: unknown, needles: readonly string[], where: string): void {
  const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack ?? null)
  for (const needle of needles) {
    expect(text.includes(needle), `personal data of a catalogue applicant appears in ${where}`).toBe(false)
  }
}
