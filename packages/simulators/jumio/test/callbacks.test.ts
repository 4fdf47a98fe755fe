import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { scenarios } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumioConformanceDriver, jumioCallbackIpRanges } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio } from './jumio-test-server.js'

let test: JumioTestServer
let receiver:
  | { server: Server; url: string; received: { headers: IncomingMessage['headers']; body: string }[] }
  | undefined
afterEach(async () => {
  await test?.close()
  if (receiver !== undefined) {
    await new Promise((resolve) => receiver!.server.close(resolve))
    receiver = undefined
  }
})

/** A loopback HTTP receiver answering the given statuses in turn (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: { headers: IncomingMessage['headers']; body: string }[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.statusCode = statuses.shift() ?? 200
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/jumio`
  receiver = { server, url, received }
  return receiver
}

async function processed(key = 10011, extra: Record<string, unknown> = {}) {
  const { body } = await test.initiate(accountRequest(key, test.jumio.clock.now(), extra))
  await test.jumio.resolve(body.workflowExecution.id, 'clean_approve')
  return body
}

describe('callback payload', () => {
  it('carries ids, hrefs, the definition key as a string and the status, and no personal data', async () => {
    test = await startJumio()
    const body = await processed(10011)
    const [message] = test.jumio.callbacks
    expect(message!.url).toBe('https://example.com/jumio/callback')
    expect(message!.headers['content-type']).toBe('application/json')
    // Unsigned, as Jumio's callbacks are.
    expect(Object.keys(message!.headers).some((name) => /signature|hmac/i.test(name))).toBe(false)
    expect(JSON.parse(message!.rawBody)).toEqual({
      callbackSentAt: test.jumio.clock.isoNow(),
      userReference: 'user-42',
      workflowExecution: {
        id: body.workflowExecution.id,
        href: `${test.url}/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`,
        definitionKey: '10011',
        status: 'PROCESSED',
      },
      account: { id: body.account.id, href: `${test.url}/api/v1/accounts/${body.account.id}` },
    })
    const applicant = scenarios.find((scenario) => scenario.id === 'clean_approve')!.applicant
    for (const value of [
      applicant.lastName,
      applicant.firstName,
      applicant.documentNumber,
      applicant.dateOfBirth,
    ]) {
      expect(message!.rawBody).not.toContain(value)
    }
  })

  it('omits userReference when none was set, and goes to the Portal URL when the request names none', async () => {
    test = await startJumio({ defaultCallbackUrl: 'https://portal.example.com/jumio' })
    await processed(2, { userReference: undefined, callbackUrl: undefined, userConsent: undefined })
    const [message] = test.jumio.callbacks
    expect(message!.url).toBe('https://portal.example.com/jumio')
    expect(JSON.parse(message!.rawBody)).not.toHaveProperty('userReference')
  })

  it('sends an ACQUIRED callback at finalize when intermediate callbacks are on', async () => {
    test = await startJumio({ callbacks: { intermediate: true } })
    await processed(10011)
    expect(
      test.jumio.callbacks.map((message) => JSON.parse(message.rawBody).workflowExecution.status),
    ).toEqual(['ACQUIRED', 'PROCESSED'])
  })
})

describe('callback delivery modes', () => {
  it('early: PROCESSED is announced while retrieval still shows ACQUIRED, until the configured lag passes', async () => {
    test = await startJumio({ callbacks: { earlyRetrievalDelayMs: 40_000 } })
    const body = await processed(10011)
    expect(JSON.parse(test.jumio.callbacks[0]!.rawBody).workflowExecution.status).toBe('PROCESSED')
    const base = `/api/v1/accounts/${body.account.id}/workflow-executions/${body.workflowExecution.id}`
    const early = (await (await test.call('GET', base)).json()) as Record<string, unknown>
    expect(early.workflow).toMatchObject({ status: 'ACQUIRED' })
    expect(early).not.toHaveProperty('decision')
    expect(early).not.toHaveProperty('capabilities')
    await test.jumio.advanceTime(40_000)
    const ready = (await (await test.call('GET', base)).json()) as Record<string, unknown>
    expect(ready.workflow).toMatchObject({ status: 'PROCESSED' })
    expect(ready).toHaveProperty('decision')
  })

  it('duplicate: each callback arrives twice with the same body; the driver lists it once', async () => {
    const driver = createJumioConformanceDriver({ callbacks: { mode: { duplicate: 1 } } })
    const jumio = driver.simulator
    const token = await (
      await jumio.fetch('https://auth.amer-1.jumio.ai/oauth2/token', {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('openkyc-simulator-client:openkyc-simulator-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'OpenKYC Test/1.0',
        },
        body: 'grant_type=client_credentials',
      })
    ).json()
    const created = await jumio.fetch('https://account.amer-1.jumio.ai/api/v1/accounts', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
        'user-agent': 'OpenKYC Test/1.0',
      },
      body: JSON.stringify(accountRequest(10011, jumio.clock.now())),
    })
    const body = (await created.json()) as { account: { id: string }; workflowExecution: { id: string } }
    await jumio.resolve(body.workflowExecution.id, 'clean_approve')
    expect(jumio.callbacks).toHaveLength(2)
    expect(jumio.callbacks[1]!.rawBody).toBe(jumio.callbacks[0]!.rawBody)
    expect(jumio.callbackAttempts).toHaveLength(2)
    const reference = { accountId: body.account.id, workflowExecutionId: body.workflowExecution.id }
    const deliveries = await driver.webhookDeliveries({ reference })
    expect(deliveries).toHaveLength(1)
    expect(jumioCallbackIpRanges['amer-1']).toContain(deliveries[0]!.remoteAddress)
    await driver.close()
  })

  it('reorder: held callbacks are sent in another order than they were emitted', async () => {
    test = await startJumio()
    test.jumio.setCallbackMode({ reorder: true })
    const executions = []
    for (let index = 0; index < 3; index += 1) executions.push(await processed(10011))
    expect(test.jumio.heldCallbacks).toHaveLength(3)
    expect(test.jumio.callbackAttempts).toHaveLength(0)
    await test.jumio.flushCallbacks()
    const emitted = test.jumio.callbacks.map((message) => message.id)
    const sent = test.jumio.callbackAttempts.map((attempt) => attempt.id)
    expect([...sent].sort()).toEqual([...emitted].sort())
    expect(sent).not.toEqual(emitted)
  })
})

describe('callbacks to a real URL', () => {
  it('POSTs every callback to the configured URL over HTTP', async () => {
    const local = await startReceiver()
    test = await startJumio({ callbacks: { target: { url: local.url } } })
    const body = await processed(10011)
    expect(local.received).toHaveLength(1)
    expect(local.received[0]!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(local.received[0]!.body).workflowExecution.id).toBe(body.workflowExecution.id)
  })

  it('POSTs to each request’s callbackUrl, and retries a failed delivery on the clock', async () => {
    const local = await startReceiver([500])
    test = await startJumio({ allowInsecureCallbackUrls: true, callbacks: { target: 'callback-url' } })
    await processed(10011, { callbackUrl: local.url })
    expect(local.received).toHaveLength(1)
    expect(test.jumio.callbackAttempts.map((attempt) => attempt.status)).toEqual([500])
    await test.jumio.advanceTime(60_000)
    await test.jumio.callbacksIdle()
    expect(local.received).toHaveLength(2)
    expect(local.received[1]!.body).toBe(local.received[0]!.body)
    expect(test.jumio.callbackAttempts.map((attempt) => attempt.status)).toEqual([500, 200])
  })
})
