import { describe, expect, it } from 'vitest'
import { onfidoSimulatorApiToken } from '../src/index.js'
import { startOnfido } from './onfido-test-server.js'

describe('rate limit and faults', () => {
  it('allows 400 requests a minute per token, answers the 401st with 429 and the envelope, and resets with the window', async () => {
    const onfido = await startOnfido()
    // The first 400 in process (the limiter is the same; a loopback round trip each is slow on a busy machine).
    const headers = { authorization: `Token token=${onfidoSimulatorApiToken}` }
    for (let index = 0; index < 400; index += 1) {
      const response = await onfido.simulator.fetch('https://api.eu.onfido.com/v3.6/ping', { headers })
      if (response.status !== 200) expect.fail(`request ${index + 1} got ${response.status}`)
    }
    const limited = await onfido.call('GET', '/v3.6/ping')
    expect(limited.status).toBe(429)
    expect(limited.body.error.type).toBe('rate_limit')
    expect(limited.headers.get('retry-after')).toBeNull()
    // Another token has its own budget.
    expect((await onfido.call('GET', '/v3.6/ping', { token: 'api_sandbox.other' })).status).toBe(200)
    await onfido.clock.advance(60_000)
    expect((await onfido.call('GET', '/v3.6/ping')).status).toBe(200)
  }, 30_000)

  it('sends Retry-After when configured, and a custom limit', async () => {
    const onfido = await startOnfido({ rateLimit: { limit: 2, windowMs: 1000 }, retryAfterSeconds: 1 })
    await onfido.call('GET', '/v3.6/ping')
    await onfido.call('GET', '/v3.6/ping')
    const limited = await onfido.call('GET', '/v3.6/ping')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
  })

  it('injects faults in Onfido’s error envelope: failNext 5xx/429, resets, malformed bodies', async () => {
    const onfido = await startOnfido()
    onfido.simulator.failNext({ status: 503 })
    const failed = await onfido.call('GET', '/v3.6/applicants')
    expect(failed.status).toBe(503)
    expect(failed.body.error).toMatchObject({ type: 'service_unavailable', fields: {} })
    onfido.simulator.failNext({ status: 429, retryAfterSeconds: 3 })
    const limited = await onfido.call('GET', '/v3.6/applicants')
    expect(limited.body.error.type).toBe('rate_limit')
    expect(limited.headers.get('retry-after')).toBe('3')
    onfido.simulator.resetNext()
    await expect(onfido.call('GET', '/v3.6/applicants')).rejects.toThrow()
    expect((await onfido.call('GET', '/v3.6/applicants')).status).toBe(200)
    onfido.simulator.malformedNext()
    const response = await onfido.simulator.fetch('https://api.eu.onfido.com/v3.6/applicants', {
      headers: { authorization: 'Token token=api_sandbox.x' },
    })
    await expect(response.json()).rejects.toThrow()
  })
})
