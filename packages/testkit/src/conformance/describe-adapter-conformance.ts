import {
  enforceCapabilities,
  isKycError,
  type KycAdapter,
  KycEventSchema,
  type KycLogger,
  kycCapabilities,
  type Verification,
} from '@openkyc/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Scenario } from '../catalogue/scenario.js'
import { scenarioById, scenarios } from '../catalogue/scenarios.js'
import type { ConformanceDriver } from '../harness/driver.js'
import { capabilityExercises, expectCapabilityRefused } from './capability-exercises.js'
import {
  caught,
  createCapturingLogger,
  createOptionsFor,
  createWebhookReplayer,
  type DeliveryClock,
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
  const test = (id: ConformanceTestId, title: string, body: () => Promise<void>) => {
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
    const webhookSecurity = probe.driver.webhookSecurity
    const canForgeCallbacks = probe.driver.forgeWebhook !== undefined
    const stateOptions = { checkDecidedBy: declared.manualReview }
    await probe.driver.close()

    // ─── 1. The interface ──────────────────────────────────────────────────────────────────────
    test('interface', 'speaks specification v1 and has a method for every declared capability', async () => {
      const { adapter } = await fresh()
      expect(adapter.specificationVersion).toBe('v1')
      expect(adapter.provider).toMatch(/^[a-z][a-z0-9-]*$/)
      for (const capability of kycCapabilities)
        expect(typeof adapter.capabilities[capability]).toBe('boolean')
      expect(() => enforceCapabilities(adapter)).not.toThrow()
    })

    // ─── 2. Every catalogue scenario ends in its expected normalized state ──────────────────────
    // Read back through getVerification, and independently through the webhooks the vendor sent,
    // processed by @openkyc/core's webhook pipeline exactly as an application receives them.
    describe('scenarios', () => {
      for (const scenario of scenarios) {
        const { expected } = scenario

        test(
          `scenario.${scenario.id}.read`,
          `${scenario.id}: getVerification reports the expected outcome`,
          async () => {
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
          },
        )

        test(
          `scenario.${scenario.id}.webhook`,
          `${scenario.id}: webhooks report the expected outcome`,
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

      for (const kind of webhookForgeries) {
        const id = `webhook.forged.${kind}` as const
        const title = `a forged delivery (${kind}) is rejected`
        if (webhookSecurity === 'signature') {
          test(id, title, async () => {
            const { adapter, driver, deliveries } = await approvedWithDeliveries()
            if (driver.webhookSecurity !== 'signature') expect.fail('the driver changed its webhook security')
            const forged = driver.forgeWebhook(kind, deliveries.at(-1)!)
            expectKycError(await caught(adapter.parseWebhook(forged)), 'webhook_verification')
          })
        } else if (kind === 'tampered-body' && canForgeCallbacks) {
          // Unsigned callbacks are hints: one that lies must not change what the adapter reports.
          test(id, 'a callback whose body lies does not change what the adapter reports', async () => {
            const { adapter, driver, verification, deliveries } = await approvedWithDeliveries()
            const truth = await adapter.getVerification({ reference: verification.reference })
            const forged = driver.forgeWebhook?.('tampered-body', deliveries.at(-1)!)
            if (forged === undefined) expect.fail('the driver stopped offering forged callbacks')
            const events = await adapter.parseWebhook(forged).catch((error: unknown) => {
              expect(isKycError(error), 'a rejected callback throws a KycError').toBe(true)
              return []
            })
            for (const event of events) {
              expect(event.verification?.status).toBe(truth.status)
              expect(event.verification?.decision?.outcome).toBe(truth.decision?.outcome)
            }
          })
        } else {
          notApplicable(
            id,
            title,
            kind === 'tampered-body'
              ? 'the driver offers no forged callback'
              : 'callbacks are unsigned; the adapter fetches the authoritative state instead',
          )
        }
      }

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
        inject(subject.driver)
        const before = subject.driver.requestCount()
        const result = await subject.adapter.getVerification({ reference: verification.reference }).then(
          (value): { value?: Verification; error?: unknown } => ({ value }),
          (error: unknown): { value?: Verification; error?: unknown } => ({ error }),
        )
        return { ...result, attempts: subject.driver.requestCount() - before }
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
          const { value, error, attempts } = await readAfterFault((driver) =>
            driver.failNext({ status: 429, retryAfterSeconds: 1 }),
          )
          if (error === undefined) {
            expect(value?.status).toBe('created')
            expect(attempts, 'the 429 and one successful retry').toBe(2)
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
              const { adapter, driver } = await fresh()
              await expectCapabilityRefused(enforceCapabilities(adapter), driver, capability)
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
