import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describeAdapterConformance } from '@openkyc/testkit'
import { afterAll, expect } from 'vitest'
import { createPersona } from '../src/index.js'
import {
  conformanceSettings,
  conformanceWebhookSecret,
  createValidatingFetch,
} from './conformance-support.js'

// The suite creates the driver, then the adapter: the adapter talks to the server the driver started.
let serverUrl: string | undefined
const checkers: ReturnType<typeof createValidatingFetch>[] = []

describeAdapterConformance({
  name: 'persona (loopback HTTP)',
  driver: async () => {
    const simulator = createPersonaSimulator({ webhook: { secret: conformanceWebhookSecret } })
    const server = await simulator.listen()
    serverUrl = server.url
    const driver = simulator.persona.conformanceDriver()
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
    const checked = createValidatingFetch(globalThis.fetch)
    checkers.push(checked)
    return createPersona({
      ...conformanceSettings,
      baseUrl: `${serverUrl}/api/v1`,
      fetch: checked.fetch,
      logger,
      now,
      sleep,
    })
  },
})

afterAll(() => {
  expect(checkers.reduce((sum, checker) => sum + checker.validated(), 0)).toBeGreaterThan(50)
  expect(checkers.flatMap((checker) => checker.violations)).toEqual([])
})
