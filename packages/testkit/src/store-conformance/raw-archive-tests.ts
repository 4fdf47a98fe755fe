import { type ArchivedPayloadInput, isKycError, type KycStore, type RawArchiveStore } from '@openkyc/core'
import { describe, expect } from 'vitest'

type StoreTest<Handle> = (name: string, body: (store: KycStore<Handle>) => Promise<void>) => void

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = []
  for await (const item of items) result.push(item)
  return result
}

const hour = 60 * 60 * 1000

/** A payload as `createRawArchive` would store it (the ciphertext is opaque to the store). */
function payload(overrides: Partial<ArchivedPayloadInput> = {}): ArchivedPayloadInput {
  const receivedAt = Date.now()
  return {
    provider: 'conformance',
    kind: 'webhook_delivery',
    receivedAt: new Date(receivedAt).toISOString(),
    expiresAt: new Date(receivedAt + hour).toISOString(),
    verificationIds: ['v_1'],
    eventIds: ['evt_1'],
    keyId: 'k1',
    iv: 'AAAAAAAAAAAAAAAA',
    ciphertext: btoa('opaque ciphertext'),
    ...overrides,
  }
}

function archiveOf<Handle>(store: KycStore<Handle>): RawArchiveStore {
  const archive = store.archive
  if (archive === undefined) throw new Error('the store has no archive, yet the suite was told it keeps one')
  return archive
}

/** The raw archive part of the store suite: registered when `rawArchive: true`. */
export function describeRawArchiveTests<Handle>(test: StoreTest<Handle>): void {
  describe('raw archive', () => {
    test('keeps payloads unchanged, in order, with ids, and finds them by provider, kind, event, verification and time', async (store) => {
      const archive = archiveOf(store)
      const first = await archive.put(payload())
      const second = await archive.put(
        payload({
          verificationIds: ['v_2', 'v_3'],
          eventIds: ['evt_2', 'evt_3'],
          receivedAt: new Date(Date.now() + 1000).toISOString(),
        }),
      )
      const other = await archive.put(
        payload({ provider: 'other', kind: 'retrieval_response', eventIds: [] }),
      )
      expect(first.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(new Set([first.id, second.id, other.id]).size).toBe(3)
      expect(first.sequence).toBeLessThan(second.sequence)
      expect(second.sequence).toBeLessThan(other.sequence)
      expect(first).toEqual({ ...payload(), ...first, ciphertext: btoa('opaque ciphertext') })

      const all = await collect(archive.read())
      expect(all).toEqual([first, second, other])
      const ids = async (query: Parameters<RawArchiveStore['read']>[0]) =>
        (await collect(archive.read(query))).map((found) => found.id)
      expect(await ids({ provider: 'conformance' })).toEqual([first.id, second.id])
      expect(await ids({ kind: 'retrieval_response' })).toEqual([other.id])
      expect(await ids({ eventId: 'evt_3' })).toEqual([second.id])
      expect(await ids({ verificationId: 'v_1' })).toEqual([first.id, other.id])
      expect(await ids({ receivedSince: second.receivedAt })).toEqual([second.id])
      expect(await ids({ afterSequence: first.sequence, limit: 1 })).toEqual([second.id])
    })

    test('reads in ascending numeric sequence, past single digits', async (store) => {
      const archive = archiveOf(store)
      for (let index = 0; index < 12; index += 1) await archive.put(payload({ eventIds: [`evt_${index}`] }))
      const sequences = (await collect(archive.read())).map((found) => found.sequence)
      expect(sequences).toHaveLength(12)
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b))
      expect(
        (await collect(archive.read({ afterSequence: sequences[9] }))).map((found) => found.sequence),
      ).toEqual(sequences.slice(10))
    })

    test('expired payloads are not read, and deleteExpired removes exactly them', async (store) => {
      const archive = archiveOf(store)
      const past = Date.now() - 2 * hour
      await archive.put(
        payload({
          receivedAt: new Date(past).toISOString(),
          expiresAt: new Date(past + hour).toISOString(),
          eventIds: ['evt_old'],
        }),
      )
      const live = await archive.put(payload())
      expect((await collect(archive.read())).map((found) => found.id)).toEqual([live.id])
      expect(await archive.deleteExpired()).toBe(1)
      expect(await archive.deleteExpired()).toBe(0)
      expect((await collect(archive.read())).map((found) => found.id)).toEqual([live.id])
    })

    test("deleteByVerification erases every payload of one provider's verification, and only those", async (store) => {
      const archive = archiveOf(store)
      await archive.put(payload({ verificationIds: ['v_1'] }))
      await archive.put(payload({ verificationIds: ['v_0', 'v_1'] }))
      const kept = await archive.put(payload({ verificationIds: ['v_2'] }))
      const otherProvider = await archive.put(payload({ provider: 'other', verificationIds: ['v_1'] }))
      expect(await archive.deleteByVerification({ provider: 'conformance', id: 'v_1' })).toBe(2)
      expect((await collect(archive.read())).map((found) => found.id)).toEqual([kept.id, otherProvider.id])
    })

    test('malformed payloads and queries are refused with KycInvalidRequestError, and nothing is written', async (store) => {
      const archive = archiveOf(store)
      const invalid: Partial<ArchivedPayloadInput>[] = [
        { provider: '' },
        { receivedAt: 'yesterday' },
        { keyId: 'a key with spaces' },
        { iv: 'short' },
        { ciphertext: 'not base64!' },
        { verificationIds: [''] },
      ]
      for (const overrides of invalid) {
        const attempt = archive.put(payload(overrides))
        await expect(attempt).rejects.toSatisfy(
          (error: unknown) => isKycError(error) && error.code === 'invalid_request',
        )
      }
      await expect(collect(archive.read({ limit: 0 }))).rejects.toSatisfy(
        (error: unknown) => isKycError(error) && error.code === 'invalid_request',
      )
      expect(await collect(archive.read())).toEqual([])
    })
  })
}
