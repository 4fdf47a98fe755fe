import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import {
  applyVerificationUpdate,
  createMemoryStore,
  createWebhookPipeline,
  type KycEvent,
  KycInvalidProviderResponseError,
  KycInvalidRequestError,
  type KycLogger,
  KycProviderUnavailableError,
  type KycStore,
  KycStoreUnavailableError,
  KycWebhookVerificationError,
  toWebhookResponse,
  type Verification,
} from '../src/index.js'
import { createMockAdapter, mockSignatureHeader } from '../src/test/index.js'
import { forwardSequenceArbitrary, seededPii, toEventView, withTransactionMethods } from './fixtures.js'

const secret = seededPii.webhookSecret
const now = () => Date.parse('2025-06-01T12:00:00.000Z')

function base(overrides: Partial<Verification> = {}): Verification {
  return {
    id: 'inq_1',
    provider: 'mock',
    reference: { verificationId: 'inq_1' },
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: '2025-06-01T08:00:00.000Z',
    raw: { status: 'created' },
    ...overrides,
  }
}

function event(
  id: string,
  verification: Verification,
  type: KycEvent['type'] = 'verification.submitted',
): KycEvent {
  return {
    id,
    provider: verification.provider,
    type,
    occurredAt: verification.updatedAt,
    verification: toEventView(verification),
    raw: { type },
  }
}

const submitted = base({
  status: 'submitted',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted' },
})
const completed = base({
  status: 'completed',
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
  updatedAt: '2025-06-01T08:10:00.000Z',
  completedAt: '2025-06-01T08:10:00.000Z',
  raw: { status: 'approved' },
})

type SetUpOptions = {
  store?: KycStore<undefined>
  logger?: KycLogger
  maxBodyBytes?: number
  leaseMs?: number
  storeTimeoutMs?: number
  claimWaitMs?: number
}

function setUp(options: SetUpOptions = {}) {
  const adapter = createMockAdapter({ webhookSecret: secret, now })
  const store = options.store ?? createMemoryStore()
  const pipeline = createWebhookPipeline({ adapter, store, ...options })
  const request = (events: readonly KycEvent[]) => {
    const { rawBody, headers } = adapter.createWebhookDelivery(events)
    return new Request('https://app.example.test/webhooks/kyc', { method: 'POST', body: rawBody, headers })
  }
  return { adapter, store, pipeline, request }
}

