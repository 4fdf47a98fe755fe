import {
  computeHmacSha256,
  enforceCapabilities,
  KycAuthenticationError,
  KycConfigurationError,
  KycInvalidRequestError,
  KycNotFoundError,
  KycUnsupportedCapabilityError,
  VerificationSchema,
} from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import { createPersona, planSimulateActions } from '../src/create-persona.js'
import type { PersonaSettings } from '../src/persona-settings.js'
import { createFakePersona } from './fake-persona.js'
import { fixture } from './fixtures.js'

/** The error a call rejects with (fails the test when it resolves). */
function rejectionOf<T>(promise: Promise<unknown>): Promise<T> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (caught: unknown) => caught as T,
  )
}

const sandboxKey = 'persona_sandbox_unit-test-key'
const instantSleep = async () => undefined

function setup(settings: PersonaSettings = {}) {
  const fake = createFakePersona()
  const persona = createPersona({
    apiKey: sandboxKey,
    templateId: 'itmpl_Template1',
    webhookSecrets: ['wbhsec_unit'],
    caseTemplateId: 'ctmpl_Default',
    fetch: fake.fetch,
    sleep: instantSleep,
    now: () => Date.parse('2024-02-15T23:48:17.000Z'),
    env: {},
    ...settings,
  })
  return { fake, persona, reference: { inquiryId: fake.inquiryId } }
}

const prefill = { firstName: 'Jane', lastName: 'Doe', dateOfBirth: '1995-09-08' }

describe('createPersona: requests', () => {
  it('sends the key, Persona-Version and Key-Inflection explicitly, and an idempotency key on POST only', async () => {
    const { fake, persona, reference } = setup({ apiVersion: '2025-12-08' })
    await persona.createVerification({ subjectReference: 'user_123' })
    await persona.getVerification({ reference })
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST inquiries',
      `POST inquiries/${fake.inquiryId}/generate-one-time-link`,
      `GET inquiries/${fake.inquiryId}`,
    ])
    for (const request of fake.requests) {
      expect(request.headers.get('authorization')).toBe(`Bearer ${sandboxKey}`)
      expect(request.headers.get('persona-version')).toBe('2025-12-08')
      expect(request.headers.get('key-inflection')).toBe('kebab')
    }
    const [create, link, read] = fake.requests
    expect(create?.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/)
    expect(link?.headers.get('idempotency-key')).not.toBe(create?.headers.get('idempotency-key'))
    expect(read?.headers.get('idempotency-key')).toBeNull()
    expect(read?.search.get('include')).toBe('verifications,reports,account')
  })

  it('creates an inquiry from the template with prefill, hints and the subject as account reference', async () => {
    const { fake, persona } = setup({ inquiryExpiresInSeconds: 3600 })
    await persona.createVerification({
      subjectReference: 'user_123',
      redirectUrl: 'https://app.example.test/done',
      country: 'DE',
      documentTypes: ['passport'],
      prefill,
    })
    expect(fake.requests[0]?.json).toEqual({
      data: {
        attributes: {
          'inquiry-template-id': 'itmpl_Template1',
          'redirect-uri': 'https://app.example.test/done',
          fields: {
            'name-first': 'Jane',
            'name-last': 'Doe',
            birthdate: '1995-09-08',
            'selected-country-code': 'DE',
            'selected-id-class': 'pp',
          },
        },
      },
      meta: {
        'auto-create-account-reference-id': 'user_123',
        'expiration-after-create-interval-seconds': 3600,
      },
    })
  })

  it.each([
    ['itmplv_Version1', 'inquiry-template-version-id'],
    ['tmpl_Legacy1', 'template-id'],
  ])('sends template %s as %s', async (templateId, key) => {
    const { fake, persona } = setup({ templateId, handoff: 'hosted-url' })
    await persona.createVerification({ subjectReference: 'user_123' })
    expect(fake.requests[0]?.json).toEqual({
      data: { attributes: { [key]: templateId } },
      meta: { 'auto-create-account-reference-id': 'user_123' },
    })
  })

  it('retries a create after a server error with the same idempotency key', async () => {
    const { fake, persona } = setup()
    fake.once(
      (request) => request.path === 'inquiries' && request.method === 'POST',
      () => Response.json({ errors: [{ title: 'Service unavailable' }] }, { status: 503 }),
    )
    await persona.createVerification({ subjectReference: 'user_123' })
    const creates = fake.requests.filter(
      (request) => request.path === 'inquiries' && request.method === 'POST',
    )
    expect(creates).toHaveLength(2)
    expect(creates[1]?.headers.get('idempotency-key')).toBe(creates[0]?.headers.get('idempotency-key'))
  })
})

