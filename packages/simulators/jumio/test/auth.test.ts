import { afterEach, describe, expect, it } from 'vitest'
import { jumioSimulatorClient } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio, userAgent } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

async function tokenRequest(
  url: string,
  init: { authorization?: string; body?: string; contentType?: string; userAgent?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': init.contentType ?? 'application/x-www-form-urlencoded',
  }
  if (init.userAgent !== null) headers['user-agent'] = init.userAgent ?? userAgent
  if (init.authorization !== undefined) headers.authorization = init.authorization
  return fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers,
    body: init.body ?? 'grant_type=client_credentials',
  })
}

describe('OAuth2 client credentials', () => {
  it('issues a bearer token valid for 3600 seconds whose JWT carries exp', async () => {
    test = await startJumio()
    const response = await tokenRequest(test.url, {
      authorization: basic(jumioSimulatorClient.id, jumioSimulatorClient.secret),
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; expires_in: number; token_type: string }
    expect(body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' })
    const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString('utf8'))
    expect(payload.exp - payload.iat).toBe(3600)
    expect(payload.iat).toBe(Math.floor(test.jumio.clock.now() / 1000))
  })

  it('answers 401 to an unknown client, a wrong secret and a missing Authorization header', async () => {
    test = await startJumio()
    for (const authorization of [
      basic('stranger', 'nope'),
      basic(jumioSimulatorClient.id, 'wrong'),
      basic('100%', '%zz'),
      'Basic !!',
      'Bearer something',
      undefined,
    ]) {
      const response = await tokenRequest(test.url, authorization === undefined ? {} : { authorization })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'invalid_client' })
    }
  })

  it('answers 400 to another grant type and to a JSON body', async () => {
    test = await startJumio()
    const authorization = basic(jumioSimulatorClient.id, jumioSimulatorClient.secret)
    const grant = await tokenRequest(test.url, { authorization, body: 'grant_type=password' })
    expect(grant.status).toBe(400)
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' })
    const json = await tokenRequest(test.url, {
      authorization,
      body: '{"grant_type":"client_credentials"}',
      contentType: 'application/json',
    })
    expect(json.status).toBe(400)
  })

  it('limits token requests to 10 per second per client, with the documented 429 body', async () => {
    test = await startJumio()
    const authorization = basic(jumioSimulatorClient.id, jumioSimulatorClient.secret)
    const statuses: number[] = []
    for (let index = 0; index < 11; index += 1)
      statuses.push((await tokenRequest(test.url, { authorization })).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200))
    const limited = await tokenRequest(test.url, { authorization })
    expect(limited.status).toBe(429)
    expect(await limited.json()).toEqual({
      title: 'Too Many Requests',
      status: 429,
      detail: 'Request limit exceeded',
    })
    await test.jumio.advanceTime(1000)
    expect((await tokenRequest(test.url, { authorization })).status).toBe(200)
  })
})

describe('API authentication and headers', () => {
  it('answers 403 when the User-Agent header is missing, on every API host', async () => {
    test = await startJumio()
    const token = await test.accessToken()
    const missing = await fetch(`${test.url}/api/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(accountRequest(2, test.jumio.clock.now())),
    })
    expect(missing.status).toBe(403)
    expect(await missing.json()).toMatchObject({ title: 'Forbidden', status: 403 })
    const noAgentToken = await tokenRequest(test.url, {
      authorization: basic(jumioSimulatorClient.id, jumioSimulatorClient.secret),
      userAgent: null,
    })
    expect(noAgentToken.status).toBe(403)
    const retrieval = await fetch(`${test.url}/api/v1/accounts/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(retrieval.status).toBe(403)
  })

  it('answers 401 without a token, with an unknown token, and with an expired one', async () => {
    test = await startJumio()
    const body = accountRequest(2, test.jumio.clock.now())
    expect((await test.call('POST', '/api/v1/accounts', { token: null, json: body })).status).toBe(401)
    expect((await test.call('POST', '/api/v1/accounts', { token: 'not-a-token', json: body })).status).toBe(
      401,
    )
    const token = await test.accessToken()
    expect((await test.call('POST', '/api/v1/accounts', { token, json: body })).status).toBe(200)
    await test.jumio.advanceTime(3600 * 1000)
    const expired = await test.call('POST', '/api/v1/accounts', { token, json: body })
    expect(expired.status).toBe(401)
    expect(await expired.json()).toMatchObject({ title: 'Unauthorized', status: 401 })
  })

  it('never accepts a transaction token where the OAuth token is required, nor the reverse', async () => {
    test = await startJumio()
    const { body } = await test.initiate(accountRequest(2, test.jumio.clock.now()))
    const transactionToken = body.workflowExecution.credentials[0]!.api!.token
    const retrieval = await test.call(
      'GET',
      `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`,
      { token: transactionToken },
    )
    expect(retrieval.status).toBe(401)
    const finalize = await test.call('PUT', body.workflowExecution.credentials[0]!.api!.workflowExecution)
    expect(finalize.status).toBe(401)
  })

  it('answers 403 when the client lacks the permission the endpoint needs', async () => {
    test = await startJumio({
      clients: [{ id: 'initiate-only', secret: 'initiate-secret', permissions: ['initiate'] }],
    })
    const response = await tokenRequest(test.url, {
      authorization: basic('initiate-only', 'initiate-secret'),
    })
    const { access_token: token } = (await response.json()) as { access_token: string }
    const { body } = await (async () => {
      const created = await test.call('POST', '/api/v1/accounts', {
        token,
        json: accountRequest(2, test.jumio.clock.now()),
      })
      return { body: (await created.json()) as { account: { id: string } } }
    })()
    const denied = await test.call('GET', `/api/v1/accounts/${body.account.id}`, { token })
    expect(denied.status).toBe(403)
  })
})
