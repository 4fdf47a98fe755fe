import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumioSimulator, jumioSimulatorClient } from '../src/index.js'
import {
  type AccountResponseBody,
  accountRequest,
  documentImage,
  type JumioTestServer,
  startJumio,
  uploadPart,
  userAgent,
} from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

type Expected = { category: string; channels: string[]; parts?: string[] }

/** What W23/W22 (seed 001) show for each key: web/sdk presence and the credentials in order. */
const expectations: Record<number, { hosted: boolean; credentials: Expected[] }> = {
  1: {
    hosted: true,
    credentials: [{ category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] }],
  },
  2: {
    hosted: true,
    credentials: [{ category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] }],
  },
  3: {
    hosted: true,
    credentials: [
      { category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] },
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
      { category: 'SELFIE', channels: ['WEB', 'API', 'SDK'], parts: ['face'] },
    ],
  },
  5: {
    hosted: false,
    credentials: [
      { category: 'ID', channels: [] },
      { category: 'SELFIE', channels: ['API'], parts: ['face'] },
    ],
  },
  6: {
    hosted: true,
    credentials: [
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
      { category: 'SELFIE', channels: ['WEB', 'API', 'SDK'], parts: ['face'] },
    ],
  },
  9: {
    hosted: true,
    credentials: [
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
      { category: 'SELFIE', channels: ['WEB', 'SDK'] },
    ],
  },
  16: {
    hosted: true,
    credentials: [
      { category: 'FACEMAP', channels: ['API'], parts: ['facemap'] },
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
      { category: 'SELFIE', channels: ['WEB', 'SDK'] },
    ],
  },
  20: {
    hosted: false,
    credentials: [
      { category: 'ID', channels: ['API'], parts: ['front', 'back'] },
      { category: 'SELFIE', channels: ['API'], parts: ['face'] },
    ],
  },
  32: {
    hosted: true,
    credentials: [
      { category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] },
      { category: 'SELFIE', channels: ['WEB', 'API', 'SDK'], parts: ['face'] },
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
    ],
  },
  10010: { hosted: false, credentials: [{ category: 'DATA', channels: ['API'], parts: ['prepared_data'] }] },
  10011: {
    hosted: true,
    credentials: [
      { category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] },
      { category: 'SELFIE', channels: ['WEB', 'API', 'SDK'], parts: ['face'] },
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
    ],
  },
  10013: {
    hosted: true,
    credentials: [
      { category: 'ID', channels: ['WEB', 'API', 'SDK'], parts: ['front', 'back'] },
      { category: 'SELFIE', channels: ['WEB', 'API', 'SDK'], parts: ['face'] },
      { category: 'FACEMAP', channels: ['WEB', 'SDK'] },
    ],
  },
}

/** An account that has an ID and a facemap on file (a completed workflow 3 through the hosted flow). */
async function accountWithCredentialsOnFile(): Promise<{ accountId: string; idCredentialId: string }> {
  const { body } = await test.initiate(accountRequest(3, test.jumio.clock.now()))
  await test.jumio.resolve(body.workflowExecution.id, 'clean_approve')
  const id = body.workflowExecution.credentials.find((credential) => credential.category === 'ID')!
  return { accountId: body.account.id, idCredentialId: id.id }
}

