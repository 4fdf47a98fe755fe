import {
  createOnfidoConformanceDriver,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { describeAdapterConformance } from '@openkyc/testkit'
import { createOnfido } from '../src/index.js'

/**
 * Not capability-derived, and temporary: the suite on main still assumes every signed vendor signs a
 * timestamp and that a read is one request. Issue 14 (branch issue-14, not on main yet) lets a driver
 * declare a body-only scheme and counts requests relative to the adapter's own read; remove these
 * once it lands.
 */
const untilIssue14 = {
  'webhook.forged.stale-timestamp':
    'Onfido signs the raw body only (no timestamp); replays are handled by dedupe on the derived event id',
  'errors.rate-limited-once':
    'a read is three requests (run, checks, reports); the suite on main expects one',
} as const

describeAdapterConformance({
  skip: untilIssue14,
  name: 'onfido (in-process)',
  createAdapter: ({ fetch, logger, now, sleep }) =>
    createOnfido({
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookTokens: [onfidoSimulatorWebhookToken],
      fetch,
      logger,
      now,
      sleep,
      env: {},
    }),
  driver: () => createOnfidoConformanceDriver(),
})
