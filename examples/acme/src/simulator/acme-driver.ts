import { signTimestampedPayload } from '@openkyc/core'
import {
  type CapturedWebhook,
  type SignatureConformanceDriver,
  simulatorControls,
  toCapturedWebhook,
  type WebhookForgery,
} from '@openkyc/testkit/harness'
import { createAcmeSimulator } from './acme-simulator.js'

/** The credentials the driver's simulator accepts; pass the same to `createAcme`. */
export const acmeTestCredentials = { apiKey: 'acme_test_key', webhookSecret: 'whsec_acme_test' } as const

/** Re-signs a delivery's body the way Acme does, with a chosen secret and time. */
function signed(rawBody: string, secret: string, timestamp: number): CapturedWebhook {
  const header = signTimestampedPayload({ rawBody, secrets: secret, timestamp })
  return { headers: new Headers({ 'content-type': 'application/json', 'acme-signature': header }), rawBody }
}

/**
 * The conformance driver for Acme Verify: how the suite plays applicant and analyst, and reads the
 * webhooks Acme sent.
 *
 * @example
 * ```ts
 * describeAdapterConformance({ name: 'acme', createAdapter: …, driver: createAcmeDriver })
 * ```
 */
export function createAcmeDriver(): SignatureConformanceDriver {
  const simulator = createAcmeSimulator(acmeTestCredentials)
  const { webhookSecret } = acmeTestCredentials
  const timestampOf = (delivery: CapturedWebhook) =>
    Number(/t=(\d+)/.exec(delivery.headers.get('acme-signature') ?? '')?.[1] ?? 0)

  return {
    ...simulatorControls(simulator),
    webhookSecurity: 'signature',

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

    forgeWebhook(kind: WebhookForgery, delivery: CapturedWebhook): CapturedWebhook {
      const timestamp = timestampOf(delivery)
      switch (kind) {
        case 'bad-signature': {
          const header = `t=${timestamp},v1=${'0'.repeat(64)}`
          return { headers: new Headers({ 'acme-signature': header }), rawBody: delivery.rawBody }
        }
        case 'tampered-body':
          return {
            headers: delivery.headers,
            rawBody: delivery.rawBody.replace(/"status":"\w+"/, '"status":"cancelled"'),
          }
        case 'stale-timestamp':
          return signed(delivery.rawBody, webhookSecret, timestamp - 3600)
        case 'unknown-secret':
          return signed(delivery.rawBody, 'whsec_someone_else', timestamp)
      }
    },

    async close() {},
  }
}
