import { describe, expect, it } from 'vitest'
import { createMemoryStore, createWebhookPipeline, type KycEvent, type Verification } from '../src/index.js'
import { createMockAdapter } from '../src/test/index.js'
import { toEventView } from './fixtures.js'

const now = () => Date.parse('2025-06-01T12:00:00.000Z')

const submitted: Verification = {
  id: 'inq_1',
  provider: 'mock',
  reference: { verificationId: 'inq_1' },
  subjectReference: 'user-1',
  status: 'submitted',
  checks: [{ kind: 'liveness', outcome: 'passed', reasons: [], raw: { name: 'selfie', label: 'ok' } }],
  credentials: [],
  createdAt: '2025-06-01T08:00:00.000Z',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted', vendor: { step: 'review' } },
}

describe('memory store and the webhook pipeline: a handler cannot change stored state by mutation', () => {
  it('changing event.verification, the processed verification or previous in onEvent leaves the store as applied', async () => {
    const adapter = createMockAdapter({ webhookSecret: 'whsec_isolation_test', now })
    const store = createMemoryStore()
    const pipeline = createWebhookPipeline({
      adapter,
      store,
      onEvent: async ({ event, verification }) => {
        for (const target of [event.verification, verification]) {
          if (target === undefined) continue
          target.status = 'cancelled'
          target.checks.length = 0
          ;(target.raw as { vendor?: { step: string } }).vendor!.step = 'changed by the handler'
        }
      },
    })
    const event: KycEvent = {
      id: 'evt_1',
      provider: 'mock',
      type: 'verification.submitted',
      occurredAt: submitted.updatedAt,
      verification: toEventView(submitted),
      raw: { type: 'submitted' },
    }
    const { rawBody, headers } = adapter.createWebhookDelivery([event])
    await pipeline.handle({ rawBody, headers })
    const stored = await store.verifications.get({ provider: 'mock', id: 'inq_1' })
    expect(stored).toMatchObject({
      status: 'submitted',
      checks: submitted.checks,
      raw: { status: 'submitted', vendor: { step: 'review' } },
    })
    // And a read handed out is the caller's own, too.
    if (stored !== undefined) stored.raw.status = 'changed by a reader'
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.raw.status).toBe('submitted')
  })
})
