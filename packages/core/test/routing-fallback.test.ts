import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  isKycError,
  KycAuthenticationError,
  KycConfigurationError,
  KycInvalidRequestError,
  type KycLogger,
  KycOutsideCoverageError,
  KycProviderUnavailableError,
  KycRateLimitedError,
  KycUnsupportedCapabilityError,
  type RoutingConfig,
  verifyAuditChain,
} from '../src/index.js'
import { createMockAdapter } from '../src/test/index.js'
import { seededPii, seededPiiValues } from './fixtures.js'
import { routingEntries } from './routing-support.js'

const unavailable = (provider: string) => () => {
  throw new KycProviderUnavailableError({ provider, message: `The ${provider} API answered 503.` })
}

describe('routing: fallback', () => {
  it('falls back on unavailability, timeouts and rate limits, each provider tried once, and audits every attempt', async () => {
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' })
    const first = createMockAdapter({
      provider: 'first',
      results: { createVerification: unavailable('first') },
    })
    const second = createMockAdapter({
      provider: 'second',
      results: {
        createVerification: () => {
          throw new KycProviderUnavailableError({ provider: 'second', message: 'timed out', cause: timeout })
        },
      },
    })
    const third = createMockAdapter({
      provider: 'third',
      results: {
        createVerification: () => {
          throw new KycRateLimitedError({ provider: 'third', message: 'rate limited' })
        },
      },
    })
    const fourth = createMockAdapter({ provider: 'fourth' })
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'first',
      adapters: { first, second, third, fourth },
      store,
      env: {},
      routing: { fallback: ['second', 'third', 'fourth'] },
    })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    expect(verification.provider).toBe('fourth')
    for (const adapter of [first, second, third, fourth]) {
      expect(adapter.calls.filter((call) => call.method === 'createVerification')).toHaveLength(1)
    }
    const [entry] = await routingEntries(store)
    expect(entry?.routing).toEqual({
      role: 'primary',
      basis: 'default',
      chosen: 'fourth',
      attempts: [
        { provider: 'first', result: 'unavailable', errorCode: 'provider_unavailable' },
        { provider: 'second', result: 'timeout', errorCode: 'provider_unavailable' },
        { provider: 'third', result: 'rate_limited', errorCode: 'rate_limited' },
        { provider: 'fourth', result: 'created' },
      ],
      skipped: [],
    })
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
  })

  it('does not fall back on errors another provider would repeat, and still audits the attempt', async () => {
    const first = createMockAdapter({
      provider: 'first',
      results: {
        createVerification: () => {
          throw new KycAuthenticationError({ provider: 'first', message: 'Check FIRST_API_KEY.' })
        },
      },
    })
    const second = createMockAdapter({ provider: 'second' })
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'first',
      adapters: { first, second },
      store,
      env: {},
      routing: { fallback: ['second'] },
    })
    await expect(kyc.createVerification({ subjectReference: 'user_1' })).rejects.toBeInstanceOf(
      KycAuthenticationError,
    )
    expect(second.calls).toHaveLength(0)
    const [entry] = await routingEntries(store)
    expect(entry).toMatchObject({
      provider: 'routing',
      routing: { attempts: [{ provider: 'first', result: 'failed', errorCode: 'authentication' }] },
    })
    expect(entry?.routing.chosen).toBeUndefined()
  })

  it('rethrows the last KycError when every provider failed', async () => {
    const kyc = createKyc({
      provider: 'first',
      adapters: {
        first: createMockAdapter({
          provider: 'first',
          results: { createVerification: unavailable('first') },
        }),
        second: createMockAdapter({
          provider: 'second',
          results: { createVerification: unavailable('second') },
        }),
      },
      env: {},
      routing: { fallback: ['second'] },
    })
    const error = await kyc
      .createVerification({ subjectReference: 'user_1' })
      .catch((caught: unknown) => caught)
    expect(isKycError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'provider_unavailable', provider: 'second' })
  })

  it('never falls back after a provider returned a verification: later calls stay at that provider', async () => {
    const first = createMockAdapter({
      provider: 'first',
      results: { submitVerification: unavailable('first') },
    })
    const second = createMockAdapter({ provider: 'second' })
    const kyc = createKyc({
      provider: 'first',
      adapters: { first, second },
      env: {},
      routing: { fallback: ['second'] },
    })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1', channel: 'api' })
    await expect(
      kyc.submitVerification({ provider: verification.provider, reference: verification.reference }),
    ).rejects.toBeInstanceOf(KycProviderUnavailableError)
    expect(second.calls).toHaveLength(0)
  })
})