describe('createPersona: hand-off', () => {
  it('hands off by one-time link by default', async () => {
    const { persona } = setup({ oneTimeLinkExpiresInSeconds: 900 })
    const { verification } = await persona.createVerification({ subjectReference: 'user_123', prefill })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      id: 'inq_zEx4jL84ShbUyuwX6AzPSqt6',
      reference: { inquiryId: 'inq_zEx4jL84ShbUyuwX6AzPSqt6' },
      status: 'created',
      session: {
        url: 'https://withpersona.com/verify?code=otl-secret',
        expiresAt: '2024-02-16T00:03:17.000Z',
      },
    })
  })

  it('hands off by session token when configured', async () => {
    const { fake, persona } = setup({ handoff: 'session-token' })
    const { verification } = await persona.createVerification({ subjectReference: 'user_123' })
    expect(fake.requests[1]?.path).toBe(`inquiries/${fake.inquiryId}/resume`)
    expect(verification.session).toEqual({
      sdkToken: 'session-token-secret',
      url: `https://inquiry.withpersona.com/verify?inquiry-id=${fake.inquiryId}&session-token=session-token-secret`,
    })
  })

  it('hands off by hosted URL without a second request when configured', async () => {
    const { fake, persona } = setup({ handoff: 'hosted-url', hostedFlowUrl: 'http://127.0.0.1:9/verify' })
    const { verification } = await persona.createVerification({ subjectReference: 'user_123' })
    expect(fake.requests).toHaveLength(1)
    expect(verification.session).toEqual({ url: `http://127.0.0.1:9/verify?inquiry-id=${fake.inquiryId}` })
  })

  it('falls back to the hosted-flow URL when the session token cannot be had, and still throws on abort', async () => {
    const { fake, persona } = setup({ handoff: 'session-token', maxRetries: 0 })
    fake.once(
      (request) => request.path.endsWith('/resume'),
      () => Response.json({ errors: [{ title: 'Service Unavailable' }] }, { status: 503 }),
    )
    const { verification } = await persona.createVerification({ subjectReference: 'user_123' })
    expect(verification.session).toEqual({
      url: `https://inquiry.withpersona.com/verify?inquiry-id=${fake.inquiryId}`,
    })
    expect(fake.requests.filter((request) => request.path === 'inquiries')).toHaveLength(1)

    const controller = new AbortController()
    const linked = setup({ maxRetries: 0 })
    linked.fake.once(
      (request) => request.path.endsWith('/generate-one-time-link'),
      () => {
        controller.abort(new Error('caller gave up'))
        return Response.json({ errors: [{ title: 'Service Unavailable' }] }, { status: 503 })
      },
    )
    // The HTTP client ends a call with the caller's own reason as soon as the caller aborts, even when an
    // answer is on its way: no fallback hides it.
    await expect(
      linked.persona.createVerification({ subjectReference: 'user_123', signal: controller.signal }),
    ).rejects.toThrow('caller gave up')
  })

  it('creates one-time links on demand, with their expiry', async () => {
    const { fake, persona, reference } = setup()
    const link = await persona.createSessionLink({ reference, expiresInSeconds: 600 })
    expect(link).toEqual({
      url: 'https://withpersona.com/verify?code=otl-secret',
      expiresAt: '2024-02-15T23:58:17.000Z',
    })
    expect(fake.requests[0]?.json).toEqual({ meta: { 'expires-in-seconds': 600 } })
    await expect(persona.createSessionLink({ reference, expiresInSeconds: -1 })).rejects.toThrow(
      KycInvalidRequestError,
    )
  })
})

