import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createWebhookPipeline,
  type KycEvent,
  KycEventSchema,
  KycInvalidRequestError,
  KycNotFoundError,
  KycProviderUnavailableError,
  KycUnsupportedCapabilityError,
  KycWebhookVerificationError,
  kycCapabilities,
  VerificationSchema,
} from '../src/index.js'
import { createMockAdapter, createMockVerification, mockSignatureHeader } from '../src/test/index.js'

const now = () => Date.parse('2025-06-01T12:00:00.000Z')

const approved = createMockVerification({
  status: 'completed',
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
})

describe('createMockAdapter', () => {
  it('is a v1 adapter that declares every capability by default', () => {
    const adapter = createMockAdapter()
    expect(adapter.specificationVersion).toBe('v1')
    expect(adapter.provider).toBe('mock')
    expect(kycCapabilities.every((capability) => adapter.capabilities[capability])).toBe(true)
  })

  it('takes capabilities away, methods included, so enforcement throws before any call', async () => {
    const adapter = createMockAdapter({ provider: 'acme', capabilities: { lists: false, cases: false } })
    expect(adapter.capabilities).toMatchObject({ lists: false, cases: false, upload: true })
    expect(adapter.createList).toBeUndefined()
    expect(adapter.createCase).toBeUndefined()
    const kyc = createKyc({ adapters: { acme: adapter }, env: {} })
    await expect(kyc.createCase({})).rejects.toBeInstanceOf(KycUnsupportedCapabilityError)
    expect(adapter.calls).toEqual([])
  })

  it('creates sensible verifications and reads them back', async () => {
    const adapter = createMockAdapter({ now })
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1' })
    expect(VerificationSchema.parse(verification)).toEqual(verification)
    expect(verification).toMatchObject({
      provider: 'mock',
      status: 'created',
      subjectReference: 'user_1',
      createdAt: '2025-06-01T12:00:00.000Z',
      session: { url: expect.stringMatching(/^https:\/\//) },
    })
    await expect(adapter.getVerification({ reference: verification.reference })).resolves.toEqual(
      verification,
    )
    const { verification: api } = await adapter.createVerification({
      subjectReference: 'user_2',
      channel: 'api',
    })
    expect(api.session).toBeUndefined()
    expect(api.id).not.toBe(verification.id)
  })

  it('throws KycNotFoundError for an unknown reference', async () => {
    await expect(
      createMockAdapter().getVerification({ reference: { verificationId: 'nope' } }),
    ).rejects.toBeInstanceOf(KycNotFoundError)
  })

  it('answers with a fixed result', async () => {
    const adapter = createMockAdapter({ results: { getVerification: approved } })
    for (let call = 0; call < 2; call++) {
      await expect(adapter.getVerification({ reference: approved.reference })).resolves.toBe(approved)
    }
  })

  it('answers with a sequence, repeating its last result', async () => {
    const submitted = createMockVerification({ status: 'submitted' })
    const adapter = createMockAdapter({ results: { getVerification: [submitted, approved] } })
    const statuses = []
    for (let call = 0; call < 3; call++) {
      statuses.push((await adapter.getVerification({ reference: approved.reference })).status)
    }
    expect(statuses).toEqual(['submitted', 'completed', 'completed'])
  })

  it('answers with a function of the options and the call index, which may throw', async () => {
    const adapter = createMockAdapter({
      results: {
        getVerification: (options, index) => {
          if (index === 0) throw new KycProviderUnavailableError({ message: 'down' })
          return createMockVerification({ id: options.reference.verificationId! })
        },
      },
    })
    await expect(adapter.getVerification({ reference: { verificationId: 'v9' } })).rejects.toBeInstanceOf(
      KycProviderUnavailableError,
    )
    await expect(adapter.getVerification({ reference: { verificationId: 'v9' } })).resolves.toMatchObject({
      id: 'v9',
    })
  })

  it('refuses an empty sequence', () => {
    expect(() => createMockAdapter({ results: { getVerification: [] } })).toThrow(TypeError)
  })

  it('records every call with its options, and forgets them on clearCalls', async () => {
    const adapter = createMockAdapter()
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1', locale: 'de-DE' })
    await adapter.reviewVerification!({ reference: verification.reference, action: 'approve' })
    expect(adapter.calls).toEqual([
      { method: 'createVerification', options: { subjectReference: 'user_1', locale: 'de-DE' } },
      { method: 'reviewVerification', options: { reference: verification.reference, action: 'approve' } },
    ])
    adapter.clearCalls()
    expect(adapter.calls).toEqual([])
  })

  it('moves its own verifications through the lifecycle', async () => {
    const adapter = createMockAdapter({ now })
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1', channel: 'api' })
    const reference = verification.reference
    await adapter.uploadCredential!({
      reference,
      kind: 'id_document',
      part: 'front',
      documentType: 'passport',
      country: 'DE',
      content: new Uint8Array([1]),
      contentType: 'image/jpeg',
    })
    expect(await adapter.getVerification({ reference })).toMatchObject({
      status: 'in_progress',
      credentials: [
        { kind: 'id_document', parts: ['front'], documentType: 'passport', issuingCountry: 'DE' },
      ],
    })
    expect((await adapter.submitVerification!({ reference })).status).toBe('submitted')
    const review = await adapter.simulateVerification!({ reference, outcome: 'review' })
    expect(review.decision).toMatchObject({ outcome: 'review', decidedBy: 'provider' })
    const declined = await adapter.reviewVerification!({ reference, action: 'decline' })
    expect(declined).toMatchObject({
      status: 'completed',
      decision: { outcome: 'declined', decidedBy: 'manual' },
    })
    expect(VerificationSchema.safeParse(declined).success).toBe(true)
    await adapter.deleteVerificationData!({ reference })
    const redacted = await adapter.getVerification({ reference })
    expect(redacted.redactedAt).toBeDefined()
    expect(redacted.credentials).toEqual([])
  })

  it('simulates started, submitted and expired, and cancels', async () => {
    const adapter = createMockAdapter()
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1' })
    const reference = verification.reference
    expect((await adapter.simulateVerification!({ reference, outcome: 'started' })).status).toBe(
      'in_progress',
    )
    expect((await adapter.simulateVerification!({ reference, outcome: 'submitted' })).status).toBe(
      'submitted',
    )
    expect((await adapter.simulateVerification!({ reference, outcome: 'expired' })).status).toBe('expired')
    expect((await adapter.cancelVerification!({ reference })).status).toBe('cancelled')
  })

  it('offers session links, lists and cases', async () => {
    const adapter = createMockAdapter({ now })
    const { verification } = await adapter.createVerification({ subjectReference: 'user_1' })
    const link = await adapter.createSessionLink!({ reference: verification.reference, expiresInSeconds: 60 })
    expect(link.expiresAt).toBe('2025-06-01T12:01:00.000Z')
    const list = await adapter.createList!({ kind: 'email_address', name: 'blocked' })
    expect(list).toMatchObject({ kind: 'email_address', name: 'blocked', archived: false })
    const progress: number[] = []
    const imported = await adapter.importListItems!({
      listId: list.id,
      csv: 'value\na@example.test\nb@example.test\n',
      onProgress: ({ rowsSent }) => progress.push(rowsSent),
    })
    expect(imported).toMatchObject({ status: 'ready', successfulCount: 2 })
    expect(progress).toEqual([2])
    const created = await adapter.createCase!({ verifications: [verification.reference] })
    expect(created.verificationIds).toEqual([verification.id])
    expect(await adapter.assignCase!({ caseId: created.id, assignee: 'reviewer_1' })).toMatchObject({
      assignee: 'reviewer_1',
    })
  })

  describe('parseWebhook', () => {
    const event: KycEvent = {
      id: 'evt_1',
      provider: 'mock',
      type: 'verification.completed',
      occurredAt: approved.updatedAt,
      verification: approved,
      raw: { type: 'completed' },
    }

    it('answers with given events', async () => {
      const adapter = createMockAdapter({ results: { parseWebhook: [event] } })
      await expect(adapter.parseWebhook({ rawBody: '', headers: new Headers() })).resolves.toEqual([event])
      const sequence = createMockAdapter({ results: { parseWebhook: [[event], []] } })
      await expect(sequence.parseWebhook({ rawBody: '', headers: new Headers() })).resolves.toEqual([event])
      await expect(sequence.parseWebhook({ rawBody: '', headers: new Headers() })).resolves.toEqual([])
    })

    it('parses its own deliveries by default', async () => {
      const adapter = createMockAdapter()
      const delivery = adapter.createWebhookDelivery([event])
      const events = await adapter.parseWebhook({
        rawBody: delivery.rawBody,
        headers: new Headers(delivery.headers),
      })
      expect(events).toEqual([KycEventSchema.parse(event)])
      await expect(
        adapter.parseWebhook({ rawBody: 'not json', headers: new Headers() }),
      ).rejects.toBeInstanceOf(KycInvalidRequestError)
      await expect(
        adapter.parseWebhook({ rawBody: '[{"id":1}]', headers: new Headers() }),
      ).rejects.toBeInstanceOf(KycInvalidRequestError)
    })

    it('signs and verifies deliveries when given a secret', async () => {
      const adapter = createMockAdapter({ webhookSecret: 'wbhsec_mock', now })
      const delivery = adapter.createWebhookDelivery([event])
      expect(delivery.headers[mockSignatureHeader]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
      const pipeline = createWebhookPipeline({ adapter })
      await expect(pipeline.handle(delivery)).resolves.toMatchObject({ events: [{ changed: true }] })
      await expect(pipeline.handle({ rawBody: delivery.rawBody, headers: {} })).rejects.toBeInstanceOf(
        KycWebhookVerificationError,
      )
      const other = createMockAdapter({ webhookSecret: 'wbhsec_other', now }).createWebhookDelivery([event])
      await expect(pipeline.handle(other)).rejects.toBeInstanceOf(KycWebhookVerificationError)
    })
  })
})

describe('createMockVerification', () => {
  it('builds a valid verification and applies overrides', () => {
    expect(VerificationSchema.safeParse(createMockVerification()).success).toBe(true)
    expect(createMockVerification({ id: 'v2', status: 'submitted' })).toMatchObject({
      id: 'v2',
      reference: { verificationId: 'v2' },
      status: 'submitted',
      raw: { status: 'submitted' },
    })
  })
})
