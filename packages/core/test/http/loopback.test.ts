import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  KycInvalidProviderResponseError,
  KycNotFoundError,
  KycProviderUnavailableError,
} from '../../src/errors.js'
import { createHttpClient, type HttpClientOptions } from '../../src/http/index.js'
import { readRequestBody, startServer } from './helpers.js'

type Handler = (request: IncomingMessage, response: ServerResponse, count: number) => void | Promise<void>

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

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
    ...options,
  })
  return { http, requests: () => count }
}

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_loop' })
  response.end(JSON.stringify(body))
}

describe('over a real socket', () => {
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
})