function checkShape(body: AccountResponseBody, key: number, accountId?: string): void {
  const expected = expectations[key]!
  expect(body.timestamp).toMatch(iso)
  expect(body.account.id).toMatch(uuid)
  if (accountId !== undefined) expect(body.account.id).toBe(accountId)
  expect(body.workflowExecution.id).toMatch(uuid)
  const credentials = body.workflowExecution.credentials
  expect(credentials.map((credential) => credential.category)).toEqual(
    expected.credentials.map((item) => item.category),
  )
  const execution = `${test.url}/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`
  const tokens = new Set<string>()
  credentials.forEach((credential, index) => {
    const want = expected.credentials[index]!
    expect(credential.id).toMatch(uuid)
    expect(credential.allowedChannels).toEqual(want.channels)
    if (want.parts === undefined) {
      expect(credential.api).toBeUndefined()
      return
    }
    expect(Object.keys(credential.api!.parts)).toEqual(want.parts)
    for (const [name, href] of Object.entries(credential.api!.parts)) {
      expect(href).toBe(`${execution}/credentials/${credential.id}/parts/${name.toUpperCase()}`)
    }
    expect(credential.api!.workflowExecution).toBe(execution)
    tokens.add(credential.api!.token)
  })
  if (expected.hosted) {
    const token = body.sdk!.token
    expect(body.web!.href).toBe(
      `${test.url}/web/v4/app?authorizationToken=${encodeURIComponent(token)}&locale=en`,
    )
    tokens.add(token)
  } else {
    expect(body.web).toBeUndefined()
    expect(body.sdk).toBeUndefined()
  }
  // One transaction token per workflow execution, shaped like Jumio's: JWS with a gzipped payload.
  expect(tokens.size).toBe(1)
  const [header, payload] = [...tokens][0]!.split('.')
  expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS512', zip: 'GZIP' })
  expect(JSON.parse(gunzipSync(Buffer.from(payload!, 'base64url')).toString())).toMatchObject({
    exp: expect.any(Number),
  })
}

describe('account create/update response per workflow key', () => {
  it.each([1, 2, 3, 6, 20, 32, 10010, 10011, 10013])('workflow %i (create)', async (key) => {
    test = await startJumio()
    const { status, body } = await test.initiate(accountRequest(key, test.jumio.clock.now()))
    expect(status).toBe(200)
    checkShape(body, key)
  })

  it('workflow 5 (update, similarity to the ID on file)', async () => {
    test = await startJumio()
    const { accountId, idCredentialId } = await accountWithCredentialsOnFile()
    const request = accountRequest(5, test.jumio.clock.now(), {
      workflowDefinition: {
        key: 5,
        credentials: [{ id: idCredentialId, category: 'ID' }, { category: 'SELFIE' }],
      },
    })
    const { status, body } = await test.initiate(request, accountId)
    expect(status).toBe(200)
    checkShape(body, 5, accountId)
    expect(body.workflowExecution.credentials[0]!.id).toBe(idCredentialId)
  })

  it.each([9, 16])('workflow %i (update, authentication against the facemap on file)', async (key) => {
    test = await startJumio()
    const { accountId } = await accountWithCredentialsOnFile()
    const { status, body } = await test.initiate(accountRequest(key, test.jumio.clock.now()), accountId)
    expect(status).toBe(200)
    checkShape(body, key, accountId)
  })

  it('workflow 20 with ID+ID and SELFIE+SELFIE pairs', async () => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    for (const pair of [
      ['ID', 'ID'],
      ['SELFIE', 'SELFIE'],
    ]) {
      const { status, body } = await test.initiate(
        accountRequest(20, now, {
          workflowDefinition: { key: 20, credentials: pair.map((category) => ({ category })) },
        }),
      )
      expect(status).toBe(200)
      expect(body.workflowExecution.credentials.map((credential) => credential.category)).toEqual(pair)
      expect(body.workflowExecution.credentials.every((credential) => credential.api !== undefined)).toBe(
        true,
      )
    }
  })

  it('an update starts a new workflow execution on the same account', async () => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    const first = await test.initiate(accountRequest(2, now))
    const second = await test.initiate(accountRequest(10011, now), first.body.account.id)
    expect(second.status).toBe(200)
    expect(second.body.account.id).toBe(first.body.account.id)
    expect(second.body.workflowExecution.id).not.toBe(first.body.workflowExecution.id)
    expect(test.jumio.executions().map((execution) => execution.definitionKey)).toEqual([2, 10011])
  })

  it('echoes web.successUrl and errorUrl and puts the locale into web.href', async () => {
    test = await startJumio()
    const { body } = await test.initiate(
      accountRequest(10011, test.jumio.clock.now(), {
        web: { successUrl: 'https://example.com/ok', errorUrl: 'https://example.com/err', locale: 'de' },
      }),
    )
    expect(body.web).toMatchObject({
      successUrl: 'https://example.com/ok',
      errorUrl: 'https://example.com/err',
    })
    expect(body.web!.href.endsWith('&locale=de')).toBe(true)
  })

  it('adds a DATA credential with a prepared_data part when the request asks for one', async () => {
    test = await startJumio()
    const { body } = await test.initiate(
      accountRequest(10013, test.jumio.clock.now(), {
        workflowDefinition: { key: 10013, credentials: [{ category: 'DATA' }] },
      }),
    )
    const data = body.workflowExecution.credentials.find((credential) => credential.category === 'DATA')
    expect(Object.keys(data!.api!.parts)).toEqual(['prepared_data'])
  })
})

