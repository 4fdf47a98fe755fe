import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  providerForBucket,
  splitAssignmentNamespace,
  splitBucket,
} from '../src/index.js'
import { createMockAdapter, createMockVerification } from '../src/test/index.js'
import { withTransactionMethods } from './fixtures.js'
import { routingEntries } from './routing-support.js'

const subjects = (count: number, prefix = 'user') =>
  Array.from({ length: count }, (_, index) => `${prefix}_${index}`)

function routedClient(store: ReturnType<typeof createMemoryStore>, weights: Record<string, number>) {
  return createKyc({
    adapters: {
      champion: createMockAdapter({ provider: 'champion' }),
      challenger: createMockAdapter({ provider: 'challenger' }),
    },
    store,
    env: {},
    routing: { split: { weights } },
  })
}

describe('routing: sticky split', () => {
  it('splits 10,000 subject references 70/30 within ±2 %', async () => {
    const store = createMemoryStore()
    const kyc = routedClient(store, { champion: 70, challenger: 30 })
    const counts = { champion: 0, challenger: 0 }
    for (const subject of subjects(10_000)) {
      const { verification } = await kyc.createVerification({ subjectReference: subject })
      counts[verification.provider as keyof typeof counts] += 1
    }
    expect(counts.champion + counts.challenger).toBe(10_000)
    expect(Math.abs(counts.champion / 10_000 - 0.7)).toBeLessThanOrEqual(0.02)
    expect(Math.abs(counts.challenger / 10_000 - 0.3)).toBeLessThanOrEqual(0.02)
  })

  it('is a pure hash of the subject reference: the same bucket every time, different seeds reshuffle', () => {
    expect(splitBucket('user_42')).toBe(splitBucket('user_42'))
    const moved = subjects(1_000).filter(
      (subject) => splitBucket(subject) !== splitBucket(subject, 'other-seed'),
    )
    expect(moved.length).toBeGreaterThan(900)
    // Pinned: stored assignments and running instances depend on these never changing (ASCII is hashed
    // without encoding; other text as UTF-8).
    expect([splitBucket('user_42'), splitBucket('user_42', 'other-seed')]).toEqual([4507, 2665])
    expect([splitBucket('ünïcödé-👤'), splitBucket('ünïcödé-👤', 'other-seed')]).toEqual([3600, 9876])
    expect([splitBucket('a'.repeat(300)), splitBucket('0', 'other-seed')]).toEqual([8651, 4760])
    expect(providerForBucket({ a: 70, b: 30 }, 6_999)).toBe('a')
    expect(providerForBucket({ a: 70, b: 30 }, 7_000)).toBe('b')
    expect(providerForBucket({ a: 0, b: 100 }, 0)).toBe('b')
  })

  it('sends a returning subject to the same provider, and a changed split only moves new subjects', async () => {
    const store = createMemoryStore()
    const before = routedClient(store, { champion: 50, challenger: 50 })
    const first = new Map<string, string>()
    for (const subject of subjects(200)) {
      const { verification } = await before.createVerification({ subjectReference: subject })
      first.set(subject, verification.provider)
    }
    expect(new Set(first.values())).toEqual(new Set(['champion', 'challenger']))
    // A new client on the same store, with the split changed: everything new goes to the challenger.
    const after = routedClient(store, { champion: 0, challenger: 100 })
    for (const subject of subjects(200)) {
      const { verification } = await after.createVerification({ subjectReference: subject })
      expect(verification.provider).toBe(first.get(subject))
    }
    for (const subject of subjects(200, 'newcomer')) {
      const { verification } = await after.createVerification({ subjectReference: subject })
      expect(verification.provider).toBe('challenger')
    }
    const stored = await store.keyValue.get(splitAssignmentNamespace, 'user_0')
    expect(stored).toEqual({ provider: first.get('user_0') })
  })

  it('records the split as the basis of each decision in the audit log', async () => {
    const store = createMemoryStore()
    const kyc = routedClient(store, { champion: 70, challenger: 30 })
    const { verification } = await kyc.createVerification({ subjectReference: 'user_7' })
    const [entry] = await routingEntries(store)
    expect(entry).toMatchObject({
      provider: verification.provider,
      verificationId: verification.id,
      action: 'routing',
      actor: 'application',
      routing: { role: 'primary', basis: 'split', chosen: verification.provider },
    })
    expect(
      await store.verifications.get({ provider: verification.provider, id: verification.id }),
    ).toMatchObject({
      subjectReference: 'user_7',
    })
  })

  it('stores the call subject reference with the verification when the adapter leaves it out (erasure finds it)', async () => {
    const store = createMemoryStore()
    const bare = createMockVerification({ id: 'bare_1', provider: 'champion' })
    const kyc = createKyc({
      adapters: {
        champion: createMockAdapter({
          provider: 'champion',
          results: { createVerification: { verification: bare } },
        }),
        challenger: createMockAdapter({ provider: 'challenger' }),
      },
      store,
      env: {},
      routing: { split: { weights: { champion: 100, challenger: 0 } } },
    })
    await kyc.createVerification({ subjectReference: 'user_9' })
    expect(await store.verifications.get({ provider: 'champion', id: 'bare_1' })).toMatchObject({
      subjectReference: 'user_9',
    })
  })
})

