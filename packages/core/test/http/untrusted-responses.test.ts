import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { KycInvalidProviderResponseError } from '../../src/errors.js'
import { createHttpClient, defaultMaxResponseBytes } from '../../src/http/index.js'
import { readRequestBody, startServer, transportOptions, transports } from './helpers.js'

type Server = Awaited<ReturnType<typeof startServer>>
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = []
  const server = await startServer((request, response) => {
    void readRequestBody(request).then((body) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body })
      handler(request, response)
    })
  })
  servers.push(server)
  return { ...server, seen }
}

/** Writes `total` bytes of JSON-ish filler in 64 KiB chunks, honouring backpressure; counts what it wrote. */
function streamBytes(response: ServerResponse, total: number, declare: boolean) {
  const progress = { written: 0, closedEarly: false }
  response.writeHead(200, {
    'content-type': 'application/json',
    ...(declare ? { 'content-length': String(total) } : {}),
  })
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  response.on('close', () => {
    if (progress.written < total) progress.closedEarly = true
  })
  const pump = () => {
    while (progress.written < total && !response.destroyed) {
      const size = Math.min(chunk.length, total - progress.written)
      progress.written += size
      if (!response.write(chunk.subarray(0, size))) {
        response.once('drain', pump)
        return
      }
    }
    if (!response.destroyed) response.end()
  }
  pump()
  return progress
}

// Fails on main before issue 12: the client followed the redirect, re-sent the POST body (personal
// data) and the custom authentication header to the other origin, and took its answer as the vendor's.
// Both transports: `node:http` (Node's default) and Web `fetch` must refuse redirects alike.
describe.each(transports)('redirects are not followed (issue 12, class 6), through $name', (transport) => {
  it.each([301, 302, 303, 307, 308])(
    'regression: a %i from the vendor host is refused and nothing reaches the other origin',
    async (status) => {
      const foreign = await serve((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end('{"data":{"id":"forged"}}')
      })
      const vendor = await serve((_request, response) => {
        response.writeHead(status, { location: `${foreign.baseUrl}steal` })
        response.end()
      })
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: vendor.baseUrl,
        headers: { 'x-auth-client': 'secret-key' },
        retry: { limit: 2 },
        sleep: async () => {},
        ...transportOptions(transport),
      })
      const error = await http
        .request({ method: 'POST', path: 'applicants', json: { firstName: 'Wilhelmina' } })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
      expect((error as Error).message).toMatch(new RegExp(`redirect.*HTTP ${status}`))
      expect(vendor.seen).toHaveLength(1)
      expect(foreign.seen).toHaveLength(0)
    },
  )
})

describe('redirects followed by a custom fetch', () => {
  it('refuses a response that a custom fetch reached by following a redirect anyway', async () => {
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: async () => {
        const response = new Response('{}', { status: 200 })
        Object.defineProperty(response, 'redirected', { value: true })
        return response
      },
    })
    await expect(http.request({ path: 'applicants' })).rejects.toThrow(KycInvalidProviderResponseError)
  })
})

