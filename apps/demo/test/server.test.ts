import { KycProviderUnavailableError } from '@openkyc/core'
import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { capabilityMatrix, type DemoSnapshot } from '../src/comparison.js'
import { createDemoState, type DemoChange } from '../src/demo-state.js'
import type { ProviderName } from '../src/provider-name.js'
import { runCatalogue } from '../src/run-catalogue.js'
import { createDemoApp, type DemoServer, startDemoServer } from '../src/server.js'
import { createFakeRuntime, type FakeRuntime } from './support/fake-runtime.js'
import { openEventStream } from './support/sse-client.js'

const webhookSecret = 'whsec_demo_test'
const servers: DemoServer[] = []
const streams: { close(): void }[] = []

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(runtimes: FakeRuntime[], logs: string[] = [], withStore = false) {
  const state = createDemoState({
    providers: runtimes.map((runtime) => ({
      provider: runtime.name,
      mode: runtime.mode,
      description: runtime.description,
    })),
    capabilities: capabilityMatrix(
      runtimes.map((runtime) => ({ provider: runtime.name, capabilities: runtime.adapter.capabilities })),
    ),
  })
  const byName = new Map<ProviderName, FakeRuntime>(runtimes.map((runtime) => [runtime.name, runtime]))
  const app = createDemoApp({
    state,
    runtime: (name) => byName.get(name),
    log: (line) => logs.push(line),
    // The fake runtimes each hold their own memory store; the page's audit reads the first one's.
    ...(withStore && runtimes[0] !== undefined ? { store: runtimes[0].client.store } : {}),
  })
  const server = await startDemoServer({ fetch: app.fetch, port: 0 })
  servers.push(server)
  return { state, server }
}