describe('routing: the split assignment is stored with the routing record', () => {
  it('commits a new subject’s assignment in the transaction of its verification and audit entry: a failed record stores neither', async () => {
    const memory = createMemoryStore()
    let failRecords = true
    // The router sends its entry with the commit where the store can (the memory store can).
    const store = withTransactionMethods(memory, (transaction) => ({
      appendAudit: async (entry) => {
        if (failRecords) throw new Error('the audit log is unavailable')
        return transaction.appendAudit(entry)
      },
      appendAuditAtCommit: (entry) => {
        if (failRecords) throw new Error('the audit log is unavailable')
        transaction.appendAuditAtCommit?.(entry)
      },
    }))
    const kyc = routedClient(store, { champion: 50, challenger: 50 })
    // The record fails after the provider created the verification: the call still succeeds (the
    // applicant needs it), and nothing of the record is half-written.
    const { verification } = await kyc.createVerification({ subjectReference: 'user_1' })
    expect(await memory.keyValue.get(splitAssignmentNamespace, 'user_1')).toBeUndefined()
    expect(
      await memory.verifications.get({ provider: verification.provider, id: verification.id }),
    ).toBeUndefined()
    expect(await routingEntries(memory)).toEqual([])

    failRecords = false
    const again = await kyc.createVerification({ subjectReference: 'user_1' })
    expect(again.verification.provider).toBe(verification.provider)
    expect(await memory.keyValue.get(splitAssignmentNamespace, 'user_1')).toEqual({
      provider: verification.provider,
    })
    expect(
      await memory.verifications.get({ provider: again.verification.provider, id: again.verification.id }),
    ).toMatchObject({ subjectReference: 'user_1' })
    expect(await routingEntries(memory)).toHaveLength(1)
  })

  it('writes nothing for a returning subject whose assignment stands', async () => {
    const store = createMemoryStore()
    const kyc = routedClient(store, { champion: 50, challenger: 50 })
    await kyc.createVerification({ subjectReference: 'user_2' })
    let writes = 0
    const counting: typeof store = {
      ...store,
      keyValue: {
        ...store.keyValue,
        set: async (...args) => {
          writes += 1
          return store.keyValue.set(...args)
        },
        setIfAbsent: async (...args) => {
          writes += 1
          return store.keyValue.setIfAbsent(...args)
        },
      },
      transaction: (work, options) =>
        store.transaction(
          (transaction) =>
            work({
              ...transaction,
              keyValue: {
                ...transaction.keyValue,
                set: async (...args) => {
                  writes += 1
                  return transaction.keyValue.set(...args)
                },
                setIfAbsent: async (...args) => {
                  writes += 1
                  return transaction.keyValue.setIfAbsent(...args)
                },
              },
            }),
          options,
        ),
    }
    const returning = routedClient(counting, { champion: 0, challenger: 100 })
    const first = await store.keyValue.get(splitAssignmentNamespace, 'user_2')
    const { verification } = await returning.createVerification({ subjectReference: 'user_2' })
    expect({ provider: verification.provider }).toEqual(first)
    expect(writes).toBe(0)
  })
})
