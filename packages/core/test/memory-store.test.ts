import { describe, expect, it } from 'vitest'
import {
  type AuditEntryInput,
  auditChainFor,
  createMemoryStore,
  createMemoryWebhookStore,
  verifyAuditChain,
} from '../src/index.js'
import { memoryStoreAuditLog } from '../src/store/memory-store.js'
import { markParsed, plainVerification } from '../src/store/validate.js'
import { createMockVerification } from '../src/test/index.js'

// The KycStore contract itself is proven by describeStoreConformance in @openkyc/testkit, which runs it
// against createMemoryStore. These tests cover what only the memory store has: its bounds and clock.

function clock(start = 0) {
  let time = start
  return { now: () => time, advance: (ms: number) => (time += ms) }
}

async function completeEvent(store: ReturnType<typeof createMemoryStore>, eventId: string) {
  const result = await store.inbox.claim({ provider: 'mock', eventId, leaseMs: 1_000 })
  if (result.status !== 'claimed') return result.status
  await store.transaction(async (transaction) => transaction.completeClaim(result.claim))
  return result.status
}

describe('createMemoryStore', () => {
  it('forgets completed events after the time to live (24 h by default)', async () => {
    const time = clock()
    const store = createMemoryStore({ now: time.now })
    expect(await completeEvent(store, 'evt_1')).toBe('claimed')
    time.advance(24 * 60 * 60 * 1000 - 1)
    expect(await completeEvent(store, 'evt_1')).toBe('completed')
    time.advance(1)
    expect(await completeEvent(store, 'evt_1')).toBe('claimed')
  })

  it('runs transactions one at a time, in arrival order; one whose signal aborts while waiting leaves the line', async () => {
    const store = createMemoryStore()
    const order: string[] = []
    let releaseFirst!: () => void
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve
    })
    const first = store.transaction(async () => {
      order.push('first start')
      await firstHeld
      order.push('first end')
    })
    const controller = new AbortController()
    const reason = new Error('gave up waiting')
    const abandoned = store.transaction(
      async () => {
        order.push('abandoned ran')
      },
      { signal: controller.signal },
    )
    const third = store.transaction(async () => {
      order.push('third')
    })
    controller.abort(reason)
    await expect(abandoned).rejects.toBe(reason)
    expect(order).toEqual(['first start'])
    releaseFirst()
    await first
    await third
    expect(order).toEqual(['first start', 'first end', 'third'])
    // Idle again: the next transaction starts at once, and a failed one passes the turn on too.
    await expect(
      store.transaction(async () => {
        throw new Error('work failed')
      }),
    ).rejects.toThrow('work failed')
    await expect(store.transaction(async () => 'next')).resolves.toBe('next')
  })

  it('evicts the least recently used inbox entry past maxEntries', async () => {
    const store = createMemoryStore({ maxEntries: 3 })
    for (const eventId of ['a', 'b', 'c', 'd']) await completeEvent(store, eventId)
    // 'a' was evicted, so it is new again (and evicts 'b').
    expect(await completeEvent(store, 'a')).toBe('claimed')
    expect(await completeEvent(store, 'c')).toBe('completed')
    expect(await completeEvent(store, 'b')).toBe('claimed')
  })

  it('bounds verifications too, keeping the recently read ones', async () => {
    const store = createMemoryStore({ maxEntries: 2 })
    const apply = (id: string) =>
      store.transaction((transaction) => transaction.applyVerification(createMockVerification({ id })))
    await apply('v1')
    await apply('v2')
    await store.verifications.get({ provider: 'mock', id: 'v1' })
    await apply('v3')
    expect(await store.verifications.get({ provider: 'mock', id: 'v1' })).toBeDefined()
    expect(await store.verifications.get({ provider: 'mock', id: 'v2' })).toBeUndefined()
    expect(await store.verifications.get({ provider: 'mock', id: 'v3' })).toBeDefined()
  })

  it('evicts in least-recently-used order through long runs of writes and reads (the eviction cursor resumes)', async () => {
    const maxEntries = 50
    const store = createMemoryStore({ maxEntries })
    const recent: string[] = []
    const use = (key: string) => {
      const at = recent.indexOf(key)
      if (at >= 0) recent.splice(at, 1)
      recent.push(key)
      if (recent.length > maxEntries) recent.shift()
    }
    let seed = 7
    for (let step = 0; step < 2_000; step += 1) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      const key = `k${(seed >>> 8) % 120}`
      const live = await store.keyValue.get('lru', key)
      // Some steps only read a kept key: a key-value read does not refresh it, so it is no use.
      if (live !== undefined && step % 3 === 0) continue
      await store.keyValue.set('lru', key, step)
      use(key)
    }
    const kept: string[] = []
    for (let index = 0; index < 120; index += 1) {
      if ((await store.keyValue.get('lru', `k${index}`)) !== undefined) kept.push(`k${index}`)
    }
    expect(kept.sort()).toEqual([...recent].sort())
  })

  it('drops the oldest audit entries past maxAuditEntries; the rest still verifies from auditStart', async () => {
    const store = createMemoryStore({ maxAuditEntries: 2 })
    for (const verificationId of ['v1', 'v2', 'v3']) {
      await store.transaction((transaction) =>
        transaction.appendAudit({
          provider: 'mock',
          verificationId,
          action: 'state_changed',
          actor: 'provider',
          to: { status: 'created' },
          reasons: [],
        }),
      )
    }
    const sequences = []
    for await (const entry of store.audit.read()) sequences.push(entry.sequence)
    expect(sequences).toEqual([2, 3])
    expect(store.auditStart()).toMatchObject({ sequence: 1 })
    expect(await verifyAuditChain(store.audit.read())).toMatchObject({
      valid: false,
      problem: 'sequence_gap',
    })
    expect(await verifyAuditChain(store.audit.read(), { startAfter: store.auditStart() })).toMatchObject({
      valid: true,
      count: 2,
    })
  })

  it('keeps several audit chains when asked; a pruned log verifies from auditStarts', async () => {
    const store = createMemoryStore({ maxAuditEntries: 6, auditChains: 3 })
    for (let index = 0; index < 12; index += 1) {
      await store.transaction((transaction) =>
        transaction.appendAudit({
          provider: 'mock',
          verificationId: `v${index % 4}`,
          action: 'state_changed',
          actor: 'provider',
          to: { status: 'created' },
          reasons: [],
        }),
      )
    }
    const entries = []
    for await (const entry of store.audit.read()) entries.push(entry)
    expect(entries.map((entry) => entry.sequence)).toEqual([7, 8, 9, 10, 11, 12])
    expect(entries.every((entry) => entry.chain === auditChainFor(entry.verificationId, 3))).toBe(true)
    expect(await verifyAuditChain(store.audit.read())).toMatchObject({ valid: false })
    expect(await verifyAuditChain(store.audit.read(), { startAfter: store.auditStarts() })).toMatchObject({
      valid: true,
      count: 6,
    })
  })

  describe('audit entries sent with the commit (appendAuditAtCommit): hashed when the log is read', () => {
    const entryFor = (verificationId: string): AuditEntryInput => ({
      provider: 'mock',
      verificationId,
      action: 'state_changed',
      actor: 'provider',
      to: { status: 'created' },
      reasons: [{ code: 'other', raw: 'LABEL' }],
    })
    const ids = ['v1', 'v2', 'v1', 'v3', 'v4', 'v2', 'v5']
    /** Appends `ids` one transaction each; `eagerAt` are the indexes appended with `appendAudit`. */
    async function appendAll(store: ReturnType<typeof createMemoryStore>, eagerAt: readonly number[]) {
      for (const [index, verificationId] of ids.entries()) {
        await store.transaction(async (transaction) => {
          if (eagerAt.includes(index)) await transaction.appendAudit(entryFor(verificationId))
          else transaction.appendAuditAtCommit?.(entryFor(verificationId))
        })
      }
    }
    const readAll = async (store: ReturnType<typeof createMemoryStore>) => {
      const entries = []
      for await (const entry of store.audit.read()) entries.push(entry)
      return entries
    }

    for (const auditChains of [1, 3]) {
      it(`builds exactly the chain appendAudit builds, mixed with it or not (${auditChains} chain(s))`, async () => {
        const time = clock(1_700_000_000_000)
        const eager = createMemoryStore({ now: time.now, auditChains })
        const atCommit = createMemoryStore({ now: time.now, auditChains })
        const mixed = createMemoryStore({ now: time.now, auditChains })
        await appendAll(eager, [...ids.keys()])
        await appendAll(atCommit, [])
        await appendAll(mixed, [2, 3, 6])
        const expected = await readAll(eager)
        expect(expected).toHaveLength(ids.length)
        expect(await readAll(atCommit)).toEqual(expected)
        expect(await readAll(mixed)).toEqual(expected)
        expect(await verifyAuditChain(atCommit.audit.read())).toMatchObject({ valid: true, count: 7 })
        expect(await atCommit.audit.head()).toEqual(expected.at(-1))
      })
    }

    it('places entries in the order of their commits, several in one transaction after its appendAudit ones', async () => {
      const store = createMemoryStore()
      await store.transaction(async (transaction) => {
        transaction.appendAuditAtCommit?.(entryFor('at_commit_1'))
        await transaction.appendAudit(entryFor('eager'))
        transaction.appendAuditAtCommit?.(entryFor('at_commit_2'))
      })
      const entries = await readAll(store)
      expect(entries.map((entry) => [entry.sequence, entry.verificationId])).toEqual([
        [1, 'eager'],
        [2, 'at_commit_1'],
        [3, 'at_commit_2'],
      ])
      expect(await verifyAuditChain(entries)).toMatchObject({ valid: true, count: 3 })
    })

    it('stages nothing from a transaction that fails, and refuses an invalid entry at once', async () => {
      const store = createMemoryStore()
      const failure = new Error('the handler failed')
      await expect(
        store.transaction(async (transaction) => {
          transaction.appendAuditAtCommit?.(entryFor('v1'))
          throw failure
        }),
      ).rejects.toBe(failure)
      await expect(
        store.transaction(async (transaction) => {
          transaction.appendAuditAtCommit?.({ ...entryFor('v1'), name: 'Erika Mustermann' } as never)
        }),
      ).rejects.toThrow(/Invalid audit entry/)
      expect(await readAll(store)).toEqual([])
      expect(await store.audit.head()).toBeUndefined()
    })

    it('finds a changed entry: the hash covers what was appended, not what a row says later', async () => {
      const store = createMemoryStore()
      await appendAll(store, [])
      // Replace a kept row with a changed copy through the test hook, as an UPDATE would.
      const kept = memoryStoreAuditLog(store)
      kept[3] = { ...kept[3]!, action: 'review' }
      expect(await verifyAuditChain(store.audit.read())).toMatchObject({
        valid: false,
        sequence: 4,
        problem: 'hash_mismatch',
      })
    })

    it('hands out entries no caller can change: the stored log stays as it was appended', async () => {
      const store = createMemoryStore({ maxAuditEntries: 5 })
      await appendAll(store, [2, 3])
      const before = structuredClone(await readAll(store))
      const [first] = await readAll(store)
      const head = await store.audit.head()
      const eager = await store.transaction((transaction) => transaction.appendAudit(entryFor('v9')))
      // ES modules are strict: writing to a frozen entry throws instead of changing the log.
      expect(() => {
        ;(first as { action: string }).action = 'review'
      }).toThrow(TypeError)
      expect(() => {
        first!.reasons.push({ code: 'other' })
      }).toThrow(TypeError)
      expect(() => {
        ;(head!.to as { status: string }).status = 'approved'
      }).toThrow(TypeError)
      expect(() => {
        ;(eager as { verificationId: string }).verificationId = 'changed'
      }).toThrow(TypeError)
      expect(() => {
        ;(store.auditStart() as { hash: string }).hash = '0'.repeat(64)
      }).toThrow(TypeError)
      expect((await readAll(store)).slice(0, -1)).toEqual(before.slice(1))
      expect(await verifyAuditChain(store.audit.read(), { startAfter: store.auditStart() })).toMatchObject({
        valid: true,
        count: 5,
      })
    })

    it('never keeps more than maxAuditEntries, hashed or pending; the rest verifies from auditStart', async () => {
      const store = createMemoryStore({ maxAuditEntries: 3 })
      await appendAll(store, [])
      const entries = await readAll(store)
      expect(entries.map((entry) => entry.sequence)).toEqual([5, 6, 7])
      expect(store.auditStart()).toMatchObject({ sequence: 4 })
      expect(await verifyAuditChain(entries, { startAfter: store.auditStart() })).toMatchObject({
        valid: true,
        count: 3,
      })
    })
  })

  describe('dropping the oldest audit entries, many times over', () => {
    const entryFor = (index: number): AuditEntryInput => ({
      provider: 'mock',
      verificationId: `v${index % 5}`,
      action: 'state_changed',
      actor: 'provider',
      to: { status: 'created' },
      reasons: [],
    })
    const range = (first: number, last: number) =>
      Array.from({ length: last - first + 1 }, (_, offset) => first + offset)

    for (const [maxAuditEntries, auditChains] of [
      [7, 1],
      [7, 3],
      [1, 1],
      [4, 2],
    ] as const) {
      it(`keeps exactly the newest ${maxAuditEntries} of 300 after each commit, verifiable from where it starts (${auditChains} chain(s))`, async () => {
        const store = createMemoryStore({ maxAuditEntries, auditChains })
        for (let index = 0; index < 300; index += 1) {
          await store.transaction(async (transaction) => {
            // Both ways of appending: hashed at once, and hashed when the log is next read.
            if (index % 3 === 0) await transaction.appendAudit(entryFor(index))
            else transaction.appendAuditAtCommit?.(entryFor(index))
          })
          const last = index + 1
          const first = Math.max(1, last - maxAuditEntries + 1)
          const sequences = []
          for await (const entry of store.audit.read()) sequences.push(entry.sequence)
          expect(sequences).toEqual(range(first, last))
          expect((await store.audit.head())?.sequence).toBe(last)
          expect(store.auditStart()?.sequence).toBe(first === 1 ? undefined : first - 1)
          const startAfter = auditChains === 1 ? store.auditStart() : store.auditStarts()
          expect(await verifyAuditChain(store.audit.read(), { startAfter })).toMatchObject({
            valid: true,
            count: sequences.length,
          })
        }
        const windowed = []
        for await (const entry of store.audit.read({ afterSequence: 297, limit: 2 })) {
          windowed.push(entry.sequence)
        }
        expect(windowed).toEqual(range(Math.max(298, 301 - maxAuditEntries), 300).slice(0, 2))
        expect(memoryStoreAuditLog(store).map((entry) => entry.sequence)).toEqual(
          range(301 - maxAuditEntries, 300),
        )
      })
    }

    it('still finds a changed entry after many drops', async () => {
      const store = createMemoryStore({ maxAuditEntries: 5 })
      for (let index = 0; index < 50; index += 1) {
        await store.transaction(async (transaction) => transaction.appendAuditAtCommit?.(entryFor(index)))
      }
      const kept = memoryStoreAuditLog(store)
      expect(kept.map((entry) => entry.sequence)).toEqual(range(46, 50))
      kept[2] = { ...kept[2]!, action: 'review' }
      expect(await verifyAuditChain(store.audit.read(), { startAfter: store.auditStart() })).toMatchObject({
        valid: false,
        sequence: 48,
        problem: 'hash_mismatch',
      })
    })
  })

  it('commits every write of a transaction that stages several verifications and values, and none when it fails', async () => {
    const store = createMemoryStore()
    const ids = ['v_1', 'v_2', 'v_3']
    const failed = store.transaction(async (transaction) => {
      for (const id of ids) await transaction.applyVerification(createMockVerification({ id }))
      await transaction.keyValue.set('ns', 'a', 1)
      await transaction.keyValue.setIfAbsent('ns', 'b', 2)
      await transaction.keyValue.setIfAbsent('ns', 'c', 3)
      throw new Error('the work failed')
    })
    await expect(failed).rejects.toThrow('the work failed')
    for (const id of ids) expect(await store.verifications.get({ provider: 'mock', id })).toBeUndefined()
    expect(await store.keyValue.get('ns', 'b')).toBeUndefined()

    await store.transaction(async (transaction) => {
      for (const id of ids) await transaction.applyVerification(createMockVerification({ id }))
      // A later write to a key staged first, and one to a key staged later, replace what was staged.
      await transaction.applyVerification(createMockVerification({ id: 'v_1', status: 'submitted' }))
      await transaction.keyValue.set('ns', 'a', 1)
      await transaction.keyValue.setIfAbsent('ns', 'b', 2)
      await transaction.keyValue.set('ns', 'c', 3)
      await transaction.keyValue.delete('ns', 'c')
      await transaction.keyValue.set('ns', 'b', 20)
      expect(await transaction.keyValue.get('ns', 'b')).toBe(20)
    })
    expect((await store.verifications.get({ provider: 'mock', id: 'v_1' }))?.status).toBe('submitted')
    expect((await store.verifications.get({ provider: 'mock', id: 'v_3' }))?.status).toBe('created')
    expect(await store.keyValue.get('ns', 'a')).toBe(1)
    expect(await store.keyValue.get('ns', 'b')).toBe(20)
    expect(await store.keyValue.get('ns', 'c')).toBeUndefined()
  })

  it('reads its own staged key-value writes in a transaction: a delete hides the committed value, setIfAbsent answers with what it staged or what is committed', async () => {
    const store = createMemoryStore()
    await store.keyValue.set('ns', 'committed', 'before')
    await store.keyValue.set('ns', 'kept', 'kept before')
    await store.transaction(async (transaction) => {
      // Nothing staged yet: the committed values, and no write for a key already set.
      expect(await transaction.keyValue.get('ns', 'committed')).toBe('before')
      expect(await transaction.keyValue.setIfAbsent('ns', 'kept', 'ignored')).toBe('kept before')
      await transaction.keyValue.delete('ns', 'committed')
      expect(await transaction.keyValue.get('ns', 'committed')).toBeUndefined()
      // Deleted in this transaction: absent, so set, and read back as set.
      expect(await transaction.keyValue.setIfAbsent('ns', 'committed', 'after')).toBe('after')
      expect(await transaction.keyValue.get('ns', 'committed')).toBe('after')
      // Staged by this transaction: the staged value stands.
      expect(await transaction.keyValue.setIfAbsent('ns', 'new', 1)).toBe(1)
      expect(await transaction.keyValue.setIfAbsent('ns', 'new', 2)).toBe(1)
      await transaction.keyValue.set('ns', 'new', 3)
      expect(await transaction.keyValue.setIfAbsent('ns', 'new', 4)).toBe(3)
      // Outside the transaction, nothing staged shows before the commit.
      expect(await store.keyValue.get('ns', 'committed')).toBe('before')
      expect(await store.keyValue.get('ns', 'new')).toBeUndefined()
    })
    expect(await store.keyValue.get('ns', 'committed')).toBe('after')
    expect(await store.keyValue.get('ns', 'kept')).toBe('kept before')
    expect(await store.keyValue.get('ns', 'new')).toBe(3)
    // A transaction that stages nothing commits nothing.
    await store.transaction(async () => {})
    expect(await store.keyValue.get('ns', 'new')).toBe(3)
  })

  it('rolls back a transaction whose second set-if-absent value was set meanwhile outside it', async () => {
    const store = createMemoryStore()
    const open = store.transaction(async (transaction) => {
      await transaction.keyValue.setIfAbsent('ns', 'first', 1)
      await transaction.keyValue.setIfAbsent('ns', 'second', 2)
      await store.keyValue.set('ns', 'second', 'outside')
    })
    await expect(open).rejects.toThrow(/set only if absent/)
    expect(await store.keyValue.get('ns', 'first')).toBeUndefined()
    expect(await store.keyValue.get('ns', 'second')).toBe('outside')
  })

  it('keeps a new verification as it was applied: changing the update or the result later changes nothing stored', async () => {
    const store = createMemoryStore()
    const original = createMockVerification({ id: 'v_new' })
    // As given by an application (copied by the parse), and as the router gives it (checked, marked parsed).
    const plain = structuredClone(original)
    const checked = plainVerification(structuredClone({ ...original, id: 'v_marked' }))
    if (checked === undefined) throw new Error('expected a plain verification')
    const marked = markParsed(checked)
    for (const update of [plain, marked]) {
      const applied = await store.transaction((transaction) => transaction.applyVerification(update))
      expect(applied.applied).toBe(true)
      for (const changed of [update, applied.verification]) {
        changed.status = 'cancelled'
        changed.raw.status = 'changed'
        changed.reference.verificationId = 'changed'
      }
    }
    expect(await store.verifications.get({ provider: 'mock', id: 'v_new' })).toEqual(original)
    expect(await store.verifications.get({ provider: 'mock', id: 'v_marked' })).toEqual({
      ...original,
      id: 'v_marked',
    })
  })

  it('keeps createMemoryWebhookStore as a deprecated name for the same store', async () => {
    const store = createMemoryWebhookStore({ maxEntries: 5 })
    expect(await completeEvent(store, 'evt_1')).toBe('claimed')
    expect(await completeEvent(store, 'evt_1')).toBe('completed')
  })

  it('refuses nonsensical limits', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(RangeError)
    expect(() => createMemoryStore({ ttlMs: -1 })).toThrow(RangeError)
    expect(() => createMemoryStore({ maxAuditEntries: 1.5 })).toThrow(RangeError)
  })
})
