import { signBody } from '@openkyc/core'
import {
  type BodySignatureConformanceDriver,
  type BodySignatureForgery,
  type CapturedWebhook,
  simulatorControls,
  toCapturedWebhook,
} from '@openkyc/testkit/harness'
import { type AcmePlan, createAcmeSimulator } from './acme-simulator.js'

/** The credentials the driver's simulator accepts; pass the same to `createAcme`. */
export const acmeTestCredentials = { apiKey: 'acme_test_key', webhookSecret: 'whsec_acme_test' } as const

/** A delivery's body with a signature header of our choosing. */
function withSignature(rawBody: string, signature: string): CapturedWebhook {
  return {
    headers: new Headers({ 'content-type': 'application/json', 'acme-signature': signature }),
    rawBody,
  }
}

/**
 * The conformance driver for Acme Verify: how the suite plays applicant and analyst, reads the
 * webhooks Acme sent, and forges the deliveries a body-only signature must refuse. It declares what
 * the suite cannot see for itself: Acme signs the body only, and on the `lite` plan it reports no
 * per-check results and shows an analyst's verdict only in a webhook.
 *
 * @example
 * ```ts
 * describeAdapterConformance({ name: 'acme', createAdapter: …, driver: createAcmeDriver })
 * describeAdapterConformance({ name: 'acme lite', createAdapter: …, driver: () => createAcmeDriver({ plan: 'lite' }) })
 * ```
 */
export function createAcmeDriver(options: { plan?: AcmePlan } = {}): BodySignatureConformanceDriver {
  const plan = options.plan ?? 'verify'
  const simulator = createAcmeSimulator({ ...acmeTestCredentials, plan })

  return {
    ...simulatorControls(simulator),
    webhookSecurity: 'body-signature',
    checkResults: plan === 'lite' ? 'derived' : 'reported',
    manualVerdicts: plan === 'lite' ? 'webhook-only' : 'read',

    async runScenario({ reference, scenario, stage = 'final' }) {
      const checkId = reference.checkId!
      if (scenario.id === 'applicant_abandons') {
        await simulator.startCheck(checkId)
        await simulator.advanceTime(60 * 60 * 1000 + 1)
        return
      }
      const status = simulator.statusOf(checkId)
      if (status === 'pending' || status === 'started')
        await simulator.submitDocument(checkId, scenario.applicant)
      if (scenario.expected.intermediate && stage === 'final') await simulator.reviewCheck(checkId, 'clear')
    },

    async webhookDeliveries({ reference } = {}) {
      return simulator.deliverer.messages
        .filter((message) => message.copyOf === undefined)
        .filter((message) => reference === undefined || message.subject === reference.checkId)
        .map((message) => toCapturedWebhook(message))
    },

    forgeWebhook(kind: BodySignatureForgery, delivery: CapturedWebhook): CapturedWebhook {
      switch (kind) {
        case 'bad-signature':
          return withSignature(delivery.rawBody, '0'.repeat(64))
        case 'tampered-body':
          return {
            headers: delivery.headers,
            rawBody: delivery.rawBody.replace(/"status":"\w+"/, '"status":"cancelled"'),
          }
        case 'unknown-secret':
          return withSignature(
            delivery.rawBody,
            signBody({ rawBody: delivery.rawBody, secret: 'whsec_someone_else', encoding: 'hex' }),
          )
      }
    },

    async close() {},
  }
}
