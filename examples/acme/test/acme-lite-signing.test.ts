import { isKycError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { acmeTestCredentials, createAcme, createAcmeSimulator } from '../src/index.js'

// Acme lite signs both ways, as Veriff does: the adapter signs every attempt through core's HTTP
// `sign` hook and checks every answer through `onResponse`.
describe('acme lite request and response signatures', () => {
  const lite = { ...acmeTestCredentials, plan: 'lite' as const }

  it('the simulator refuses a request without a valid signature', async () => {
    const simulator = createAcmeSimulator(lite)
    const unsigned = await simulator.fetch(
      new Request('https://api.acme-verify.test/v1/checks', {
        method: 'POST',
        headers: { authorization: `Bearer ${lite.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reference: 'user_1' }),
      }),
    )
    expect(unsigned.status).toBe(401)
    expect(await unsigned.json()).toMatchObject({ error: { code: 'invalid_signature' } })
  })

  it('the adapter signs each attempt afresh, so a retried read still passes', async () => {
    const simulator = createAcmeSimulator(lite)
    const acme = createAcme({ ...lite, fetch: simulator.fetch, sleep: async () => {} })
    const { verification } = await acme.createVerification({ subjectReference: 'user_1' })
    simulator.failNext({ status: 500, match: { method: 'GET' } })
    const before = simulator.requestCount
    const read = await acme.getVerification({ reference: verification.reference })
    expect(read.status).toBe('created')
    expect(simulator.requestCount - before, 'the 500, its signed retry and the decision read').toBe(3)
  })

  it('the adapter refuses an answer without a valid response signature', async () => {
    const simulator = createAcmeSimulator(lite)
    const acme = createAcme({ ...lite, fetch: simulator.fetch })
    const { verification } = await acme.createVerification({ subjectReference: 'user_1' })
    const forgedAnswers = createAcme({
      ...lite,
      fetch: async (input, init) => {
        const response = await simulator.fetch(new Request(input, init))
        const headers = new Headers(response.headers)
        headers.set('acme-response-signature', '0'.repeat(64))
        return new Response(response.body, { status: response.status, headers })
      },
    })
    const error = await forgedAnswers.getVerification({ reference: verification.reference }).catch((e) => e)
    expect(isKycError(error) && error.code).toBe('invalid_provider_response')
  })
})
