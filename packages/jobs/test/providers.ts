import type { KycAdapter, Verification } from '@openkyc/core'
import { createJumio } from '@openkyc/jumio'
import { createOnfido } from '@openkyc/onfido'
import { createPersona } from '@openkyc/persona'
import { createJumioSimulator, type JumioSimulator, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import {
  createOnfidoSimulator,
  type OnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createPersonaSimulator, type PersonaSimulator } from '@openkyc/simulator-persona'
import type { Scenario } from '@openkyc/testkit/catalogue'

/** Test values, not secrets. */
export const personaCredentials = {
  apiKey: 'persona_sandbox_openkyc_jobs',
  templateId: 'itmpl_openkyc_jobs',
  webhookSecret: 'wbhsec_openkyc_jobs',
} as const

/** No retries, no waits: a fault injected in a simulator reaches the job as the adapter's error. */
const instantSleep = async () => {}

/** A Persona simulator in process and an adapter on it. `webhooks: false` switches its webhooks off. */
export function personaPair(options: { webhooks: boolean; maxRetries?: number }) {
  const simulator: PersonaSimulator = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: {
      secret: personaCredentials.webhookSecret,
      apiVersion: '2025-10-27',
      ...(options.webhooks ? {} : { enabledEvents: [] }),
    },
  })
  const adapter = createPersona({
    apiKey: personaCredentials.apiKey,
    templateId: personaCredentials.templateId,
    webhookSecrets: [personaCredentials.webhookSecret],
    baseUrl: 'https://persona.simulator.test/api/v1',
    env: {},
    fetch: simulator.fetch,
    now: () => simulator.clock.now(),
    sleep: instantSleep,
    rateLimit: false,
    maxRetries: options.maxRetries ?? 2,
  })
  return { simulator, adapter }
}

/** The Jumio adapter settings every jobs test uses against the Jumio simulator. */
export const jumioTestSettings = {
  clientId: jumioSimulatorClient.id,
  clientSecret: jumioSimulatorClient.secret,
  region: 'amer-1',
  userAgent: 'OpenKYC Jobs Test/1.0',
  workflowKey: 32,
  userConsent: {
    userIp: '203.0.113.10',
    userLocation: { country: 'DE' },
    consent: { obtained: 'yes', obtainedAt: '2030-01-01T00:00:00.000Z' },
  },
} as const

/** A Jumio simulator in process (no rate limits) and an adapter on it. */
export function jumioPair(options: { maxRetries?: number } = {}) {
  const simulator: JumioSimulator = createJumioSimulator({ rateLimits: false })
  const adapter = createJumio({
    ...jumioTestSettings,
    transactionRateLimit: false,
    callbackReadRateLimit: false,
    env: {},
    fetch: simulator.fetch,
    now: () => simulator.clock.now(),
    sleep: instantSleep,
    retries: options.maxRetries ?? 2,
  })
  return { simulator, adapter }
}

/** An Onfido simulator in process (no rate limit) and an adapter on it. */
export function onfidoPair(options: { maxRetries?: number } = {}) {
  const simulator: OnfidoSimulator = createOnfidoSimulator({ rateLimit: false })
  const adapter = createOnfido({
    apiToken: onfidoSimulatorApiToken,
    workflowId: onfidoSimulatorWorkflowId,
    webhookTokens: [onfidoSimulatorWebhookToken],
    rateLimit: false,
    env: {},
    fetch: simulator.fetch,
    now: () => simulator.clock.now(),
    sleep: instantSleep,
    maxRetries: options.maxRetries ?? 2,
  })
  return { simulator, adapter }
}

/** Creates a verification for `subjectReference` with the scenario applicant's data prefilled. */
export async function createFor(
  adapter: KycAdapter,
  subjectReference: string,
  scenario: Scenario,
): Promise<Verification> {
  const { verification } = await adapter.createVerification({
    subjectReference,
    prefill: {
      firstName: scenario.applicant.firstName,
      lastName: scenario.applicant.lastName,
      dateOfBirth: scenario.applicant.dateOfBirth,
    },
  })
  return verification
}
