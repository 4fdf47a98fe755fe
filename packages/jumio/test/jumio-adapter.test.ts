import {
  createKyc,
  enforceCapabilities,
  KycInvalidRequestError,
  KycInvalidStateError,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycUnsupportedCapabilityError,
  VerificationSchema,
} from '@openkyc/core'
import { createRateLimiter } from '@openkyc/core/http'
import { createMockAdapter } from '@openkyc/core/test'
import { describe, expect, it } from 'vitest'
import { createJumio, toJumioPreparedData } from '../src/index.js'
import { resolveJumioSettings } from '../src/jumio-settings.js'
import { accountId, createFakeJumio, reference, testSettings, workflowExecutionId } from './fake-jumio.js'
import { loadFixture } from './load-fixture.js'

const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])

function setup() {
  const fake = createFakeJumio()
  const jumio = createJumio({ ...testSettings(fake, () => Date.parse('2024-01-01T00:00:00.000Z')) })
  return { fake, jumio }
}

describe('createVerification', () => {
  it('creates an account with the configured workflow and returns the hand-off', async () => {
    const { fake, jumio } = setup()
    const { verification } = await jumio.createVerification({
      subjectReference: 'user-42',
      redirectUrl: 'https://acme.example/done',
      locale: 'de-AT',
      country: 'US',
      documentTypes: ['driving_license', 'passport', 'residence_permit', 'id_card'],
      jumio: { customerInternalReference: 'txn-1' },
    })
    const create = fake.requests.find((request) => request.host.startsWith('account.'))!
    expect(create).toMatchObject({
      method: 'POST',
      url: 'https://account.amer-1.jumio.ai/api/v1/accounts',
      authorization: 'Bearer access-token-1',
      userAgent: 'OpenKYC Tests/1.0',
      contentType: 'application/json',
    })
    expect(JSON.parse(create.body as string)).toMatchInlineSnapshot(`
      {
        "customerInternalReference": "txn-1",
        "userReference": "user-42",
        "web": {
          "errorUrl": "https://acme.example/done",
          "locale": "de",
          "successUrl": "https://acme.example/done",
        },
        "workflowDefinition": {
          "credentials": [
            {
              "category": "ID",
              "country": {
                "predefinedType": "DEFINED",
                "values": [
                  "USA",
                ],
              },
              "type": {
                "predefinedType": "DEFINED",
                "values": [
                  "DRIVING_LICENSE",
                  "PASSPORT",
                  "ID_CARD",
                ],
              },
            },
          ],
          "key": 10011,
        },
      }
    `)
    expect(verification).toMatchObject({
      id: workflowExecutionId,
      provider: 'jumio',
      reference: { accountId, workflowExecutionId },
      subjectReference: 'user-42',
      status: 'created',
      session: {
        url: expect.stringContaining('https://acme.web.amer-1.jumio.ai/web/v4/app?authorizationToken='),
        sdkToken: 'eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.sdk-token.sig',
        expiresAt: '2024-01-01T00:30:00.000Z',
      },
    })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
  })

  it('sends the callback URL and token lifetime when configured, and a random internal reference', async () => {
    const fake = createFakeJumio()
    const jumio = createJumio({
      ...testSettings(fake),
      callbackUrl: 'https://acme.example/webhooks/jumio',
      tokenLifetime: '1d',
      workflowKey: 10013,
    })
    await jumio.createVerification({ subjectReference: 'user-7' })
    await jumio.createVerification({ subjectReference: 'user-8' })
    const bodies = fake.requests
      .filter((request) => request.host.startsWith('account.'))
      .map((request) => JSON.parse(request.body as string))
    expect(bodies[0]).toMatchObject({
      callbackUrl: 'https://acme.example/webhooks/jumio',
      tokenLifetime: '1d',
      workflowDefinition: { key: 10013 },
    })
    expect(bodies[0].customerInternalReference).toMatch(/^[0-9a-f-]{36}$/)
    expect(bodies[1].customerInternalReference).not.toBe(bodies[0].customerInternalReference)
  })

  it('starts a new workflow execution on the same account for a returning subject', async () => {
    const { fake, jumio } = setup()
    await jumio.createVerification({ subjectReference: 'user-42' })
    await jumio.createVerification({ subjectReference: 'user-42' })
    const accountCalls = fake.requests.filter((request) => request.host.startsWith('account.'))
    expect(accountCalls.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /api/v1/accounts',
      `PUT /api/v1/accounts/${accountId}`,
    ])
    await expect(jumio.accounts.forSubject('user-42')).resolves.toBe(accountId)
  })

  it('falls back to a new account when the remembered one was deleted', async () => {
    const { fake, jumio } = setup()
    await jumio.createVerification({ subjectReference: 'user-42' })
    fake.use((request, url) =>
      request.method === 'PUT' && url.hostname.startsWith('account.')
        ? Response.json({ title: 'Not Found', status: 404 }, { status: 404 })
        : undefined,
    )
    const { verification } = await jumio.createVerification({ subjectReference: 'user-42' })
    expect(verification.status).toBe('created')
    const accountCalls = fake.requests.filter((request) => request.host.startsWith('account.'))
    expect(accountCalls.map((request) => request.method)).toEqual(['POST', 'PUT', 'POST'])
  })

  it.each([
    [{ subjectReference: '' }, 'subjectReference'],
    [{ subjectReference: 'x'.repeat(101) }, 'subjectReference'],
    [{ subjectReference: 'ok', country: 'USA' }, 'country'],
    [{ subjectReference: 'ok', redirectUrl: 'javascript:alert(1)' }, 'redirectUrl'],
  ])('rejects invalid options %o before any request', async (options, path) => {
    const { fake, jumio } = setup()
    const error = await jumio.createVerification(options).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect((error as KycInvalidRequestError).issues.map((issue) => issue.path[0])).toContain(path)
    expect(fake.requests).toHaveLength(0)
  })

  it('paces transaction starts with the declared budget (one per second by default)', async () => {
    expect(resolveJumioSettings(testSettings(createFakeJumio(), Date.now)).transactionRateLimit).toBe(false)
    expect(
      resolveJumioSettings({ ...testSettings(createFakeJumio()), transactionRateLimit: undefined })
        .transactionRateLimit,
    ).toEqual({
      requests: 1,
      intervalMs: 1000,
    })
    let time = 0
    const waits: number[] = []
    const limiter = createRateLimiter({
      requests: 1,
      intervalMs: 1000,
      now: () => time,
      sleep: async (ms) => {
        waits.push(ms)
        time += ms
      },
    })
    const fake = createFakeJumio()
    const jumio = createJumio({ ...testSettings(fake), transactionRateLimit: limiter })
    await Promise.all(
      ['a', 'b', 'c'].map((subjectReference) => jumio.createVerification({ subjectReference })),
    )
    expect(waits).toEqual([1000, 1000])
    expect(fake.requests.filter((request) => request.host.startsWith('account.'))).toHaveLength(3)
  })

  it('does not retry an account creation after a server error (it may have started a transaction)', async () => {
    const { fake, jumio } = setup()
    fake.use((request, url) =>
      request.method === 'POST' && url.hostname.startsWith('account.')
        ? new Response(null, { status: 503 })
        : undefined,
    )
    await expect(jumio.createVerification({ subjectReference: 'user-42' })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    expect(fake.requests.filter((request) => request.host.startsWith('account.'))).toHaveLength(1)
  })
})

