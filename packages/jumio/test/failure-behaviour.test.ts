import { createJumioSimulator, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { createJpeg } from '@openkyc/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumio } from '../src/index.js'

type JumioSimulator = ReturnType<typeof createJumioSimulator>
const simulators: JumioSimulator[] = []
afterEach(() => {
  for (const simulator of simulators.splice(0)) simulator.shutdown()
})

const partPath = /\/credentials\/[^/]+\/parts\/FRONT$/
const finalizePath = /^\/api\/v1\/accounts\/[^/]+\/workflow-executions\/[^/]+$/

/** The adapter on a fresh simulator; `wrap` may stand between them to lose or rewrite responses. */
function setup(
  wrap?: (send: (request: Request) => Promise<Response>) => (request: Request) => Promise<Response>,
) {
  const simulator = createJumioSimulator()
  simulators.push(simulator)
  const jumio = createJumio({
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    region: 'amer-1',
    userAgent: 'OpenKYC Tests/1.0',
    workflowKey: 32,
    fetch:
      wrap === undefined
        ? simulator.fetch
        : (input: RequestInfo | URL, init?: RequestInit) =>
            wrap((request) => simulator.fetch(request))(new Request(input, init)),
    now: () => simulator.clock.now(),
    sleep: async () => {},
    transactionRateLimit: false,
    env: {},
    userConsent: { userIp: '203.0.113.10', userLocation: { country: 'DE' } },
  })
  return { simulator, jumio }
}

async function apiVerification(jumio: ReturnType<typeof createJumio>, subjectReference = 'failure-user') {
  const { verification } = await jumio.createVerification({ subjectReference, channel: 'api' })
  return verification.reference
}

const requestsTo = (simulator: JumioSimulator, method: string, path: RegExp) =>
  simulator.requests.filter((request) => request.method === method && path.test(request.path))

describe('submitVerification is retry-safe', () => {
  it('keeps the upload session when the read after a successful finalize fails, and a retry reads instead of finalizing', async () => {
    const { simulator, jumio } = setup()
    const reference = await apiVerification(jumio)
    await jumio.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: createJpeg({ width: 800, height: 520 }),
      contentType: 'image/jpeg',
    })
    // Every attempt at reading the details fails (first try and core's two retries).
    simulator.failNext({ status: 500, times: 3, match: { method: 'GET', path: finalizePath } })
    await expect(jumio.submitVerification({ reference })).rejects.toMatchObject({
      code: 'provider_unavailable',
    })
    expect(requestsTo(simulator, 'PUT', finalizePath)).toHaveLength(1)
    // Finalized: no more uploads, refused before any request.
    const before = simulator.requestCount
    await expect(
      jumio.uploadCredential({
        reference,
        kind: 'selfie',
        part: 'face',
        content: createJpeg({ width: 600, height: 800 }),
        contentType: 'image/jpeg',
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' })
    expect(simulator.requestCount).toBe(before)

    const submitted = await jumio.submitVerification({ reference })
    expect(['submitted', 'completed']).toContain(submitted.status)
    // The retry did not finalize a second time.
    expect(requestsTo(simulator, 'PUT', finalizePath)).toHaveLength(1)
    // Once the whole call succeeded the session is gone: no further uploads.
    await expect(jumio.submitVerification({ reference })).rejects.toMatchObject({ code: 'invalid_state' })
  })

  it('treats a refused repeat of a finalize whose response was lost as success when Jumio shows it finalized', async () => {
    let finalizes = 0
    const { simulator, jumio } = setup((fetch) => async (request) => {
      const path = new URL(request.url).pathname
      if (request.method !== 'PUT' || !finalizePath.test(path)) return fetch(request)
      finalizes += 1
      if (finalizes === 1) {
        await fetch(request) // Jumio finalizes, then the response is lost.
        return new Response(null, { status: 502 })
      }
      return Response.json(
        { title: 'Bad Request', status: 400, detail: 'already finalized' },
        { status: 400 },
      )
    })
    const reference = await apiVerification(jumio)
    const submitted = await jumio.submitVerification({ reference })
    expect(finalizes).toBe(2)
    expect(['submitted', 'completed']).toContain(submitted.status)
    expect(simulator.execution(reference)?.status).not.toBe('INITIATED')
  })

  it('still fails when the finalize is refused and the execution was not finalized', async () => {
    const { jumio } = setup((fetch) => async (request) => {
      const path = new URL(request.url).pathname
      if (request.method === 'PUT' && finalizePath.test(path))
        return Response.json({ title: 'Bad Request', status: 400, detail: 'refused' }, { status: 400 })
      return fetch(request)
    })
    const reference = await apiVerification(jumio)
    await expect(jumio.submitVerification({ reference })).rejects.toMatchObject({ code: 'invalid_request' })
  })
})

describe('repeats the POSTs Jumio documents as safe', () => {
  it('repeats the OAuth token request after a 5xx and a connection reset', async () => {
    const { simulator, jumio } = setup()
    simulator.failNext({ status: 503, match: { method: 'POST', path: '/oauth2/token' } })
    simulator.resetNext({ match: { method: 'POST', path: '/oauth2/token' } })
    const reference = await apiVerification(jumio)
    expect(reference).toMatchObject({ accountId: expect.any(String) })
    expect(requestsTo(simulator, 'POST', /^\/oauth2\/token$/).map((request) => request.status)).toEqual([
      503,
      'reset',
      200,
    ])
  })

  it('gives up on the token after the configured number of repeats', async () => {
    const { simulator, jumio } = setup()
    simulator.failNext({ status: 503, times: 3, match: { method: 'POST', path: '/oauth2/token' } })
    await expect(apiVerification(jumio)).rejects.toMatchObject({ code: 'provider_unavailable' })
    expect(requestsTo(simulator, 'POST', /^\/oauth2\/token$/)).toHaveLength(3)
  })

  it('repeats a part upload after a connection reset as the documented replace (PUT), and the part arrives', async () => {
    const { simulator, jumio } = setup()
    const reference = await apiVerification(jumio)
    simulator.resetNext({ match: { method: 'POST', path: partPath } })
    await jumio.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: createJpeg({ width: 800, height: 520 }),
      contentType: 'image/jpeg',
    })
    const sent = simulator.requests.filter((request) => partPath.test(request.path))
    expect(sent.map(({ method, status }) => [method, status])).toEqual([
      ['POST', 'reset'],
      ['PUT', 200],
    ])
    const idCredential = simulator
      .execution(reference)
      ?.credentials.find((credential) => credential.category === 'ID')
    expect(idCredential?.parts).toEqual(['FRONT'])
  })

  it('does not repeat a part upload Jumio refused (4xx)', async () => {
    const { simulator, jumio } = setup()
    const reference = await apiVerification(jumio)
    simulator.failNext({ status: 400, match: { method: 'POST', path: partPath } })
    await expect(
      jumio.uploadCredential({
        reference,
        kind: 'id_document',
        part: 'front',
        content: createJpeg({ width: 800, height: 520 }),
        contentType: 'image/jpeg',
      }),
    ).rejects.toMatchObject({ code: 'invalid_request' })
    expect(simulator.requests.filter((request) => partPath.test(request.path))).toHaveLength(1)
  })
})

