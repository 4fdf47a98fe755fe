import { describe, expect, it } from 'vitest'
import {
  KycInvalidRequestError,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycRateLimitedError,
} from '../../src/errors.js'
import { createHttpClient, type HttpClientOptions, type HttpMethod } from '../../src/http/index.js'
import { jsonResponse, type ScriptedAnswer, scriptedFetch, steppingClock } from './helpers.js'

const ok = jsonResponse(200, { data: { id: 'inq_1' } })

function setup(answers: ScriptedAnswer[], options: Partial<HttpClientOptions> = {}) {
  const clock = steppingClock()
  const server = scriptedFetch(answers, clock.now)
  const http = createHttpClient({
    provider: 'acme',
    baseUrl: 'https://api.acme.test/v1/',
    fetch: server.fetch,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...options,
  })
  return { http, clock, requests: server.requests }
}

describe('retries', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries a GET answered %i, then succeeds', async (status) => {
    const { http, requests } = setup([jsonResponse(status, {}), ok])
    await expect(http.request({ path: 'inquiries' })).resolves.toEqual({ data: { id: 'inq_1' } })
    expect(requests).toHaveLength(2)
  })

  it.each([400, 401, 403, 404, 409, 410, 422])('does not retry a GET answered %i', async (status) => {
    const { http, requests } = setup([jsonResponse(status, {}), ok])
    await expect(http.request({ path: 'inquiries' })).rejects.toMatchObject({ status })
    expect(requests).toHaveLength(1)
  })

  it('retries network errors on a GET', async () => {
    const { http, requests } = setup([{ networkError: 'fetch failed' }, ok])
    await expect(http.request({ path: 'inquiries' })).resolves.toEqual({ data: { id: 'inq_1' } })
    expect(requests).toHaveLength(2)
  })

  it('waits with exponential backoff and full jitter between attempts', async () => {
    const { http, clock } = setup([jsonResponse(503, {})], {
      retry: { limit: 5, baseDelayMs: 100, maxDelayMs: 300 },
    })
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycProviderUnavailableError)
    // random() = 0.5 of min(300, 100 * 2^n)
    expect(clock.sleeps).toEqual([50, 100, 150, 150, 150])
  })

  it('draws the jitter from the injected random source', async () => {
    const draws = [0, 0.25, 0.999]
    const { http, clock } = setup([jsonResponse(500, {})], { random: () => draws.shift()! })
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycProviderUnavailableError)
    expect(clock.sleeps).toEqual([0, 125])
  })

  it('stops at the configured limit and reports the last status', async () => {
    const { http, requests } = setup([jsonResponse(503, {})], { retry: { limit: 3 } })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycProviderUnavailableError)
    expect(error).toMatchObject({ status: 503, provider: 'acme' })
    expect((error as Error).message).toBe('acme GET inquiries failed with HTTP 503 (4 attempts).')
    expect(requests).toHaveLength(4)
  })

  it('makes exactly one attempt when retries are disabled', async () => {
    const { http, requests, clock } = setup([jsonResponse(503, {}), ok], { retry: false })
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycProviderUnavailableError)
    expect(requests).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it('defaults to two retries', async () => {
    const { http, requests } = setup([{ networkError: 'socket hang up' }])
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycProviderUnavailableError)
    expect(requests).toHaveLength(3)
  })

  it.each<HttpMethod>(['PUT', 'DELETE', 'HEAD'])('retries %s, an idempotent method', async (method) => {
    const { http, requests } = setup([jsonResponse(502, {}), jsonResponse(200, {})])
    await http.request({ method, path: 'inquiries/{inquiryId}', pathParams: { inquiryId: 'inq_1' } })
    expect(requests.map((request) => request.method)).toEqual([method, method])
  })
})