describe('API channel', () => {
  it('uploads each part with the transaction token to the URL Jumio gave, then finalizes', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-acquired'))
    const { verification } = await jumio.createVerification({ subjectReference: 'user-42', channel: 'api' })
    fake.clearRequests()

    await jumio.uploadCredential({
      reference: verification.reference,
      kind: 'id_document',
      part: 'front',
      content: jpeg,
      contentType: 'image/jpeg',
    })
    await jumio.uploadCredential({
      reference: verification.reference,
      kind: 'id_document',
      part: 'back',
      content: jpeg,
      contentType: 'image/jpeg',
    })
    await jumio.uploadCredential({
      reference: verification.reference,
      kind: 'selfie',
      part: 'face',
      content: jpeg,
      contentType: 'image/png',
    })
    const submitted = await jumio.submitVerification({ reference: verification.reference })

    const base = `https://api.amer-1.jumio.ai/api/v1/accounts/${accountId}/workflow-executions/${workflowExecutionId}`
    expect(
      fake.requests.map((request) => `${request.method} ${request.url} ${request.authorization}`),
    ).toEqual([
      `POST ${base}/credentials/33333333-3333-3333-3333-aaaaaaaaaaaa/parts/FRONT Bearer eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.transaction-token.sig`,
      // Jumio handed out a renewed token with the first upload: the next calls use it.
      `POST ${base}/credentials/33333333-3333-3333-3333-aaaaaaaaaaaa/parts/BACK Bearer eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.transaction-token-2.sig`,
      `POST ${base}/credentials/33333333-3333-3333-3333-bbbbbbbbbbbb/parts/FACE Bearer eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.transaction-token-2.sig`,
      `PUT ${base} Bearer eyJhbGciOiJIUzUxMiIsInppcCI6IkdaSVAifQ.transaction-token-2.sig`,
      `GET https://retrieval.amer-1.jumio.ai/api/v1/accounts/${accountId}/workflow-executions/${workflowExecutionId} Bearer access-token-1`,
    ])
    const front = fake.requests[0]!
    expect(front.contentType).toMatch(/^multipart\/form-data; boundary=/)
    expect(front.userAgent).toBe('OpenKYC Tests/1.0')
    const file = (front.body as FormData).get('file') as File
    expect(file.type).toBe('image/jpeg')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(jpeg)
    expect(submitted.status).toBe('submitted')
    // The OAuth token never goes to the upload host.
    expect(
      fake.requests.filter(
        (request) => request.host.startsWith('api.') && request.authorization?.includes('access-token'),
      ),
    ).toEqual([])
  })

  it('uploads prepared data as JSON with alpha-3 countries and nested fields', async () => {
    const { fake, jumio } = setup()
    fake.use((request, url) => {
      if (request.method !== 'POST' || !url.hostname.startsWith('account.')) return undefined
      const response = loadFixture('account-create-response') as {
        workflowExecution: { credentials: Record<string, unknown>[] }
      }
      response.workflowExecution.credentials = [
        {
          id: 'data-1',
          category: 'DATA',
          allowedChannels: ['API'],
          api: {
            token: 'transaction-token-data',
            parts: {
              prepared_data:
                'https://api.amer-1.jumio.ai/api/v1/accounts/a/workflow-executions/w/credentials/data-1/parts/PREPARED_DATA',
            },
            workflowExecution: 'https://api.amer-1.jumio.ai/api/v1/accounts/a/workflow-executions/w',
          },
        },
      ]
      return Response.json(response)
    })
    const { verification } = await jumio.createVerification({
      subjectReference: 'user-42',
      channel: 'api',
      jumio: { workflowKey: 10010 },
    })
    await jumio.uploadCredential({
      reference: verification.reference,
      kind: 'personal_data',
      data: {
        firstName: 'Quillonda',
        lastName: 'Testperson-Approve',
        'address.country': 'US',
        nationality: 'DE',
      },
    })
    const upload = fake.requests.at(-1)!
    expect(upload).toMatchObject({
      method: 'POST',
      url: 'https://api.amer-1.jumio.ai/api/v1/accounts/a/workflow-executions/w/credentials/data-1/parts/PREPARED_DATA',
      authorization: 'Bearer transaction-token-data',
      contentType: 'application/json',
    })
    expect(JSON.parse(upload.body as string)).toEqual({
      firstName: 'Quillonda',
      lastName: 'Testperson-Approve',
      address: { country: 'USA' },
      nationality: 'DEU',
    })
  })

  it('refuses a part the workflow does not take through the API channel, before any request', async () => {
    const { fake, jumio } = setup()
    const { verification } = await jumio.createVerification({ subjectReference: 'user-42', channel: 'api' })
    fake.clearRequests()
    const error = await jumio
      .uploadCredential({
        reference: verification.reference,
        kind: 'liveness',
        part: 'video',
        content: jpeg,
        contentType: 'image/jpeg',
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(fake.requests).toHaveLength(0)
  })

  it('refuses uploads for an execution it has no upload session for', async () => {
    const { jumio } = setup()
    await expect(
      jumio.uploadCredential({
        reference,
        kind: 'selfie',
        part: 'face',
        content: jpeg,
        contentType: 'image/jpeg',
      }),
    ).rejects.toBeInstanceOf(KycInvalidStateError)
    await expect(jumio.submitVerification({ reference })).rejects.toBeInstanceOf(KycInvalidStateError)
  })

  it('forgets an upload session once its transaction token has expired', async () => {
    let time = Date.parse('2024-01-01T00:00:00.000Z')
    const fake = createFakeJumio()
    const jumio = createJumio({ ...testSettings(fake, () => time), tokenLifetime: '10m' })
    const { verification } = await jumio.createVerification({ subjectReference: 'user-42', channel: 'api' })
    time += 10 * 60_000
    await expect(
      jumio.uploadCredential({
        reference: verification.reference,
        kind: 'selfie',
        part: 'face',
        content: jpeg,
        contentType: 'image/jpeg',
      }),
    ).rejects.toBeInstanceOf(KycInvalidStateError)
  })

  it('keeps upload sessions in a shared store when one is given', async () => {
    const fake = createFakeJumio()
    const entries = new Map<string, unknown>()
    const store = {
      get: async (key: string) => entries.get(key) as never,
      set: async (key: string, value: unknown) => void entries.set(key, value),
      delete: async (key: string) => void entries.delete(key),
    }
    const creator = createJumio({ ...testSettings(fake), transactionStore: store })
    const uploader = createJumio({ ...testSettings(fake), transactionStore: store })
    const { verification } = await creator.createVerification({ subjectReference: 'user-42', channel: 'api' })
    await uploader.uploadCredential({
      reference: verification.reference,
      kind: 'selfie',
      part: 'face',
      content: jpeg,
      contentType: 'image/jpeg',
    })
    expect(fake.requests.at(-1)?.path).toMatch(/\/parts\/FACE$/)
  })
})

describe('getVerification', () => {
  it('normalizes the retrieval details', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-warning-repeated-face'))
    const verification = await jumio.getVerification({ reference })
    expect(verification.decision).toMatchObject({ outcome: 'review', reasons: [{ code: 'repeated_face' }] })
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      url: `https://retrieval.amer-1.jumio.ai/api/v1/accounts/${accountId}/workflow-executions/${workflowExecutionId}`,
    })
  })

  it('reads the status when the details are not there (an execution that expired untouched)', async () => {
    const { fake, jumio } = setup()
    fake.setStatus(accountId, workflowExecutionId, {
      account: { id: accountId },
      workflowExecution: { id: workflowExecutionId, status: 'TOKEN_EXPIRED', definitionKey: '10011' },
    })
    const verification = await jumio.getVerification({ reference })
    expect(verification).toMatchObject({ status: 'expired', raw: { status: 'TOKEN_EXPIRED' } })
  })

  it('is not found when neither details nor status exist', async () => {
    const { jumio } = setup()
    await expect(jumio.getVerification({ reference })).rejects.toBeInstanceOf(KycNotFoundError)
  })

  it('rejects a reference that is not a Jumio one', async () => {
    const { jumio } = setup()
    await expect(jumio.getVerification({ reference: { inquiryId: 'inq_1' } })).rejects.toBeInstanceOf(
      KycInvalidRequestError,
    )
  })

  it('never puts personal data from a vendor error body into the error', async () => {
    const { fake, jumio } = setup()
    fake.use((_request, url) =>
      url.hostname.startsWith('retrieval.')
        ? Response.json({ detail: 'JOHN JACOB SMITH N1234567 1969-01-18' }, { status: 400 })
        : undefined,
    )
    const error = await jumio.getVerification({ reference }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toMatch(/JOHN|SMITH|N1234567|1969-01-18/)
  })
})

