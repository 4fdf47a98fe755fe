import { afterEach, describe, expect, it } from 'vitest'
import {
  createSimulator,
  createSimulatorClock,
  type Simulator,
  type SimulatorServer,
} from '../../src/harness/index.js'

function echoSimulator(): Simulator {
  let counter = 0
  return createSimulator({
    name: 'echo',
    clock: createSimulatorClock({ start: '2030-01-01T00:00:00.000Z' }),
    handle: async (request, { clock, baseUrl }) => {
      counter += 1
      return Response.json({
        counter,
        method: request.method,
        path: new URL(request.url).pathname,
        now: clock.isoNow(),
        baseUrl,
      })
    },
  })
}

let server: SimulatorServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('createSimulator (in process)', () => {
  it('runs the vendor handler through fetch(input, init)', async () => {
    const simulator = echoSimulator()
    const response = await simulator.fetch('https://echo.simulator.test/v1/things', {
      method: 'POST',
      body: '{}',
    })
    expect(await response.json()).toMatchObject({
      method: 'POST',
      path: '/v1/things',
      now: '2030-01-01T00:00:00.000Z',
      baseUrl: 'https://echo.simulator.test',
    })
    expect(simulator.requests).toEqual([
      { method: 'POST', path: '/v1/things', status: 200, at: '2030-01-01T00:00:00.000Z' },
    ])
  })

  it('injects a status with Retry-After, only for matching requests, the given number of times', async () => {
    const simulator = echoSimulator()
    simulator.failNext({
      status: 429,
      retryAfterSeconds: 7,
      times: 2,
      match: { method: 'GET', path: /^\/v1\// },
    })
    const other = await simulator.fetch('https://x.test/health')
    expect(other.status).toBe(200)
    const first = await simulator.fetch('https://x.test/v1/a')
    const second = await simulator.fetch('https://x.test/v1/b')
    const third = await simulator.fetch('https://x.test/v1/c')
    expect([first.status, second.status, third.status]).toEqual([429, 429, 200])
    expect(first.headers.get('retry-after')).toBe('7')
    expect(await first.json()).toEqual({ error: { status: 429, message: 'Simulated echo failure' } })
    expect(simulator.requests.map((request) => request.status)).toEqual([200, 429, 429, 200])
    expect(simulator.requestCount).toBe(4)
  })

  it('answers failNext with a custom body, or the simulator’s vendor-shaped error body', async () => {
    const simulator = createSimulator({
      name: 'vendor',
      handle: async () => new Response('ok'),
      errorBody: (status) => ({ errors: [{ status: String(status), title: 'Not Found' }] }),
    })
    simulator.failNext({ status: 404 })
    simulator.failNext({ status: 400, body: 'plain text' })
    expect(await (await simulator.fetch('https://x.test/')).json()).toEqual({
      errors: [{ status: '404', title: 'Not Found' }],
    })
    const plain = await simulator.fetch('https://x.test/')
    expect([plain.status, await plain.text()]).toEqual([400, 'plain text'])
  })

  it('rejects like undici on a connection reset', async () => {
    const simulator = echoSimulator()
    simulator.resetNext()
    const error = await simulator.fetch('https://x.test/v1').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect(((error as TypeError).cause as { code: string }).code).toBe('ECONNRESET')
    expect(simulator.requests[0]?.status).toBe('reset')
    expect((await simulator.fetch('https://x.test/v1')).status).toBe(200)
  })

  it('answers malformedNext with JSON content type and a body that does not parse', async () => {
    const simulator = echoSimulator()
    simulator.malformedNext()
    const response = await simulator.fetch('https://x.test/v1')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    await expect(response.json()).rejects.toThrow(SyntaxError)
  })

  it('clears faults', async () => {
    const simulator = echoSimulator()
    simulator.failNext({ status: 500, times: Number.POSITIVE_INFINITY })
    expect((await simulator.fetch('https://x.test/')).status).toBe(500)
    simulator.clearFaults()
    expect((await simulator.fetch('https://x.test/')).status).toBe(200)
  })

  it('keeps query strings and bodies out of the request log', async () => {
    const simulator = echoSimulator()
    await simulator.fetch('https://x.test/v1/links?token=secret-token', {
      method: 'POST',
      headers: { authorization: 'Bearer secret-token' },
      body: JSON.stringify({ name: 'Alex Testperson' }),
    })
    const log = JSON.stringify(simulator.requests)
    expect(log).not.toContain('secret-token')
    expect(log).not.toContain('Testperson')
  })

  it('answers 500 and records the error when the vendor handler throws', async () => {
    const simulator = createSimulator({
      name: 'broken',
      handle: async () => {
        throw new Error('bug in the simulator')
      },
    })
    const response = await simulator.fetch('https://x.test/')
    expect(response.status).toBe(500)
    expect(simulator.handlerErrors).toHaveLength(1)
  })

  it('moves its clock with advanceTime', async () => {
    const simulator = echoSimulator()
    await simulator.advanceTime(90_000)
    expect(await (await simulator.fetch('https://x.test/')).json()).toMatchObject({
      now: '2030-01-01T00:01:30.000Z',
    })
  })

  it('rejects when the request is aborted during latency', async () => {
    const simulator = echoSimulator()
    simulator.setLatency(60_000)
    const controller = new AbortController()
    const pending = simulator.fetch('https://x.test/', { signal: controller.signal })
    controller.abort(new Error('gave up'))
    await expect(pending).rejects.toThrow('gave up')
  })
})

describe('createSimulator (loopback server)', () => {
  it('serves the handler on 127.0.0.1 and exposes its URL as baseUrl', async () => {
    const simulator = echoSimulator()
    server = await simulator.listen()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(simulator.baseUrl).toBe(server.url)
    const body = await (await fetch(`${server.url}/v1/things`)).json()
    expect(body).toMatchObject({ path: '/v1/things', baseUrl: server.url })
  })

  it('injects statuses, Retry-After and malformed bodies over HTTP', async () => {
    const simulator = echoSimulator()
    server = await simulator.listen()
    simulator.failNext({ status: 503, retryAfterSeconds: 3 })
    simulator.malformedNext()
    const unavailable = await fetch(`${server.url}/v1`)
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '3'])
    await expect((await fetch(`${server.url}/v1`)).json()).rejects.toThrow(SyntaxError)
    expect((await fetch(`${server.url}/v1`)).status).toBe(200)
  })

  it('destroys the socket on a reset, and serves the next request', async () => {
    const simulator = echoSimulator()
    server = await simulator.listen()
    simulator.resetNext({ match: { path: '/v1/reset' } })
    const error = await fetch(`${server.url}/v1/reset`).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TypeError)
    expect((await fetch(`${server.url}/v1/reset`)).status).toBe(200)
    expect(simulator.requests.map((request) => request.status)).toEqual(['reset', 200])
  })

  it('restores the default baseUrl after close', async () => {
    const simulator = echoSimulator()
    server = await simulator.listen()
    await server.close()
    server = undefined
    expect(simulator.baseUrl).toBe('https://echo.simulator.test')
  })
})