describe('retrying POST', () => {
  it('does not retry a 5xx without an idempotency key: the provider may have acted', async () => {
    const { http, requests } = setup([jsonResponse(503, {}), ok])
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    expect(requests).toHaveLength(1)
  })

  it('does not retry a network error without an idempotency key', async () => {
    const { http, requests } = setup([{ networkError: 'other side closed' }, ok])
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    expect(requests).toHaveLength(1)
  })

  it('retries a 429 without an idempotency key: the provider refused before acting', async () => {
    const { http, requests } = setup([jsonResponse(429, {}), ok])
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).resolves.toEqual({
      data: { id: 'inq_1' },
    })
    expect(requests).toHaveLength(2)
  })

  it('retries a 5xx and a network error when the vendor supports idempotency keys', async () => {
    const { http, requests } = setup([jsonResponse(503, {}), { networkError: 'fetch failed' }, ok], {
      idempotency: {},
    })
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).resolves.toEqual({
      data: { id: 'inq_1' },
    })
    expect(requests).toHaveLength(3)
  })

  it('does not retry PATCH without an idempotency key', async () => {
    const { http, requests } = setup([jsonResponse(500, {}), ok])
    await expect(http.request({ method: 'PATCH', path: 'inquiries', json: {} })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    expect(requests).toHaveLength(1)
  })
})

describe('Retry-After and RateLimit-Reset', () => {
  it('waits exactly the seconds Retry-After asks, without jitter', async () => {
    const { http, clock } = setup([jsonResponse(429, {}, { 'retry-after': '7' }), ok])
    await http.request({ path: 'inquiries' })
    expect(clock.sleeps).toEqual([7000])
  })

  it('waits until the HTTP date Retry-After names, on the injected clock', async () => {
    const clock = steppingClock(Date.parse('2025-06-01T12:00:00Z'))
    const server = scriptedFetch([
      jsonResponse(503, {}, { 'retry-after': 'Sun, 01 Jun 2025 12:00:12 GMT' }),
      jsonResponse(200, {}),
    ])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      now: clock.now,
      sleep: clock.sleep,
    })
    await http.request({ path: 'inquiries' })
    expect(clock.sleeps).toEqual([12_000])
  })

  it('honours RateLimit-Reset seconds', async () => {
    const { http, clock } = setup([jsonResponse(429, {}, { 'ratelimit-reset': '3' }), ok])
    await http.request({ path: 'inquiries' })
    expect(clock.sleeps).toEqual([3000])
  })

  it('caps the wait at maxRetryAfterMs', async () => {
    const { http, clock } = setup([jsonResponse(429, {}, { 'retry-after': '3600' }), ok], {
      retry: { maxRetryAfterMs: 5000 },
    })
    await http.request({ path: 'inquiries' })
    expect(clock.sleeps).toEqual([5000])
  })

  it('reports what the provider asked on the final 429, within the cap', async () => {
    const { http } = setup([jsonResponse(429, {}, { 'retry-after': '30', 'request-id': 'req_9' })], {
      retry: { limit: 1 },
    })
    const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycRateLimitedError)
    expect(error).toMatchObject({ status: 429, retryAfterMs: 30_000, requestId: 'req_9', retryable: true })
  })

  // Fails on main before issue 12: the error carried the vendor's raw value (90 000 here, up to 1e303
  // from a hostile answer), not the wait the client itself would use.
  it.each([
    ['90', 60_000],
    ['9'.repeat(303), 60_000],
  ])(
    'regression: retryAfterMs is the capped wait the client uses (Retry-After %#)',
    async (value, expected) => {
      const { http, clock } = setup([jsonResponse(429, {}, { 'retry-after': value })], {
        retry: { limit: 1 },
      })
      const error = await http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(KycRateLimitedError)
      expect((error as KycRateLimitedError).retryAfterMs).toBe(expected)
      expect(clock.sleeps).toEqual([expected])
      const capped = setup([jsonResponse(429, {}, { 'retry-after': value })], {
        retry: { limit: 0, maxRetryAfterMs: 5_000 },
      })
      const cappedError = await capped.http.request({ path: 'inquiries' }).catch((caught: unknown) => caught)
      expect((cappedError as KycRateLimitedError).retryAfterMs).toBe(5_000)
    },
  )
})

