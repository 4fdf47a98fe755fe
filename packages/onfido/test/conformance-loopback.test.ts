import {
  createOnfidoConformanceDriver,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { describeAdapterConformance } from '@openkyc/testkit'
import { createOnfido } from '../src/index.js'

// The suite creates the driver, then the adapter: the adapter talks to the server the driver started.
let serverUrl: string | undefined

describeAdapterConformance({
  name: 'onfido (loopback HTTP)',
  driver: async () => {
    const driver = createOnfidoConformanceDriver()
    const server = await driver.simulator.listen()
    serverUrl = server.url
    return {
      ...driver,
      close: async () => {
        await driver.close()
        await server.close()
      },
    }
  },
  createAdapter: ({ logger, now, sleep }) => {
    if (serverUrl === undefined) throw new Error('the driver starts the server first')
    // A real socket on 127.0.0.1: the global fetch, not the simulator's in-process one.
    return createOnfido({
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookTokens: [onfidoSimulatorWebhookToken],
      baseUrl: `${serverUrl}/v3.6`,
      fetch: globalThis.fetch,
      logger,
      now,
      sleep,
      env: {},
    })
  },
})
