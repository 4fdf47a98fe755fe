import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  KycInvalidRequestError,
  KycInvalidStateError,
  KycProviderUnavailableError,
  type MemoryStore,
  routedIdempotencyNamespace,
  verifyAuditChain,
} from '../src/index.js'
import { createMockAdapter, type MockKycAdapter } from '../src/test/index.js'
import { routingEntries } from './routing-support.js'

const creates = (adapter: MockKycAdapter) =>
  adapter.calls.filter((call) => call.method === 'createVerification').length

/** A routed client whose first provider fails (503) the first `failures` creates, falling back to `second`. */
function routed(store: MemoryStore, failures: number) {
  const first = createMockAdapter({
    provider: 'first',
    results: {
      createVerification: (options, index) => {
        if (index < failures) {
          throw new KycProviderUnavailableError({ provider: 'first', message: 'The first API answered 503.' })
        }
        return {
          verification: {
            id: `first_${index}`,
            provider: 'first',
            reference: { id: `first_${index}` },
            subjectReference: options.subjectReference,
            status: 'created',
            checks: [],
            credentials: [],
            session: { url: 'https://first.test/flow' },
            createdAt: '2030-01-01T00:00:00.000Z',
            updatedAt: '2030-01-01T00:00:00.000Z',
            raw: { status: 'created' },
          },
        }
      },
    },
  })
  const second = createMockAdapter({ provider: 'second' })
  const kyc = createKyc({
    provider: 'first',
    adapters: { first, second },
    store,
    env: {},
    routing: { fallback: ['second'] },
  })
  return { kyc, first, second }
}

describe('routing: caller idempotency keys', () => {
  it('returns the first call’s verification on a retry with the same key: same provider, no second creation', async () => {
    const store = createMemoryStore()
    const { kyc, first, second } = routed(store, 0)
    const created = await kyc.createVerification({ subjectReference: 'user_1', idempotencyKey: 'order-1' })
    const retried = await kyc.createVerification({ subjectReference: 'user_1', idempotencyKey: 'order-1' })
    expect(retried.verification.provider).toBe('first')
    expect(retried.verification.id).toBe(created.verification.id)
    // The hand-off secret is never stored, so a retry does not get it back.
    expect(retried.verification.session).toBeUndefined()
    expect(creates(first)).toBe(1)
    expect(creates(second)).toBe(0)
    // One routing decision recorded, not two.
    expect(await routingEntries(store)).toHaveLength(1)
    // A fresh key is a new verification.
    const other = await kyc.createVerification({ subjectReference: 'user_1', idempotencyKey: 'order-2' })
    expect(other.verification.id).not.toBe(created.verification.id)
    expect(creates(first)).toBe(2)
  })

  it('after a fallback on the first call, a retry returns the fallback provider’s verification', async () => {
    const store = createMemoryStore()
    const { kyc, first, second } = routed(store, 1)
    const created = await kyc.createVerification({ subjectReference: 'user_2', idempotencyKey: 'order-3' })
    expect(created.verification.provider).toBe('second')
    // The first provider is up again: a retry must still not create anything anywhere.
    const retried = await kyc.createVerification({ subjectReference: 'user_2', idempotencyKey: 'order-3' })
    expect(retried.verification).toMatchObject({ provider: 'second', id: created.verification.id })
    expect(creates(first)).toBe(1)
    expect(creates(second)).toBe(1)
    // The adapter got the caller's key too (Persona sends it as Idempotency-Key).
    expect(second.calls[0]?.options).toMatchObject({ idempotencyKey: 'order-3' })
  })

  it('survives a new client on the same store (a restart), and reads the provider when the state was evicted', async () => {
    const store = createMemoryStore()
    const before = routed(store, 1)
    const created = await before.kyc.createVerification({
      subjectReference: 'user_3',
      idempotencyKey: 'order-4',
    })
    const after = routed(store, 0)
    const retried = await after.kyc.createVerification({
      subjectReference: 'user_3',
      idempotencyKey: 'order-4',
    })
    expect(retried.verification).toMatchObject({ provider: 'second', id: created.verification.id })
    expect(creates(after.first) + creates(after.second)).toBe(0)

    // A store that kept the key but lost the state (memory-store eviction): a read, never a create.
    const small = createMemoryStore({ maxEntries: 1 })
    const evicting = routed(small, 1)
    const kept = await evicting.kyc.createVerification({
      subjectReference: 'user_4',
      idempotencyKey: 'order-5',
    })
    await small.transaction(async (transaction) => {
      await transaction.applyVerification({ ...kept.verification, id: 'other', session: undefined })
    })
    expect(await small.verifications.get({ provider: 'second', id: kept.verification.id })).toBeUndefined()
    const reread = await evicting.kyc.createVerification({
      subjectReference: 'user_4',
      idempotencyKey: 'order-5',
    })
    expect(reread.verification).toMatchObject({ provider: 'second', id: kept.verification.id })
    expect(creates(evicting.second)).toBe(1)
    expect(evicting.second.calls.map((call) => call.method)).toEqual([
      'createVerification',
      'getVerification',
    ])
  })

  it('frees the key when no provider created anything, and refuses a key reused for another subject or in flight', async () => {
    const store = createMemoryStore()
    const down = createMockAdapter({
      provider: 'down',
      results: {
        createVerification: () => {
          throw new KycProviderUnavailableError({ provider: 'down', message: 'The down API answered 503.' })
        },
      },
    })
    const failing = createKyc({ adapters: { down }, store, env: {}, routing: {} })
    await expect(
      failing.createVerification({ subjectReference: 'user_5', idempotencyKey: 'order-6' }),
    ).rejects.toBeInstanceOf(KycProviderUnavailableError)
    const { kyc } = routed(store, 0)
    const created = await kyc.createVerification({ subjectReference: 'user_5', idempotencyKey: 'order-6' })
    expect(created.verification.provider).toBe('first')

    const reused = kyc.createVerification({ subjectReference: 'user_6', idempotencyKey: 'order-6' })
    await expect(reused).rejects.toBeInstanceOf(KycInvalidRequestError)
    await expect(reused).rejects.toThrow(/another subjectReference/)

    // Two calls with one key at once: one creates, the other is told the key is in flight.
    const both = await Promise.allSettled([
      kyc.createVerification({ subjectReference: 'user_7', idempotencyKey: 'order-7' }),
      kyc.createVerification({ subjectReference: 'user_7', idempotencyKey: 'order-7' }),
    ])
    expect(both.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
    const refused = both.find((result) => result.status === 'rejected')
    expect(KycInvalidStateError.isInstance(refused?.reason)).toBe(true)
    await expect(
      kyc.createVerification({ subjectReference: 'user_8', idempotencyKey: '' }),
    ).rejects.toBeInstanceOf(KycInvalidRequestError)
  })

  it('stores the key only as a hash, and keeps the audit chain valid', async () => {
    const store = createMemoryStore()
    const { kyc } = routed(store, 0)
    await kyc.createVerification({ subjectReference: 'user_9', idempotencyKey: 'secret-looking-key-42' })
    expect(await store.keyValue.get(routedIdempotencyNamespace, 'secret-looking-key-42')).toBeUndefined()
    const audit = []
    for await (const entry of store.audit.read()) audit.push(entry)
    expect(JSON.stringify(audit)).not.toContain('secret-looking-key-42')
    expect(JSON.stringify(audit)).not.toContain('user_9')
    expect((await verifyAuditChain(store.audit.read())).valid).toBe(true)
  })
})
