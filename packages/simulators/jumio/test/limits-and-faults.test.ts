import { afterEach, describe, expect, it } from 'vitest'
import { accountRequest, type JumioTestServer, startJumio } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const limitBody = { title: 'Too Many Requests', status: 429, detail: 'Request limit exceeded' }

describe('rate limits', () => {
  it('answers 429 with Jumio’s documented body once initiations exceed the tolerated burst, and recovers at 1/s', async () => {
    test = await startJumio({ rateLimits: { initiation: { ratePerSecond: 1, burst: 3 } } })
    const now = test.jumio.clock.now()
    for (let index = 0; index < 3; index += 1)
      expect((await test.initiate(accountRequest(2, now))).status).toBe(200)
    const limited = await test.call('POST', '/api/v1/accounts', { json: accountRequest(2, now) })
    expect(limited.status).toBe(429)
    expect(await limited.json()).toEqual(limitBody)
    expect(limited.headers.get('retry-after')).toBe('1')
    await test.jumio.advanceTime(1000)
    expect((await test.initiate(accountRequest(2, now))).status).toBe(200)
    expect((await test.initiate(accountRequest(2, now))).status).toBe(429)
  })

  it('tolerates a burst of 10 initiations by default', async () => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    const statuses: number[] = []
    for (let index = 0; index < 11; index += 1)
      statuses.push((await test.initiate(accountRequest(2, now))).status)
    expect(statuses).toEqual([...Array(10).fill(200), 429])
  })

  it('limits retrieval to 15 requests per second', async () => {
    test = await startJumio()
    const { body } = await test.initiate(accountRequest(2, test.jumio.clock.now()))
    const path = `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}/status`
    const statuses: number[] = []
    for (let index = 0; index < 16; index += 1) statuses.push((await test.call('GET', path)).status)
    expect(statuses).toEqual([...Array(15).fill(200), 429])
  })

  it('can be switched off', async () => {
    test = await startJumio({ rateLimits: false })
    const now = test.jumio.clock.now()
    for (let index = 0; index < 20; index += 1)
      expect((await test.initiate(accountRequest(2, now))).status).toBe(200)
  })
})

describe('fault injection over the listener', () => {
  it('fails the next matching request with a status, Retry-After and Jumio’s error shape', async () => {
    test = await startJumio()
    test.jumio.failNext({
      status: 503,
      retryAfterSeconds: 7,
      match: { method: 'POST', path: '/api/v1/accounts' },
    })
    const failed = await test.call('POST', '/api/v1/accounts', {
      json: accountRequest(2, test.jumio.clock.now()),
    })
    expect(failed.status).toBe(503)
    expect(failed.headers.get('retry-after')).toBe('7')
    expect(await failed.json()).toEqual({
      title: 'Service Unavailable',
      status: 503,
      detail: 'Service Unavailable',
    })
    expect((await test.initiate(accountRequest(2, test.jumio.clock.now()))).status).toBe(200)
  })

  it('resets the connection, or answers malformed JSON, for the next request', async () => {
    test = await startJumio()
    await test.accessToken()
    test.jumio.resetNext({ match: { path: /^\/api\/v1\/accounts/ } })
    await expect(
      test.call('POST', '/api/v1/accounts', { json: accountRequest(2, test.jumio.clock.now()) }),
    ).rejects.toThrow()
    test.jumio.malformedNext()
    const malformed = await test.call('POST', '/api/v1/accounts', {
      json: accountRequest(2, test.jumio.clock.now()),
    })
    await expect(malformed.json()).rejects.toThrow()
    expect((await test.initiate(accountRequest(2, test.jumio.clock.now()))).status).toBe(200)
    expect(test.jumio.requests.slice(-3).map((request) => request.status)).toEqual(['reset', 200, 200])
  })

  it('injects a 429 with a Retry-After on retrieval', async () => {
    test = await startJumio()
    const { body } = await test.initiate(accountRequest(2, test.jumio.clock.now()))
    const path = `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`
    test.jumio.failNext({ status: 429, retryAfterSeconds: 2, match: { method: 'GET' }, times: 2 })
    for (let index = 0; index < 2; index += 1) {
      const response = await test.call('GET', path)
      expect(response.status).toBe(429)
      expect(await response.json()).toEqual(limitBody)
    }
    expect((await test.call('GET', path)).status).toBe(200)
  })
})

describe('health', () => {
  it('answers UP on the status host without authentication', async () => {
    test = await startJumio()
    const response = await fetch(`${test.url}/`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'UP' })
  })
})