describe('routing: coverage and rules', () => {
  const adapters = () => ({
    europe: createMockAdapter({ provider: 'europe' }),
    americas: createMockAdapter({ provider: 'americas' }),
    hostedOnly: createMockAdapter({ provider: 'hosted-only', capabilities: { upload: false } }),
  })
  /** A routed client over {@link adapters}, Europe its default provider, with its store. */
  const routedKyc = (routing: RoutingConfig) => {
    const installed = adapters()
    const store = createMemoryStore()
    const kyc = createKyc({ provider: 'europe', adapters: installed, store, env: {}, routing })
    return { installed, store, kyc }
  }

  it('refuses a request outside every provider coverage before any request, with a typed error', async () => {
    const installed = adapters()
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'europe',
      adapters: installed,
      store,
      env: {},
      routing: {
        coverage: { europe: { countries: ['DE', 'FR'] }, americas: { countries: ['US', 'BR'] } },
        fallback: ['americas'],
      },
    })
    const error = await kyc
      .createVerification({ subjectReference: 'user_1', country: 'JP' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycOutsideCoverageError)
    expect(error).toMatchObject({ code: 'outside_coverage' })
    expect((error as Error).message).toContain('europe country not covered')
    expect(installed.europe.calls).toHaveLength(0)
    expect(installed.americas.calls).toHaveLength(0)
    const [entry] = await routingEntries(store)
    expect(entry?.routing.skipped).toEqual([
      { provider: 'europe', reason: 'country_not_covered' },
      { provider: 'americas', reason: 'country_not_covered' },
    ])
    expect(entry?.routing.country).toBe('JP')
  })

  it('skips providers outside coverage and records why', async () => {
    const installed = adapters()
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'europe',
      adapters: installed,
      store,
      env: {},
      routing: {
        coverage: { europe: { countries: ['DE'], documentTypes: ['passport'] } },
        fallback: ['hostedOnly', 'americas'],
      },
    })
    const { verification } = await kyc.createVerification({
      subjectReference: 'user_1',
      country: 'DE',
      documentTypes: ['driving_license'],
      channel: 'api',
    })
    expect(verification.provider).toBe('americas')
    const [entry] = await routingEntries(store)
    expect(entry?.routing.skipped).toEqual([
      { provider: 'europe', reason: 'document_type_not_covered' },
      { provider: 'hosted-only', reason: 'channel_not_supported' },
    ])
  })

  it('answers each request shape by its own coverage, however often shapes repeat and alternate (answers are remembered per shape)', async () => {
    const { store, kyc } = routedKyc({
      coverage: { europe: { countries: ['DE'], documentTypes: ['passport'] } },
      fallback: ['hostedOnly', 'americas'],
    })
    const shapes = [
      { country: 'DE', documentTypes: ['passport'], expected: 'europe' },
      { country: 'BR', documentTypes: ['passport'], expected: 'hosted-only' },
      { country: 'DE', documentTypes: ['passport'], channel: 'api', expected: 'europe' },
      { country: 'DE', documentTypes: ['driving_license'], channel: 'api', expected: 'americas' },
      { country: 'DE', expected: 'europe' },
    ] as const
    for (const round of [1, 2]) {
      for (const [index, { expected, ...shape }] of shapes.entries()) {
        const { verification } = await kyc.createVerification({
          subjectReference: `user_${round}_${index}`,
          ...shape,
        })
        expect(verification.provider).toBe(expected)
      }
    }
    const entries = await routingEntries(store)
    expect(entries.map((entry) => entry.routing.chosen)).toEqual(
      [...shapes, ...shapes].map((shape) => shape.expected),
    )
    // A remembered answer is copied per call: one record's 'not_reached' never shows in another's.
    expect(entries[0]?.routing.skipped).toEqual([
      { provider: 'hosted-only', reason: 'not_reached' },
      { provider: 'americas', reason: 'not_reached' },
    ])
    expect(entries[5]?.routing.skipped).toEqual(entries[0]?.routing.skipped)
  })

  it('refuses document types the routing record would refuse (unknown, not an array, more than ten) before any request, storing nothing', async () => {
    const { installed, store, kyc } = routedKyc({
      coverage: { europe: { documentTypes: ['passport'] } },
      rules: [{ name: 'licences', when: { documentTypes: ['driving_license'] }, providers: ['americas'] }],
      fallback: ['americas'],
    })
    // Each would reach a provider and then go unrecorded: the routing record refuses it after the call.
    // The first two, joined with commas, would also read as another request's types.
    const refused = [
      ['id_card,driving_license', 'visa'],
      ['id_card,passport'],
      'passport',
      [7],
      Array.from({ length: 11 }, () => 'passport'),
    ] as unknown as 'passport'[][]
    for (const [index, documentTypes] of refused.entries()) {
      const pending = kyc.createVerification({ subjectReference: `odd_${index}`, documentTypes })
      await expect(pending).rejects.toBeInstanceOf(KycInvalidRequestError)
    }
    for (const adapter of Object.values(installed)) expect(adapter.calls).toEqual([])
    expect(await routingEntries(store)).toEqual([])
    // The closed lists' values, up to ten (repeats included), are routed and recorded as before.
    const licence = await kyc.createVerification({
      subjectReference: 'user_1',
      documentTypes: ['id_card', 'driving_license', 'visa'],
    })
    expect(licence.verification.provider).toBe('americas')
    const passport = await kyc.createVerification({
      subjectReference: 'user_2',
      documentTypes: ['id_card', 'passport'],
    })
    expect(passport.verification.provider).toBe('europe')
    const ten = Array.from({ length: 10 }, () => 'passport' as const)
    const long = await kyc.createVerification({ subjectReference: 'user_3', documentTypes: ten })
    expect(long.verification.provider).toBe('europe')
    const entries = await routingEntries(store)
    expect(entries.map((entry) => [entry.routing.basis, entry.routing.rule ?? null])).toEqual([
      ['rule', 'licences'],
      ['default', null],
      ['default', null],
    ])
    expect(entries[2]?.routing.documentTypes).toEqual(ten)
  })

  it('refuses a malformed country or routing hint with a rejected promise, before any request and without storing anything', async () => {
    const { installed, store, kyc } = routedKyc({})
    const malformed = [
      { subjectReference: 'user_1', country: 'de' },
      { subjectReference: 'user_2', routing: { segment: 'no spaces allowed' } },
      { subjectReference: 'user_3', routing: { attributes: { tier: 7 as unknown as string } } },
    ]
    for (const call of malformed) {
      // A promise, never a synchronous throw: callers chain .catch() on it.
      const pending = kyc.createVerification(call)
      await expect(pending).rejects.toBeInstanceOf(KycInvalidRequestError)
    }
    const missing = kyc.createVerification(undefined as unknown as { subjectReference: string })
    await expect(missing).rejects.toBeInstanceOf(TypeError)
    expect(installed.europe.calls).toEqual([])
    expect(await routingEntries(store)).toEqual([])
  })

  it('matches rules with attributes on every call: a shape answered without attributes is not reused for a call with them', async () => {
    const { store, kyc } = routedKyc({
      rules: [
        {
          name: 'premium',
          when: { countries: ['DE'], attributes: { tier: 'gold' } },
          providers: ['americas'],
        },
      ],
    })
    const calls = [
      { routing: undefined, expected: 'europe' },
      { routing: { attributes: { tier: 'gold' } }, expected: 'americas' },
      { routing: { attributes: { tier: 'silver' } }, expected: 'europe' },
      { routing: { segment: 'cohort-1' }, expected: 'europe' },
      { routing: { attributes: { tier: 'gold' }, segment: 'cohort-1' }, expected: 'americas' },
      { routing: undefined, expected: 'europe' },
    ]
    for (const [index, { routing, expected }] of calls.entries()) {
      const { verification } = await kyc.createVerification({
        subjectReference: `user_${index}`,
        country: 'DE',
        ...(routing === undefined ? {} : { routing }),
      })
      expect(verification.provider).toBe(expected)
    }
    const entries = await routingEntries(store)
    expect(entries.map((entry) => [entry.routing.rule ?? null, entry.routing.segment ?? null])).toEqual([
      [null, null],
      ['premium', null],
      [null, null],
      [null, 'cohort-1'],
      ['premium', 'cohort-1'],
      [null, null],
    ])
  })

  it('skips a provider whose adapter declares it cannot take the country or document type, before any request', async () => {
    const passportsOnly = createMockAdapter({
      provider: 'passports-only',
      coverage: { documentTypes: ['passport'], unsupportedCountries: ['KP'] },
    })
    const everything = createMockAdapter({ provider: 'everything' })
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'passports-only',
      adapters: { 'passports-only': passportsOnly, everything },
      store,
      env: {},
      routing: { fallback: ['everything'] },
    })
    const licence = await kyc.createVerification({
      subjectReference: 'user_1',
      documentTypes: ['driving_license'],
    })
    expect(licence.verification.provider).toBe('everything')
    const embargoed = await kyc.createVerification({ subjectReference: 'user_2', country: 'KP' })
    expect(embargoed.verification.provider).toBe('everything')
    const passport = await kyc.createVerification({
      subjectReference: 'user_3',
      country: 'DE',
      documentTypes: ['passport', 'driving_license'],
    })
    expect(passport.verification.provider).toBe('passports-only')
    expect(passportsOnly.calls.filter((call) => call.method === 'createVerification')).toHaveLength(1)
    const entries = await routingEntries(store)
    expect(entries.map((entry) => entry.routing.skipped)).toEqual([
      [{ provider: 'passports-only', reason: 'document_type_not_supported' }],
      [{ provider: 'passports-only', reason: 'country_not_supported' }],
      [{ provider: 'everything', reason: 'not_reached' }],
    ])
    // Outside every provider's declared coverage: a typed error before any request.
    const alone = createKyc({ adapters: { 'passports-only': passportsOnly }, env: {}, routing: {} })
    await expect(
      alone.createVerification({ subjectReference: 'user_4', documentTypes: ['visa'] }),
    ).rejects.toBeInstanceOf(KycOutsideCoverageError)
    expect(passportsOnly.calls.filter((call) => call.method === 'createVerification')).toHaveLength(1)
  })

  it('routes by country, document type and caller attributes to an ordered list, first match wins', async () => {
    const installed = adapters()
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'europe',
      adapters: installed,
      store,
      env: {},
      routing: {
        rules: [
          {
            name: 'premium',
            when: { attributes: { tier: ['gold', 'platinum'] } },
            providers: ['hostedOnly'],
          },
          {
            name: 'brazil-ids',
            when: { countries: ['BR'], documentTypes: ['id_card'] },
            providers: ['americas', 'europe'],
          },
        ],
      },
    })
    const premium = await kyc.createVerification({
      subjectReference: 'user_1',
      routing: { attributes: { tier: 'gold' } },
    })
    expect(premium.verification.provider).toBe('hosted-only')
    const brazil = await kyc.createVerification({
      subjectReference: 'user_2',
      country: 'BR',
      documentTypes: ['id_card'],
    })
    expect(brazil.verification.provider).toBe('americas')
    const other = await kyc.createVerification({
      subjectReference: 'user_3',
      country: 'BR',
      documentTypes: ['passport'],
    })
    expect(other.verification.provider).toBe('europe')
    const entries = await routingEntries(store)
    expect(entries.map((entry) => [entry.routing.basis, entry.routing.rule])).toEqual([
      ['rule', 'premium'],
      ['rule', 'brazil-ids'],
      ['default', undefined],
    ])
    expect(entries[1]?.routing.skipped).toEqual([{ provider: 'europe', reason: 'not_reached' }])
  })

  it('enforces capabilities per chosen provider, before any request', async () => {
    const installed = adapters()
    const kyc = createKyc({
      provider: 'hostedOnly',
      adapters: installed,
      env: {},
      routing: { fallback: ['europe'] },
    })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    expect(verification.provider).toBe('hosted-only')
    const error = await kyc
      .uploadCredential({
        provider: verification.provider,
        reference: verification.reference,
        kind: 'selfie',
        part: 'front',
        content: new Uint8Array([1]),
        contentType: 'image/jpeg',
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycUnsupportedCapabilityError)
    expect(error).toMatchObject({ provider: 'hosted-only', capability: 'upload' })
    expect(installed.hostedOnly.calls.map((call) => call.method)).toEqual(['createVerification'])
    await expect(
      kyc.getVerification({ provider: 'nowhere', reference: verification.reference }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
    })
  })
})

