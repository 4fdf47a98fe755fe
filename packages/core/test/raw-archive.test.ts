import { describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  createRawArchive,
  createWebhookPipeline,
  KycConfigurationError,
  type KycEvent,
  KycInvalidRequestError,
  KycWebhookVerificationError,
  parseArchiveKeys,
  rawArchiveFromEnvironment,
  type Verification,
} from '../src/index.js'
import { createMockAdapter, createMockVerification, mockSignatureHeader } from '../src/test/index.js'

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = []
  for await (const item of items) result.push(item)
  return result
}

const keyA = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))
const keyB = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)))
const secret = 'whsec_archive_test'

function completed(id: string): Verification {
  return createMockVerification({
    id,
    provider: 'mock',
    status: 'completed',
    checks: [
      {
        kind: 'document_authenticity',
        outcome: 'failed',
        reasons: [{ code: 'document_tampered', raw: 'tampered' }],
        raw: { name: 'gov-id' },
      },
    ],
    decision: {
      outcome: 'declined',
      reasons: [{ code: 'document_tampered', raw: 'tampered' }],
      decidedBy: 'provider',
      raw: { status: 'declined' },
    },
  })
}

function event(id: string, verification: Verification): KycEvent {
  return {
    id,
    provider: 'mock',
    type: 'verification.completed',
    occurredAt: '2026-01-01T00:00:00.000Z',
    verification,
    raw: { type: 'done' },
  }
}

