import type { KycLogger } from '@openkyc/core'
import { createJumio, type JumioSettings } from '@openkyc/jumio'
import { createOnfido, type OnfidoSettings } from '@openkyc/onfido'
import { createPersona, type PersonaSettings } from '@openkyc/persona'
import { createJumioEvidenceImage, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import {
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import type { Scenario } from '@openkyc/testkit/catalogue'

/** The Persona simulator's default origin and API path, where in-process requests go. */
export const personaSimulatorApi = 'https://persona.simulator.test/api/v1'

/** The sandbox key and template every Persona run uses (test values, not secrets). */
export const personaTestCredentials = {
  apiKey: 'persona_sandbox_openkyc_bench',
  templateId: 'itmpl_openkyc_bench',
  webhookSecret: 'wbhsec_openkyc_bench',
} as const

/** The Jumio workflow the runs use: ID, identity and screening (32), so every catalogue scenario can happen. */
export const jumioBenchWorkflowKey = 32

/**
 * The consent record an application collects before a biometric Jumio workflow. Synthetic: a
 * documentation address and a fixed time.
 */
export const jumioBenchConsent = {
  userIp: '203.0.113.10',
  userLocation: { country: 'DE' },
  consent: { obtained: 'yes' as const, obtainedAt: '2030-01-01T00:00:00.000Z' },
}

/** What both factories accept besides the vendor settings. */
export type BenchAdapterContext = {
  fetch: typeof fetch
  now: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  logger?: KycLogger
}

/**
 * A Jumio adapter pointed at an in-process Jumio simulator: simulator credentials, workflow 32,
 * consent, and no client-side transaction budget (the simulator's clock, not the wall clock, is the
 * one that matters in process).
 *
 * @example
 * ```ts
 * const simulator = createJumioSimulator({ rateLimits: false })
 * const jumio = createBenchJumio({ fetch: simulator.fetch, now: () => simulator.clock.now() })
 * ```
 */
export function createBenchJumio(context: BenchAdapterContext, settings: Partial<JumioSettings> = {}) {
  return createJumio({
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    region: 'amer-1',
    userAgent: 'OpenKYC Bench/1.0',
    workflowKey: jumioBenchWorkflowKey,
    userConsent: jumioBenchConsent,
    transactionRateLimit: false,
    // Storms and soaks send thousands of genuine callbacks in seconds; the budget is tested on its own.
    callbackReadRateLimit: false,
    env: {},
    fetch: context.fetch,
    now: context.now,
    ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
    ...(context.logger === undefined ? {} : { logger: context.logger }),
    ...settings,
  })
}

/**
 * A Persona adapter pointed at an in-process Persona simulator, with the sandbox key (so
 * `simulateVerification` exists).
 *
 * @example
 * ```ts
 * const simulator = createPersonaSimulator()
 * const persona = createBenchPersona({ fetch: simulator.fetch, now: () => simulator.clock.now() })
 * ```
 */
export function createBenchPersona(context: BenchAdapterContext, settings: Partial<PersonaSettings> = {}) {
  return createPersona({
    apiKey: personaTestCredentials.apiKey,
    templateId: personaTestCredentials.templateId,
    webhookSecrets: [personaTestCredentials.webhookSecret],
    baseUrl: personaSimulatorApi,
    env: {},
    fetch: context.fetch,
    now: context.now,
    ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
    ...(context.logger === undefined ? {} : { logger: context.logger }),
    ...settings,
  })
}

/**
 * An Onfido adapter pointed at an Onfido simulator: the simulator's sandbox token and webhook token,
 * in process on the EU host unless `baseUrl` names a loopback server, and no client-side rate limit
 * (the simulator's clock, not the wall clock, is the one that matters here).
 *
 * @example
 * ```ts
 * const simulator = createOnfidoSimulator({ rateLimit: false })
 * const onfido = createBenchOnfido({ fetch: simulator.fetch, now: () => simulator.clock.now() })
 * ```
 */
export function createBenchOnfido(context: BenchAdapterContext, settings: Partial<OnfidoSettings> = {}) {
  return createOnfido({
    apiToken: onfidoSimulatorApiToken,
    workflowId: onfidoSimulatorWorkflowId,
    webhookTokens: [onfidoSimulatorWebhookToken],
    rateLimit: false,
    env: {},
    fetch: context.fetch,
    now: context.now,
    ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
    ...(context.logger === undefined ? {} : { logger: context.logger }),
    ...settings,
  })
}

/** A document front and a selfie that carry a catalogue applicant's magic last name for the Jumio simulator. */
export type JumioEvidence = { front: Uint8Array; selfie: Uint8Array }

const evidenceCache = new Map<string, JumioEvidence>()

/** The evidence images of one scenario's applicant (solid colour, so they are small), made once. */
export function jumioEvidenceFor(scenario: Pick<Scenario, 'applicant'>): JumioEvidence {
  const text = scenario.applicant.lastName
  let evidence = evidenceCache.get(text)
  if (evidence === undefined) {
    const fill = [200, 200, 200] as const
    evidence = {
      front: createJumioEvidenceImage({ text, fill }),
      selfie: createJumioEvidenceImage({ text, fill, width: 480, height: 640 }),
    }
    evidenceCache.set(text, evidence)
  }
  return evidence
}
