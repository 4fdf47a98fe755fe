import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createWebhookPipeline, type KycEvent, toWebhookResponse } from '../src/index.js'
import { readNodeRequest } from '../src/node/index.js'
import { createMockAdapter, createMockVerification } from '../src/test/index.js'
import { seededPii } from './fixtures.js'

const adapter = createMockAdapter({ webhookSecret: seededPii.webhookSecret })
const verification = createMockVerification({
  id: 'inq_1',
  status: 'submitted',
  updatedAt: '2025-06-01T08:05:00.000Z',
})
const events: KycEvent[] = [
  {
    id: 'evt_1',
    provider: 'mock',
    type: 'verification.submitted',
    occurredAt: verification.updatedAt,
    verification,
    raw: { type: 'submitted' },
  },
]

type Middleware = (request: IncomingMessage & { body?: unknown; rawBody?: unknown }) => Promise<void>

let server: Server | undefined

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A real server on a loopback port, answering as an Express handler would, with optional "body parser". */
async function start(options: { maxBytes?: number; before?: Middleware } = {}): Promise<string> {
  const pipeline = createWebhookPipeline({ adapter })
  const send = async (response: ServerResponse, result: unknown) => {
    const web = toWebhookResponse(result)
    response.writeHead(web.status, { 'content-type': 'application/json' })
    response.end(await web.text())
  }
  server = createServer(async (request, response) => {
    try {
      await options.before?.(request)
      const input = await readNodeRequest(
        request,
        options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes },
      )
      await send(response, await pipeline.handle(input))
    } catch (error) {
      await send(response, error)
    }
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/webhooks/kyc`
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', body, headers })
  return { status: response.status, body: await response.json() }
}

/** Sends a body in chunks without a Content-Length, so the limit must be enforced while streaming. */
function postChunked(url: string, chunks: readonly Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      },
    )
    request.on('error', reject)
    for (const chunk of chunks) request.write(chunk)
    request.end()
  })
}

describe('readNodeRequest with a real node:http server', () => {
  it('reads the raw bytes so the signature verifies, and answers 200', async () => {
    const url = await start()
    const delivery = adapter.createWebhookDelivery(events)
    expect(await post(url, delivery.rawBody, delivery.headers)).toEqual({
      status: 200,
      body: { received: 1, duplicates: 0 },
    })
    expect(await post(url, delivery.rawBody, delivery.headers)).toEqual({
      status: 200,
      body: { received: 0, duplicates: 1 },
    })
  })

  it('answers 401 for a forged delivery', async () => {
    const url = await start()
    const delivery = adapter.createWebhookDelivery(events)
    const forged = delivery.rawBody.replace('inq_1', 'inq_2')
    expect(await post(url, forged, delivery.headers)).toEqual({
      status: 401,
      body: { error: 'webhook_verification' },
    })
  })

  it('answers 400 for a body over the limit, declared by Content-Length', async () => {
    const url = await start({ maxBytes: 100 })
    const delivery = adapter.createWebhookDelivery(events)
    expect(await post(url, delivery.rawBody, delivery.headers)).toEqual({
      status: 400,
      body: { error: 'invalid_request' },
    })
  })

  it('answers 400 for a streamed body that grows over the limit', async () => {
    const url = await start({ maxBytes: 1000 })
    const chunk = new Uint8Array(400).fill(0x61)
    expect(await postChunked(url, [chunk, chunk, chunk, chunk])).toBe(400)
  })

  it('takes the bytes kept by a body parser (req.rawBody or a Buffer req.body)', async () => {
    const consume = async (request: IncomingMessage) => {
      const chunks: Uint8Array[] = []
      for await (const chunk of request) chunks.push(chunk as Uint8Array)
      return Buffer.concat(chunks)
    }
    const rawUrl = await start({
      before: async (request) => {
        const bytes = await consume(request)
        request.rawBody = bytes
        request.body = JSON.parse(bytes.toString('utf8'))
      },
    })
    const delivery = adapter.createWebhookDelivery(events)
    expect((await post(rawUrl, delivery.rawBody, delivery.headers)).status).toBe(200)
    await new Promise<void>((resolve) => server!.close(() => resolve()))

    const bufferUrl = await start({
      before: async (request) => {
        request.body = await consume(request)
      },
    })
    expect((await post(bufferUrl, delivery.rawBody, delivery.headers)).status).toBe(200)
  })

  it('explains what to do when a JSON body parser already consumed the body', async () => {
    const url = await start({
      before: async (request) => {
        let text = ''
        for await (const chunk of request) text += String(chunk)
        request.body = JSON.parse(text)
      },
    })
    const delivery = adapter.createWebhookDelivery(events)
    expect(await post(url, delivery.rawBody, delivery.headers)).toEqual({
      status: 500,
      body: { error: 'configuration' },
    })
    const request = Object.assign(createServerlessRequest(), { body: {} })
    await expect(readNodeRequest(request)).rejects.toThrow(/express\.raw/)
  })
})

/** An IncomingMessage-like object whose stream has ended, as after express.json(). */
function createServerlessRequest(): IncomingMessage {
  return { headers: {}, readableEnded: true, socket: {} } as unknown as IncomingMessage
}
