import { KycConfigurationError } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createJumio } from '../src/index.js'
import { resolveJumioSettings } from '../src/jumio-settings.js'

const complete = {
  clientId: 'client-id-1',
  clientSecret: 'client-secret-very-secret',
  region: 'emea-1' as const,
  userAgent: 'AcmeBank Onboarding/1.4',
  env: {},
}

function configurationError(run: () => unknown): KycConfigurationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycConfigurationError)
    return error as KycConfigurationError
  }
  throw new Error('expected a KycConfigurationError')
}

describe('Jumio settings', () => {
  it('derives every host from the region', () => {
    expect(resolveJumioSettings(complete).baseUrls).toEqual({
      auth: 'https://auth.emea-1.jumio.ai',
      account: 'https://account.emea-1.jumio.ai',
      api: 'https://api.emea-1.jumio.ai',
      retrieval: 'https://retrieval.emea-1.jumio.ai',
    })
  })

  it('falls back to environment variables', () => {
    const settings = resolveJumioSettings({
      env: {
        JUMIO_CLIENT_ID: 'from-env-id',
        JUMIO_CLIENT_SECRET: 'from-env-secret',
        JUMIO_REGION: 'apac-1',
        JUMIO_USER_AGENT: 'Env Co/2.0',
        JUMIO_WORKFLOW_KEY: '10013',
        JUMIO_CALLBACK_URL: 'https://acme.example/jumio',
        JUMIO_RETRIEVAL_URL: 'http://127.0.0.1:9999',
      },
    })
    expect(settings).toMatchObject({
      clientId: 'from-env-id',
      clientSecret: 'from-env-secret',
      region: 'apac-1',
      userAgent: 'Env Co/2.0',
      workflowKey: '10013',
      callbackUrl: 'https://acme.example/jumio',
      baseUrls: { auth: 'https://auth.apac-1.jumio.ai', retrieval: 'http://127.0.0.1:9999' },
    })
  })

  it('prefers settings passed in code over the environment', () => {
    const settings = resolveJumioSettings({
      ...complete,
      env: { JUMIO_CLIENT_ID: 'env-id', JUMIO_REGION: 'amer-1' },
    })
    expect(settings.clientId).toBe('client-id-1')
    expect(settings.baseUrls.auth).toBe('https://auth.emea-1.jumio.ai')
  })

  it('defaults the workflow to 10011 and Jumio’s retrieval retry schedule', () => {
    const settings = resolveJumioSettings(complete)
    expect(settings.workflowKey).toBe('10011')
    expect(settings.retrievalRetryDelaysMs).toEqual([
      40_000, 60_000, 100_000, 160_000, 240_000, 340_000, 460_000, 600_000, 760_000, 940_000,
    ])
    expect(settings.callbackSourceAddresses).toBeUndefined()
  })

  it.each([
    ['clientId', 'JUMIO_CLIENT_ID'],
    ['clientSecret', 'JUMIO_CLIENT_SECRET'],
    ['userAgent', 'JUMIO_USER_AGENT'],
  ] as const)('names a missing %s and its variable %s', (setting, variable) => {
    const error = configurationError(() => createJumio({ ...complete, [setting]: undefined }))
    expect(error.message).toContain(`"${setting}"`)
    expect(error.message).toContain(variable)
    expect(error.provider).toBe('jumio')
  })

  it('asks for a region when no host is known', () => {
    const error = configurationError(() => createJumio({ ...complete, region: undefined }))
    expect(error.message).toContain('JUMIO_REGION')
    const unknown = configurationError(() =>
      createJumio({ ...complete, env: { JUMIO_REGION: 'mars-1' }, region: undefined }),
    )
    expect(unknown.message).toContain('"region" (or JUMIO_REGION) is invalid')
    expect(unknown.message).toContain('amer-1')
  })

  it('accepts explicit hosts instead of a region', () => {
    const settings = resolveJumioSettings({
      ...complete,
      region: undefined,
      baseUrls: {
        auth: 'http://127.0.0.1:1',
        account: 'http://127.0.0.1:2',
        retrieval: 'http://127.0.0.1:3',
      },
    })
    expect(settings.baseUrls).toEqual({
      auth: 'http://127.0.0.1:1',
      account: 'http://127.0.0.1:2',
      retrieval: 'http://127.0.0.1:3',
    })
  })

  it('never echoes a secret, even an invalid one', () => {
    const error = configurationError(() =>
      createJumio({ ...complete, clientSecret: 'client-secret-very-secret', callbackUrl: 'not a url' }),
    )
    expect(error.message).toContain('"callbackUrl"')
    expect(error.message).toContain('JUMIO_CALLBACK_URL')
    expect(error.message).not.toContain('not a url')
    expect(JSON.stringify(error)).not.toContain('client-secret-very-secret')
    expect(error.message).not.toContain('client-id-1')
  })

  it.each([
    ['http://acme.example/jumio', 'Jumio accepts https callback URLs only'],
    ['https://127.0.0.1/jumio', 'Jumio refuses an IP address as the callback host: use a domain name'],
    ['https://[::1]/jumio', 'Jumio refuses an IP address as the callback host: use a domain name'],
    ['https://acme.example:8443/jumio', 'Jumio refuses a port in the callback URL'],
    ['https://localhost/jumio', 'Jumio needs a public domain name as the callback host'],
    ['https://acme.example/jumio#x', 'Jumio refuses a fragment (#…) in the callback URL'],
  ])('refuses the callback URL %s at start-up with Jumio’s rule', (callbackUrl, rule) => {
    const error = configurationError(() => createJumio({ ...complete, callbackUrl }))
    expect(error.message).toBe(
      `Jumio is misconfigured: the setting "callbackUrl" (or JUMIO_CALLBACK_URL) is invalid: ${rule}.`,
    )
    const fromEnvironment = configurationError(() =>
      createJumio({ ...complete, env: { JUMIO_CALLBACK_URL: 'http://127.0.0.1:4000/webhooks/jumio' } }),
    )
    expect(fromEnvironment.message).toContain('JUMIO_CALLBACK_URL')
    expect(fromEnvironment.message).not.toContain('127.0.0.1')
  })

  it('accepts a loopback callback URL only when told it is for a local simulator', () => {
    const callbackUrl = 'http://127.0.0.1:4000/webhooks/jumio'
    expect(
      resolveJumioSettings({ ...complete, callbackUrl, allowInsecureCallbackUrl: true }).callbackUrl,
    ).toBe(callbackUrl)
    expect(resolveJumioSettings({ ...complete, callbackUrl: 'https://acme.example/jumio' }).callbackUrl).toBe(
      'https://acme.example/jumio',
    )
  })

  // Fails on main before issue 12: these passed creation and broke the first request with a TypeError.
  it.each([
    ['clientId', 'JUMIO_CLIENT_ID', 'client-id\n1'],
    ['clientSecret', 'JUMIO_CLIENT_SECRET', 'client-secret\r\nX-Evil: 1'],
    ['clientSecret', 'JUMIO_CLIENT_SECRET', 'client-secret\u0000'],
    ['userAgent', 'JUMIO_USER_AGENT', 'Acme\r\nX-Evil: 1'],
  ] as const)(
    'refuses a %s that cannot go into a header, naming the setting and %s only',
    (setting, variable, value) => {
      const error = configurationError(() => createJumio({ ...complete, [setting]: value }))
      expect(error.message).toContain(`"${setting}" (or ${variable})`)
      expect(JSON.stringify(error)).not.toContain(value)
      expect(error.message).not.toMatch(/client-secret|Evil/)
    },
  )

  it.each([() => Number.NaN, () => 'soon' as unknown as number, () => undefined as unknown as number])(
    'refuses a clock that tells no time at creation (%#)',
    (now) => {
      const error = configurationError(() => createJumio({ ...complete, now }))
      expect(error.message).toContain('now')
    },
  )

  it.each(['4m', '61d', '30x', 'soon'])('rejects the token lifetime %s', (tokenLifetime) => {
    const error = configurationError(() => createJumio({ ...complete, tokenLifetime }))
    expect(error.message).toContain('"tokenLifetime"')
  })

  it('turns the callback source check on with the region’s published addresses', () => {
    const settings = resolveJumioSettings({ ...complete, verifyCallbackSource: true })
    expect(settings.callbackSourceAddresses).toContain('34.253.41.236')
    expect(settings.callbackSourceAddresses).not.toContain('34.202.241.227')
    expect(
      resolveJumioSettings({ ...complete, env: { JUMIO_CALLBACK_IPS: '10.0.0.0/8, 192.0.2.7' } })
        .callbackSourceAddresses,
    ).toEqual(['10.0.0.0/8', '192.0.2.7'])
    const error = configurationError(() => createJumio({ ...complete, verifyCallbackSource: ['not-an-ip'] }))
    expect(error.message).toContain('"verifyCallbackSource"')
  })

  it('declares its capabilities honestly', () => {
    expect(createJumio(complete).capabilities).toEqual({
      upload: true,
      sessionLink: false,
      cancel: false,
      manualReview: false,
      deleteData: true,
      simulate: false,
      lists: false,
      cases: false,
    })
  })
})
