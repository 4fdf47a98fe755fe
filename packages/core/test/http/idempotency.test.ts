import { describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClientOptions } from '../../src/http/index.js'
import { jsonResponse, type ScriptedAnswer, scriptedFetch, steppingClock } from './helpers.js'

function setup(answers: ScriptedAnswer[], options: Partial<HttpClientOptions> = {}) {
  const clock = steppingClock()
  const server = scriptedFetch(answers, clock.now)
  const http = createHttpClient({
    provider: 'persona',
    baseUrl: 'https://api.withpersona.test/api/v1',
    fetch: server.fetch,
    now: clock.now,
    sleep: clock.sleep,
    idempotency: { header: 'Idempotency-Key' },
    ...options,
  })
  return { http, requests: server.requests }
}

const keysOf = (requests: { headers: Headers }[], header = 'idempotency-key') =>
  requests.map((request) => request.headers.get(header))

describe('idempotency keys', () => {
  it('sends the same key on every retry of one POST', async () => {
    const { http, requests } = setup([
      jsonResponse(503, {}),
      { networkError: 'fetch failed' },
      jsonResponse(201, { data: { id: 'inq_1' } }),
    ])
    await http.request({ method: 'POST', path: 'inquiries', json: { data: {} } })
    const keys = keysOf(requests)
    expect(keys).toHaveLength(3)
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(keys).size).toBe(1)
  })

  it('sends a different key on every call', async () => {
    const { http, requests } = setup([jsonResponse(201, {})])
    for (let call = 0; call < 5; call++) await http.request({ method: 'POST', path: 'inquiries', json: {} })
    expect(new Set(keysOf(requests)).size).toBe(5)
  })

  it("uses the caller's key when one is given", async () => {
    const { http, requests } = setup([jsonResponse(500, {}), jsonResponse(201, {})])
    await http.request({ method: 'POST', path: 'inquiries', json: {}, idempotencyKey: 'order-42-create' })
    expect(keysOf(requests)).toEqual(['order-42-create', 'order-42-create'])
  })

  it('sends no key on GET', async () => {
    const { http, requests } = setup([jsonResponse(200, {})])
    await http.request({ path: 'inquiries' })
    expect(keysOf(requests)).toEqual([null])
  })

  it('uses the header name the adapter declares', async () => {
    const { http, requests } = setup([jsonResponse(201, {})], { idempotency: { header: 'X-Request-Key' } })
    await http.request({ method: 'POST', path: 'inquiries', json: {} })
    expect(keysOf(requests, 'x-request-key')[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(keysOf(requests)).toEqual([null])
  })

  it('sends no key when the vendor does not support them', async () => {
    const { http, requests } = setup([jsonResponse(201, {})], { idempotency: false })
    await http.request({ method: 'POST', path: 'inquiries', json: {}, idempotencyKey: 'ignored' })
    expect(keysOf(requests)).toEqual([null])
  })
})
