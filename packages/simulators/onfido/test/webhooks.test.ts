import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { onfidoSimulatorWebhookToken, signOnfidoWebhook } from '../src/index.js'
import { type Json, startOnfido } from './onfido-test-server.js'

/** A real receiver on 127.0.0.1: records the exact bytes and headers of every POST. */
async function startReceiver(status = 200) {
  const received: { rawBody: string; signature: string | undefined }[] = []
  let answer = status
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signature: request.headers['x-sha2-signature'] as string | undefined,
      })
      response.statusCode = answer
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/onfido`,
    received,
    answer: (next: number) => {
      answer = next
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('webhooks', () => {
  it('signs the exact bytes sent with the webhook token (hex HMAC-SHA256 in X-SHA2-Signature)', async () => {
    const receiver = await startReceiver()
    const token = 'receiver-token-for-this-test'
    const onfido = await startOnfido({
      webhooks: [{ url: receiver.url, token }],
      delivery: { target: 'webhook-url' },
    })
    try {
      const { runId } = await onfido.createRun()
      await onfido.simulator.resolve(runId)
      expect(receiver.received.length).toBeGreaterThan(0)
      for (const delivery of receiver.received) {
        const expected = createHmac('sha256', token).update(delivery.rawBody).digest()
        expect(timingSafeEqual(Buffer.from(delivery.signature ?? '', 'hex'), expected)).toBe(true)
      }
      const last = JSON.parse(receiver.received.at(-1)!.rawBody)
      expect(last.payload).toMatchObject({
        resource_type: 'workflow_run',
        action: 'workflow_run.completed',
        object: { id: runId, status: 'approved', href: `${onfido.server.url}/v3.6/workflow_runs/${runId}` },
        resource: { id: runId, status: 'approved' },
      })
      expect(last.payload.object.completed_at_iso8601).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
    } finally {
      await receiver.close()
    }
  })

  it('signOnfidoWebhook matches an independent HMAC of a known body', () => {
    const body = '{"payload":{"resource_type":"check","action":"check.completed"}}'
    expect(signOnfidoWebhook(body, onfidoSimulatorWebhookToken)).toBe(
      createHmac('sha256', onfidoSimulatorWebhookToken).update(body).digest('hex'),
    )
  })

  it('sends task events and the run event in order, with absolute hrefs in process too', async () => {
    const onfido = await startOnfido()
    const { runId } = await onfido.createRun()
    await onfido.simulator.resolve(runId)
    const payloads = onfido.simulator.deliveries.map((message) => JSON.parse(message.rawBody).payload as Json)
    expect(payloads.at(-1).action).toBe('workflow_run.completed')
    const tasks = payloads.filter((payload) => payload.resource_type === 'workflow_task')
    expect(tasks[0]).toMatchObject({
      action: 'workflow_task.started',
      object: { id: 'start', workflow_run_id: runId },
    })
    expect(tasks[0].object.started_at_iso8601).toBeDefined()
    expect(tasks.every((payload) => payload.object.href.startsWith(onfido.server.url))).toBe(true)
    // In process (before listen), hrefs name the region host.
    const { createOnfidoSimulator, onfidoSimulatorApiToken } = await import('../src/index.js')
    const simulator = createOnfidoSimulator()
    const headers = {
      authorization: `Token token=${onfidoSimulatorApiToken}`,
      'content-type': 'application/json',
    }
    const applicant = await (
      await simulator.fetch('https://api.eu.onfido.com/v3.6/applicants', {
        method: 'POST',
        headers,
        body: JSON.stringify({ first_name: 'A', last_name: 'Testperson-Approve' }),
      })
    ).json()
    const run = await (
      await simulator.fetch('https://api.eu.onfido.com/v3.6/workflow_runs', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          applicant_id: applicant.id,
          workflow_id: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
        }),
      })
    ).json()
    expect(run.link.url).toBe(`https://eu.onfido.app/l/${run.id}`)
    await simulator.resolve(run.id)
    const last = JSON.parse(simulator.deliveries.at(-1)!.rawBody)
    expect(last.payload.object.href).toBe(`https://api.eu.onfido.com/v3.6/workflow_runs/${run.id}`)
    simulator.shutdown()
  })

  it('filters by the webhook events and environments, and manages webhooks through the API', async () => {
    const onfido = await startOnfido({ webhooks: [] })
    const created = await onfido.call('POST', '/v3.6/webhooks', {
      body: {
        url: 'https://hooks.example.test/onfido',
        events: ['workflow_run.completed'],
        environments: ['sandbox'],
      },
    })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^[\w-]{20,}$/)
    const insecure = await onfido.call('POST', '/v3.6/webhooks', {
      body: { url: 'http://hooks.example.test' },
    })
    expect(insecure.status).toBe(422)
    const liveOnly = await onfido.call('POST', '/v3.6/webhooks', {
      body: { url: 'https://live.example.test/onfido', environments: ['live'] },
    })
    const { runId } = await onfido.createRun()
    await onfido.simulator.resolve(runId)
    expect(onfido.simulator.deliveries.map((message) => message.url)).toEqual([
      'https://hooks.example.test/onfido',
    ])
    const message = onfido.simulator.deliveries[0]!
    expect(message.headers['X-SHA2-Signature']).toBe(signOnfidoWebhook(message.rawBody, created.body.token))
    const list = await onfido.call('GET', '/v3.6/webhooks')
    expect(list.body.webhooks).toHaveLength(2)
    const updated = await onfido.call('PUT', `/v3.6/webhooks/${liveOnly.body.id}`, {
      body: { enabled: false },
    })
    expect(updated.body.enabled).toBe(false)
    expect((await onfido.call('DELETE', `/v3.6/webhooks/${liveOnly.body.id}`)).status).toBe(204)
    expect((await onfido.call('GET', `/v3.6/webhooks/${liveOnly.body.id}`)).status).toBe(404)
    const sent = onfido.simulator.deliveries.length
    const resend = await onfido.call('POST', '/v3.6/webhooks/resend', {
      body: { data: [{ resource_id: runId, event: 'workflow_run.completed' }] },
    })
    expect(resend.status).toBe(204)
    await onfido.simulator.deliveriesIdle()
    expect(onfido.simulator.deliveries).toHaveLength(sent + 1)
    expect(onfido.simulator.deliveries.at(-1)!.rawBody).toBe(onfido.simulator.deliveries[0]!.rawBody)
    const unknown = await onfido.call('POST', '/v3.6/webhooks/resend', {
      body: { data: [{ resource_id: runId, event: 'check.completed' }] },
    })
    expect(unknown.status).toBe(422)
  })

  it('retries a failed delivery on its schedule and can duplicate deliveries', async () => {
    const receiver = await startReceiver(500)
    const onfido = await startOnfido({
      webhooks: [{ url: receiver.url, token: 't', events: ['workflow_run.completed'] }],
      delivery: { target: 'webhook-url', retrySchedule: [60_000] },
    })
    try {
      const { runId } = await onfido.createRun()
      await onfido.simulator.resolve(runId)
      expect(receiver.received).toHaveLength(1)
      receiver.answer(200)
      await onfido.clock.advance(60_000)
      await onfido.simulator.deliveriesIdle()
      expect(receiver.received).toHaveLength(2)
      expect(receiver.received[1]!.rawBody).toBe(receiver.received[0]!.rawBody)
      expect(onfido.simulator.deliveryAttempts.map((attempt) => attempt.status)).toEqual([500, 200])
      onfido.simulator.setDeliveryMode({ duplicate: 1 })
      const second = await onfido.createRun()
      await onfido.simulator.resolve(second.runId)
      expect(receiver.received).toHaveLength(4)
      expect(receiver.received[3]!.rawBody).toBe(receiver.received[2]!.rawBody)
    } finally {
      await receiver.close()
    }
  })
})