describe('aborting', () => {
  it('does not send anything when the signal is already aborted', async () => {
    const { http, requests } = setup([ok])
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await expect(http.request({ path: 'inquiries', signal: controller.signal })).rejects.toBe(reason)
    expect(requests).toHaveLength(0)
  })

  it('ends the wait between retries and sends no further attempt', async () => {
    const controller = new AbortController()
    const waits: number[] = []
    const server = scriptedFetch([jsonResponse(503, {}), ok])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      // A sleep that never ends by itself: only the abort can end it.
      sleep: (ms, signal) =>
        new Promise((_resolve, reject) => {
          waits.push(ms)
          signal?.addEventListener('abort', () => reject(signal.reason))
          controller.abort(new Error('stop'))
        }),
    })
    await expect(http.request({ path: 'inquiries', signal: controller.signal })).rejects.toThrow('stop')
    expect(waits).toHaveLength(1)
    expect(server.requests).toHaveLength(1)
  })

  it('stops even when an injected sleep ignores the signal', async () => {
    const controller = new AbortController()
    const server = scriptedFetch([jsonResponse(503, {}), ok])
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      sleep: async () => controller.abort(new Error('stop')),
    })
    await expect(http.request({ path: 'inquiries', signal: controller.signal })).rejects.toThrow('stop')
    expect(server.requests).toHaveLength(1)
  })
})

describe('a fetch that ignores its signal', () => {
  // An injected fetch (a simulator, a wrapper) may never look at request.signal: the attempt must end anyway.
  const stalling = () => {
    const requests: Request[] = []
    const fetch = (request: Request) => {
      requests.push(request)
      return new Promise<Response>(() => {})
    }
    return { fetch, requests }
  }

  it('times the attempt out and aborts the request it sent', async () => {
    const server = stalling()
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      timeoutMs: 20,
      retry: false,
    })
    await expect(http.request({ path: 'inquiries' })).rejects.toThrow(
      'acme GET inquiries timed out after 20 ms.',
    )
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]!.signal.aborted).toBe(true)
  })

  it('ends the call with the caller’s reason as soon as the caller aborts', async () => {
    const server = stalling()
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: 'https://api.acme.test/',
      fetch: server.fetch,
      timeoutMs: 60_000,
    })
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    const call = http.request({ path: 'inquiries', signal: controller.signal })
    await new Promise((resolve) => setTimeout(resolve, 5))
    controller.abort(reason)
    await expect(call).rejects.toBe(reason)
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]!.signal.aborted).toBe(true)
    expect(server.requests[0]!.signal.reason).toBe(reason)
  })

  it('needs no AbortSignal.any (Node 20.0 to 20.2 lack it) to follow the caller’s signal', async () => {
    const any = AbortSignal.any
    Object.defineProperty(AbortSignal, 'any', { value: undefined, configurable: true, writable: true })
    try {
      const { http } = setup([ok])
      const controller = new AbortController()
      await expect(http.request({ path: 'inquiries', signal: controller.signal })).resolves.toEqual({
        data: { id: 'inq_1' },
      })
    } finally {
      Object.defineProperty(AbortSignal, 'any', { value: any, configurable: true, writable: true })
    }
  })
})

describe('errors that are never retried', () => {
  it('maps a 404 after a single attempt', async () => {
    const { http, requests } = setup([jsonResponse(404, { errors: [{ title: 'Record not found' }] })])
    await expect(http.request({ path: 'inquiries' })).rejects.toBeInstanceOf(KycNotFoundError)
    expect(requests).toHaveLength(1)
  })

  it('maps a 422 after a single attempt', async () => {
    const { http, requests } = setup([jsonResponse(422, {})], { idempotency: {} })
    await expect(http.request({ method: 'POST', path: 'inquiries', json: {} })).rejects.toBeInstanceOf(
      KycInvalidRequestError,
    )
    expect(requests).toHaveLength(1)
  })
})