describe('deleteVerificationData', () => {
  it('deletes the workflow execution; afterwards it is not found', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    await jumio.deleteVerificationData({ reference })
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      url: `https://retrieval.amer-1.jumio.ai/api/v1/accounts/${accountId}/workflow-executions/${workflowExecutionId}`,
      authorization: 'Bearer access-token-1',
    })
    await expect(jumio.getVerification({ reference })).rejects.toBeInstanceOf(KycNotFoundError)
  })

  it('deletes the whole account on request', async () => {
    const { fake, jumio } = setup()
    await jumio.deleteVerificationData({ reference, scope: 'account' })
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      url: `https://retrieval.amer-1.jumio.ai/api/v1/accounts/${accountId}`,
    })
  })
})

describe('with createKyc', () => {
  it('is chosen by configuration and reads its settings from the environment', async () => {
    const fake = createFakeJumio()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const env = {
      KYC_PROVIDER: 'jumio',
      JUMIO_CLIENT_ID: 'client-id-1',
      JUMIO_CLIENT_SECRET: 'client-secret-very-secret',
      JUMIO_REGION: 'amer-1',
      JUMIO_USER_AGENT: 'OpenKYC Tests/1.0',
    }
    const kyc = createKyc({
      env,
      adapters: { jumio: () => createJumio({ env, fetch: fake.fetch, transactionRateLimit: false }) },
    })
    expect(kyc.provider).toBe('jumio')
    const verification = await kyc.getVerification({ reference })
    expect(verification.decision?.outcome).toBe('approved')
    await expect(kyc.cancelVerification({ reference })).rejects.toBeInstanceOf(KycUnsupportedCapabilityError)
  })

  it('fails at start-up naming the missing setting', () => {
    expect(() =>
      createKyc({ env: { KYC_PROVIDER: 'jumio' }, adapters: { jumio: () => createJumio({ env: {} }) } }),
    ).toThrow(/clientId.*JUMIO_CLIENT_ID/)
  })
})