describe('the raw archive', () => {
  it('keeps each accepted delivery encrypted, opens it with the key that encrypted it, and erases it by verification', async () => {
    const store = createMemoryStore()
    const archive = createRawArchive({ store: store.archive, keys: `new:${keyA}` })
    const adapter = createMockAdapter({ provider: 'mock', webhookSecret: secret })
    const pipeline = createWebhookPipeline({ adapter, store, archive })
    const delivery = adapter.createWebhookDelivery([event('evt_1', completed('ver_secret_name'))])
    await pipeline.handle({ ...delivery, headers: { ...delivery.headers, authorization: 'Bearer ours' } })

    const [stored, ...more] = await collect(store.archive.read())
    expect(more).toEqual([])
    expect(stored).toMatchObject({
      provider: 'mock',
      kind: 'webhook_delivery',
      keyId: 'new',
      eventIds: ['evt_1'],
      verificationIds: ['ver_secret_name'],
    })
    // At rest, neither the body nor the signature appears.
    expect(JSON.stringify(stored)).not.toContain('document_tampered')
    expect(atob(stored?.ciphertext ?? '')).not.toContain('document_tampered')
    expect(Date.parse(stored?.expiresAt ?? '') - Date.parse(stored?.receivedAt ?? '')).toBe(
      7 * 24 * 3600 * 1000,
    )

    // Rotation: a new key first encrypts, the old one still decrypts.
    const rotated = createRawArchive({ store: store.archive, keys: `newer:${keyB},new:${keyA}` })
    const opened = await rotated.openDelivery(stored!)
    expect(new TextDecoder().decode(opened.rawBody)).toBe(delivery.rawBody)
    expect(opened.headers.get(mockSignatureHeader)).toBe(delivery.headers[mockSignatureHeader])
    expect(opened.headers.get('authorization')).toBeNull()
    expect(opened.events).toEqual([
      {
        eventId: 'evt_1',
        type: 'verification.completed',
        verificationId: 'ver_secret_name',
        status: 'completed',
        outcome: 'declined',
        reasons: ['document_tampered'],
        checks: ['document_authenticity:failed:document_tampered'],
      },
    ])
    const second = await rotated.archiveDelivery({
      provider: 'mock',
      rawBody: 'x',
      headers: new Headers(),
      events: [event('evt_2', completed('ver_other'))],
    })
    expect(second.keyId).toBe('newer')

    expect(await archive.eraseVerification({ provider: 'mock', id: 'ver_secret_name' })).toBe(1)
    expect((await collect(store.archive.read())).map((payload) => payload.eventIds)).toEqual([['evt_2']])
  })

  it('refuses a wrong key, a missing key and an altered row with one clear error, never the content', async () => {
    const store = createMemoryStore()
    const archive = createRawArchive({ store: store.archive, keys: `a:${keyA}` })
    const payload = await archive.archiveDelivery({
      provider: 'mock',
      rawBody: 'Jane Doe 1990-01-01',
      headers: new Headers(),
      events: [],
    })
    const wrongKey = createRawArchive({ store: store.archive, keys: `a:${keyB}` })
    await expect(wrongKey.openDelivery(payload)).rejects.toThrow(KycConfigurationError)
    await expect(wrongKey.openDelivery(payload)).rejects.toThrow(/cannot be decrypted with key "a"/)
    const missingKey = createRawArchive({ store: store.archive, keys: `b:${keyB}` })
    await expect(missingKey.openDelivery(payload)).rejects.toThrow(
      /key "a", which OPENKYC_ARCHIVE_KEYS does not hold/,
    )
    // Moved to another provider: the authenticated data no longer matches.
    await expect(archive.openDelivery({ ...payload, provider: 'other' })).rejects.toThrow(
      /cannot be decrypted/,
    )
    await expect(wrongKey.openDelivery(payload)).rejects.not.toThrow(/Jane/)
  })

  it('does not archive a delivery the adapter rejected', async () => {
    const store = createMemoryStore()
    const archive = createRawArchive({ store: store.archive, keys: `a:${keyA}` })
    const adapter = createMockAdapter({ provider: 'mock', webhookSecret: secret })
    const pipeline = createWebhookPipeline({ adapter, store, archive })
    const delivery = adapter.createWebhookDelivery([event('evt_1', completed('ver_1'))])
    await expect(
      pipeline.handle({ ...delivery, headers: { ...delivery.headers, [mockSignatureHeader]: 't=1,v1=00' } }),
    ).rejects.toThrow(KycWebhookVerificationError)
    expect(await collect(store.archive.read())).toEqual([])
  })

  it('forgets payloads after the retention period', async () => {
    let time = Date.parse('2026-01-01T00:00:00Z')
    const store = createMemoryStore({ now: () => time })
    const archive = createRawArchive({
      store: store.archive,
      keys: `a:${keyA}`,
      now: () => time,
      retentionMs: 1000,
    })
    await archive.archiveDelivery({ provider: 'mock', rawBody: 'x', headers: new Headers(), events: [] })
    time += 999
    expect(await collect(archive.read())).toHaveLength(1)
    time += 1
    expect(await collect(archive.read())).toHaveLength(0)
    expect(await archive.deleteExpired()).toBe(1)
  })

  it('parses keys strictly, naming the entry and never the key', () => {
    expect(parseArchiveKeys(` k2:${keyB} , k1:${keyA}`)).toMatchObject({
      encryptingKeyId: 'k2',
      keyIds: ['k2', 'k1'],
    })
    expect(() => parseArchiveKeys('')).toThrow(/no key given/)
    expect(() => parseArchiveKeys(keyA)).toThrow(/entry 1 must be "<key id>:<base64 key>"/)
    expect(() => parseArchiveKeys(`k1:${keyA},k1:${keyB}`)).toThrow(/appears twice/)
    expect(() => parseArchiveKeys('k1:not base64!')).toThrow(/not base64/)
    expect(() => parseArchiveKeys(`k1:${btoa('short')}`)).toThrow(/must be 32 bytes/)
    try {
      parseArchiveKeys(`k1:${btoa('sixteen-bytes-ab')}`)
    } catch (error) {
      expect(String(error)).not.toContain(btoa('sixteen-bytes-ab'))
    }
  })

  it('is off unless OPENKYC_ARCHIVE_KEYS is set, and checks the retention setting', () => {
    const store = createMemoryStore()
    expect(rawArchiveFromEnvironment(store, {})).toBeUndefined()
    expect(
      rawArchiveFromEnvironment(store, {
        OPENKYC_ARCHIVE_KEYS: `a:${keyA}`,
        OPENKYC_ARCHIVE_RETENTION_DAYS: '2',
      })?.retentionMs,
    ).toBe(2 * 24 * 3600 * 1000)
    expect(() =>
      rawArchiveFromEnvironment(store, {
        OPENKYC_ARCHIVE_KEYS: `a:${keyA}`,
        OPENKYC_ARCHIVE_RETENTION_DAYS: 'week',
      }),
    ).toThrow(/OPENKYC_ARCHIVE_RETENTION_DAYS must be a number/)
    const { archive: _archive, ...withoutArchive } = store
    expect(() => rawArchiveFromEnvironment(withoutArchive, { OPENKYC_ARCHIVE_KEYS: `a:${keyA}` })).toThrow(
      /keeps no raw archive/,
    )
  })

  it('a store refuses a malformed payload and writes nothing', async () => {
    const store = createMemoryStore()
    await expect(
      store.archive.put({
        provider: '',
        kind: 'webhook_delivery',
        receivedAt: 'now',
        expiresAt: 'later',
        verificationIds: [],
        eventIds: [],
        keyId: 'a',
        iv: 'x',
        ciphertext: 'y',
      }),
    ).rejects.toThrow(KycInvalidRequestError)
    expect(await collect(store.archive.read())).toEqual([])
  })
})