const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('the demo server', () => {
  it('serves the page, its assets and the state', async () => {
    const jumio = createFakeRuntime({ name: 'jumio' })
    const persona = createFakeRuntime({ name: 'persona' })
    const { state, server } = await start([jumio, persona])
    await runCatalogue({ runtimes: [jumio, persona], scenarios, state, runId: 'x' })

    const page = await fetch(`${server.url}/`)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).toContain('<form id="new-verification">')
    expect(html).toContain('<script type="module" src="/assets/app.js">')
    expect((await fetch(`${server.url}/assets/app.js`)).headers.get('content-type')).toMatch(
      /^text\/javascript/,
    )
    expect((await fetch(`${server.url}/assets/style.css`)).status).toBe(200)
    expect((await fetch(`${server.url}/assets/../package.json`)).status).toBe(404)

    const snapshot = (await (await fetch(`${server.url}/api/state`)).json()) as DemoSnapshot
    expect(snapshot.rows).toHaveLength(scenarios.length)
    expect(snapshot.agreement.rate).toBe(1)
    expect(snapshot.capabilities.providers.map((entry) => entry.provider)).toEqual(['jumio', 'persona'])
    const offered = (await (await fetch(`${server.url}/api/scenarios`)).json()) as { id: string }[]
    expect(offered.map((scenario) => scenario.id)).toEqual(scenarios.map((scenario) => scenario.id))
  })

  it('starts a new verification, hands out its hosted flow, and updates the row live when the webhook lands', async () => {
    const persona = createFakeRuntime({ name: 'persona', webhookSecret })
    const { server } = await start([persona])
    const events = await openEventStream(`${server.url}/api/events`)
    streams.push(events)
    const initial = await events.next<DemoSnapshot>('snapshot')
    expect(initial.rows).toEqual([])

    const started = await postJson(`${server.url}/api/verifications`, {
      provider: 'persona',
      scenario: 'face_mismatch',
    })
    expect(started.status).toBe(200)
    const { rowId, url } = (await started.json()) as { rowId: string; url: string }
    expect(rowId).toBe('new:1')
    expect(url).toBe('https://persona.example.test/flow/persona_1')
    const create = persona.adapter.calls.find((call) => call.method === 'createVerification')
    expect(create?.options).toMatchObject({ redirectUrl: `${server.url}/done?row=new%3A1` })

    // Row added, then the created verification recorded.
    expect((await events.next<DemoChange>('change')).row.id).toBe('new:1')
    expect((await events.next<DemoChange>('change')).row.results.persona?.status).toBe('created')

    // The applicant finishes the flow; the provider's signed webhook arrives.
    persona.decideNow('persona_1', scenarioById('face_mismatch'))
    const delivery = persona.completedDelivery('persona_1')
    const answer = await fetch(`${server.url}/webhooks/persona`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.rawBody,
    })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ received: 1, duplicates: 0 })

    let change = await events.next<DemoChange>('change')
    while (change.row.results.persona?.identityFields.length === 0)
      change = await events.next<DemoChange>('change')
    expect(change.row).toMatchObject({
      id: 'new:1',
      source: 'new',
      results: { persona: { status: 'completed', outcome: 'declined', reasons: ['face_mismatch'] } },
    })
    // The refresh read brought the identity fields (by name only).
    expect(change.row.results.persona?.identityFields).toContain('lastName')
    expect(JSON.stringify(events.received)).not.toContain('Testperson-Mismatch')

    // A redelivery is acknowledged and skipped.
    const again = await fetch(`${server.url}/webhooks/persona`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.rawBody,
    })
    expect(await again.json()).toEqual({ received: 0, duplicates: 1 })
  })

  it("serves each verification's audit timeline from the store, hash chain checked, without personal data", async () => {
    const persona = createFakeRuntime({ name: 'persona', webhookSecret })
    const { server } = await start([persona], [], true)
    expect((await fetch(`${server.url}/api/audit`)).status).toBe(200)
    await postJson(`${server.url}/api/verifications`, { provider: 'persona', scenario: 'face_mismatch' })
    persona.decideNow('persona_1', scenarioById('face_mismatch'))
    const delivery = persona.completedDelivery('persona_1')
    for (let attempt = 0; attempt < 2; attempt++) {
      await fetch(`${server.url}/webhooks/persona`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.rawBody,
      })
    }
    const response = await fetch(`${server.url}/api/audit`)
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({
      chain: { valid: true, count: 1 },
      verifications: [
        {
          provider: 'persona',
          verificationId: 'persona_1',
          entries: [
            {
              sequence: 1,
              eventType: 'verification.completed',
              action: 'state_changed',
              actor: 'provider',
              to: { status: 'completed', outcome: 'declined' },
              reasons: ['face_mismatch'],
            },
          ],
        },
      ],
    })
    expect(text).not.toContain('Testperson')
    const page = await (await fetch(`${server.url}/`)).text()
    expect(page).toContain('id="audit-timelines"')
  })

  it('answers 404 for the audit timeline when no store is given', async () => {
    const { server } = await start([createFakeRuntime({ name: 'persona' })])
    expect((await fetch(`${server.url}/api/audit`)).status).toBe(404)
  })

  it('rejects forged webhooks through the pipeline and leaves the row alone', async () => {
    const persona = createFakeRuntime({ name: 'persona', webhookSecret })
    const logs: string[] = []
    const { state, server } = await start([persona], logs)
    await postJson(`${server.url}/api/verifications`, { provider: 'persona', scenario: 'clean_approve' })
    persona.decideNow('persona_1', scenarioById('clean_approve'))
    const delivery = persona.completedDelivery('persona_1')
    const forged = await fetch(`${server.url}/webhooks/persona`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.rawBody.replace('"approved"', '"declined"'),
    })
    expect(forged.status).toBe(401)
    expect(state.row('new:1')?.results.persona?.status).toBe('created')
    expect(logs).toEqual(['persona: webhook rejected (webhook_verification)'])
    expect((await fetch(`${server.url}/webhooks/onfido`, { method: 'POST', body: '{}' })).status).toBe(404)
  })

  it('refuses unknown providers and scenarios, and reports a provider failure on the row', async () => {
    const jumio = createFakeRuntime({
      name: 'jumio',
      createError: new KycProviderUnavailableError({
        provider: 'jumio',
        message: 'The jumio API answered 503.',
      }),
    })
    const { state, server } = await start([jumio])
    const unknownProvider = await postJson(`${server.url}/api/verifications`, {
      provider: 'persona',
      scenario: 'underage',
    })
    expect(unknownProvider.status).toBe(400)
    const unknownScenario = await postJson(`${server.url}/api/verifications`, {
      provider: 'jumio',
      scenario: 'nope',
    })
    expect(await unknownScenario.json()).toEqual({ error: 'unknown scenario' })
    const notJson = await fetch(`${server.url}/api/verifications`, { method: 'POST', body: 'provider=jumio' })
    expect(notJson.status).toBe(400)

    const failed = await postJson(`${server.url}/api/verifications`, {
      provider: 'jumio',
      scenario: 'underage',
    })
    expect(failed.status).toBe(502)
    expect(await failed.json()).toEqual({ rowId: 'new:1', error: 'The jumio API answered 503.' })
    expect(state.row('new:1')?.results.jumio?.error).toBe('The jumio API answered 503.')
  })

  it('carries the chosen applicant into the hosted flow with the runtime’s vendor options', async () => {
    const jumio = createFakeRuntime({ name: 'jumio' })
    const hinted = {
      ...jumio,
      hostedFlowOptions: (scenario: { id: string }) => ({
        jumio: { customerInternalReference: `scenario:${scenario.id}:x` },
      }),
    }
    const { server } = await start([hinted])
    await postJson(`${server.url}/api/verifications`, { provider: 'jumio', scenario: 'face_mismatch' })
    const create = jumio.adapter.calls.find((call) => call.method === 'createVerification')
    expect(create?.options).toMatchObject({
      subjectReference: expect.stringMatching(/^demo-page-1-/),
      prefill: { lastName: scenarioById('face_mismatch').applicant.lastName },
      jumio: { customerInternalReference: 'scenario:face_mismatch:x' },
    })
  })

  it('serves a favicon, so the browser console stays clean', async () => {
    const { server } = await start([createFakeRuntime({ name: 'jumio' })])
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      const icon = await fetch(`${server.url}${path}`)
      expect(icon.status, path).toBe(200)
      expect(icon.headers.get('content-type')).toBe('image/svg+xml')
      expect(await icon.text()).toContain('<svg')
    }
    expect(await (await fetch(`${server.url}/`)).text()).toContain('<link rel="icon" href="/favicon.svg"')
  })

  it('serves the page the hosted flow redirects to', async () => {
    const { server } = await start([createFakeRuntime({ name: 'jumio' })])
    const done = await fetch(`${server.url}/done?row=new%3A1`)
    expect(await done.text()).toContain('id="done-message"')
  })

  it('says which port is taken', async () => {
    const { server } = await start([createFakeRuntime({ name: 'jumio' })])
    await expect(startDemoServer({ fetch: () => new Response('x'), port: server.port })).rejects.toThrow(
      `Port ${server.port} is already in use: pass --port <number>, or --port 0 for any free port.`,
    )
  })
})
