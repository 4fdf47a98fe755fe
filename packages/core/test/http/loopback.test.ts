import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  KycInvalidProviderResponseError,
  KycNotFoundError,
  KycProviderUnavailableError,
} from '../../src/errors.js'
import { createHttpClient, type HttpClientOptions } from '../../src/http/index.js'
import { readRequestBody, startServer, transportOptions, transports } from './helpers.js'

type Handler = (request: IncomingMessage, response: ServerResponse, count: number) => void | Promise<void>

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_loop' })
  response.end(JSON.stringify(body))
}

// Every test runs on both transports: no behaviour of the HTTP policy may depend on which one sends.
describe.each(transports)('over a real socket, through $name', (transport) => {
  /** A real server on 127.0.0.1 and a client pointed at it, retrying without waiting. */
  async function setup(handler: Handler, options: Partial<HttpClientOptions> = {}) {
    let count = 0
    const server = await startServer((request, response) => {
      count++
      void handler(request, response, count)
    })
    close = server.close
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: server.baseUrl,
      sleep: async () => {},
      ...transportOptions(transport),
      ...options,
    })
    return { http, requests: () => count }
  }

  it('sends the request and parses the answer', async () => {
    const seen: { method?: string; url?: string; authorization?: string; body?: string } = {}
    const { http } = await setup(
      async (request, response) => {
        Object.assign(seen, {
          method: request.method,
          url: request.url,
          authorization: request.headers.authorization,
          body: await readRequestBody(request),
        })
        sendJson(response, 201, { data: { id: 'inq_1' } })
      },
      { headers: { authorization: 'Bearer test-key' } },
    )
    const result = await http.request({
      method: 'POST',
      path: 'inquiries',
      json: { data: { attributes: { note: 'hi' } } },
      schema: z.object({ data: z.object({ id: z.string() }) }),
    })
    expect(result).toEqual({ data: { id: 'inq_1' } })
    expect(seen).toEqual({
      method: 'POST',
      url: '/api/v1/inquiries',
      authorization: 'Bearer test-key',
      body: '{"data":{"attributes":{"note":"hi"}}}',
    })
  })

  it('uploads FormData as multipart', async () => {
    let contentType: string | undefined
    let body = ''
    const { http } = await setup(async (request, response) => {
      contentType = request.headers['content-type']
      body = await readRequestBody(request)
      sendJson(response, 200, {})
    })
    const form = new FormData()
    form.set('file', new Blob(['image-bytes'], { type: 'image/png' }), 'front.png')
    await http.request({ method: 'POST', path: 'files', body: form })
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/)
    expect(body).toContain('filename="front.png"')
    expect(body).toContain('image-bytes')
  })

  it('retries a GET after the connection is reset', async () => {
    const { http, requests } = await setup((request, response, count) => {
      if (count === 1) request.socket.destroy()
      else sendJson(response, 200, { data: { id: 'inq_1' } })
    })
    await expect(http.request({ path: 'inquiries' })).resolves.toEqual({ data: { id: 'inq_1' } })
    expect(requests()).toBe(2)
  })

  it('gives up on resets after the retry limit with KycProviderUnavailableError', async () => {
    const { http, requests } = await setup((request) => {
      request.socket.destroy()
    })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect((error as Error).message).toBe('acme GET inquiries could not reach the provider (3 attempts).')
    expect((error as Error).cause).toBeInstanceOf(TypeError)
    expect(requests()).toBe(3)
  })

  it('does not retry a POST after a reset: the provider may have created the record', async () => {
    const { http, requests } = await setup((request) => {
      request.socket.destroy()
    })
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    expect(requests()).toBe(1)
  })

  it('times out a provider that does not answer, per attempt', async () => {
    const { http, requests } = await setup(
      () => {
        // Never answers; the server closes the socket when the test ends.
      },
      { timeoutMs: 100, retry: { limit: 1 } },
    )
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect((error as Error).message).toBe('acme GET inquiries timed out after 100 ms (2 attempts).')
    expect(requests()).toBe(2)
  })

  it('times out a provider that sends headers and then stalls the body', async () => {
    const { http } = await setup(
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.write('{"data":')
      },
      { timeoutMs: 100, retry: false },
    )
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect((error as Error).message).toBe('acme GET inquiries timed out after 100 ms.')
  })

  it('rejects malformed JSON with KycInvalidProviderResponseError', async () => {
    const { http } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_bad' })
      response.end('{"data": {"id": "inq_1",')
    })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
    expect(error).toMatchObject({ status: 200, requestId: 'req_bad', provider: 'acme' })
  })

  it('maps an error status with its request id', async () => {
    const { http } = await setup((_request, response) => sendJson(response, 404, { errors: [] }))
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycNotFoundError)
    expect(error).toMatchObject({ status: 404, requestId: 'req_loop' })
  })

  it('aborts a request in flight with the caller’s reason', async () => {
    const controller = new AbortController()
    const reason = new Error('user navigated away')
    const { http, requests } = await setup(() => controller.abort(reason))
    await expect(http.request({ path: 'inquiries', signal: controller.signal })).rejects.toBe(reason)
    expect(requests()).toBe(1)
  })

  it('aborts a body still arriving with the caller’s reason, and the server sees the socket close', async () => {
    const controller = new AbortController()
    const reason = new Error('user navigated away')
    let closed: Promise<void> | undefined
    const { http } = await setup((_request, response) => {
      closed = new Promise((resolve) => response.on('close', () => resolve()))
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"data":', () => controller.abort(reason))
    })
    await expect(http.request({ path: 'inquiries', signal: controller.signal })).rejects.toBe(reason)
    await closed
  })

  it('sends a byte body exactly, with its length and no chunked encoding', async () => {
    const bytes = new Uint8Array(300_000).map((_value, index) => index % 251)
    const seen: { length?: string; encoding?: string; type?: string; body?: Buffer } = {}
    const { http } = await setup(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      Object.assign(seen, {
        length: request.headers['content-length'],
        encoding: request.headers['transfer-encoding'],
        type: request.headers['content-type'],
        body: Buffer.concat(chunks),
      })
      sendJson(response, 201, { id: 'doc_1' })
    })
    await http.request({
      method: 'POST',
      path: 'documents',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(seen.length).toBe('300000')
    expect(seen.encoding).toBeUndefined()
    expect(seen.type).toBe('application/octet-stream')
    expect(seen.body?.equals(bytes)).toBe(true)
  })

  it('sends a list of chunks as their bytes in order, the same on a retry, and signs the joined bytes', async () => {
    const head = new TextEncoder().encode('--head--')
    const file = new Uint8Array(200_000).map((_value, index) => index % 253)
    const tail = new TextEncoder().encode('--tail--')
    const joined = Buffer.concat([head, file, tail])
    const received: { length?: string; encoding?: string; body: Buffer }[] = []
    const signed: (Uint8Array | undefined)[] = []
    const { http } = await setup(
      async (request, response) => {
        const chunks: Buffer[] = []
        for await (const chunk of request) chunks.push(chunk as Buffer)
        received.push({
          length: request.headers['content-length'],
          encoding: request.headers['transfer-encoding'],
          body: Buffer.concat(chunks),
        })
        // The first attempt is refused with a status a POST is retried on; the second is accepted.
        if (received.length === 1) sendJson(response, 429, {})
        else sendJson(response, 201, { id: 'doc_1' })
      },
      {
        sign: ({ body }) => {
          signed.push(body)
          return {}
        },
      },
    )
    await http.request({ method: 'POST', path: 'documents', body: [head, file, tail] })
    expect(received).toHaveLength(2)
    for (const attempt of received) {
      expect(attempt.length).toBe(String(joined.byteLength))
      expect(attempt.encoding).toBeUndefined()
      expect(attempt.body.equals(joined)).toBe(true)
    }
    expect(signed).toHaveLength(2)
    expect(Buffer.from(signed[0]!).equals(joined)).toBe(true)
    // Joined once per call, not once per attempt.
    expect(signed[1]).toBe(signed[0])
  })

  it('announces an empty POST body as Content-Length 0, as fetch does', async () => {
    let length: string | undefined
    const { http } = await setup((request, response) => {
      length = request.headers['content-length']
      sendJson(response, 200, {})
    })
    await http.request({ method: 'POST', path: 'inquiries/{id}/resume', pathParams: { id: 'inq_1' } })
    expect(length).toBe('0')
  })

  it('returns the status, the headers (repeated ones joined) and the exact bytes of a raw response', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0x00, 0x7b, 0x0d, 0x0a, 0xe2, 0x82])
    const { http } = await setup((_request, response) => {
      response.writeHead(200, [
        ['content-type', 'image/jpeg'],
        ['x-part', 'one'],
        ['X-Part', 'two'],
      ])
      response.end(bytes)
    })
    const raw = await http.request({ path: 'images/1', responseType: 'bytes' })
    expect(raw.status).toBe(200)
    expect(raw.headers.get('x-part')).toBe('one, two')
    expect(raw.body).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(raw.body).equals(bytes)).toBe(true)
  })

  it('retries a GET whose body was cut short, then gives up with KycProviderUnavailableError', async () => {
    const { http, requests } = await setup((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      response.write('{"data":{"id":', () => response.destroy())
    })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect((error as Error).message).toBe('acme GET inquiries could not reach the provider (3 attempts).')
    expect((error as Error).cause).toBeInstanceOf(TypeError)
    expect(requests()).toBe(3)
  })

  it('answers HEAD and responseType none with undefined, and sends the next call on', async () => {
    const { http, requests } = await setup((request, response) => {
      if (request.method === 'HEAD') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '12' })
        response.end()
      } else {
        response.writeHead(204)
        response.end()
      }
    })
    await expect(http.request({ method: 'HEAD', path: 'inquiries' })).resolves.toBeUndefined()
    await expect(
      http.request({
        method: 'DELETE',
        path: 'inquiries/{id}',
        pathParams: { id: 'inq_1' },
        responseType: 'none',
      }),
    ).resolves.toBeUndefined()
    await expect(http.request({ method: 'HEAD', path: 'inquiries' })).resolves.toBeUndefined()
    expect(requests()).toBe(3)
  })

  it('fails a call to a port nobody listens on with KycProviderUnavailableError', async () => {
    const { http } = await setup((_request, response) => sendJson(response, 200, {}))
    await close?.()
    close = undefined
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })
})

