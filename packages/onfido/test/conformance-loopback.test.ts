import {
  createOnfidoConformanceDriver,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import {
  validateOnfidoRequest,
  validateOnfidoResponse,
  validateOnfidoWebhookBody,
} from '@openkyc/simulator-onfido/openapi'
import { describeAdapterConformance } from '@openkyc/testkit'
import { createSchemaCheckingFetch, malformedJsonBody, type SchemaIssue } from '@openkyc/testkit/harness'
import { afterAll, expect } from 'vitest'
import { createOnfido } from '../src/index.js'

// The suite creates the driver, then the adapter: the adapter talks to the server the driver started.
let serverUrl: string | undefined

/**
 * Every exchange between the adapter and the simulator's socket, checked against Onfido's official
 * spec: what the adapter sends (JSON bodies) and what the simulator answers. The suite's injected
 * "malformed body" faults are the harness's words, not the simulator's, so they are left unchecked.
 */
const checkedFetch = createSchemaCheckingFetch({
  fetch: globalThis.fetch,
  validateRequest: ({ method, path, contentType, body }) =>
    contentType.toLowerCase().includes('json') ? validateOnfidoRequest({ method, path, body }) : undefined,
  validateResponse: ({ method, path, status, contentType, body }) =>
    body === malformedJsonBody
      ? undefined
      : validateOnfidoResponse({ method, path, status, contentType, body }),
})
const webhookViolations: { action: string; errors: readonly SchemaIssue[] }[] = []
let validatedWebhooks = 0

describeAdapterConformance({
  name: 'onfido (loopback HTTP)',
  driver: async () => {
    const driver = createOnfidoConformanceDriver()
    const server = await driver.simulator.listen()
    serverUrl = server.url
    return {
      ...driver,
      close: async () => {
        await driver.simulator.deliveriesIdle()
        for (const message of driver.simulator.deliveries) {
          const body = JSON.parse(message.rawBody) as { payload?: { action?: string } }
          const result = validateOnfidoWebhookBody(body)
          validatedWebhooks += 1
          if (!result.valid)
            webhookViolations.push({ action: String(body.payload?.action), errors: result.errors })
        }
        await driver.close()
        await server.close()
      },
    }
  },
  createAdapter: ({ logger, now, sleep }) => {
    if (serverUrl === undefined) throw new Error('the driver starts the server first')
    // A real socket on 127.0.0.1: the global fetch (schema-checked), not the simulator's in-process one.
    return createOnfido({
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookTokens: [onfidoSimulatorWebhookToken],
      baseUrl: `${serverUrl}/v3.6`,
      fetch: checkedFetch,
      logger,
      now,
      sleep,
      env: {},
    })
  },
})

afterAll(() => {
  if (process.env.ONFIDO_FIDELITY_REPORT) {
    console.info(
      `onfido loopback conformance fidelity: ${checkedFetch.checkedResponses()} responses and ${validatedWebhooks} webhooks validated, ${checkedFetch.violations.length + webhookViolations.length} violations`,
    )
  }
  expect(checkedFetch.violations, 'requests and responses that violate the official spec').toEqual([])
  expect(webhookViolations, 'webhook bodies that violate the official spec').toEqual([])
  expect(checkedFetch.checkedResponses()).toBeGreaterThan(0)
  expect(validatedWebhooks).toBeGreaterThan(0)
})
