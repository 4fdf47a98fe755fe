import { telemetryAttributes as attribute, telemetryMetrics as metric } from '@openkyc/core'
import { jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { capabilityMatrix } from '../src/comparison.js'
import { createDemoState, type DemoState } from '../src/demo-state.js'
import type { ProviderRuntime } from '../src/provider-runtime.js'
import { startProviders } from '../src/providers.js'
import { runCatalogue } from '../src/run-catalogue.js'
import { createDemoApp, type DemoServer, startDemoServer } from '../src/server.js'
import { installTelemetry } from './support/telemetry.js'

// The whole catalogue through every adapter (Jumio, Persona, Onfido) against their simulators, webhooks and callbacks
// included, with a real OpenTelemetry SDK registered: then every span and metric is searched for the
// catalogue's personal data, the credentials and the session URLs.
const telemetry = installTelemetry()
let server: DemoServer
let runtimes: ProviderRuntime[] = []
let state: DemoState
const sessions: string[] = []

beforeAll(async () => {
  const forward: { app?: (request: Request) => Response | Promise<Response> } = {}
  server = await startDemoServer({
    fetch: (request) => forward.app?.(request) ?? new Response('starting', { status: 503 }),
    port: 0,
  })
  runtimes = await startProviders({
    providers: ['jumio', 'persona', 'onfido'],
    modes: { jumio: 'simulator', persona: 'simulator', onfido: 'simulator' },
    webhookBaseUrl: server.url,
    env: {},
  })
  state = createDemoState({
    providers: runtimes.map((runtime) => ({
      provider: runtime.name,
      mode: runtime.mode,
      description: runtime.description,
    })),
    capabilities: capabilityMatrix(
      runtimes.map((runtime) => ({ provider: runtime.name, capabilities: runtime.client.capabilities })),
    ),
  })
  const byName = new Map(runtimes.map((runtime) => [runtime.name, runtime]))
  forward.app = createDemoApp({ state, runtime: (name) => byName.get(name) }).fetch
  // The same clients, keeping each hand-off (session URL, SDK token) the application received.
  const observed = runtimes.map((runtime) => ({
    ...runtime,
    client: {
      ...runtime.client,
      createVerification: async (options: Parameters<typeof runtime.client.createVerification>[0]) => {
        const created = await runtime.client.createVerification(options)
        const { session } = created.verification
        // The vendor's verification id too: telemetry names endpoints by template, never by id.
        for (const value of [session?.url, session?.sdkToken, created.verification.id]) {
          if (value !== undefined) sessions.push(value)
        }
        return created
      },
    },
  }))
  await runCatalogue({ runtimes: observed, scenarios, state, runId: 'otel' })
})

afterAll(async () => {
  await Promise.allSettled(runtimes.map((runtime) => runtime.close()))
  await server?.close()
  await telemetry.uninstall()
})

function deliveriesHandled() {
  const handled = telemetry.spans.getFinishedSpans().filter((span) => span.name === 'kyc.webhooks.handle')
  const providers = new Set(handled.map((span) => span.attributes[attribute.provider]))
  return { jumio: providers.has('jumio'), persona: providers.has('persona'), onfido: providers.has('onfido') }
}

/** What must never appear: every applicant value, the credentials and every session URL and token. */
function forbiddenValues(): string[] {
  const values = new Set<string>([jumioSimulatorClient.id, jumioSimulatorClient.secret])
  for (const scenario of scenarios) {
    const { applicant } = scenario
    for (const value of [
      applicant.firstName,
      applicant.lastName,
      applicant.dateOfBirth,
      applicant.documentNumber,
      applicant.issueDate,
      applicant.expiryDate,
    ]) {
      values.add(value)
    }
    values.add(`demo-${scenario.id}-otel`)
  }
  for (const session of sessions) values.add(session)
  return [...values]
}

it('records spans and metrics for every adapter with no personal data, secret, session URL or verification id in any of them', async () => {
  // Webhooks and callbacks arrive after the reads: wait until every provider's deliveries were handled.
  await expect
    .poll(() => deliveriesHandled(), { timeout: 30_000, interval: 250 })
    .toEqual({ jumio: true, persona: true, onfido: true })
  const spans = telemetry.spans.getFinishedSpans()
  const collected = await telemetry.metrics()
  const spanText = JSON.stringify(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
      status: span.status,
      links: span.links.map((link) => link.attributes),
    })),
  )
  const metricText = JSON.stringify(
    collected.map((item) => ({
      descriptor: item.descriptor,
      points: item.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })),
    })),
  )

  // The run really was observed: adapter calls, vendor calls and deliveries at both providers.
  for (const provider of ['jumio', 'persona', 'onfido']) {
    const own = spans.filter((span) => span.attributes[attribute.provider] === provider)
    expect(own.filter((span) => span.name === 'kyc.createVerification').length, provider).toBe(
      scenarios.length,
    )
    expect(own.filter((span) => span.name === 'kyc.getVerification').length, provider).toBeGreaterThan(0)
    expect(
      own.some((span) => span.attributes[attribute.httpStatus] === 200),
      provider,
    ).toBe(true)
    expect(
      own.some((span) => span.name === 'kyc.webhooks.handle'),
      provider,
    ).toBe(true)
  }
  const names = collected.map((item) => item.descriptor.name)
  expect(names).toContain(metric.vendorRequestDuration)
  expect(names).toContain(metric.decisions)

  const forbidden = forbiddenValues()
  expect(forbidden.some((value) => value.startsWith('http'))).toBe(true)
  const leaks = forbidden.filter((value) => spanText.includes(value) || metricText.includes(value))
  expect(leaks).toEqual([])
})