describe('the transport on Node', () => {
  it('is node:http when nothing is injected: no header that only fetch adds reaches the server', async () => {
    const seen: IncomingMessage['headers'][] = []
    const server = await startServer((request, response) => {
      seen.push(request.headers)
      sendJson(response, 200, {})
    })
    close = server.close
    const web = createHttpClient({
      provider: 'acme',
      baseUrl: server.baseUrl,
      ...transportOptions(transports[1]!),
    })
    const node = createHttpClient({ provider: 'acme', baseUrl: server.baseUrl })
    await web.request({ path: 'inquiries' })
    await node.request({ path: 'inquiries' })
    // undici marks every request with the fetch metadata header; node:http sends none.
    expect(seen[0]!['sec-fetch-mode']).toBe('cors')
    expect(seen[1]!['sec-fetch-mode']).toBeUndefined()
    // The defaults a vendor may look at are the same.
    expect(seen[1]!['user-agent']).toBe(seen[0]!['user-agent'])
    expect(seen[1]!.accept).toBe('application/json')
  })

  it('is globalThis.fetch once it has been replaced (a test stub, an instrumentation)', async () => {
    const calls: string[] = []
    const original = globalThis.fetch
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(String(input))
      return original(input, init)
    })
    try {
      const server = await startServer((_request, response) => sendJson(response, 200, { ok: true }))
      close = server.close
      const http = createHttpClient({ provider: 'acme', baseUrl: server.baseUrl })
      await expect(http.request({ path: 'inquiries' })).resolves.toEqual({ ok: true })
      expect(calls).toEqual([`${server.baseUrl}inquiries`])
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