describe('account creation with an unknown outcome', () => {
  it('says the outcome is unknown after a reset, sends the POST once, and stays retryable', async () => {
    const { simulator, jumio } = setup()
    simulator.resetNext({ match: { method: 'POST', path: '/api/v1/accounts' } })
    const error = await apiVerification(jumio).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true })
    expect((error as Error).message).toMatch(/outcome is unknown/)
    expect(requestsTo(simulator, 'POST', /^\/api\/v1\/accounts$/)).toHaveLength(1)
  })

  it('keeps the plain unavailable error for a 5xx, which is an answer', async () => {
    const { simulator, jumio } = setup()
    simulator.failNext({ status: 500, match: { method: 'POST', path: '/api/v1/accounts' } })
    const error = await apiVerification(jumio).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'provider_unavailable', status: 500 })
    expect((error as Error).message).not.toMatch(/outcome is unknown/)
  })

  it('updates the known account of a returning subject instead of creating another', async () => {
    const { simulator, jumio } = setup()
    const first = await apiVerification(jumio, 'returning-user')
    const second = await apiVerification(jumio, 'returning-user')
    expect(second.accountId).toBe(first.accountId)
    expect(requestsTo(simulator, 'POST', /^\/api\/v1\/accounts$/)).toHaveLength(1)
    expect(requestsTo(simulator, 'PUT', /^\/api\/v1\/accounts\/[^/]+$/)).toHaveLength(1)
  })
})