describe('capability enforcement', () => {
  it('refuses undeclared capabilities before any request', async () => {
    const { fake, jumio } = setup()
    const enforced = enforceCapabilities(jumio)
    await expect(enforced.cancelVerification({ reference })).rejects.toBeInstanceOf(
      KycUnsupportedCapabilityError,
    )
    await expect(enforced.createSessionLink({ reference })).rejects.toBeInstanceOf(
      KycUnsupportedCapabilityError,
    )
    await expect(enforced.reviewVerification({ reference, action: 'approve' })).rejects.toBeInstanceOf(
      KycUnsupportedCapabilityError,
    )
    expect(fake.requests).toHaveLength(0)
  })
})

describe('toJumioPreparedData', () => {
  it('nests dotted keys and converts two-letter countries only where a country belongs', () => {
    expect(
      toJumioPreparedData({
        'address.country': 'de',
        'address.city': 'KOELN',
        'id.idNumber': 'ZZ1',
        'id.type': 'ID_CARD',
        suffix: 'JR',
      }),
    ).toEqual({
      address: { country: 'DEU', city: 'KOELN' },
      id: { idNumber: 'ZZ1', type: 'ID_CARD' },
      suffix: 'JR',
    })
  })
})

describe('coverage', () => {
  it('declares the ID types Jumio documents, and routing skips Jumio for any other before a request', async () => {
    const { fake, jumio } = setup()
    expect(jumio.coverage?.documentTypes).toEqual([
      'passport',
      'driving_license',
      'id_card',
      'residence_permit',
      'visa',
    ])
    const other = createMockAdapter({ provider: 'other' })
    const kyc = createKyc({
      provider: 'jumio',
      adapters: { jumio, other },
      env: {},
      routing: { fallback: ['other'] },
    })
    const { verification } = await kyc.createVerification({
      subjectReference: 'user-1',
      documentTypes: ['other'],
    })
    expect(verification.provider).toBe('other')
    expect(fake.requests).toHaveLength(0)
    const audit = []
    for await (const entry of kyc.store.audit.read()) audit.push(entry)
    expect(audit[0]?.routing?.skipped).toEqual([{ provider: 'jumio', reason: 'document_type_not_supported' }])
  })
})