// Fails on main before issue 12: the whole body was buffered (`response.text()`), whatever its size.
describe.each(transports)(
  'response bodies are read with a byte cap (issue 12, class 7), through $name',
  (transport) => {
    it.each([
      ['declared by Content-Length', true],
      ['streamed without a length', false],
    ])('regression: a body over the cap, %s, is refused without reading it all', async (_case, declare) => {
      const total = 64 * 1024 * 1024
      let progress: { written: number; closedEarly: boolean } | undefined
      const vendor = await serve((_request, response) => {
        progress = streamBytes(response, total, declare)
      })
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: vendor.baseUrl,
        retry: false,
        ...transportOptions(transport),
      })
      const error = await http.request({ path: 'applicants' }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
      expect((error as Error).message).toContain(`larger than ${defaultMaxResponseBytes} bytes`)
      await vi.waitFor(() => expect(progress?.closedEarly).toBe(true), { timeout: 5_000 })
      // The client hung up long before the 64 MiB were written (the socket buffers hold a few MiB).
      expect(progress!.written).toBeLessThan(total / 2)
    })

    it('honours a smaller cap set on the client and a larger one set on a download call', async () => {
      const body = Buffer.alloc(5 * 1024 * 1024, 0x61)
      const vendor = await serve((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream' })
        response.end(body)
      })
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: vendor.baseUrl,
        retry: false,
        ...transportOptions(transport),
      })
      await expect(http.request({ path: 'images/1', responseType: 'bytes' })).rejects.toThrow(
        KycInvalidProviderResponseError,
      )
      const download = await http.request({
        path: 'images/1',
        responseType: 'bytes',
        maxResponseBytes: 8 * 1024 * 1024,
      })
      expect(download.status).toBe(200)
      expect(download.body.byteLength).toBe(body.length)
      expect(Buffer.from(download.body).equals(body)).toBe(true)

      const small = createHttpClient({
        provider: 'acme',
        baseUrl: vendor.baseUrl,
        maxResponseBytes: 1024,
        ...transportOptions(transport),
      })
      await expect(small.request({ path: 'images/1', responseType: 'bytes' })).rejects.toThrow(
        /larger than 1024/,
      )
    })

    it('maps an oversized error body to its status, without the body', async () => {
      const vendor = await serve((_request, response) => {
        response.writeHead(404, { 'content-type': 'application/json' })
        response.end(`{"errors":[{"pointer":"/x","pad":"${'p'.repeat(2048)}"}]}`)
      })
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: vendor.baseUrl,
        maxResponseBytes: 1024,
        ...transportOptions(transport),
      })
      await expect(http.request({ path: 'applicants/{id}', pathParams: { id: 'a' } })).rejects.toMatchObject({
        code: 'not_found',
        status: 404,
      })
    })
  },
)

it('refuses an invalid byte cap', () => {
  expect(() =>
    createHttpClient({ provider: 'acme', baseUrl: 'https://api.acme.test/', maxResponseBytes: Number.NaN }),
  ).toThrow(/maxResponseBytes/)
})

describe.each(transports)('raw responses, through $name', (transport) => {
  it('returns status, headers and bytes for responseType bytes', async () => {
    const vendor = await serve((_request, response) => {
      response.writeHead(201, { 'content-type': 'image/png', 'x-signature': 'abc' })
      response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47]))
    })
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: vendor.baseUrl,
      ...transportOptions(transport),
    })
    const raw = await http.request({ path: 'files/1', responseType: 'bytes' })
    expect(raw.status).toBe(201)
    expect(raw.headers.get('x-signature')).toBe('abc')
    expect([...raw.body]).toEqual([0x89, 0x50, 0x4e, 0x47])
  })

  it('lets onResponse verify a response signature before the body is parsed', async () => {
    let signature = 'good'
    const vendor = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-signature': signature })
      response.end('{"id":"ses_1"}')
    })
    const checked: { status: number; body: string; method: string; url: string; attempt: number }[] = []
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: vendor.baseUrl,
      ...transportOptions(transport),
      onResponse: ({ status, headers, body, method, url, attempt }) => {
        checked.push({ status, body: new TextDecoder().decode(body), method, url, attempt })
        if (headers.get('x-signature') !== 'good') throw new Error('bad response signature')
      },
    })
    const schema = z.object({ id: z.string() })
    await expect(
      http.request({ path: 'sessions/{id}', pathParams: { id: 'ses_1' }, schema }),
    ).resolves.toEqual({
      id: 'ses_1',
    })
    expect(checked).toEqual([
      {
        status: 200,
        body: '{"id":"ses_1"}',
        method: 'GET',
        url: `${vendor.baseUrl}sessions/ses_1`,
        attempt: 1,
      },
    ])
    signature = 'forged'
    const error = await http
      .request({ path: 'sessions/{id}', pathParams: { id: 'ses_1' }, schema })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidProviderResponseError)
    expect((error as Error).message).toMatch(/failed its check/)
  })
})
