import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  createWebhookPipeline,
  isKycError,
  type KycEvent,
  type ProcessedWebhookEvent,
  type Verification,
  verifyAuditChain,
  type WebhookEventHandler,
} from '../src/index.js'
import { createMockAdapter } from '../src/test/index.js'
import { seededIdentity, seededPii, seededPiiValues, toEventView } from './fixtures.js'

const now = () => Date.parse('2025-06-01T12:00:00.000Z')

function state(overrides: Partial<Verification>): Verification {
  return {
    id: 'inq_1',
    provider: 'mock',
    reference: { verificationId: 'inq_1' },
    subjectReference: 'user-1',
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: '2025-06-01T08:00:00.000Z',
    raw: { status: 'created' },
    ...overrides,
  }
}

const created = state({})
const submitted = state({
  status: 'submitted',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted' },
})
const approved = state({
  status: 'completed',
  decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
  updatedAt: '2025-06-01T08:10:00.000Z',
  completedAt: '2025-06-01T08:10:00.000Z',
  identity: seededIdentity,
  raw: { status: 'approved' },
})

function setUp() {
  const adapter = createMockAdapter({ webhookSecret: seededPii.webhookSecret, now })
  const store = createMemoryStore()
  const calls: ProcessedWebhookEvent[] = []
  const onEvent: WebhookEventHandler<undefined> = async (processed, { transaction }) => {
    calls.push(processed)
    // The application's own row, in the same transaction: committed once per event.
    const key = `effects:${processed.event.id}`
    await transaction.keyValue.set(
      'app',
      key,
      ((await transaction.keyValue.get('app', key)) as number) + 1 || 1,
    )
  }
  const pipeline = createWebhookPipeline({ adapter, store, onEvent })
  const deliver = (verification: Verification, id: string) => {
    const event: KycEvent = {
      id,
      provider: 'mock',
      type: 'verification.completed',
      occurredAt: verification.updatedAt,
      verification: toEventView(verification),
      raw: { type: 'completed' },
    }
    const { rawBody, headers } = adapter.createWebhookDelivery([event])
    return pipeline.handle({ rawBody, headers })
  }
  return { pipeline, store, calls, deliver }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

describe('pipeline.applyVerification: a re-read or a redaction takes the webhook path', () => {
  it('a state that moves the verification is claimed, applied, audited and handed to onEvent once', async () => {
    const { pipeline, store, calls } = setUp()
    await pipeline.applyVerification(created)
    const processed = await pipeline.applyVerification(approved)
    expect(processed?.changed).toBe(true)
    expect(processed?.changes).toEqual(['status', 'outcome'])
    expect(processed?.previous?.status).toBe('created')
    expect(processed?.event.type).toBe('verification.completed')
    expect(processed?.event.id).toMatch(/^openkyc:\d{24}:inq_1$/)
    expect(calls.map((call) => call.verification?.status)).toEqual(['created', 'completed'])
    // The same state again, or an older one, moves nothing: no handler call, no audit entry.
    expect(await pipeline.applyVerification(approved)).toBeUndefined()
    expect(await pipeline.applyVerification(submitted)).toBeUndefined()
    expect(calls).toHaveLength(2)
    const audit = await collect(store.audit.read())
    expect(audit.map((entry) => [entry.action, entry.to?.status, entry.to?.outcome])).toEqual([
      ['state_changed', 'created', undefined],
      ['state_changed', 'completed', 'approved'],
    ])
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
  })

  it('identity from a full read is not stored, exactly as from an event (nor does it reach audit rows)', async () => {
    const { pipeline, store } = setUp()
    await pipeline.applyVerification(approved)
    const stored = await store.verifications.get({ provider: 'mock', id: 'inq_1' })
    expect(stored?.identity).toBeUndefined()
    expect(stored?.subjectReference).toBe('user-1')
    const everything = JSON.stringify([stored, await collect(store.audit.read())])
    for (const value of seededPiiValues) expect(everything).not.toContain(value)
  })

  it('webhook deliveries and re-reads of one change racing: onEvent sees the change exactly once', async () => {
    const { pipeline, store, calls, deliver } = setUp()
    await pipeline.applyVerification(submitted)
    await Promise.all([
      deliver(approved, 'evt_a'),
      pipeline.applyVerification(approved),
      deliver(approved, 'evt_a'),
      pipeline.applyVerification(approved),
      deliver(approved, 'evt_b'),
      pipeline.applyVerification(approved),
    ])
    const changes = calls.filter((call) => call.changed && call.verification?.status === 'completed')
    expect(changes).toHaveLength(1)
    // Every handler call committed its own row exactly once.
    for (const call of calls) expect(await store.keyValue.get('app', `effects:${call.event.id}`)).toBe(1)
  })

  it('a redaction becomes verification.redacted, audited as a deletion; the stored identity goes', async () => {
    const { pipeline, store, calls, deliver } = setUp()
    await deliver(submitted, 'evt_1')
    // A store that kept identity (written by the application's own full read).
    await store.transaction((transaction) => transaction.applyVerification(approved))
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.identity).toEqual(
      seededIdentity,
    )
    const redactedAt = '2025-06-02T09:00:00.000Z'
    const processed = await pipeline.applyVerification({ ...approved, redactedAt })
    expect(processed?.event.type).toBe('verification.redacted')
    expect(processed?.event.occurredAt).toBe(redactedAt)
    expect(processed?.changes).toEqual(['redaction'])
    const stored = await store.verifications.get({ provider: 'mock', id: 'inq_1' })
    expect(stored?.identity).toBeUndefined()
    expect(stored?.redactedAt).toBe(redactedAt)
    const [last] = (await collect(store.audit.read())).slice(-1)
    expect(last?.action).toBe('deletion')
    expect(calls.at(-1)?.event.type).toBe('verification.redacted')
    // Redacting again moves nothing.
    expect(await pipeline.applyVerification({ ...approved, redactedAt })).toBeUndefined()
  })

  it('records who caused the change: the provider by default, the application when it says so', async () => {
    const { pipeline, store } = setUp()
    await pipeline.applyVerification(submitted)
    await pipeline.applyVerification(
      { ...submitted, redactedAt: '2025-06-02T09:00:00.000Z' },
      { actor: 'application' },
    )
    const entries = await collect(store.audit.read())
    expect(entries.map((entry) => [entry.action, entry.actor])).toEqual([
      ['state_changed', 'provider'],
      ['deletion', 'application'],
    ])
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
  })

  it('a handler that throws keeps nothing; the next attempt applies the state', async () => {
    const adapter = createMockAdapter({ webhookSecret: seededPii.webhookSecret, now })
    const store = createMemoryStore()
    let failures = 1
    const pipeline = createWebhookPipeline({
      adapter,
      store,
      onEvent: () => {
        if (failures-- > 0) throw new Error('database blip')
      },
    })
    await expect(pipeline.applyVerification(submitted)).rejects.toThrow('database blip')
    expect(await store.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()
    expect((await pipeline.applyVerification(submitted))?.changed).toBe(true)
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.status).toBe('submitted')
  })

  it("refuses another provider's verification and an invalid one, naming no value", async () => {
    const { pipeline, store } = setUp()
    for (const bad of [
      { ...submitted, provider: 'other' },
      { ...submitted, status: 'approved', subjectReference: seededPii.lastName },
      undefined,
    ] as unknown as Verification[]) {
      const error = await pipeline.applyVerification(bad).catch((caught: unknown) => caught)
      expect(isKycError(error) && error.code).toBe('invalid_request')
      expect(JSON.stringify(error)).not.toContain(seededPii.lastName)
    }
    expect(await collect(store.audit.read())).toEqual([])
  })
})
