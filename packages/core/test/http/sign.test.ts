import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { KycAuthenticationError, KycConfigurationError } from '../../src/errors.js'
import { createHttpClient, type HttpSignInput } from '../../src/http/index.js'
import {
  jsonResponse,
  readRequestBody,
  scriptedFetch,
  startServer,
  steppingClock,
  transportOptions,
  transports,
} from './helpers.js'

const secret = 'app-secret'

/** Sumsub's scheme: HMAC-SHA256 over `timestamp + method + path?query + body`, per attempt. */
function sumsubSignature(timestamp: string, method: string, pathAndQuery: string, body: Uint8Array | Buffer) {
  return createHmac('sha256', secret)
    .update(`${timestamp}${method}${pathAndQuery}`)
    .update(body)
    .digest('hex')
}

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

describe('the sign hook', () => {
  it.each(transports)(
    'signs the exact bytes sent, and signs every retry afresh (real server checks each attempt, through $name)',
    async (transport) => {
      const verdicts: boolean[] = []
      let count = 0
      const server = await startServer((request, response) => {
        void readRequestBody(request).then((body) => {
          count++
          const timestamp = String(request.headers['x-app-access-ts'])
          const expected = sumsubSignature(timestamp, request.method!, request.url!, Buffer.from(body))
          verdicts.push(request.headers['x-app-access-sig'] === expected)
          response.writeHead(count === 1 ? 503 : 200, { 'content-type': 'application/json' })
          response.end('{"ok":true}')
        })
      })
      close = server.close
      const clock = steppingClock(1_700_000_000_000)
      const seen: HttpSignInput[] = []
      const http = createHttpClient({
        provider: 'sumsub',
        baseUrl: server.baseUrl,
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        idempotency: {},
        ...transportOptions(transport),
        sign: (input) => {
          seen.push(input)
          const timestamp = String(Math.floor(clock.now() / 1000))
          const url = new URL(input.url)
          return {
            'x-app-access-ts': timestamp,
            'x-app-access-sig': sumsubSignature(
              timestamp,
              input.method,
              url.pathname + url.search,
              input.body ?? new Uint8Array(),
            ),
          }
        },
      })
      await http.request({
        method: 'POST',
        path: 'applicants',
        searchParams: { levelName: 'basic' },
        json: { externalUserId: 'user_1', note: 'ünïcödé' },
      })
      expect(verdicts).toEqual([true, true])
      expect(seen.map((input) => input.attempt)).toEqual([1, 2])
      expect(new TextDecoder().decode(seen[0]!.body)).toBe('{"externalUserId":"user_1","note":"ünïcödé"}')
      expect(seen[0]!.headers['content-type']).toBe('application/json')
      // The idempotency key is in place before signing, and the same on the retry.
      expect(seen[0]!.headers['idempotency-key']).toBeDefined()
      expect(seen[1]!.headers['idempotency-key']).toBe(seen[0]!.headers['idempotency-key'])
      expect(seen[0]!.url).toBe(`${server.baseUrl}applicants?levelName=basic`)
    },
  )

  it('gives each retry a fresh signature on the injected clock', async () => {
    const clock = steppingClock(1_700_000_000_000)
    const server = scriptedFetch(
      [jsonResponse(500, {}), jsonResponse(500, {}), jsonResponse(200, {})],
      clock.now,
    )
    const http = createHttpClient({
      provider: 'veriff',
      baseUrl: 'https://api.veriff.test/v1/',
      fetch: server.fetch,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      sign: ({ method, url }) => ({
        'x-hmac-signature': `${method} ${new URL(url).pathname} ${clock.now()}`,
      }),
    })
    await http.request({ path: 'sessions/{id}/decision', pathParams: { id: 'ses_1' } })
    const signatures = server.requests.map((request) => request.headers.get('x-hmac-signature'))
    expect(signatures).toHaveLength(3)
    expect(new Set(signatures).size).toBe(3)
    expect(signatures[0]).toBe('GET /v1/sessions/ses_1/decision 1700000000000')
  })

  it('sees FormData, URLSearchParams and string bodies as the bytes that are sent', async () => {
    const signed: string[] = []
    const server = scriptedFetch([jsonResponse(200, {})])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      sign: ({ body, headers }) => {
        signed.push(`${headers['content-type']}|${new TextDecoder().decode(body)}`)
        return {}
      },
    })
    const form = new FormData()
    form.set('file', new Blob(['image-bytes'], { type: 'image/png' }), 'front.png')
    await http.request({ method: 'POST', path: 'documents', body: form })
    await http.request({ method: 'POST', path: 'tokens', body: new URLSearchParams({ grant: 'x' }) })
    await http.request({ method: 'POST', path: 'notes', body: 'plain' })
    for (const [index, request] of server.requests.entries()) {
      expect(signed[index]).toBe(`${request.headers.get('content-type')}|${request.body}`)
    }
    expect(signed[0]).toMatch(/^multipart\/form-data; boundary=.*image-bytes/s)
  })

  it('reports a failing sign hook as an authentication error, without its message', async () => {
    const server = scriptedFetch([jsonResponse(200, {})])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      sign: () => {
        throw new Error(`cannot sign with ${secret}`)
      },
    })
    const error = await http.request({ path: 'x' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycAuthenticationError)
    expect((error as Error).message).not.toContain(secret)
    expect(server.requests).toHaveLength(0)
  })

  it('refuses a signature header a request cannot carry, naming the hook, not the value', async () => {
    const server = scriptedFetch([jsonResponse(200, {})])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      sign: () => ({ 'x-signature': 'sig\r\nx-injected: yes' }),
    })
    const error = await http.request({ path: 'x' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycConfigurationError)
    expect((error as Error).message).toMatch(/sign\.x-signature/)
    expect((error as Error).message).not.toContain('injected')
    expect(server.requests).toHaveLength(0)
  })
})
