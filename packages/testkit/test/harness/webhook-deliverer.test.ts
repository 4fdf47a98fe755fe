import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSimulatorClock, createWebhookDeliverer, webhookTargetFor } from '../../src/harness/index.js'

type Received = { headers: Record<string, string | string[] | undefined>; body: string }

/** A real receiver on a loopback port that answers with the given statuses in turn (then 200). */
async function startReceiver(statuses: number[] = []): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.statusCode = statuses.shift() ?? 200
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received }
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

describe('createWebhookDeliverer', () => {
  it('posts JSON over real HTTP, signed per attempt with the clock’s time', async () => {
    const receiver = await startReceiver()
    const clock = createSimulatorClock({ start: 1_000_000 })
    const deliverer = createWebhookDeliverer({
      clock,
      retrySchedule: [],
      sign: (rawBody, now) => ({
        'acme-signature': `t=${now / 1000},v1=${createHmac('sha256', 'whsec')
          .update(`${now / 1000}.${rawBody}`)
          .digest('hex')}`,
      }),
    })
    await deliverer.deliver({ url: receiver.url, body: { type: 'check.completed' }, subject: 'chk_1' })
    expect(receiver.received).toHaveLength(1)
    const [first] = receiver.received
    expect(first?.body).toBe('{"type":"check.completed"}')
    const expected = createHmac('sha256', 'whsec').update(`1000.${first?.body}`).digest('hex')
    expect(first?.headers['acme-signature']).toBe(`t=1000,v1=${expected}`)
    expect(first?.headers['content-type']).toBe('application/json')
    expect(deliverer.attempts).toMatchObject([
      { id: 'delivery_1', subject: 'chk_1', attempt: 1, status: 200 },
    ])
  })

  it('retries non-2xx answers and network errors on the schedule, under the clock', async () => {
    const receiver = await startReceiver([500, 503])
    const clock = createSimulatorClock({ start: 0 })
    const deliverer = createWebhookDeliverer({
      clock,
      retrySchedule: [60_000, 300_000, 900_000],
      sign: (_rawBody, now) => ({ 'x-timestamp': String(now) }),
    })
    await deliverer.deliver({ url: receiver.url, body: { n: 1 } })
    expect(receiver.received).toHaveLength(1)
    await clock.advance(59_999)
    expect(receiver.received).toHaveLength(1)
    await clock.advance(1)
    expect(receiver.received).toHaveLength(2)
    await clock.advance(300_000)
    expect(receiver.received).toHaveLength(3)
    await clock.advance(10_000_000)
    expect(receiver.received).toHaveLength(3)
    expect(deliverer.attempts.map((attempt) => [attempt.attempt, attempt.status, attempt.at])).toEqual([
      [1, 500, '1970-01-01T00:00:00.000Z'],
      [2, 503, '1970-01-01T00:01:00.000Z'],
      [3, 200, '1970-01-01T00:06:00.000Z'],
    ])
    expect(receiver.received.map((request) => request.headers['x-timestamp'])).toEqual([
      '0',
      '60000',
      '360000',
    ])
  })

  it('records network errors and gives up after the schedule', async () => {
    const clock = createSimulatorClock({ start: 0 })
    const deliverer = createWebhookDeliverer({
      clock,
      retrySchedule: [1_000],
      fetch: async () => {
        throw new TypeError('fetch failed')
      },
    })
    await deliverer.deliver({ url: 'http://127.0.0.1:9/unreachable', body: {} })
    await clock.advance(1_000)
    await clock.advance(1_000_000)
    expect(deliverer.attempts.map((attempt) => attempt.status)).toEqual(['network-error', 'network-error'])
    expect(clock.pendingTimers()).toBe(0)
  })

  it('compresses the schedule with timeScale', async () => {
    const receiver = await startReceiver([500])
    const clock = createSimulatorClock({ start: 0 })
    const deliverer = createWebhookDeliverer({ clock, retrySchedule: [3_600_000], timeScale: 0.001 })
    await deliverer.deliver({ url: receiver.url, body: {} })
    await clock.advance(3_600)
    expect(receiver.received).toHaveLength(2)
  })

  it('delivers duplicate copies of each message', async () => {
    const receiver = await startReceiver()
    const deliverer = createWebhookDeliverer({
      clock: createSimulatorClock(),
      retrySchedule: [],
      mode: { duplicate: 2 },
    })
    const copies = await deliverer.deliver({ url: receiver.url, body: { id: 'evt_1' } })
    expect(copies.map((copy) => copy.copyOf)).toEqual([undefined, 'delivery_1', 'delivery_1'])
    expect(receiver.received.map((request) => request.body)).toEqual(Array(3).fill('{"id":"evt_1"}'))
  })

  it('holds messages until flushed, then sends them in a shuffled order when reordering', async () => {
    const receiver = await startReceiver()
    const deliverer = createWebhookDeliverer({
      clock: createSimulatorClock(),
      retrySchedule: [],
      mode: { reorder: true },
      seed: 42,
    })
    for (let index = 1; index <= 5; index += 1)
      await deliverer.deliver({ url: receiver.url, body: { index } })
    expect(receiver.received).toHaveLength(0)
    expect(deliverer.held).toHaveLength(5)
    await deliverer.flush()
    const order = receiver.received.map((request) => (JSON.parse(request.body) as { index: number }).index)
    expect([...order].sort()).toEqual([1, 2, 3, 4, 5])
    expect(order).not.toEqual([1, 2, 3, 4, 5])
    expect(deliverer.held).toHaveLength(0)
  })

  it('holds in emission order without reorder, and delivers to an in-process handler', async () => {
    const seen: string[] = []
    const deliverer = createWebhookDeliverer({
      clock: createSimulatorClock(),
      retrySchedule: [],
      mode: { holdUntilFlushed: true },
      fetch: async (request) => {
        seen.push(await request.text())
        return new Response(null, { status: 204 })
      },
    })
    await deliverer.deliver({ url: 'https://app.test/hooks', body: 'first' })
    await deliverer.deliver({ url: 'https://app.test/hooks', body: 'second' })
    expect(seen).toEqual([])
    expect(deliverer.messages.map((message) => message.rawBody)).toEqual(['first', 'second'])
    await deliverer.flush()
    expect(seen).toEqual(['first', 'second'])
    expect(deliverer.attempts.map((attempt) => attempt.status)).toEqual([204, 204])
  })
})

