import { afterEach, describe, expect, it } from 'vitest'
import { accountRequest, freshConsent, type JumioTestServer, startJumio } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

const year = 365 * 24 * 3600 * 1000

type Case = {
  rule: string
  /** Builds the request from a valid one for the key. */
  key?: number
  change: (request: Record<string, unknown>, now: number) => void
  /** A word the 400 detail must contain (the field). */
  field: string
}

const set = (path: string, value: unknown) => (request: Record<string, unknown>) => {
  const keys = path.split('.')
  let target = request as Record<string, unknown>
  for (const key of keys.slice(0, -1)) {
    target[key] ??= {}
    target = target[key] as Record<string, unknown>
  }
  if (value === undefined) delete target[keys.at(-1)!]
  else target[keys.at(-1)!] = value
}

const invalid: Case[] = [
  {
    rule: 'customerInternalReference is required',
    change: set('customerInternalReference', undefined),
    field: 'customerInternalReference',
  },
  {
    rule: 'customerInternalReference is not empty',
    change: set('customerInternalReference', ''),
    field: 'customerInternalReference',
  },
  {
    rule: 'customerInternalReference has at most 100 characters',
    change: set('customerInternalReference', 'x'.repeat(101)),
    field: 'customerInternalReference',
  },
  ...['<', '>', '"', '/', ';', '\\', '%', '{', '}', '|'].map((character) => ({
    rule: `customerInternalReference without ${character}`,
    change: set('customerInternalReference', `order${character}42`),
    field: 'customerInternalReference',
  })),
  {
    rule: 'workflowDefinition is required',
    change: set('workflowDefinition', undefined),
    field: 'workflowDefinition',
  },
  {
    rule: 'workflowDefinition.key is a known key',
    change: set('workflowDefinition.key', 4242),
    field: 'workflowDefinition.key',
  },
  {
    rule: 'callbackUrl uses HTTPS',
    change: set('callbackUrl', 'http://example.com/cb'),
    field: 'callbackUrl',
  },
  {
    rule: 'callbackUrl is not an IP address',
    change: set('callbackUrl', 'https://203.0.113.9/cb'),
    field: 'callbackUrl',
  },
  {
    rule: 'callbackUrl has no port',
    change: set('callbackUrl', 'https://example.com:8443/cb'),
    field: 'callbackUrl',
  },
  {
    rule: 'callbackUrl has no fragment',
    change: set('callbackUrl', 'https://example.com/cb#part'),
    field: 'callbackUrl',
  },
  { rule: 'callbackUrl is a URL', change: set('callbackUrl', 'not a url'), field: 'callbackUrl' },
  {
    rule: 'callbackUrl is not localhost',
    change: set('callbackUrl', 'https://localhost/cb'),
    field: 'callbackUrl',
  },
  {
    rule: 'callbackUrl has at most 255 characters',
    change: set('callbackUrl', `https://example.com/${'a'.repeat(250)}`),
    field: 'callbackUrl',
  },
  {
    rule: 'tokenLifetime matches the pattern',
    change: set('tokenLifetime', '30 minutes'),
    field: 'tokenLifetime',
  },
  { rule: 'tokenLifetime is at least 5m', change: set('tokenLifetime', '299s'), field: 'tokenLifetime' },
  { rule: 'tokenLifetime is at most 60d', change: set('tokenLifetime', '61d'), field: 'tokenLifetime' },
  { rule: 'tokenLifetime is not negative', change: set('tokenLifetime', '-5m'), field: 'tokenLifetime' },
  {
    rule: 'userReference has at most 100 characters',
    change: set('userReference', 'u'.repeat(101)),
    field: 'userReference',
  },
  {
    rule: 'userReference is required for screening (32)',
    key: 32,
    change: set('userReference', undefined),
    field: 'userReference',
  },
  {
    rule: 'userReference is required for screening (10010)',
    key: 10010,
    change: set('userReference', undefined),
    field: 'userReference',
  },
  {
    rule: 'reportingCriteria has at most 255 characters',
    change: set('reportingCriteria', 'r'.repeat(256)),
    field: 'reportingCriteria',
  },
  { rule: 'web.locale has at most 5 characters', change: set('web.locale', 'en-GB-x'), field: 'web.locale' },
  { rule: 'web.successUrl is a URL', change: set('web.successUrl', 'nowhere'), field: 'web.successUrl' },
  {
    rule: 'userConsent.userIp is required with biometrics',
    key: 10011,
    change: set('userConsent.userIp', undefined),
    field: 'userConsent.userIp',
  },
  {
    rule: 'userConsent.userLocation.country is required with biometrics',
    key: 10011,
    change: set('userConsent.userLocation.country', undefined),
    field: 'userConsent.userLocation.country',
  },
  {
    rule: 'userConsent.userLocation.country is alpha-3',
    key: 10011,
    change: set('userConsent.userLocation.country', 'US'),
    field: 'userConsent.userLocation.country',
  },
  {
    rule: 'userConsent.consent.obtained is required in the USA',
    key: 10011,
    change: set('userConsent.consent.obtained', undefined),
    field: 'userConsent.consent.obtained',
  },
  {
    rule: 'userConsent.consent.obtained is yes, no or na',
    key: 10011,
    change: set('userConsent.consent.obtained', 'maybe'),
    field: 'userConsent.consent.obtained',
  },
  {
    rule: 'userConsent.consent.obtainedAt is required when obtained',
    key: 10011,
    change: set('userConsent.consent.obtainedAt', undefined),
    field: 'userConsent.consent.obtainedAt',
  },
  {
    rule: 'userConsent.consent.obtainedAt has milliseconds and Z',
    key: 10011,
    change: set('userConsent.consent.obtainedAt', '2030-01-01T10:00:00+01:00'),
    field: 'userConsent.consent.obtainedAt',
  },
  {
    rule: 'continuous consent is at most 3 years old',
    key: 10011,
    change: (request, now) =>
      set('userConsent.consent.obtainedAt', new Date(now - 3.1 * year).toISOString())(request),
    field: 'userConsent.consent.obtainedAt',
  },
  {
    rule: 'credential category is known',
    change: set('workflowDefinition.credentials', [{ category: 'PHOTO' }]),
    field: 'workflowDefinition.credentials',
  },
  {
    rule: 'credential category belongs to the workflow',
    change: set('workflowDefinition.credentials', [{ category: 'SELFIE' }]),
    field: 'workflowDefinition.credentials',
  },
  {
    rule: 'country presets are alpha-3',
    change: set('workflowDefinition.credentials', [{ category: 'ID', country: { values: ['US'] } }]),
    field: 'country.values',
  },
  {
    rule: 'ID type presets are known',
    change: set('workflowDefinition.credentials', [{ category: 'ID', type: { values: ['LIBRARY_CARD'] } }]),
    field: 'type.values',
  },
  {
    rule: 'workflow 20 compares two images of the documented kinds',
    key: 20,
    change: set('workflowDefinition.credentials', [
      { category: 'ID' },
      { category: 'ID' },
      { category: 'SELFIE' },
    ]),
    field: 'workflowDefinition.credentials',
  },
]