describe('routing: configuration', () => {
  const installed = () => ({
    a: createMockAdapter({ provider: 'a' }),
    b: createMockAdapter({ provider: 'b' }),
  })
  const messageOf = (run: () => unknown) => {
    try {
      run()
    } catch (error) {
      expect(error).toBeInstanceOf(KycConfigurationError)
      return (error as Error).message
    }
    throw new Error('expected a configuration error')
  }

  it('names the setting in every error', () => {
    expect(
      messageOf(() =>
        createKyc({ adapters: installed(), env: {}, routing: { split: { weights: { a: 70, b: 20 } } } }),
      ),
    ).toContain('routing.split.weights: the percentages must add up to 100')
    expect(
      messageOf(() => createKyc({ adapters: installed(), env: {}, routing: { fallback: ['a', 'c'] } })),
    ).toContain('routing.fallback.1 names "c"')
    expect(
      messageOf(() =>
        createKyc({
          adapters: installed(),
          env: {},
          routing: { rules: [{ name: 'x y', providers: ['a'] }] },
        }),
      ),
    ).toContain('routing.rules.0.name')
    expect(
      messageOf(() =>
        createKyc({ adapters: installed(), env: {}, routing: { coverage: { a: { countries: ['de'] } } } }),
      ),
    ).toContain('routing.coverage.a.countries.0')
    expect(
      messageOf(() =>
        createKyc({
          adapters: {
            a: createMockAdapter({ provider: 'a' }),
            b: createMockAdapter({ provider: 'b', capabilities: { upload: false } }),
          },
          env: {},
          routing: { shadow: { provider: 'b', percentage: 10 } },
        }),
      ),
    ).toContain('routing.shadow.provider "b" does not declare the "upload" capability')
  })

  it('keeps the single-provider configuration unchanged: no routing surface, no stored routing', async () => {
    const store = createMemoryStore()
    const kyc = createKyc({ adapters: { a: createMockAdapter({ provider: 'a' }) }, store, env: {} })
    expect(kyc.routing).toBeUndefined()
    await kyc.createVerification({ subjectReference: 'user_1' })
    expect(await routingEntries(store)).toEqual([])
  })

  it('routes to the first provider routing names when none is chosen', async () => {
    const kyc = createKyc({ adapters: installed(), env: {}, routing: { fallback: ['b', 'a'] } })
    expect(kyc.provider).toBe('b')
    expect(kyc.routing?.providers).toEqual(['b', 'a'])
  })
})