describe('createWebhookPipeline', () => {
  it('verifies a Web Request, applies its event and stores the verification', async () => {
    const { pipeline, store, request } = setUp()
    const outcome = await pipeline.handle(request([event('evt_1', submitted)]))
    expect(outcome.duplicates).toEqual([])
    expect(outcome.events).toHaveLength(1)
    expect(outcome.events[0]).toMatchObject({
      changed: true,
      event: { id: 'evt_1' },
      verification: toEventView(submitted),
    })
    expect(await store.verifications.get({ provider: 'mock', id: 'inq_1' })).toEqual(toEventView(submitted))
    expect(pipeline.provider).toBe('mock')
  })

  it('passes raw bytes, headers and remote address to the adapter', async () => {
    const { pipeline, adapter } = setUp()
    const { rawBody, headers } = adapter.createWebhookDelivery([event('evt_1', submitted)])
    const bytes = new TextEncoder().encode(rawBody)
    await pipeline.handle({
      rawBody: bytes,
      headers: { ...headers, 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], 'x-absent': undefined },
      remoteAddress: '127.0.0.1',
    })
    const call = adapter.calls.find((recorded) => recorded.method === 'parseWebhook')
    expect(call?.options).toMatchObject({ rawBody: bytes, remoteAddress: '127.0.0.1' })
    const passed = (call!.options as { headers: Headers }).headers
    expect(passed).toBeInstanceOf(Headers)
    expect(passed.get('x-forwarded-for')).toBe('10.0.0.1, 10.0.0.2')
    expect(passed.has('x-absent')).toBe(false)
    expect(passed.get(mockSignatureHeader)).toBe(headers[mockSignatureHeader])
  })

  it('the same event delivered three times changes the state once', async () => {
    const { pipeline, request } = setUp()
    const outcomes = []
    for (let attempt = 0; attempt < 3; attempt++)
      outcomes.push(await pipeline.handle(request([event('evt_1', submitted)])))
    const changed = outcomes.flatMap((outcome) => outcome.events).filter((processed) => processed.changed)
    expect(changed).toHaveLength(1)
    expect(outcomes.map((outcome) => outcome.duplicates)).toEqual([[], ['evt_1'], ['evt_1']])
  })

  it('dedupes concurrent redeliveries too', async () => {
    const { pipeline, request } = setUp()
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => pipeline.handle(request([event('evt_1', submitted)]))),
    )
    expect(
      outcomes.flatMap((outcome) => outcome.events).filter((processed) => processed.changed),
    ).toHaveLength(1)
    expect(outcomes.flatMap((outcome) => outcome.duplicates)).toEqual(['evt_1', 'evt_1'])
  })

  it('dedupes an event repeated inside one delivery', async () => {
    const { pipeline, request } = setUp()
    const outcome = await pipeline.handle(request([event('evt_1', submitted), event('evt_1', submitted)]))
    expect(outcome.events).toHaveLength(1)
    expect(outcome.duplicates).toEqual(['evt_1'])
  })

  it('never moves the stored state backwards when events arrive out of order', async () => {
    const { pipeline, store, request } = setUp()
    const first = await pipeline.handle(request([event('evt_2', completed, 'verification.completed')]))
    const late = await pipeline.handle(request([event('evt_1', submitted)]))
    expect(first.events[0]?.changed).toBe(true)
    expect(late.events[0]).toMatchObject({ changed: false, event: { id: 'evt_1' } })
    expect(late.events[0]?.verification?.status).toBe('completed')
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.status).toBe('completed')
  })

  it('reports events without a verification as unchanged', async () => {
    const { pipeline, request } = setUp()
    const listEvent: KycEvent = {
      id: 'evt_list',
      provider: 'mock',
      type: 'list.import_completed',
      occurredAt: '2025-06-01T08:00:00.000Z',
      raw: { type: 'list.import_completed' },
    }
    const outcome = await pipeline.handle(request([listEvent]))
    expect(outcome.events).toEqual([
      { event: listEvent, verification: undefined, previous: undefined, changed: false, changes: [] },
    ])
  })

  it('propagates verification failures and leaves the store alone', async () => {
    const logger = { warn: vi.fn(), info: vi.fn(), debug: vi.fn() }
    const { pipeline, store, adapter } = setUp({ logger })
    const { rawBody, headers } = adapter.createWebhookDelivery([event('evt_1', submitted)])
    const forged = rawBody.replace('"submitted"', '"completed"')
    await expect(pipeline.handle({ rawBody: forged, headers })).rejects.toBeInstanceOf(
      KycWebhookVerificationError,
    )
    await expect(pipeline.handle({ rawBody, headers: {} })).rejects.toBeInstanceOf(
      KycWebhookVerificationError,
    )
    expect(await store.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()
    // The event was not marked seen: a genuine delivery still goes through.
    expect((await pipeline.handle({ rawBody, headers })).events[0]?.changed).toBe(true)
    expect(logger.warn).toHaveBeenCalledTimes(2)
    const logged = JSON.stringify(logger.warn.mock.calls)
    expect(logged).toContain('webhook_verification')
    expect(logged).not.toContain(headers[mockSignatureHeader]!.split('v1=')[1]!)
    expect(logged).not.toContain(secret)
  })

  it('rejects bodies over the limit before the adapter sees them', async () => {
    const { pipeline, adapter, request } = setUp({ maxBodyBytes: 64 })
    await expect(pipeline.handle(request([event('evt_1', submitted)]))).rejects.toBeInstanceOf(
      KycInvalidRequestError,
    )
    await expect(pipeline.handle({ rawBody: 'x'.repeat(65), headers: {} })).rejects.toBeInstanceOf(
      KycInvalidRequestError,
    )
    const streamed = new Request('https://app.example.test/hook', {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(40))
          controller.enqueue(new Uint8Array(40))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    await expect(pipeline.handle(streamed)).rejects.toBeInstanceOf(KycInvalidRequestError)
    expect(adapter.calls).toEqual([])
  })

  it('measures a string body in UTF-8 bytes at the limit, whatever its characters', async () => {
    const { pipeline, adapter } = setUp({ maxBodyBytes: 64 })
    const sized = async (rawBody: string) => {
      const error = await pipeline.handle({ rawBody, headers: {} }).catch((caught: unknown) => caught)
      // Over the limit: refused as too large before the adapter; within it: the adapter refuses the
      // missing signature.
      return error instanceof KycInvalidRequestError ? 'too large' : 'read'
    }
    expect(await sized('€'.repeat(21))).toBe('read') // 63 bytes in 21 units
    expect(await sized('€'.repeat(22))).toBe('too large') // 66 bytes in 22 units
    expect(await sized('😀'.repeat(16))).toBe('read') // 64 bytes in 32 units
    expect(await sized('😀'.repeat(17))).toBe('too large') // 68 bytes in 34 units
    expect(await sized('\ud800'.repeat(21))).toBe('read') // lone surrogates: 3 bytes each, 63
    expect(await sized('\ud800'.repeat(22))).toBe('too large')
    expect(await sized('x'.repeat(64))).toBe('read')
    expect(adapter.calls).toHaveLength(4)
  })

  it('defaults the limit to 1 MiB', async () => {
    const { pipeline } = setUp()
    const oversized = new Uint8Array(1024 * 1024 + 1)
    await expect(pipeline.handle({ rawBody: oversized, headers: {} })).rejects.toThrow(/1048576-byte limit/)
  })

  it('marks nothing when storing fails, so the retry is processed', async () => {
    const memory = createMemoryStore()
    let failNext = true
    const store = withTransactionMethods(memory, (transaction) => ({
      async applyVerification(update) {
        if (failNext) {
          failNext = false
          throw new KycStoreUnavailableError({ message: 'store down' })
        }
        return transaction.applyVerification(update)
      },
    }))
    const { pipeline, request } = setUp({ store })
    await expect(pipeline.handle(request([event('evt_1', submitted)]))).rejects.toThrow('store down')
    expect(await memory.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()
    const retry = await pipeline.handle(request([event('evt_1', submitted)]))
    expect(retry.events[0]?.changed).toBe(true)
    expect(retry.duplicates).toEqual([])
  })

  it('refuses events that are not valid KycEvents or belong to another provider', async () => {
    const invalid = createMockAdapter({ results: { parseWebhook: [[{ ...event('', submitted) }]] } })
    const pipeline = createWebhookPipeline({ adapter: invalid })
    await expect(pipeline.handle({ rawBody: '{}', headers: {} })).rejects.toBeInstanceOf(
      KycInvalidProviderResponseError,
    )
    await expect(pipeline.handle({ rawBody: '{}', headers: {} })).rejects.toMatchObject({
      issues: [{ path: ['id'] }],
    })
    const foreign = createMockAdapter({
      results: { parseWebhook: [event('evt_1', { ...submitted, provider: 'other' })] },
    })
    await expect(
      createWebhookPipeline({ adapter: foreign }).handle({ rawBody: '{}', headers: {} }),
    ).rejects.toThrow(/at "provider"/)
  })

  it('logs ids and statuses only', async () => {
    const lines: unknown[] = []
    const logger: KycLogger = { info: (message, fields) => lines.push([message, fields]) }
    const { pipeline, request } = setUp({ logger })
    await pipeline.handle(request([event('evt_1', submitted)]))
    expect(lines).toEqual([
      [
        'kyc webhook event',
        {
          provider: 'mock',
          eventId: 'evt_1',
          type: 'verification.submitted',
          verificationId: 'inq_1',
          status: 'submitted',
          changed: true,
        },
      ],
    ])
  })

  it('concurrent deliveries of different events for one verification end at the newest state', async () => {
    const { pipeline, store, request } = setUp()
    await Promise.all([
      pipeline.handle(request([event('evt_2', completed, 'verification.completed')])),
      pipeline.handle(request([event('evt_1', submitted)])),
    ])
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.status).toBe('completed')
  })

  it('any order of any redeliveries ends at the state of the in-order sequence (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        forwardSequenceArbitrary.chain((sequence) =>
          fc.record({
            sequence: fc.constant(sequence),
            deliveries: fc.array(fc.nat({ max: sequence.length - 1 }), { minLength: 1, maxLength: 20 }),
          }),
        ),
        async ({ sequence, deliveries }) => {
          const events = sequence.map((state, index) => event(`evt_${index}`, { ...state, provider: 'mock' }))
          const { pipeline, store, request } = setUp()
          let changedCount = 0
          for (const index of deliveries) {
            const outcome = await pipeline.handle(request([events[index]!]))
            changedCount += outcome.events.filter((processed) => processed.changed).length
          }
          const delivered = [...new Set(deliveries)].sort((a, b) => a - b)
          let expected: Verification | undefined
          for (const index of delivered)
            expected = applyVerificationUpdate(expected, events[index]!.verification!)
          expect(await store.verifications.get({ provider: 'mock', id: 'inq_generated' })).toEqual(expected)
          expect(changedCount).toBeGreaterThanOrEqual(1)
          expect(changedCount).toBeLessThanOrEqual(delivered.length)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('hostile headers', () => {
  // Fails on main before issue 12: `new Headers()` threw a TypeError, answered as a 500.
  it.each([
    ['a value above U+00FF', { 'x-mock-signature': 't=1,v1=\u2603' }],
    ['a value with a line break', { 'x-mock-signature': 't=1\r\nx-evil: 1' }],
    ['a value with NUL', { 'x-mock-signature': 't=1\u0000' }],
    ['a name with a space', { 'x mock': 'x' }],
  ])('answers 400 for %s, never a 500', async (_what, headers) => {
    const { pipeline } = setUp()
    const error = await pipeline.handle({ rawBody: '[]', headers }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect(toWebhookResponse(error).status).toBe(400)
    expect(JSON.stringify(error)).not.toContain('\u2603')
  })
})

describe('background events', () => {
  it('sends events an adapter produces after a delivery through the same dedupe and apply path', async () => {
    const mock = createMockAdapter({ webhookSecret: secret, now })
    let listener: ((events: KycEvent[]) => Promise<void>) | undefined
    let unsubscribed = false
    const adapter = {
      ...mock,
      subscribeBackgroundEvents(next: (events: KycEvent[]) => Promise<void>) {
        listener = next
        return () => {
          unsubscribed = true
        }
      },
    }
    const store = createMemoryStore()
    const outcomes: { events: number; duplicates: number; changed: boolean[] }[] = []
    const handled: string[] = []
    const pipeline = createWebhookPipeline({
      adapter,
      store,
      // The pipeline's own handler runs for background events, inside their transactions.
      onEvent: async ({ event }, { transaction }) => {
        handled.push(event.id)
        await transaction.keyValue.set('app', event.id, 'handled')
      },
      onBackgroundOutcome: (outcome) => {
        outcomes.push({
          events: outcome.events.length,
          duplicates: outcome.duplicates.length,
          changed: outcome.events.map((processed) => processed.changed),
        })
      },
    })
    const { rawBody, headers } = mock.createWebhookDelivery([event('evt_1', submitted)])
    await pipeline.handle({ rawBody, headers })

    await listener?.([event('evt_2', completed, 'verification.completed')])
    await listener?.([event('evt_2', completed, 'verification.completed'), event('evt_1', submitted)])
    expect(outcomes).toEqual([
      { events: 1, duplicates: 0, changed: [true] },
      { events: 0, duplicates: 2, changed: [] },
    ])
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.status).toBe('completed')
    expect(handled).toEqual(['evt_1', 'evt_2'])
    expect(await store.keyValue.get('app', 'evt_2')).toBe('handled')
    pipeline.close()
    expect(unsubscribed).toBe(true)
  })
})

describe('toWebhookResponse', () => {
  it('answers 200 with counts for an outcome', async () => {
    const response = toWebhookResponse({ events: [], duplicates: ['evt_1'] })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ received: 0, duplicates: 1 })
  })

  it.each([
    [new KycWebhookVerificationError({ message: 'bad signature' }), 401, 'webhook_verification'],
    [new KycInvalidRequestError({ message: 'too large' }), 400, 'invalid_request'],
    [new KycProviderUnavailableError({ message: 'down' }), 503, 'provider_unavailable'],
    [new KycInvalidProviderResponseError({ message: 'odd' }), 500, 'invalid_provider_response'],
    [new Error(`boom ${seededPii.apiKey}`), 500, 'internal'],
  ])('maps %s to %i', async (error, status, code) => {
    const response = toWebhookResponse(error)
    expect(response.status).toBe(status)
    const body = await response.text()
    expect(JSON.parse(body)).toEqual({ error: code })
    expect(body).not.toContain(seededPii.apiKey)
  })
})
