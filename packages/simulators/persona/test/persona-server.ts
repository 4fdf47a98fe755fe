import type { SimulatorServer } from '@openkyc/testkit/harness'
import { createSimulatorClock, type SimulatorClock } from '@openkyc/testkit/harness'
import { createPersonaSchemaCheckingFetch, type PersonaSchemaCheckingFetch } from '../src/openapi/index.js'
import {
  createPersonaSimulator,
  type PersonaSimulator,
  type PersonaSimulatorOptions,
} from '../src/simulator.js'

/**
 * Test helper for the Persona simulator core suites: the whole simulator on a real loopback port with
 * a manual clock, and a client whose legacy-version (2023-01-05) traffic is checked against the
 * official OpenAPI schemas. Modern-version (2025-10-27+) traffic goes around the checker: the bundle
 * predates those shapes.
 */

// biome-ignore lint/suspicious/noExplicitAny: response bodies are walked freely in assertions
export type Json = any

/** A parsed reply. */
export type Reply = { status: number; body: Json; headers: Headers; text: string }

/** Options of one call. */
export type CallOptions = {
  body?: unknown
  apiKey?: string
  version?: string
  inflection?: 'kebab' | 'camel' | 'snake'
  idempotencyKey?: string
  headers?: Record<string, string>
}

/** A running simulator for one test. */
export type TestPersona = {
  simulator: PersonaSimulator
  server: SimulatorServer
  baseUrl: string
  clock: SimulatorClock
  checkedFetch: PersonaSchemaCheckingFetch
  call(method: string, path: string, options?: CallOptions): Promise<Reply>
  /** Creates an inquiry and returns its id. */
  createInquiry(attributes?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<string>
  close(): Promise<void>
}

export const sandboxKey = 'persona_sandbox_core_tests'
export const productionKey = 'persona_production_core_tests'
export const webhookSecret = 'wbhsec_core_tests_secret'

/** Starts a Persona simulator on 127.0.0.1, port 0. */
export async function startPersona(options: PersonaSimulatorOptions = {}): Promise<TestPersona> {
  const clock = options.clock ?? createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' })
  const simulator = createPersonaSimulator({
    ...options,
    clock,
    webhook: { secret: webhookSecret, ...options.webhook },
  })
  const server = await simulator.listen()
  const checkedFetch = createPersonaSchemaCheckingFetch(fetch)
  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<Reply> => {
    const version = callOptions.version
    const useChecker = version === undefined || version < '2025-10-27'
    const headers: Record<string, string> = {
      Authorization: `Bearer ${callOptions.apiKey ?? sandboxKey}`,
      ...(callOptions.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(version === undefined ? {} : { 'Persona-Version': version }),
      ...(callOptions.inflection === undefined ? {} : { 'Key-Inflection': callOptions.inflection }),
      ...(callOptions.idempotencyKey === undefined ? {} : { 'Idempotency-Key': callOptions.idempotencyKey }),
      ...callOptions.headers,
    }
    const init: RequestInit = {
      method,
      headers,
      ...(callOptions.body === undefined ? {} : { body: JSON.stringify(callOptions.body) }),
    }
    const url = `${server.url}/api/v1${path}`
    const response =
      useChecker && callOptions.inflection === undefined
        ? await checkedFetch(url, init)
        : await fetch(url, init)
    const text = await response.text()
    let body: Json = {}
    try {
      body = text === '' ? {} : JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body, headers: response.headers, text }
  }
  return {
    simulator,
    server,
    baseUrl: server.url,
    clock,
    checkedFetch,
    call,
    async createInquiry(attributes = {}, meta) {
      const reply = await call('POST', '/inquiries', {
        body: {
          data: { attributes: { 'inquiry-template-id': 'itmpl_CoreTests', ...attributes } },
          ...(meta ? { meta } : {}),
        },
      })
      if (reply.status !== 201) throw new Error(`create failed with ${reply.status}: ${reply.text}`)
      return reply.body.data.id as string
    },
    close: () => server.close(),
  }
}

/** The schema violations seen, one line each, for readable failures. */
export function violationSummary(persona: TestPersona): string[] {
  return persona.checkedFetch.violations.map((violation) => {
    const messages = violation.errors
      .filter((error) => !/anyOf|oneOf|constant/.test(error.message))
      .slice(0, 3)
      .map((error) => `${error.pointer} ${error.message}`)
    return `${violation.direction} ${violation.method} ${violation.path} ${violation.status ?? ''}: ${messages.join('; ')}`
  })
}
