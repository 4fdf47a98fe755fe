import { createMemoryStore } from '@openkyc/core'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoState } from '../src/demo-state.js'
import type { ProviderRuntime } from '../src/provider-runtime.js'
import { startProviders } from '../src/providers.js'
import type { RoutingViewSnapshot } from '../src/routing-view.js'
import { createRoutingView } from '../src/routing-view.js'
import { createDemoApp, type DemoServer, startDemoServer } from '../src/server.js'

// The routing view against the Jumio and Onfido simulators, webhooks and callbacks delivered to the
// demo server, as `pnpm demo` runs it: split, shadow, the fault button's fallback, the agreement report.
let server: DemoServer
let runtimes: ProviderRuntime[] = []
const store = createMemoryStore()

async function post(path: string, body: unknown = {}): Promise<RoutingViewSnapshot> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as RoutingViewSnapshot
}

async function until(check: (snapshot: RoutingViewSnapshot) => boolean): Promise<RoutingViewSnapshot> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const snapshot = (await (await fetch(`${server.url}/api/routing`)).json()) as RoutingViewSnapshot
    if (check(snapshot)) return snapshot
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the routing view never reached the expected state')
}

beforeAll(async () => {
  const forward: { app?: (request: Request) => Response | Promise<Response> } = {}
  server = await startDemoServer({
    fetch: (request) => forward.app?.(request) ?? new Response('starting', { status: 503 }),
    port: 0,
  })
  runtimes = await startProviders({
    providers: ['jumio', 'onfido'],
    modes: { jumio: 'simulator', persona: 'simulator', onfido: 'simulator' },
    webhookBaseUrl: server.url,
    env: {},
    store,
  })
  const byName = new Map(runtimes.map((runtime) => [runtime.name, runtime]))
  const routing = createRoutingView({ jumio: byName.get('jumio')!, onfido: byName.get('onfido')!, store })
  const state = createDemoState({ providers: [], capabilities: { providers: [], rows: [] } as never })
  forward.app = createDemoApp({ state, runtime: (name) => byName.get(name), store, routing }).fetch
}, 180_000)

afterAll(async () => {
  await Promise.allSettled(runtimes.map((runtime) => runtime.close()))
  await server?.close()
})

describe('demo routing view', () => {
  it('splits the catalogue between Jumio and Onfido, shadows Jumio at Onfido, and reports agreement', async () => {
    const ran = await post('/api/routing/run')
    const applicants = ran.applicants
    expect(applicants).toHaveLength(scenarios.length - 1)
    expect(applicants.filter((applicant) => applicant.errorCode !== null)).toEqual([])
    const jumioCount = applicants.filter((applicant) => applicant.provider === 'jumio').length
    const onfidoCount = applicants.filter((applicant) => applicant.provider === 'onfido').length
    expect(jumioCount).toBeGreaterThan(0)
    expect(onfidoCount).toBeGreaterThan(0)
    expect(applicants.filter((applicant) => applicant.shadowed)).toHaveLength(jumioCount)
    const settled = await until(
      (snapshot) =>
        snapshot.shadow.completed + snapshot.shadow.failed === jumioCount &&
        (snapshot.report.pairs[0]?.totals.compared ?? 0) > 0,
    )
    const pair = settled.report.pairs[0]
    console.log(
      `routing view: ${jumioCount} at Jumio, ${onfidoCount} at Onfido; jumio→onfido ${JSON.stringify(pair?.totals)}`,
    )
    expect(pair).toMatchObject({ primaryProvider: 'jumio', shadowProvider: 'onfido' })
    expect(pair?.totals.shadowed).toBe(jumioCount)
  }, 180_000)

  it('falls back to Onfido while the fault button makes Jumio fail, and says so per applicant', async () => {
    const armed = await post('/api/routing/fault', { injected: true })
    expect(armed.faultInjected).toBe(true)
    const before = armed.applicants.length
    const ran = await post('/api/routing/run')
    const fresh = ran.applicants.slice(before)
    expect(fresh.filter((applicant) => applicant.provider !== 'onfido')).toEqual([])
    const fellBack = fresh.filter((applicant) => applicant.attempts[0] === 'jumio unavailable')
    expect(fellBack.length).toBeGreaterThan(0)
    for (const applicant of fellBack)
      expect(applicant.attempts).toEqual(['jumio unavailable', 'onfido created'])
    const disarmed = await post('/api/routing/fault', { injected: false })
    expect(disarmed.faultInjected).toBe(false)
  }, 180_000)
})