describe('webhookTargetFor', () => {
  const post = (url: string, body: string) =>
    new Request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

  it('captures in process, or posts to the message URL, or to one URL instead, over real HTTP', async () => {
    const own = await startReceiver()
    const instead = await startReceiver([202])
    expect((await webhookTargetFor('capture')(post(own.url, '{"a":1}'))).status).toBe(200)
    expect(own.received).toEqual([])

    expect((await webhookTargetFor('message-url')(post(own.url, '{"b":2}'))).status).toBe(200)
    expect(own.received.map((message) => message.body)).toEqual(['{"b":2}'])

    const redirected = await webhookTargetFor({ url: instead.url })(post(own.url, '{"c":3}'))
    expect(redirected.status).toBe(202)
    expect(instead.received.map((message) => [message.body, message.headers['content-type']])).toEqual([
      ['{"c":3}', 'application/json'],
    ])
    expect(own.received).toHaveLength(1)
  })

  it('hands a receiver function the request as it is', async () => {
    const seen: string[] = []
    const receiver = async (request: Request) => {
      seen.push(`${request.url} ${await request.text()}`)
      return new Response(null, { status: 204 })
    }
    expect(webhookTargetFor(receiver)).toBe(receiver)
    await webhookTargetFor(receiver)(post('https://app.test/hooks', 'x'))
    expect(seen).toEqual(['https://app.test/hooks x'])
  })
})