describe('createPersona: refusals before any request', () => {
  it('refuses the API channel as an unsupported capability', async () => {
    const { fake, persona } = setup()
    await expect(
      persona.createVerification({ subjectReference: 'user_123', channel: 'api' }),
    ).rejects.toThrow(KycUnsupportedCapabilityError)
    expect(fake.requests).toHaveLength(0)
  })

  it('refuses invalid options without echoing them', async () => {
    const { fake, persona } = setup()
    const error = await persona
      .createVerification({
        subjectReference: 'user_123',
        prefill: { ...prefill, dateOfBirth: 'Jane-Doe-1995' },
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(JSON.stringify(error)).not.toContain('Jane')
    expect((error as KycInvalidRequestError).issues[0]?.path).toEqual(['prefill', 'dateOfBirth'])
    expect(fake.requests).toHaveLength(0)
  })

  it('puts the field path and the rule in the message, never the value', async () => {
    const { persona } = setup()
    const invalid = (options: Record<string, unknown>) =>
      rejectionOf<KycInvalidRequestError>(
        persona.createVerification({ subjectReference: 'user_123', ...options }),
      )
    const dateError = await invalid({ prefill: { ...prefill, dateOfBirth: 'Jane-Doe-1995' } })
    expect(dateError.message).toMatch(/^persona createVerification: invalid options: prefill\.dateOfBirth: /)
    expect(dateError.message).not.toContain('Jane')
    // Country codes: the real ISO 3166-1 list, and what was expected.
    for (const country of ['XX', 'de']) {
      const countryError = await invalid({ country })
      expect(countryError).toBeInstanceOf(KycInvalidRequestError)
      expect(countryError.message).toBe(
        'persona createVerification: invalid options: country: expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE".',
      )
    }
  })

  it('names the setting and variable when Persona refuses the key (401) or the call (403)', async () => {
    for (const status of [401, 403]) {
      const { fake, persona } = setup()
      fake.once(
        () => true,
        () =>
          Response.json({ errors: [{ title: 'Must be authenticated to access this endpoint' }] }, { status }),
      )
      const error = await rejectionOf<KycAuthenticationError>(
        persona.createVerification({ subjectReference: 'user_123' }),
      )
      expect(error).toBeInstanceOf(KycAuthenticationError)
      expect(error.status).toBe(status)
      expect(error.message).toMatch(new RegExp(`^persona POST inquiries failed with HTTP ${status}: `))
      expect(error.message).toContain('apiKey (PERSONA_API_KEY)')
      expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(sandboxKey)
    }
  })

  it('refuses at start-up a key without a documented prefix (persona_sandbox_, persona_production_)', () => {
    const error = (() => {
      try {
        createPersona({ apiKey: 'sk_live_9f8e7d6c5b4a', templateId: 'itmpl_1', env: {} })
      } catch (caught) {
        return caught as KycConfigurationError
      }
      throw new Error('accepted a key without a Persona prefix')
    })()
    expect(error).toBeInstanceOf(KycConfigurationError)
    expect(error.message).toContain('apiKey')
    expect(error.message).toContain('must start with persona_sandbox_ or persona_production_')
    expect(error.message).not.toContain('sk_live_9f8e7d6c5b4a')
    const fromEnvironment = () =>
      createPersona({ templateId: 'itmpl_1', env: { PERSONA_API_KEY: 'sk_live_9f8e7d6c5b4a' } })
    expect(fromEnvironment).toThrow(
      /apiKey \(from PERSONA_API_KEY\) is invalid: must start with persona_sandbox_/,
    )
  })

  it('needs an inquiry id in the reference', async () => {
    const { fake, persona } = setup()
    await expect(persona.getVerification({ reference: { id: 'x' } })).rejects.toThrow(KycInvalidRequestError)
    expect(fake.requests).toHaveLength(0)
  })

  it('fails at start-up without an API key, naming the setting and variable', () => {
    expect(() => createPersona({ templateId: 'itmpl_1', env: {} })).toThrow(KycConfigurationError)
    expect(() => createPersona({ templateId: 'itmpl_1', env: {} })).toThrow(/apiKey.*PERSONA_API_KEY/)
  })
})

describe('createPersona: lifecycle calls', () => {
  it.each([
    ['approve', 'approve', 'approved'],
    ['decline', 'decline', 'declined'],
    ['mark_for_review', 'mark-for-review', 'review'],
  ] as const)('reviews with %s → POST …/%s', async (action, path, outcome) => {
    const { fake, persona, reference } = setup()
    const verification = await persona.reviewVerification({ reference, action, comment: 'checked by hand' })
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: `inquiries/${fake.inquiryId}/${path}` })
    expect(fake.requests[0]?.json).toEqual({ meta: { comment: 'checked by hand' } })
    expect(verification.decision?.outcome).toBe(outcome)
  })

  it('sends an empty review body without a comment', async () => {
    const { fake, persona, reference } = setup()
    await persona.reviewVerification({ reference, action: 'approve' })
    expect(fake.requests[0]?.json).toEqual({})
  })

  it('cancels by tagging, then expiring; the inquiry then reads as cancelled', async () => {
    const { fake, persona, reference } = setup()
    const cancelled = await persona.cancelVerification({ reference })
    expect(fake.requests.map((request) => request.path)).toEqual([
      `inquiries/${fake.inquiryId}/add-tag`,
      `inquiries/${fake.inquiryId}/expire`,
    ])
    expect(fake.requests[0]?.json).toEqual({ meta: { 'tag-name': 'openkyc-cancelled' } })
    expect(cancelled.status).toBe('cancelled')
    expect((await persona.getVerification({ reference })).status).toBe('cancelled')
  })

  it('deletes data with DELETE /inquiries/{id}', async () => {
    const { fake, persona, reference } = setup()
    await persona.deleteVerificationData({ reference })
    expect(fake.requests[0]).toMatchObject({ method: 'DELETE', path: `inquiries/${fake.inquiryId}` })
  })

  it('maps a 404 to KycNotFoundError', async () => {
    const { persona } = setup()
    await expect(persona.getVerification({ reference: { inquiryId: 'inq_missing' } })).rejects.toThrow(
      KycNotFoundError,
    )
  })
})