describe('account create validation (400)', () => {
  it.each(invalid)('$rule', async ({ key, change, field }) => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    const request = accountRequest(key ?? 2, now)
    change(request, now)
    const { status, body } = await test.initiate(request)
    expect(status).toBe(400)
    const problem = body as unknown as { title: string; status: number; detail: string }
    expect(problem).toMatchObject({ title: 'Bad Request', status: 400 })
    expect(problem.detail).toContain(field)
    // The detail names the rule, never the value sent.
    for (const value of ['order<42', 'order%42', '203.0.113.9', 'LIBRARY_CARD'])
      expect(problem.detail).not.toContain(value)
  })

  it('answers 400 to a body that is not JSON', async () => {
    test = await startJumio()
    const response = await test.call('POST', '/api/v1/accounts', {
      body: '{"customerInternalReference":',
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(400)
  })

  it('accepts every documented boundary value', async () => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    const accepted = [
      { customerInternalReference: 'x'.repeat(100) },
      { customerInternalReference: 'a' },
      { tokenLifetime: '5m' },
      { tokenLifetime: '60d' },
      { tokenLifetime: '600s' },
      { tokenLifetime: '+1d' },
      { workflowDefinition: { key: '2' } },
      { web: { locale: 'en-GB', successUrl: 'https://example.com/ok', errorUrl: 'https://example.com/err' } },
      { callbackUrl: 'https://callbacks.example.com/jumio?tenant=1' },
      {
        userConsent: { ...freshConsent(now), userLocation: { country: 'DEU' }, consent: { obtained: 'na' } },
      },
    ]
    for (const change of accepted) {
      const { status } = await test.initiate({ ...accountRequest(2, now), ...change })
      expect(status, JSON.stringify(Object.keys(change))).toBe(200)
    }
  })

  it('requires userConsent with the request of a biometric workflow only when configured to', async () => {
    test = await startJumio({ consentRequired: 'create' })
    const now = test.jumio.clock.now()
    const { userConsent: _omitted, ...withoutConsent } = accountRequest(10011, now)
    const biometric = await test.initiate(withoutConsent)
    expect(biometric.status).toBe(400)
    expect((biometric.body as unknown as { detail: string }).detail).toContain('userConsent')
    const { userConsent: _none, ...documentOnly } = accountRequest(2, now)
    expect((await test.initiate(documentOnly)).status).toBe(200)
    await test.close()
    test = await startJumio()
    expect((await test.initiate(withoutConsent)).status).toBe(200)
  })

  it('accepts http, IP and port callback URLs when insecure callback URLs are allowed (local demos)', async () => {
    test = await startJumio({ allowInsecureCallbackUrls: true })
    const request = accountRequest(2, test.jumio.clock.now(), {
      callbackUrl: 'http://127.0.0.1:4000/webhooks/jumio',
    })
    expect((await test.initiate(request)).status).toBe(200)
    expect((await test.initiate({ ...request, callbackUrl: 'http://127.0.0.1:4000/cb#x' })).status).toBe(400)
  })
})

