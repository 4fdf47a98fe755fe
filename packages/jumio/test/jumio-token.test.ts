import { KycAuthenticationError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createJumio } from '../src/index.js'
import { createJumioTokenCache } from '../src/jumio-token-cache.js'
import { accountId, createFakeJumio, reference, testSettings, workflowExecutionId } from './fake-jumio.js'
import { loadFixture } from './load-fixture.js'

/** The error a call rejects with (fails the test when it resolves). */
function rejectionOf<T>(promise: Promise<unknown>): Promise<T> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (caught: unknown) => caught as T,
  )
}

describe('Jumio OAuth2 token cache', () => {
  it('sends exactly one token request for 200 concurrent reads at token expiry', async () => {
    let time = Date.parse('2024-01-01T00:00:00.000Z')
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const jumio = createJumio(testSettings(fake, () => time))

    await jumio.getVerification({ reference })
    expect(fake.tokenRequests).toBe(1)

    time += 3600 * 1000 // the token has expired
    const results = await Promise.all(Array.from({ length: 200 }, () => jumio.getVerification({ reference })))

    expect(fake.tokenRequests).toBe(2)
    expect(results.every((verification) => verification.decision?.outcome === 'approved')).toBe(true)
    const retrievals = fake.requests.filter((request) => request.host.startsWith('retrieval.'))
    expect(retrievals).toHaveLength(201)
    expect(retrievals.slice(1).every((request) => request.authorization === 'Bearer access-token-2')).toBe(
      true,
    )
  })

  it('reuses the token until shortly before it expires', async () => {
    let time = 0
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const jumio = createJumio(testSettings(fake, () => time))
    await jumio.getVerification({ reference })
    time += 3600 * 1000 - 5 * 60_000 - 1 // just before the five-minute margin
    await jumio.getVerification({ reference })
    expect(fake.tokenRequests).toBe(1)
    time += 1
    await jumio.getVerification({ reference })
    expect(fake.tokenRequests).toBe(2)
  })

  it('sends the client credentials as Basic auth with a form body', async () => {
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const jumio = createJumio(testSettings(fake))
    await jumio.getVerification({ reference })
    const [token] = fake.requests
    expect(token).toMatchObject({
      method: 'POST',
      url: 'https://auth.amer-1.jumio.ai/oauth2/token',
      authorization: `Basic ${Buffer.from('client-id-1:client-secret-very-secret').toString('base64')}`,
      userAgent: 'OpenKYC Tests/1.0',
      contentType: expect.stringContaining('application/x-www-form-urlencoded'),
      body: 'grant_type=client_credentials',
    })
  })

  it('retries once, transparently, with a fresh token after a 401', async () => {
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const jumio = createJumio(testSettings(fake))
    await jumio.getVerification({ reference })
    fake.revokeTokens()
    const verification = await jumio.getVerification({ reference })
    expect(verification.status).toBe('completed')
    expect(fake.tokenRequests).toBe(2)
  })

  it('shares one refresh among concurrent calls refused with the same stale token', async () => {
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const jumio = createJumio(testSettings(fake))
    await jumio.getVerification({ reference })
    fake.revokeTokens()
    await Promise.all(Array.from({ length: 20 }, () => jumio.getVerification({ reference })))
    expect(fake.tokenRequests).toBe(2)
  })

  it('gives up after the one retry: a second 401 is an authentication error without secrets', async () => {
    const fake = createFakeJumio()
    fake.use((_request, url) =>
      url.hostname.startsWith('retrieval.') ? new Response(null, { status: 401 }) : undefined,
    )
    const jumio = createJumio(testSettings(fake))
    const error = await jumio.getVerification({ reference }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycAuthenticationError)
    expect(fake.tokenRequests).toBe(2)
    expect(fake.requests.filter((request) => request.host.startsWith('retrieval.'))).toHaveLength(2)
    const serialized = `${String(error)} ${JSON.stringify(error)}`
    expect(serialized).not.toMatch(/access-token|client-secret|client-id-1/)
  })

  it('reports a refused token request as an authentication error', async () => {
    const fake = createFakeJumio()
    fake.use((_request, url) =>
      url.hostname.startsWith('auth.') ? new Response(null, { status: 401 }) : undefined,
    )
    const jumio = createJumio(testSettings(fake))
    const error = await jumio.getVerification({ reference }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycAuthenticationError)
    expect(JSON.stringify(error)).not.toContain('client-secret-very-secret')
  })

  it('says which settings to check when Jumio refuses the credentials (401) or the call (403)', async () => {
    const refused = createFakeJumio()
    refused.use((_request, url) =>
      url.hostname.startsWith('auth.') ? new Response(null, { status: 401 }) : undefined,
    )
    const unauthenticated = await rejectionOf<KycAuthenticationError>(
      createJumio(testSettings(refused)).getVerification({ reference }),
    )
    expect(unauthenticated.message).toMatch(/^jumio POST oauth2\/token failed with HTTP 401: /)
    expect(unauthenticated.message).toContain(
      'Check clientId and clientSecret (JUMIO_CLIENT_ID, JUMIO_CLIENT_SECRET) and that region (JUMIO_REGION)',
    )

    const forbidden = createFakeJumio()
    forbidden.use((_request, url) =>
      url.hostname.startsWith('retrieval.') ? new Response(null, { status: 403 }) : undefined,
    )
    const error = await rejectionOf<KycAuthenticationError>(
      createJumio(testSettings(forbidden)).getVerification({ reference }),
    )
    expect(error).toBeInstanceOf(KycAuthenticationError)
    expect(error.status).toBe(403)
    expect(error.message).toContain('Check userAgent (JUMIO_USER_AGENT')
    for (const message of [unauthenticated.message, error.message]) {
      expect(message).not.toMatch(/access-token|client-secret|client-id-1/)
    }
  })

  it('lets an aborted caller leave while the shared refresh goes on', async () => {
    let release: (value: { accessToken: string; expiresInSeconds: number }) => void = () => {}
    let requested = 0
    const cache = createJumioTokenCache({
      now: () => 0,
      requestToken: () => {
        requested += 1
        return new Promise((resolve) => {
          release = resolve
        })
      },
    })
    const controller = new AbortController()
    const aborted = cache.get(controller.signal)
    const waiting = cache.get()
    controller.abort(new Error('caller gave up'))
    await expect(aborted).rejects.toThrow('caller gave up')
    release({ accessToken: 'shared', expiresInSeconds: 3600 })
    await expect(waiting).resolves.toBe('shared')
    expect(requested).toBe(1)
  })
})
