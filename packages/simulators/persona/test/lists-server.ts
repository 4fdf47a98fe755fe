import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createSimulatorClock, type SimulatorClock } from '@openkyc/testkit/harness'
import { createPersonaApp } from '../src/app.js'
import type { PersonaRouteContext } from '../src/context.js'
import {
  createPersonaSchemaCheckingFetch,
  type PersonaSchemaCheckingFetch,
  type PersonaSchemaCheckingOptions,
} from '../src/openapi/index.js'
import { createPersonaRouteContext } from '../src/route-context.js'

/**
 * Test helper for the cases, lists and importers suites: the Persona app on a real loopback port,
 * a manual simulator clock, and a `fetch` that checks every exchange against the official schemas.
 */

/** A parsed response; bodies are inspected loosely in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: JSON:API bodies are walked freely in tests
export type JsonReply = { status: number; body: any; headers: Headers }

/** A running Persona simulator for one test. */
export type TestPersona = {
  baseUrl: string
  clock: SimulatorClock
  context: PersonaRouteContext
  checkedFetch: PersonaSchemaCheckingFetch
  /** Calls `/api/v1<path>` with a sandbox key and a JSON body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonReply>
  close(): Promise<void>
}

export const testApiKey = 'persona_sandbox_lists_and_cases'

/** Starts the simulator on 127.0.0.1, port 0. */
export async function startTestPersona(options: PersonaSchemaCheckingOptions = {}): Promise<TestPersona> {
  const clock = createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' })
  const context = createPersonaRouteContext({ now: () => clock.now() })
  const app = createPersonaApp({
    context,
    defaultApiVersion: '2023-01-05',
    rateLimit: { limit: 100_000, windowMs: 60_000 },
    idempotencyRetentionMs: 86_400_000,
  })
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  const checkedFetch = createPersonaSchemaCheckingFetch(fetch, options)
  return {
    baseUrl,
    clock,
    context,
    checkedFetch,
    async call(method, path, body, headers = {}) {
      const response = await checkedFetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${testApiKey}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, body: text === '' ? {} : JSON.parse(text), headers: response.headers }
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}
