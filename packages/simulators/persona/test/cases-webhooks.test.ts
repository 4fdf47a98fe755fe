import { createHmac } from 'node:crypto'
import { createSimulatorClock } from '@openkyc/testkit/harness'
import { afterEach, expect, it } from 'vitest'
import { createPersonaSchemaCheckingFetch, validatePersonaWebhookBody } from '../src/openapi/index.js'
import { createPersonaSimulator } from '../src/simulator.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON:API bodies are inspected loosely in assertions
type Json = any

const secret = 'wbhsec_cases_end_to_end'
let closeServer: (() => Promise<void>) | undefined

afterEach(async () => {
  await closeServer?.()
  closeServer = undefined
})

it('delivers signed, schema-valid case webhooks through the simulator’s webhook sender', async () => {
  const deliveries: Array<{ body: string; signature: string }> = []
  const simulator = createPersonaSimulator({
    clock: createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' }),
    webhook: {
      secret,
      target: async (request) => {
        deliveries.push({
          body: await request.text(),
          signature: request.headers.get('Persona-Signature') ?? '',
        })
        return new Response(null, { status: 204 })
      },
    },
  })
  const server = await simulator.listen()
  closeServer = () => server.close()
  const checkedFetch = createPersonaSchemaCheckingFetch()
  const post = async (path: string, body: unknown) => {
    const response = await checkedFetch(`${simulator.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer persona_sandbox_cases', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.status).toBeLessThan(300)
    return ((await response.json()) as Json).data
  }

  const kase = await post('/cases', { data: { attributes: { 'case-template-id': 'ctmpl_default' } } })
  await post(`/cases/${kase.id}/assign`, { meta: { 'user-email-address': 'reviewer@example.test' } })
  await post(`/cases/${kase.id}/set-status`, { meta: { status: 'Declined' } })
  await simulator.persona.webhooksIdle()

  expect(checkedFetch.violations).toEqual([])
  const bodies = deliveries.map((delivery) => JSON.parse(delivery.body) as Json)
  expect(bodies.map((body) => body.data.attributes.name)).toEqual([
    'case.created',
    'case.assigned',
    'case.status-updated',
    'case.resolved',
  ])
  for (const [index, delivery] of deliveries.entries()) {
    const body = bodies[index]
    expect(body.data.attributes.payload.data).toMatchObject({ type: 'case', id: kase.id })
    expect(validatePersonaWebhookBody({ body })).toMatchObject({ valid: true, errors: [] })
    // Persona-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">
    const parts = Object.fromEntries(delivery.signature.split(',').map((part) => part.split('=', 2)))
    const expected = createHmac('sha256', secret).update(`${parts.t}.${delivery.body}`).digest('hex')
    expect(parts.v1).toBe(expected)
  }
  // The payload is the case as it was when the event happened.
  expect(bodies[1].data.attributes.payload.data.attributes).toMatchObject({ status: 'Open' })
  expect(bodies[3].data.attributes.payload.data.attributes).toMatchObject({
    status: 'Declined',
    resolution: 'Declined',
    'assignee-id': 'reviewer@example.test',
  })
})