describe('createPersona: simulation', () => {
  it('declares simulate with a sandbox key only', async () => {
    expect(setup().persona.capabilities.simulate).toBe(true)
    const production = setup({ apiKey: 'persona_production_key' })
    expect(production.persona.capabilities.simulate).toBe(false)
    expect(production.persona.simulateVerification).toBeUndefined()
    const enforced = enforceCapabilities(production.persona)
    await expect(
      enforced.simulateVerification({ reference: production.reference, outcome: 'approved' }),
    ).rejects.toThrow(KycUnsupportedCapabilityError)
    expect(production.fake.requests).toHaveLength(0)
  })

  it('plans only the steps still ahead of the inquiry, then reads it back', async () => {
    const { fake, persona, reference } = setup()
    const verification = await persona.simulateVerification?.({ reference, outcome: 'approved' })
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET inquiries/${fake.inquiryId}`,
      `POST inquiries/${fake.inquiryId}/perform-simulate-actions`,
      `GET inquiries/${fake.inquiryId}`,
    ])
    expect(fake.requests[1]?.json).toEqual({
      meta: {
        'simulate-actions': [
          { type: 'start_inquiry' },
          { type: 'complete_inquiry' },
          { type: 'approve_inquiry' },
        ],
      },
    })
    expect(verification?.decision?.outcome).toBe('approved')
  })

  // The README's simulation table.
  it.each([
    ['created', 'started', ['start_inquiry']],
    ['created', 'submitted', ['start_inquiry', 'complete_inquiry']],
    ['created', 'approved', ['start_inquiry', 'complete_inquiry', 'approve_inquiry']],
    ['created', 'declined', ['start_inquiry', 'complete_inquiry', 'decline_inquiry']],
    ['created', 'review', ['start_inquiry', 'complete_inquiry', 'mark_for_review_inquiry']],
    ['created', 'expired', ['start_inquiry', 'expire_inquiry']],
    ['pending', 'approved', ['complete_inquiry', 'approve_inquiry']],
    ['pending', 'started', []],
    ['completed', 'declined', ['decline_inquiry']],
    ['needs_review', 'approved', ['approve_inquiry']],
  ] as const)('from %s to %s: %j', (status, outcome, types) => {
    expect(planSimulateActions(status, outcome).map((action) => action.type)).toEqual(types)
  })

  it('creates passed or failed verifications from configured templates before completing', () => {
    expect(planSimulateActions('pending', 'declined', ['vtmpl_Gov'])).toEqual([
      { type: 'create_failed_verification', data: { 'verification-template-id': 'vtmpl_Gov' } },
      { type: 'complete_inquiry' },
      { type: 'decline_inquiry' },
    ])
  })
})

describe('createPersona: webhooks', () => {
  it('verifies and normalizes a delivery', async () => {
    const { persona } = setup({ now: () => 1_708_040_897_000 })
    const rawBody = JSON.stringify(fixture('event-inquiry-approved.json'))
    const timestamp = 1_708_040_897
    const signature = computeHmacSha256('wbhsec_unit', `${timestamp}.${rawBody}`)
    const events = await persona.parseWebhook({
      headers: new Headers({ 'persona-signature': `t=${timestamp},v1=${signature}` }),
      rawBody,
    })
    expect(events.map((event) => event.type)).toEqual(['verification.completed'])
  })

  function signedDelivery(persona: ReturnType<typeof setup>['persona'], body: unknown) {
    const rawBody = JSON.stringify(body)
    const timestamp = 1_708_040_897
    const signature = computeHmacSha256('wbhsec_unit', `${timestamp}.${rawBody}`)
    return persona.parseWebhook({
      headers: new Headers({ 'persona-signature': `t=${timestamp},v1=${signature}` }),
      rawBody,
    })
  }

  it('reads the verifications of a decided inquiry whose payload carries none (API versions before 2025-10-27)', async () => {
    const { fake, persona } = setup({ now: () => 1_708_040_897_000 })
    const body = fixture('event-inquiry-approved.json') as {
      data: { attributes: { payload: { data: { id: string }; included?: unknown } } }
    }
    delete body.data.attributes.payload.included
    body.data.attributes.payload.data.id = fake.inquiryId
    const [event] = await signedDelivery(persona, body)
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET inquiries/${fake.inquiryId}`,
    ])
    // The status is the payload's (approved), not the later read's.
    expect(event?.verification?.decision?.outcome).toBe('approved')
  })

  it('does not read back when the payload includes the verifications, or nothing is decided yet', async () => {
    const { fake, persona } = setup({ now: () => 1_708_040_897_000 })
    await signedDelivery(persona, fixture('event-inquiry-approved.json'))
    const started = fixture('event-inquiry-approved.json') as {
      data: {
        attributes: {
          name: string
          payload: { data: { attributes: { status: string } }; included?: unknown }
        }
      }
    }
    started.data.attributes.name = 'inquiry.started'
    started.data.attributes.payload.data.attributes.status = 'pending'
    delete started.data.attributes.payload.included
    const [event] = await signedDelivery(persona, started)
    expect(event?.type).toBe('verification.started')
    expect(fake.requests).toHaveLength(0)
  })

  it('needs a webhook secret only when a webhook arrives', async () => {
    const { persona } = setup({ webhookSecrets: [] })
    await expect(persona.parseWebhook({ headers: new Headers(), rawBody: '{}' })).rejects.toThrow(
      /PERSONA_WEBHOOK_SECRETS/,
    )
  })
})