describe('routing: no personal data', () => {
  it('keeps names, dates of birth and sessions out of audit rows, logs and errors', async () => {
    const lines: string[] = []
    const logger: KycLogger = {
      debug: (message, fields) => lines.push(message, JSON.stringify(fields ?? {})),
      info: (message, fields) => lines.push(message, JSON.stringify(fields ?? {})),
      warn: (message, fields) => lines.push(message, JSON.stringify(fields ?? {})),
      error: (message, fields) => lines.push(message, JSON.stringify(fields ?? {})),
    }
    const store = createMemoryStore()
    const kyc = createKyc({
      provider: 'first',
      adapters: {
        first: createMockAdapter({
          provider: 'first',
          results: { createVerification: unavailable('first') },
        }),
        second: createMockAdapter({ provider: 'second' }),
        third: createMockAdapter({
          provider: 'third',
          results: { createVerification: unavailable('third') },
        }),
      },
      store,
      logger,
      env: {},
      routing: {
        coverage: {
          first: { countries: ['DE'] },
          second: { countries: ['DE'] },
          third: { countries: ['DE'] },
        },
        fallback: ['second'],
        rules: [{ name: 'vip', when: { attributes: { vip: 'yes' } }, providers: ['third'] }],
      },
    })
    const prefill = {
      firstName: seededPii.firstName,
      lastName: seededPii.lastName,
      dateOfBirth: seededPii.dateOfBirth,
    }
    const { verification } = await kyc.createVerification({
      subjectReference: 'user_1',
      prefill,
      country: 'DE',
    })
    await kyc.createVerification({
      subjectReference: 'user_2',
      prefill,
      routing: { attributes: { vip: 'yes' } },
    })
    const failure = await kyc
      .createVerification({ subjectReference: 'user_3', prefill, country: 'JP' })
      .catch((caught: unknown) => caught)
    expect(failure).toBeInstanceOf(KycOutsideCoverageError)
    const entries = JSON.stringify(await routingEntries(store))
    const everything = [entries, ...lines, JSON.stringify(failure), String((failure as Error).message)].join(
      '\n',
    )
    expect(await routingEntries(store)).toHaveLength(3)
    for (const value of [
      ...seededPiiValues,
      verification.session?.url ?? 'no-session',
      'user_1',
      'user_2',
      'user_3',
    ]) {
      expect(everything).not.toContain(value)
    }
    const stored = await store.verifications.get({ provider: 'second', id: verification.id })
    expect(stored?.session).toBeUndefined()
  })
})
