import {
  type ArchivedPayload,
  archivedPayloadMatches,
  parseArchivedPayloadInput,
  parseRawArchiveQuery,
  type RawArchiveStore,
} from './raw-archive-store.js'

/**
 * The memory store's raw archive: payloads in insertion order, at most `maxEntries` (the oldest go
 * first), expired ones skipped on read and removed by `deleteExpired`.
 */
export function createMemoryRawArchiveStore(now: () => number, maxEntries: number): RawArchiveStore {
  let payloads: ArchivedPayload[] = []
  let sequence = 0
  const live = (payload: ArchivedPayload) => Date.parse(payload.expiresAt) > now()
  const remove = (keep: (payload: ArchivedPayload) => boolean) => {
    const before = payloads.length
    payloads = payloads.filter(keep)
    return before - payloads.length
  }
  return {
    async put(input) {
      const payload: ArchivedPayload = {
        ...parseArchivedPayloadInput(input),
        id: crypto.randomUUID(),
        sequence: ++sequence,
      }
      payloads.push(payload)
      if (payloads.length > maxEntries) payloads.splice(0, payloads.length - maxEntries)
      return structuredClone(payload)
    },
    async *read(query = {}) {
      const parsed = parseRawArchiveQuery(query)
      let remaining = parsed.limit ?? Number.POSITIVE_INFINITY
      for (const payload of payloads.slice()) {
        if (remaining <= 0) return
        if (!live(payload) || !archivedPayloadMatches(payload, parsed)) continue
        remaining -= 1
        yield structuredClone(payload)
      }
    },
    async deleteExpired() {
      return remove(live)
    },
    async deleteByVerification(key) {
      return remove(
        (payload) => !(payload.provider === key.provider && payload.verificationIds.includes(key.id)),
      )
    },
  }
}