describe('region-shaped hosts', () => {
  it('answers on Jumio host names in process, and links every href to the right host', async () => {
    const jumio = createJumioSimulator({ region: 'emea-1' })
    const basic = Buffer.from(`${jumioSimulatorClient.id}:${jumioSimulatorClient.secret}`).toString('base64')
    const tokenResponse = await jumio.fetch('https://auth.emea-1.jumio.ai/oauth2/token', {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': userAgent,
      },
      body: 'grant_type=client_credentials',
    })
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string }
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'user-agent': userAgent,
    }
    const created = await jumio.fetch('https://account.emea-1.jumio.ai/api/v1/accounts', {
      method: 'POST',
      headers,
      body: JSON.stringify(accountRequest(10011, jumio.clock.now())),
    })
    expect(created.status).toBe(200)
    const body = (await created.json()) as AccountResponseBody
    const id = body.workflowExecution.credentials[0]!
    expect(id.api!.parts.front).toMatch(/^https:\/\/api\.emea-1\.jumio\.ai\/api\/v1\/accounts\//)
    expect(body.web!.href).toMatch(
      /^https:\/\/openkyc\.web\.emea-1\.jumio\.ai\/web\/v4\/app\?authorizationToken=/,
    )
    // An endpoint asked on another Jumio host is not there.
    const wrongHost = await jumio.fetch(id.api!.parts.front!.replace('api.emea-1', 'retrieval.emea-1'), {
      method: 'POST',
      headers: { authorization: `Bearer ${id.api!.token}`, 'user-agent': userAgent },
      body: new FormData(),
    })
    expect(wrongHost.status).toBe(404)
    const status = await jumio.fetch(
      `https://retrieval.emea-1.jumio.ai/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}/status`,
      { headers },
    )
    expect(((await status.json()) as { workflowExecution: { href: string } }).workflowExecution.href).toMatch(
      /^https:\/\/retrieval\.emea-1\.jumio\.ai\//,
    )
    jumio.shutdown()
  })

  it('serves every host from one listener, with configurable base URLs and host rules', async () => {
    test = await startJumio()
    const apiBase = test.url.replace('127.0.0.1', 'localhost')
    test.jumio.setBaseUrls({ api: apiBase })
    const { body } = await test.initiate(accountRequest(2, test.jumio.clock.now()))
    const id = body.workflowExecution.credentials[0]!
    expect(id.api!.parts.front!.startsWith(`${apiBase}/api/v1/accounts/`)).toBe(true)
    const onAccountHost = await uploadPart(
      test,
      id.api!.parts.front!.replace(apiBase, test.url),
      id.api!.token,
      documentImage(),
    )
    expect(onAccountHost.status).toBe(404)
    const onApiHost = await uploadPart(test, id.api!.parts.front!, id.api!.token, documentImage())
    expect(onApiHost.status).toBe(200)
  })
})
