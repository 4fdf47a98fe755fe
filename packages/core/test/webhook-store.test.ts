import { describe, expect, it } from 'vitest'
import { createMemoryWebhookStore } from '../src/index.js'
import { createMockVerification } from '../src/test/index.js'

function clock(start = 0) {
  let time = start
  return { now: () => time, advance: (ms: number) => (time += ms) }
}

describe('createMemoryWebhookStore', () => {
  it('marks a key seen once', async () => {
    const store = createMemoryWebhookStore()
    expect(await store.markSeen('persona:evt_1')).toBe(true)
    expect(await store.markSeen('persona:evt_1')).toBe(false)
    expect(await store.markSeen('persona:evt_2')).toBe(true)
  })

  it('forgets a key when asked', async () => {
    const store = createMemoryWebhookStore()
    await store.markSeen('evt_1')
    await store.forget?.('evt_1')
    expect(await store.markSeen('evt_1')).toBe(true)
  })

  it('expires seen keys after the time to live (24 h by default)', async () => {
    const time = clock()
    const store = createMemoryWebhookStore({ now: time.now })
    await store.markSeen('evt_1')
    time.advance(24 * 60 * 60 * 1000 - 1)
    expect(await store.markSeen('evt_1')).toBe(false)
    time.advance(1)
    expect(await store.markSeen('evt_1')).toBe(true)
  })

  it('honours a custom time to live, counted from the first sighting', async () => {
    const time = clock()
    const store = createMemoryWebhookStore({ ttlMs: 1000, now: time.now })
    await store.markSeen('evt_1')
    time.advance(999)
    expect(await store.markSeen('evt_1')).toBe(false)
    time.advance(1)
    expect(await store.markSeen('evt_1')).toBe(true)
  })

  it('evicts the least recently used key past maxEntries', async () => {
    const store = createMemoryWebhookStore({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c', 'd']) await store.markSeen(key)
    // 'a' was evicted, so it is new again (and evicts 'b').
    expect(await store.markSeen('a')).toBe(true)
    expect(await store.markSeen('c')).toBe(false)
    expect(await store.markSeen('d')).toBe(false)
    expect(await store.markSeen('b')).toBe(true)
    // 'c' and 'd' were used more recently than 'a', so 'a' went first.
    expect(await store.markSeen('c')).toBe(false)
    expect(await store.markSeen('a')).toBe(true)
  })

  it('stores verifications by provider and id', async () => {
    const store = createMemoryWebhookStore()
    const persona = createMockVerification({ id: 'v1', provider: 'persona' })
    const jumio = createMockVerification({ id: 'v1', provider: 'jumio', status: 'submitted' })
    await store.setVerification(persona)
    await store.setVerification(jumio)
    expect(await store.getVerification('persona', 'v1')).toBe(persona)
    expect(await store.getVerification('jumio', 'v1')).toBe(jumio)
    expect(await store.getVerification('persona', 'v2')).toBeUndefined()
  })

  it('bounds verifications too, keeping the recently read ones', async () => {
    const store = createMemoryWebhookStore({ maxEntries: 2 })
    await store.setVerification(createMockVerification({ id: 'v1' }))
    await store.setVerification(createMockVerification({ id: 'v2' }))
    await store.getVerification('mock', 'v1')
    await store.setVerification(createMockVerification({ id: 'v3' }))
    expect(await store.getVerification('mock', 'v1')).toBeDefined()
    expect(await store.getVerification('mock', 'v2')).toBeUndefined()
    expect(await store.getVerification('mock', 'v3')).toBeDefined()
  })

  it('refuses nonsensical limits', () => {
    expect(() => createMemoryWebhookStore({ maxEntries: 0 })).toThrow(RangeError)
    expect(() => createMemoryWebhookStore({ ttlMs: -1 })).toThrow(RangeError)
  })
})