describe('account update and workflows that need an account', () => {
  it('answers 404 to an update of an unknown account', async () => {
    test = await startJumio()
    const { status } = await test.initiate(
      accountRequest(2, test.jumio.clock.now()),
      '8d4b0f4e-2f7a-4f51-9a43-5d0c0e0f9b11',
    )
    expect(status).toBe(404)
  })

  it('refuses workflows 5, 9 and 16 on account creation', async () => {
    test = await startJumio()
    for (const key of [5, 9, 16]) {
      const { status, body } = await test.initiate(
        accountRequest(key, test.jumio.clock.now(), {
          workflowDefinition: {
            key,
            credentials: [{ category: 'ID', id: '8d4b0f4e-2f7a-4f51-9a43-5d0c0e0f9b11' }],
          },
        }),
      )
      expect(status, `workflow ${key}`).toBe(400)
      expect((body as unknown as { detail: string }).detail).toMatch(/existing account|credentials/)
    }
  })

  it('needs the id of an ID on file for workflow 5, and a facemap on file for workflow 9', async () => {
    test = await startJumio()
    const now = test.jumio.clock.now()
    const created = await test.initiate(accountRequest(2, now))
    const accountId = created.body.account.id
    const noId = await test.initiate(
      accountRequest(5, now, { workflowDefinition: { key: 5, credentials: [{ category: 'SELFIE' }] } }),
      accountId,
    )
    expect(noId.status).toBe(400)
    const unknownId = await test.initiate(
      accountRequest(5, now, {
        workflowDefinition: {
          key: 5,
          credentials: [{ category: 'ID', id: '8d4b0f4e-2f7a-4f51-9a43-5d0c0e0f9b11' }],
        },
      }),
      accountId,
    )
    expect(unknownId.status).toBe(400)
    const noFacemap = await test.initiate(accountRequest(9, now), accountId)
    expect(noFacemap.status).toBe(400)
    expect((noFacemap.body as unknown as { detail: string }).detail).toContain('FACEMAP')
  })
})
