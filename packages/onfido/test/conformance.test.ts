import {
  createOnfidoConformanceDriver,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { describeAdapterConformance } from '@openkyc/testkit'
import { createOnfido } from '../src/index.js'

describeAdapterConformance({
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
