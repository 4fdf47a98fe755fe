import { createJumioConformanceDriver, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { type AdapterFactoryContext, describeAdapterConformance } from '@openkyc/testkit'
import { createJumio, type JumioBaseUrls } from '../src/index.js'

/**
 * The adapter as the suite builds it: simulator credentials, the workflow whose capabilities cover the
 * catalogue (32: ID, identity and screening), and the consent record an application collects.
 */
function createConformanceAdapter(context: AdapterFactoryContext, baseUrls?: JumioBaseUrls) {
  const { fetch, logger, now, sleep } = context
  return createJumio({
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    ...(baseUrls === undefined ? { region: 'amer-1' as const, fetch } : { baseUrls }),
    userAgent: 'OpenKYC Conformance/1.0',
    workflowKey: 32,
    logger,
    now,
    sleep,
    env: {},
    // The driver delivers callbacks from Jumio's published amer-1 addresses: check them.
    verifyCallbackSource: true,
    userConsent: () => ({
      userIp: '203.0.113.10',
      userLocation: { country: 'DE' },
      consent: { obtained: 'yes', obtainedAt: new Date(now()).toISOString() },
    }),
  })
}

describeAdapterConformance({
  name: 'jumio (in-process)',
  createAdapter: (context) => createConformanceAdapter(context),
  driver: () => createJumioConformanceDriver(),
})

// The same suite over a real loopback port: the simulator listens on 127.0.0.1, the adapter is
// configured with its URLs and sends real HTTP with the global fetch.
let loopbackUrls: JumioBaseUrls | undefined

describeAdapterConformance({
  name: 'jumio (loopback)',
  createAdapter: (context) => {
    if (loopbackUrls === undefined) throw new Error('the loopback simulator is not listening')
    return createConformanceAdapter(context, loopbackUrls)
  },
  driver: async () => {
    const driver = await createJumioConformanceDriver()
    const server = await driver.simulator.listen()
    const { auth, account, api, retrieval } = driver.simulator.urls()
    loopbackUrls = { auth, account, api, retrieval }
    return {
      ...driver,
      close: async () => {
        await server.close()
        await driver.close()
      },
    }
  },
})
