import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  createKyc,
  createMemoryStore,
  type KycAdapter,
  KycConfigurationError,
  KycUnsupportedCapabilityError,
  parseAdapterSettings,
  readSetting,
} from '../src/index.js'
import { createMockAdapter } from '../src/test/index.js'
import { seededPii } from './fixtures.js'

function configurationError(run: () => unknown): KycConfigurationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KycConfigurationError)
    return error as KycConfigurationError
  }
  throw new Error('expected a configuration error')
}

describe('createKyc', () => {
  it('chooses the provider from config, calling only that factory', async () => {
    const jumio = vi.fn(() => createMockAdapter({ provider: 'jumio' }))
    const persona = vi.fn(() => createMockAdapter({ provider: 'persona' }))
    const kyc = createKyc({ provider: 'persona', adapters: { jumio, persona }, env: {} })
    expect(kyc.provider).toBe('persona')
    expect(kyc.providers).toEqual(['jumio', 'persona'])
    expect(persona).toHaveBeenCalledTimes(1)
    expect(jumio).not.toHaveBeenCalled()
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    expect(verification.provider).toBe('persona')
  })

  it('reads KYC_PROVIDER when config.provider is absent, and config wins over it', () => {
    const adapters = {
      jumio: () => createMockAdapter({ provider: 'jumio' }),
      persona: () => createMockAdapter({ provider: 'persona' }),
    }
    expect(createKyc({ adapters, env: { KYC_PROVIDER: 'jumio' } }).provider).toBe('jumio')
    expect(createKyc({ adapters, env: { KYC_PROVIDER: ' Persona ' } }).provider).toBe('persona')
    expect(createKyc({ provider: 'persona', adapters, env: { KYC_PROVIDER: 'jumio' } }).provider).toBe(
      'persona',
    )
  })

  it('reads process.env by default', () => {
    vi.stubEnv('KYC_PROVIDER', 'persona')
    try {
      const kyc = createKyc({
        adapters: {
          jumio: createMockAdapter({ provider: 'jumio' }),
          persona: createMockAdapter({ provider: 'persona' }),
        },
      })
      expect(kyc.provider).toBe('persona')
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('uses the only installed adapter when nothing chooses one', () => {
    expect(
      createKyc({ adapters: { persona: createMockAdapter({ provider: 'persona' }) }, env: {} }).provider,
    ).toBe('persona')
  })

  it('names the setting and the installed adapters when no provider is chosen', () => {
    const error = configurationError(() =>
      createKyc({
        adapters: { jumio: createMockAdapter(), persona: createMockAdapter() },
        env: { KYC_PROVIDER: ' ' },
      }),
    )
    expect(error.message).toBe(
      'Set KYC_PROVIDER or pass { provider } to choose a KYC provider — installed: jumio, persona.',
    )
  })

  it('lists the installed adapters for an unknown provider', () => {
    const adapters = { jumio: createMockAdapter(), persona: createMockAdapter() }
    expect(configurationError(() => createKyc({ adapters, env: { KYC_PROVIDER: 'onfido' } })).message).toBe(
      'Unknown KYC provider "onfido" (from KYC_PROVIDER) — installed: jumio, persona.',
    )
    expect(configurationError(() => createKyc({ provider: 'veriff', adapters, env: {} })).message).toBe(
      'Unknown KYC provider "veriff" — installed: jumio, persona.',
    )
  })

  it('validates the config with zod, naming the offending field', () => {
    const adapters = { persona: createMockAdapter() }
    expect(configurationError(() => createKyc({ adapters: {}, env: {} })).message).toMatch(
      /install at least one adapter/,
    )
    expect(
      configurationError(() =>
        createKyc({ adapters, env: {}, webhookstore: {} } as unknown as Parameters<typeof createKyc>[0]),
      ).message,
    ).toBe('Invalid createKyc configuration: Unrecognized key: "webhookstore".')
    expect(
      configurationError(() =>
        createKyc({ adapters, env: {}, store: { markSeen() {} } } as unknown as Parameters<
          typeof createKyc
        >[0]),
      ).message,
    ).toMatch(/store: expected a KycStore/)
    expect(
      configurationError(() =>
        createKyc({ adapters, env: {}, webhookStore: createMemoryStore() } as unknown as Parameters<
          typeof createKyc
        >[0]),
      ).message,
    ).toMatch(/webhookStore was replaced by store, a KycStore: pass \{ store: createMemoryStore\(\) \}/)
    expect(
      configurationError(() =>
        createKyc({ adapters, env: {}, webhooks: { leaseMs: 0 } } as unknown as Parameters<
          typeof createKyc
        >[0]),
      ).message,
    ).toMatch(/webhooks\.leaseMs/)
    expect(
      configurationError(() =>
        createKyc({ adapters: { persona: 42 }, env: {} } as unknown as Parameters<typeof createKyc>[0]),
      ).message,
    ).toMatch(/adapters\.persona: expected an adapter/)
    expect(configurationError(() => createKyc({ provider: '', adapters, env: {} })).message).toMatch(
      /provider/,
    )
  })

  it('passes on the configuration error of the chosen factory, naming its setting', () => {
    const error = configurationError(() =>
      createKyc({
        provider: 'acme',
        adapters: {
          acme: () => {
            readSetting({
              value: undefined,
              env: 'ACME_API_KEY',
              name: 'apiKey',
              provider: 'acme',
              environment: {},
            })
            return createMockAdapter()
          },
        },
        env: {},
      }),
    )
    expect(error.message).toBe('The acme adapter needs apiKey: pass { apiKey } or set ACME_API_KEY.')
  })

  it('wraps other factory failures without copying their message', () => {
    const failure = new Error(`cannot reach ${seededPii.apiKey}`)
    const error = configurationError(() =>
      createKyc({
        adapters: {
          acme: () => {
            throw failure
          },
        },
        env: {},
      }),
    )
    expect(error.cause).toBe(failure)
    expect(JSON.stringify(error)).not.toContain(seededPii.apiKey)
    expect(error.message).not.toContain(seededPii.apiKey)
  })

  it('rejects something that is not an adapter', () => {
    const notAdapter = { provider: 'acme', capabilities: {} } as unknown as KycAdapter
    expect(configurationError(() => createKyc({ adapters: { acme: notAdapter }, env: {} })).message).toMatch(
      /installed as "acme" does not declare every capability/,
    )
    const noMethods = { ...createMockAdapter(), parseWebhook: undefined } as unknown as KycAdapter
    expect(configurationError(() => createKyc({ adapters: { acme: noMethods }, env: {} })).message).toMatch(
      /parseWebhook/,
    )
    const asyncFactory = (async () => createMockAdapter()) as unknown as () => KycAdapter
    expect(
      configurationError(() => createKyc({ adapters: { acme: asyncFactory }, env: {} })).message,
    ).toMatch(/returned a promise/)
  })

  it('enforces capabilities: an undeclared one throws before the adapter is called', async () => {
    const mock = createMockAdapter({ capabilities: { lists: false } })
    const kyc = createKyc({ adapters: { mock }, env: {} })
    expect(kyc.capabilities.lists).toBe(false)
    await expect(kyc.createList({ kind: 'email_address', name: 'vip' })).rejects.toBeInstanceOf(
      KycUnsupportedCapabilityError,
    )
    expect(mock.calls).toEqual([])
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    await expect(kyc.cancelVerification({ reference: verification.reference })).resolves.toMatchObject({
      status: 'cancelled',
    })
  })

  it('exposes a webhook pipeline for the chosen adapter, with the given store', async () => {
    const mock = createMockAdapter({ provider: 'persona' })
    const store = createMemoryStore()
    const kyc = createKyc({ adapters: { persona: mock }, store, env: {} })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    const delivery = mock.createWebhookDelivery([
      {
        id: 'evt_1',
        provider: 'persona',
        type: 'verification.created',
        occurredAt: verification.createdAt,
        verification,
        raw: { type: 'inquiry.created' },
      },
    ])
    const outcome = await kyc.webhooks.handle(delivery)
    expect(kyc.webhooks.provider).toBe('persona')
    expect(outcome.events[0]?.changed).toBe(true)
    expect(kyc.store).toBe(store)
    expect(await store.verifications.get({ provider: 'persona', id: verification.id })).toMatchObject({
      id: verification.id,
    })
  })
})

describe('readSetting', () => {
  it('prefers the value, then the environment', () => {
    const environment = { ACME_API_KEY: 'from-env' }
    const base = { env: 'ACME_API_KEY', name: 'apiKey', provider: 'acme', environment }
    expect(readSetting({ ...base, value: 'from-code' })).toBe('from-code')
    expect(readSetting({ ...base, value: undefined })).toBe('from-env')
    expect(readSetting({ ...base, value: '' })).toBe('from-env')
  })

  it('reads process.env by default', () => {
    vi.stubEnv('ACME_API_KEY', 'from-process')
    try {
      expect(readSetting({ value: undefined, env: 'ACME_API_KEY', name: 'apiKey', provider: 'acme' })).toBe(
        'from-process',
      )
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('parseAdapterSettings', () => {
  const schema = z.object({
    apiKey: z.string().min(8),
    baseUrl: z.url().default('https://api.acme.test'),
    timeoutMs: z.coerce.number().int().positive().default(10_000),
  })
  const envMap = { apiKey: 'ACME_API_KEY', baseUrl: 'ACME_BASE_URL', timeoutMs: 'ACME_TIMEOUT_MS' }

  it('fills settings from the environment and applies defaults; options win', () => {
    expect(
      parseAdapterSettings(schema, {}, envMap, {
        provider: 'acme',
        env: { ACME_API_KEY: seededPii.apiKey, ACME_TIMEOUT_MS: '2500' },
      }),
    ).toEqual({
      apiKey: seededPii.apiKey,
      baseUrl: 'https://api.acme.test',
      timeoutMs: 2500,
    })
    expect(
      parseAdapterSettings(schema, { apiKey: 'key-from-code' }, envMap, {
        provider: 'acme',
        env: { ACME_API_KEY: seededPii.apiKey },
      }).apiKey,
    ).toBe('key-from-code')
  })

  // Fails on main before issue 12: the `__proto__` key became the merged object's prototype, and
  // the schema read an inherited apiKey.
  it('takes no setting from a __proto__ key of settings parsed from JSON', () => {
    const hostile = JSON.parse('{"__proto__": {"apiKey": "inherited-key"}}') as Record<string, unknown>
    const error = configurationError(() =>
      parseAdapterSettings(schema, hostile, envMap, { provider: 'acme', env: {} }),
    )
    expect(error.message).toContain('ACME_API_KEY')
    expect(({} as Record<string, unknown>).apiKey).toBeUndefined()
  })

  it('names the missing setting and its variable', () => {
    const error = configurationError(() =>
      parseAdapterSettings(schema, undefined, envMap, { provider: 'acme', env: {} }),
    )
    expect(error.message).toBe('The acme adapter is misconfigured: pass { apiKey } or set ACME_API_KEY.')
    expect(error.provider).toBe('acme')
  })

  it('names invalid settings and where they came from, never their values', () => {
    const secretLike = 'short'
    const error = configurationError(() =>
      parseAdapterSettings(schema, { baseUrl: `not a url ${seededPii.apiKey}` }, envMap, {
        provider: 'acme',
        env: { ACME_API_KEY: secretLike, ACME_TIMEOUT_MS: '-3' },
      }),
    )
    expect(error.message).toMatch(/apiKey \(from ACME_API_KEY\) is invalid/)
    expect(error.message).toMatch(/baseUrl is invalid/)
    expect(error.message).toMatch(/timeoutMs \(from ACME_TIMEOUT_MS\) is invalid/)
    const exposed = `${error.message} ${JSON.stringify(error)}`
    expect(exposed).not.toContain(seededPii.apiKey)
    expect(exposed).not.toContain(`"${secretLike}"`)
    expect(exposed).not.toContain('-3')
  })
})