describe('createPersona: lists', () => {
  it('creates lists of every creatable kind and refuses the others', async () => {
    const { fake, persona } = setup()
    const list = await persona.createList({ kind: 'email_address', name: 'blocklist' })
    expect(list).toEqual({ id: 'lst_1', kind: 'email_address', name: 'blocklist', archived: false })
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: 'list/email-addresses' })
    expect(fake.requests[0]?.json).toEqual({ data: { attributes: { name: 'blocklist' } } })
    await expect(persona.createList({ kind: 'face', name: 'x' })).rejects.toThrow(KycInvalidRequestError)
    await expect(persona.createList({ kind: 'field', name: 'x' })).rejects.toThrow(/dashboard/)
    expect(fake.requests).toHaveLength(1)
  })

  it('adds items in Persona’s spelling, after validating all of them', async () => {
    const { fake, persona } = setup()
    await persona.addListItems({
      listId: 'lst_1',
      items: [{ value: 'a@x.test' }, { value: 'x.test', matchType: 'domain' }],
    })
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET lists/lst_1',
      'POST list-item/email-addresses',
      'POST list-item/email-addresses',
    ])
    expect(fake.requests[2]?.json).toEqual({
      data: { attributes: { 'list-id': 'lst_1', value: 'x.test', 'match-type': 'domain' } },
    })
    const before = fake.requests.length
    await expect(
      persona.lists.addItems({
        listId: 'lst_1',
        kind: 'email_address',
        items: [{ value: 'ok@x.test' }, { nope: '1' }],
      }),
    ).rejects.toThrow(KycInvalidRequestError)
    expect(fake.requests).toHaveLength(before)
  })

  it('converts geolocation numbers and the `value` alias', async () => {
    const { fake, persona } = setup()
    await persona.lists.addItems({
      listId: 'lst_geo',
      kind: 'geolocation',
      items: [{ latitude: '52.52', longitude: '13.405', radius_meters: '500' }],
    })
    await persona.lists.addItems({ listId: 'lst_c', kind: 'country', items: [{ value: 'KP' }] })
    expect(fake.requests.map((request) => request.json)).toEqual([
      {
        data: {
          attributes: { 'list-id': 'lst_geo', latitude: 52.52, longitude: 13.405, 'radius-meters': 500 },
        },
      },
      { data: { attributes: { 'list-id': 'lst_c', 'country-code': 'KP' } } },
    ])
  })

  it('imports a CSV in chunks, each with the header, and waits for Persona to finish', async () => {
    const { fake, persona } = setup()
    const progress: number[] = []
    const rows = Array.from({ length: 25 }, (_, index) => `person-${index}@x.test,email_address`)
    const result = await persona.lists.importCsv({
      listId: 'lst_1',
      csv: `value,match_type\n${rows.join('\n')}\n`,
      maxRowsPerChunk: 10,
      onProgress: ({ rowsSent }) => progress.push(rowsSent),
    })
    expect(progress).toEqual([10, 20, 25])
    expect(fake.importedCsv).toHaveLength(3)
    for (const csv of fake.importedCsv) expect(csv.startsWith('value,match_type\n')).toBe(true)
    const received = fake.importedCsv.flatMap((csv) => csv.trimEnd().split('\n').slice(1))
    expect(received).toEqual(rows)
    expect(result).toMatchObject({
      id: 'mprt_1',
      status: 'ready',
      successfulCount: 22,
      duplicateCount: 3,
      errorCount: 0,
      rowsSent: 25,
    })
    expect(result.importers.map((importer) => importer.id)).toEqual(['mprt_1', 'mprt_2', 'mprt_3'])
    const importer = fake.requests.find((request) => request.path === 'importer/list-item/email-addresses')
    expect(importer?.json).toMatchObject({
      data: { attributes: { 'list-id': 'lst_1', file: { filename: 'openkyc-import-1.csv' } } },
    })
    // The three importers were polled once each, in one round.
    expect(fake.importerPolls()).toBe(3)
  })

  it('refuses a CSV whose header does not fit the list, before uploading anything', async () => {
    const { fake, persona } = setup()
    const error = await persona
      .importListItems({ listId: 'lst_1', csv: 'email,secret_column\nsomeone@x.test,1\n' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    // Unknown columns by position (their text may be a data row), missing ones by our own name.
    expect((error as KycInvalidRequestError).issues.map((issue) => issue.path.at(-1))).toEqual([
      0,
      1,
      'value',
    ])
    expect(JSON.stringify(error)).not.toContain('someone@x.test')
    expect(fake.importedCsv).toHaveLength(0)
  })

  // Fails on main before issue 12: the first data row (e-mail, names, ID number) landed in issues[].path.
  it('never puts cell text into the error when the CSV has no header row', async () => {
    const { fake, persona } = setup()
    const error = await persona
      .importListItems({ listId: 'lst_1', csv: 'erika.mustermann@example.test\nmax@example.test\n' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect((error as KycInvalidRequestError).issues).toEqual([
      { path: ['csv', 'header', 0], message: 'unknown column' },
      { path: ['csv', 'header', 'value'], message: 'missing column' },
    ])
    expect((error as Error).message).toContain('1 of 1 columns are not allowed')
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toMatch(
      /erika|mustermann|example\.test/,
    )
    expect(fake.importedCsv).toHaveLength(0)
  })

  it('refuses kinds without an importer', async () => {
    const { persona } = setup()
    await expect(
      persona.lists.importCsv({ listId: 'lst_c', kind: 'country', csv: 'value\nKP\n' }),
    ).rejects.toThrow(/no CSV importer/)
  })
})

describe('createPersona: cases and accounts', () => {
  it('creates a case from the default template relating the inquiries', async () => {
    const { fake, persona, reference } = setup()
    const created = await persona.createCase({ verifications: [reference] })
    expect(created).toEqual({ id: 'case_1', status: 'Open', verificationIds: [fake.inquiryId] })
    expect(fake.requests[0]?.json).toEqual({
      data: { attributes: { 'case-template-id': 'ctmpl_Default' } },
      meta: { 'object-ids': [fake.inquiryId] },
    })
  })

  it('needs a case template', async () => {
    const { fake, persona } = setup({ caseTemplateId: undefined })
    await expect(persona.createCase({})).rejects.toThrow(/PERSONA_CASE_TEMPLATE_ID/)
    expect(fake.requests).toHaveLength(0)
  })

  it('sets status, assigns and adds objects with Persona’s meta bodies', async () => {
    const { fake, persona } = setup()
    await persona.setCaseStatus({ caseId: 'case_1', status: 'Approved' })
    const assigned = await persona.assignCase({ caseId: 'case_1', assignee: 'agent@example.test' })
    await persona.cases.addObjects({ caseId: 'case_1', objectIds: ['act_1', 'inq_2'] })
    expect(fake.requests.map((request) => [request.path, request.json])).toEqual([
      ['cases/case_1/set-status', { meta: { status: 'Approved' } }],
      ['cases/case_1/assign', { meta: { 'user-email-address': 'agent@example.test' } }],
      ['cases/case_1/add-objects', { meta: { 'object-ids': ['act_1', 'inq_2'] } }],
    ])
    expect(assigned.assignee).toBe('user_7')
  })

  it('creates accounts, follows relation pages and redacts', async () => {
    const { fake, persona } = setup()
    const account = await persona.accounts.create({
      referenceId: 'user_123',
      tags: ['vip'],
      countryCode: 'de',
    })
    expect(account).toEqual({ id: 'act_1', referenceId: 'user_123', tags: ['vip'] })
    expect(fake.requests[0]?.json).toEqual({
      data: { attributes: { 'reference-id': 'user_123', tags: ['vip'], 'country-code': 'DE' } },
    })
    const related = await persona.accounts.relations({ accountId: 'act_1', key: 'household' })
    expect(related.map((relation) => relation.id)).toEqual(['act_r1', 'act_r2', 'act_r3'])
    const relationRequests = fake.requests.filter((request) => request.path === 'accounts/act_1/relations')
    expect(relationRequests.map((request) => request.search.get('filter[key]'))).toEqual([
      'household',
      'household',
    ])
    expect(relationRequests[1]?.search.get('page[after]')).toBe('act_r2')
    await persona.accounts.redact({ accountId: 'act_1' })
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: 'accounts/act_1' })
    await expect(persona.accounts.create({ referenceId: ' ' })).rejects.toThrow(KycInvalidRequestError)
  })
})

describe('createPersona: settings view', () => {
  it('exposes its settings without the key or the secrets', () => {
    const { persona } = setup()
    const text = JSON.stringify(persona.settings)
    expect(text).not.toContain(sandboxKey)
    expect(text).not.toContain('wbhsec_unit')
    expect(persona.settings).toMatchObject({ webhookSecretCount: 1, handoff: 'one-time-link', sandbox: true })
  })
})
