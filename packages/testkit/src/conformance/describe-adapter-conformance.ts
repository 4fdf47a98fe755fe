import {
  enforceCapabilities,
  isKycError,
  type KycAdapter,
  KycEventSchema,
  type KycLogger,
  kycCapabilities,
  type Verification,
  verificationStatusRank,
} from '@openkyc/core'
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest'
import type { Scenario } from '../catalogue/scenario.js'
import { scenarioById, scenarios } from '../catalogue/scenarios.js'
import {
  type CapturedWebhook,
  type ConformanceDriver,
  type WebhookForgery,
  type WebhookScheme,
  webhookForgeriesByScheme,
  webhookSchemeOf,
} from '../harness/driver.js'
import { capabilityExercises } from './capability-exercises.js'
import { readOnlyConformanceChecks } from './read-only-checks.js'
import {
  caught,
  createCapturingLogger,
  createOptionsFor,
  createWebhookReplayer,
  type DeliveryClock,
  describeDerivedChecks,
  expectKycError,
  expectNoPersonalData,
  expectScenarioState,
  expectValidVerification,
  instantSleep,
  personalDataOf,
} from './support.js'
import { type ConformanceTestId, webhookForgeries } from './test-ids.js'

/** What the suite hands the adapter factory. Pass on what the adapter accepts; ignore the rest. */
export type AdapterFactoryContext = {
  /** The simulated vendor. */
  fetch: typeof fetch
  /** Captures every line; the suite searches them for personal data. */
  logger: KycLogger
  /** The simulated vendor's clock (for webhook timestamp tolerance). */
  now: () => number
  /** Returns at once: retries and `Retry-After` waits cost no real time. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** The driver's forgery of `delivery`, or `undefined` when its scheme cannot express `kind`. */
function forge(
  driver: ConformanceDriver,
  kind: WebhookForgery,
  delivery: CapturedWebhook,
): CapturedWebhook | undefined {
  switch (driver.webhookSecurity) {
    case 'timestamped-signature':
    case 'signature':
      return driver.forgeWebhook(kind, delivery)
    case 'body-signature':
      return kind === 'stale-timestamp' ? undefined : driver.forgeWebhook(kind, delivery)
    case 'unsigned-fetch-back':
      return kind === 'tampered-body' ? driver.forgeWebhook?.(kind, delivery) : undefined
  }
}

/** Why a forgery does not apply to a scheme, for the report. */
function forgeryNotApplicable(scheme: WebhookScheme, kind: WebhookForgery): string {
  if (scheme === 'body-signature')
    return 'the vendor signs the body only: there is no timestamp to make stale; replays are covered by webhook.replayed (dedupe)'
  if (kind === 'tampered-body') return 'the driver offers no forged callback'
  return 'callbacks are unsigned; the adapter fetches the authoritative state instead'
}

const oneDayMs = 24 * 60 * 60 * 1000

/**
 * Runs one of the read-only checks (the same functions `openkyc conformance` runs) against a fresh
 * adapter and its driver; a failure fails the test with the check's message.
 */
async function runReadOnlyCheck(
  { adapter, driver }: { adapter: KycAdapter; driver: ConformanceDriver },
  name: string,
): Promise<void> {
  const check = readOnlyConformanceChecks({ adapter, requestCount: () => driver.requestCount() }).find(
    (candidate) => candidate.name === name,
  )
  if (check === undefined) expect.fail(`no read-only check named ${name}`)
  await check.run()
}

/** Options for {@link describeAdapterConformance}. */
export type AdapterConformanceOptions = {
  /** Names the suite in the report: `adapter conformance: NAME`. */
  name: string
  /** Builds a fresh adapter talking to the driver's simulated vendor. Called once per test. */
  createAdapter: (context: AdapterFactoryContext) => KycAdapter | Promise<KycAdapter>
  /** Builds a fresh simulated vendor. Called once per test, closed after it. */
  driver: () => ConformanceDriver | Promise<ConformanceDriver>
  /** Tests to skip, each with the reason shown in the report. Use sparingly: a skip is a gap. */
  skip?: Partial<Record<ConformanceTestId, string>>
  /** Per-test timeout. Default 30 s. */
  timeoutMs?: number
}

/**
 * Registers the OpenKYC conformance suite for one adapter: what "conforming" means, as tests.
 *
 * Every test is independent: it gets a fresh driver (simulated vendor) and a fresh adapter, so tests
 * can run in any order or alone. Tests for optional capabilities and vendor-specific webhook security
 * are skipped when the adapter does not declare them, visibly, with the reason in the title.
 *
 * @example
 * ```ts
 * describeAdapterConformance({
 *   name: 'acme',
 *   createAdapter: ({ fetch, now }) => createAcme({ apiKey: 'test', webhookSecret: 'whsec_test', fetch, now }),
 *   driver: () => createAcmeDriver(),
 * })
 * ```
 */
export function describeAdapterConformance(options: AdapterConformanceOptions): void {
  const timeout = options.timeoutMs ?? 30_000

  /** A fresh driver and adapter for one test; the driver is closed when the test ends. */
  const fresh = async (inTest = true) => {
    const driver = await options.driver()
    if (inTest) onTestFinished(() => driver.close())
    const { logger, lines } = createCapturingLogger()
    // While a delivery is processed, the adapter's clock reads the time the vendor sent it.
    let receivingAt: number | undefined
    const receiving: DeliveryClock = async (delivery, work) => {
      receivingAt = delivery.sentAt
      try {
        return await work()
      } finally {
        receivingAt = undefined
      }
    }
    const adapter = await options.createAdapter({
      fetch: driver.fetch,
      logger,
      now: () => receivingAt ?? driver.now?.() ?? Date.now(),
      sleep: instantSleep,
    })
    return { driver, adapter, logger, logLines: lines, receiving }
  }

  /** Registers one test, or shows it skipped with the reason the caller gave. */
  const test = (id: ConformanceTestId, title: string, body: (context: TestContext) => Promise<void>) => {
    const reason = options.skip?.[id]
    if (reason !== undefined) it.skip(`${title}: skipped — ${reason} [${id}]`, body)
    else it(`${title} [${id}]`, body, timeout)
  }

  /** Shows a test that does not apply to this adapter, and why (the one sanctioned use of `it.skip`). */
  const notApplicable = (id: ConformanceTestId, title: string, reason: string) => {
    it.skip(`${title}: skipped — ${options.skip?.[id] ?? reason} [${id}]`, () => undefined)
  }

  /** Starts a verification for a catalogue applicant and plays the scenario to `stage`. */
  const startScenario = async (
    { adapter, driver }: { adapter: KycAdapter; driver: ConformanceDriver },
    scenario: Scenario,
    stage: 'intermediate' | 'final' = 'final',
  ): Promise<Verification> => {
    const { verification } = await adapter.createVerification(createOptionsFor(scenario))
    await driver.runScenario({ reference: verification.reference, scenario, stage })
    return verification
  }

  describe(`adapter conformance: ${options.name}`, async () => {
    // What the adapter declares decides which tests apply: read it once, from a throwaway instance.
    const probe = await fresh(false)
    const declared = probe.adapter.capabilities
    const webhookScheme = webhookSchemeOf(probe.driver)
    const canForgeCallbacks = probe.driver.forgeWebhook !== undefined
    const checkResults = probe.driver.checkResults ?? 'reported'
    const manualVerdicts = probe.driver.manualVerdicts ?? 'read'
    const stateOptions = { checkDecidedBy: declared.manualReview, checkResults }
    await probe.driver.close()
    const derivedNote =
      checkResults === 'derived'
        ? ' (no per-check results from the vendor: checks derived, kinds not asserted)'
        : ''

    // ─── 1. The interface ──────────────────────────────────────────────────────────────────────
    test('interface', 'speaks specification v1 and has a method for every declared capability', async () => {
      await runReadOnlyCheck(await fresh(), 'interface')
    })

    // ─── 2. Every catalogue scenario ends in its expected normalized state ──────────────────────
    // Read back through getVerification, and independently through the webhooks the vendor sent,
    // processed by @openkyc/core's webhook pipeline exactly as an application receives them.
    describe('scenarios', () => {
      for (const scenario of scenarios) {
        const { expected } = scenario
        const readTitle = `${scenario.id}: getVerification reports the expected outcome${derivedNote}`

        if (manualVerdicts === 'webhook-only' && expected.decidedBy === 'manual') {
          notApplicable(
            `scenario.${scenario.id}.read`,
            readTitle,
            "the vendor reports a reviewer's verdict only by webhook (manualVerdicts: 'webhook-only'); the .webhook test runs",
          )
        } else
          test(`scenario.${scenario.id}.read`, readTitle, async (context) => {
            const subject = await fresh()
            const { adapter } = subject
            const created = await startScenario(
              subject,
              scenario,
              expected.intermediate ? 'intermediate' : 'final',
            )
            const reference = created.reference
            if (expected.intermediate) {
              expectScenarioState(
                await adapter.getVerification({ reference }),
                expected.intermediate,
                'before review',
                stateOptions,
              )
              await subject.driver.runScenario({ reference, scenario, stage: 'final' })
            }
            const verification = await adapter.getVerification({ reference })
            expectValidVerification(verification, adapter, created.id)
            if (checkResults === 'derived')
              await context.annotate(`derived checks: ${describeDerivedChecks(verification.checks)}`)
            expectScenarioState(verification, expected, 'getVerification', stateOptions)
            if (scenario.id === 'clean_approve') {
              const { applicant } = scenario
              expect(verification.identity, 'identity extracted from the document').toMatchObject({
                firstName: applicant.firstName,
                lastName: applicant.lastName,
                dateOfBirth: applicant.dateOfBirth,
                documentNumber: applicant.documentNumber,
              })
            }
          })

        test(
          `scenario.${scenario.id}.webhook`,
          `${scenario.id}: webhooks report the expected outcome${derivedNote}`,
          async () => {
            const subject = await fresh()
            const { adapter, driver } = subject
            const replayer = createWebhookReplayer(adapter, subject)
            const created = await startScenario(
              subject,
              scenario,
              expected.intermediate ? 'intermediate' : 'final',
            )
            const reference = created.reference
            let seen = 0
            if (expected.intermediate) {
              const deliveries = await driver.webhookDeliveries({ reference })
              await replayer.replay(deliveries)
              seen = deliveries.length
              expectScenarioState(
                await replayer.state(created.id),
                expected.intermediate,
                'webhooks before review',
                stateOptions,
              )
              await driver.runScenario({ reference, scenario, stage: 'final' })
            }
            const deliveries = await driver.webhookDeliveries({ reference })
            expect(deliveries.length, 'the vendor sent webhooks').toBeGreaterThan(seen)
            await replayer.replay(deliveries.slice(seen))
            expectScenarioState(await replayer.state(created.id), expected, 'webhooks', stateOptions)
          },
        )
      }
    })

    // ─── 3. Webhooks: verified, normalized, deduplicated, order-proof ───────────────────────────
    describe('webhooks', () => {
      const cleanApprove = scenarioById('clean_approve')

      /** A finished clean approval and the webhooks it produced. */
      const approvedWithDeliveries = async () => {
        const subject = await fresh()
        const verification = await startScenario(subject, cleanApprove)
        const deliveries = await subject.driver.webhookDeliveries({ reference: verification.reference })
        expect(deliveries.length, 'the vendor sent webhooks').toBeGreaterThan(0)
        return { ...subject, verification, deliveries }
      }

      test('webhook.valid', 'a genuine delivery is accepted and normalized into valid events', async () => {
        const { adapter, verification, deliveries, receiving } = await approvedWithDeliveries()
        const events = []
        for (const delivery of deliveries) {
          events.push(...(await receiving(delivery, () => adapter.parseWebhook(delivery))))
        }
        expect(events.length).toBeGreaterThan(0)
        for (const event of events) {
          expect(KycEventSchema.safeParse(event).success, `event ${event.type} is a valid KycEvent`).toBe(
            true,
          )
          expect(event.provider).toBe(adapter.provider)
          if (event.verification) expect(event.verification.id).toBe(verification.id)
        }
        expect(events.some((event) => event.verification?.status === 'completed')).toBe(true)
      })

      /**
       * Every kind of delivery the vendor sends (status, decision and review webhooks): those of a
       * clean approval and of a manual review, with the verifications they belong to.
       */
      const everyKindOfDelivery = async () => {
        const subject = await fresh()
        const deliveries: CapturedWebhook[] = []
        const verifications: Verification[] = []
        for (const scenario of [cleanApprove, scenarioById('manual_review_then_approve')]) {
          const staged = scenario.expected.intermediate !== undefined
          const created = await startScenario(subject, scenario, staged ? 'intermediate' : 'final')
          if (staged)
            await subject.driver.runScenario({ reference: created.reference, scenario, stage: 'final' })
          verifications.push(created)
          deliveries.push(...(await subject.driver.webhookDeliveries({ reference: created.reference })))
        }
        expect(deliveries.length, 'the vendor sent webhooks').toBeGreaterThan(0)
        return { ...subject, deliveries, verifications }
      }

      for (const kind of webhookForgeries) {
        const id = `webhook.forged.${kind}` as const
        const title = `a forged delivery (${kind}) is rejected, whatever kind of delivery it copies`
        const applies =
          webhookForgeriesByScheme[webhookScheme].includes(kind) &&
          (webhookScheme !== 'unsigned-fetch-back' || canForgeCallbacks)
        if (!applies) notApplicable(id, title, forgeryNotApplicable(webhookScheme, kind))
        else if (webhookScheme !== 'unsigned-fetch-back') {
          test(id, title, async () => {
            const { adapter, driver, deliveries, receiving } = await everyKindOfDelivery()
            for (const [index, delivery] of deliveries.entries()) {
              const forged = forge(driver, kind, delivery)
              if (forged === undefined)
                expect.fail(`the driver cannot forge ${kind} although its scheme says so`)
              const error = await receiving(delivery, () => caught(adapter.parseWebhook(forged)))
              expect(isKycError(error), `delivery ${index + 1} of ${deliveries.length}, forged`).toBe(true)
              expectKycError(error, 'webhook_verification')
            }
          })
        } else {
          // Unsigned callbacks are hints: one that lies must not change what the adapter reports.
          test(
            id,
            'a callback whose body lies does not change what the adapter reports, whatever kind it copies',
            async () => {
              const { adapter, driver, deliveries, verifications, receiving } = await everyKindOfDelivery()
              const truths = new Map<string, Verification>()
              for (const verification of verifications)
                truths.set(
                  verification.id,
                  await adapter.getVerification({ reference: verification.reference }),
                )
              for (const delivery of deliveries) {
                const forged = forge(driver, 'tampered-body', delivery)
                if (forged === undefined) expect.fail('the driver stopped offering forged callbacks')
                const events = await receiving(delivery, () => adapter.parseWebhook(forged)).catch(
                  (error: unknown) => {
                    expect(isKycError(error), 'a rejected callback throws a KycError').toBe(true)
                    return []
                  },
                )
                // What the adapter reports may lag behind the truth (a read budget spent, details not
                // ready yet), but never runs ahead of it or contradicts its decision.
                for (const event of events) {
                  const truth = truths.get(event.verification?.id ?? '')
                  if (event.verification === undefined || truth === undefined) continue
                  expect(
                    verificationStatusRank[event.verification.status],
                    `an event says ${event.verification.status}, the truth is ${truth.status}`,
                  ).toBeLessThanOrEqual(verificationStatusRank[truth.status])
                  if (event.verification.decision !== undefined)
                    expect(event.verification.decision.outcome).toBe(truth.decision?.outcome)
                }
              }
            },
          )
        }
      }

      test(
        'webhook.replayed',
        webhookScheme === 'body-signature'
          ? 'a genuine delivery replayed a day later is absorbed by dedupe (body-only signature: stable event ids)'
          : webhookScheme === 'timestamped-signature'
            ? 'a genuine delivery replayed a day later is refused as stale or absorbed, never applied again'
            : 'a genuine callback replayed a day later changes nothing',
        async () => {
          const { adapter, driver, verification, deliveries, receiving } = await approvedWithDeliveries()
          const replayer = createWebhookReplayer(adapter, { receiving })
          await replayer.replay(deliveries)
          const changes = replayer.changes()
          const before = await replayer.state(verification.id)
          await driver.advanceTime(oneDayMs)
          for (const [index, delivery] of deliveries.entries()) {
            const outcome = await replayer.replayNow(delivery).catch((error: unknown) => ({ error }))
            const where = `replayed delivery ${index + 1} of ${deliveries.length}`
            if ('error' in outcome) {
              expect(
                webhookScheme,
                `${where} was refused; only a timestamped scheme may refuse a genuine delivery for its age`,
              ).toBe('timestamped-signature')
              expectKycError(outcome.error, 'webhook_verification')
            } else if (webhookScheme === 'body-signature') {
              expect(
                outcome.events.map((processed) => processed.event.id),
                `${where}: deduplicated`,
              ).toEqual([])
            }
          }
          expect(replayer.changes(), 'replays changed a stored verification').toBe(changes)
          expect(await replayer.state(verification.id)).toEqual(before)
        },
      )

      test('webhook.duplicate', 'the same delivery three times changes the state once', async () => {
        const subject = await approvedWithDeliveries()
        const last = subject.deliveries.at(-1)!
        const replayer = createWebhookReplayer(subject.adapter, subject)
        await replayer.replay([last, last, last])
        expect(replayer.changes()).toBe(1)
      })

      test('webhook.reorder', 'deliveries in reverse order never move a verification backwards', async () => {
        const subject = await fresh()
        const scenario = scenarioById('manual_review_then_approve')
        const verification = await startScenario(subject, scenario, 'intermediate')
        await subject.driver.runScenario({ reference: verification.reference, scenario, stage: 'final' })
        const deliveries = await subject.driver.webhookDeliveries({ reference: verification.reference })
        const replayer = createWebhookReplayer(subject.adapter, subject)
        await replayer.replay([...deliveries].reverse())
        expectScenarioState(
          await replayer.state(verification.id),
          scenario.expected,
          'webhooks in reverse order',
          stateOptions,
        )
      })
    })

    // ─── 4. Vendor failures become KycErrors, retried where retrying is safe ────────────────────
    describe('errors', () => {
      /** A verification to read, then the fault, then the read. */
      const readAfterFault = async (inject: (driver: ConformanceDriver) => void) => {
        const subject = await fresh()
        const { verification } = await subject.adapter.createVerification(
          createOptionsFor(scenarioById('clean_approve')),
        )
        // The adapter's own fault-free read: a read may take more than one vendor request.
        const start = subject.driver.requestCount()
        await subject.adapter.getVerification({ reference: verification.reference })
        const faultFree = subject.driver.requestCount() - start
        inject(subject.driver)
        const before = subject.driver.requestCount()
        const result = await subject.adapter.getVerification({ reference: verification.reference }).then(
          (value): { value?: Verification; error?: unknown } => ({ value }),
          (error: unknown): { value?: Verification; error?: unknown } => ({ error }),
        )
        return { ...result, attempts: subject.driver.requestCount() - before, faultFree }
      }

      test('errors.authentication', '401 → KycAuthenticationError', async () => {
        const { error } = await readAfterFault((driver) => driver.failNext({ status: 401, times: 10 }))
        expectKycError(error, 'authentication')
      })

      test('errors.not-found', '404 → KycNotFoundError', async () => {
        const { error } = await readAfterFault((driver) => driver.failNext({ status: 404, times: 10 }))
        expectKycError(error, 'not_found')
      })

      test(
        'errors.rate-limited',
        '429 until retries run out → KycRateLimitedError with retryAfterMs',
        async () => {
          const { error } = await readAfterFault((driver) =>
            driver.failNext({ status: 429, retryAfterSeconds: 2, times: 50 }),
          )
          expect(expectKycError(error, 'rate_limited')).toMatchObject({ retryAfterMs: 2000, retryable: true })
        },
      )

      test(
        'errors.rate-limited-once',
        'a single 429 is retried transparently (when the adapter retries)',
        async () => {
          const { value, error, attempts, faultFree } = await readAfterFault((driver) =>
            driver.failNext({ status: 429, retryAfterSeconds: 1 }),
          )
          if (error === undefined) {
            expect(value?.status).toBe('created')
            expect(attempts, `the fault-free read (${faultFree} requests) plus one retry of the 429`).toBe(
              faultFree + 1,
            )
          } else {
            expect(expectKycError(error, 'rate_limited')).toMatchObject({ retryAfterMs: 1000 })
            expect(attempts).toBe(1)
          }
        },
      )

      test('errors.unavailable', '5xx is retried, then KycProviderUnavailableError', async () => {
        const { error, attempts } = await readAfterFault((driver) =>
          driver.failNext({ status: 500, times: 50 }),
        )
        expectKycError(error, 'provider_unavailable')
        expect(attempts, 'retried at least once').toBeGreaterThan(1)
      })

      test(
        'errors.connection-reset',
        'a connection reset → KycProviderUnavailableError, never a raw TypeError',
        async () => {
          const { error } = await readAfterFault((driver) => driver.resetNext({ times: 50 }))
          expectKycError(error, 'provider_unavailable')
        },
      )

      test(
        'errors.malformed-response',
        'a body that is not JSON → KycInvalidProviderResponseError',
        async () => {
          const { error } = await readAfterFault((driver) => driver.malformedNext({ times: 50 }))
          expectKycError(error, 'invalid_provider_response')
        },
      )
    })

    // ─── 5. Capability honesty: declared ⇒ works; undeclared ⇒ refused before any request ───────
    describe('capabilities', () => {
      for (const capability of kycCapabilities) {
        const title = `capability ${capability}`
        if (declared[capability]) {
          test(`capability.${capability}`, `${title}: declared — works end to end`, async () => {
            const { adapter, driver } = await fresh()
            await capabilityExercises[capability]({ adapter: enforceCapabilities(adapter), driver })
          })
        } else {
          notApplicable(`capability.${capability}`, title, 'not declared by adapter')
          test(
            `capability.${capability}.undeclared`,
            `${title}: not declared — refused before any request`,
            async () => {
              await runReadOnlyCheck(await fresh(), `capability.${capability}.undeclared`)
            },
          )
        }
      }
    })

    // ─── 6. No personal data in errors, logs or events ──────────────────────────────────────────
    test('pii', 'no applicant name, date of birth or document number in errors, logs or events', async () => {
      const subject = await fresh()
      const { adapter, driver, logger, logLines, receiving } = subject
      const applicants = [scenarioById('clean_approve'), scenarioById('face_mismatch')]
      const personalData = personalDataOf(applicants.map((scenario) => scenario.applicant))
      const replayer = createWebhookReplayer(adapter, { logger, receiving })
      const errors: unknown[] = []

      for (const scenario of applicants) {
        const verification = await startScenario(subject, scenario)
        await replayer.replay(await driver.webhookDeliveries({ reference: verification.reference }))
        const read = await adapter.getVerification({ reference: verification.reference })
        expectNoPersonalData(
          { raw: read.raw, decision: read.decision, checks: read.checks, credentials: read.credentials },
          personalData,
          'the vendor words kept in raw, decision, checks and credentials',
        )
        for (const status of [401, 404, 500]) {
          driver.failNext({ status, times: 10, body: { echoed: scenario.applicant } })
          errors.push(await caught(adapter.getVerification({ reference: verification.reference })))
          driver.clearFaults()
        }
        driver.malformedNext({ times: 10 })
        errors.push(await caught(adapter.getVerification({ reference: verification.reference })))
        driver.clearFaults()
      }
      // A vendor that echoes the submitted data in a validation error must not leak it either.
      driver.failNext({ status: 422, times: 10, body: { errors: [{ detail: personalData.join(' ') }] } })
      errors.push(await caught(adapter.createVerification(createOptionsFor(applicants[0]!))))

      for (const error of errors) {
        expect(isKycError(error), 'every failure is a KycError').toBe(true)
        expectNoPersonalData(String((error as Error).message), personalData, 'an error message')
        expectNoPersonalData(error, personalData, 'JSON.stringify(error)')
      }
      for (const line of logLines) {
        expectNoPersonalData(line.message, personalData, `a ${line.level} log line`)
        expectNoPersonalData(line.fields, personalData, `the fields of a ${line.level} log line`)
      }
      expect(replayer.events.length).toBeGreaterThan(0)
      for (const event of replayer.events) expectNoPersonalData(event, personalData, `a ${event.type} event`)
    })
  })
}
