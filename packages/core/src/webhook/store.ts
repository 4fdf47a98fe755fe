import type { Verification } from '../model/verification.js'

/** A value, or a promise of it: stores backed by memory answer at once, remote ones asynchronously. */
export type Awaitable<T> = T | Promise<T>

/**
 * Where the webhook pipeline remembers which events it has seen and the latest state of each
 * verification. The memory store suits one process; implement this over Redis, a SQL table or a
 * key-value service when several instances receive webhooks.
 *
 * `markSeen` must be atomic (Redis `SET key 1 NX PX ttl`, an `INSERT … ON CONFLICT DO NOTHING`):
 * two concurrent deliveries of one event must not both get `true`.
 */
export type WebhookStore = {
  /**
   * Records an event key as seen for the store's time to live. Returns `true` when the key was new,
   * `false` when it had been seen (and is not yet expired).
   */
  markSeen(key: string): Awaitable<boolean>
  /**
   * Forgets a key marked by `markSeen`. The pipeline calls it when processing an event failed after
   * marking it, so the provider's redelivery is processed instead of dropped as a duplicate.
   */
  forget?(key: string): Awaitable<void>
  /** The latest stored state of a verification, if any. */
  getVerification(provider: string, id: string): Awaitable<Verification | undefined>
  /** Stores the latest state of a verification (the pipeline only ever passes a forward move). */
  setVerification(verification: Verification): Awaitable<void>
}

/** Options for {@link createMemoryWebhookStore}. */
export type MemoryWebhookStoreOptions = {
  /** The most event keys, and separately the most verifications, kept; the least recently used go first. Default 10,000. */
  maxEntries?: number
  /** How long an event key counts as seen. Default 24 hours, longer than providers keep retrying a single delivery. */
  ttlMs?: number
  /** The current time in milliseconds. Default `Date.now`; inject one for deterministic tests. */
  now?: () => number
}

const defaultTtlMs = 24 * 60 * 60 * 1000

/**
 * A bounded in-memory {@link WebhookStore}: least-recently-used eviction plus a time to live on event
 * keys, so a long-running process never grows without limit. Its memory is per process and lost on
 * restart; a verification evicted from it is treated as unknown, so a very late event for it is
 * applied as the first one seen. Use a shared store when that matters.
 *
 * @example
 * ```ts
 * const pipeline = createWebhookPipeline({
 *   adapter,
 *   store: createMemoryWebhookStore({ maxEntries: 50_000, ttlMs: 3 * 24 * 60 * 60 * 1000 }),
 * })
 * ```
 */
export function createMemoryWebhookStore(options: MemoryWebhookStoreOptions = {}): WebhookStore {
  const maxEntries = options.maxEntries ?? 10_000
  const ttlMs = options.ttlMs ?? defaultTtlMs
  const now = options.now ?? Date.now
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('createMemoryWebhookStore: maxEntries must be a positive integer')
  }
  if (!(ttlMs > 0)) throw new RangeError('createMemoryWebhookStore: ttlMs must be positive')

  // Maps iterate in insertion order: re-inserting on use keeps the least recently used first.
  const seen = new Map<string, number>()
  const verifications = new Map<string, Verification>()
  const verificationKey = (provider: string, id: string) => `${provider}\u0000${id}`
  const evictOverflow = (map: Map<string, unknown>) => {
    while (map.size > maxEntries) {
      const oldest = map.keys().next()
      if (oldest.done) break
      map.delete(oldest.value)
    }
  }

  return {
    markSeen(key) {
      const time = now()
      const expiresAt = seen.get(key)
      seen.delete(key)
      if (expiresAt !== undefined && expiresAt > time) {
        // A redelivery counts as use: keep the key, now as the most recently used.
        seen.set(key, expiresAt)
        return false
      }
      seen.set(key, time + ttlMs)
      evictOverflow(seen)
      return true
    },
    forget(key) {
      seen.delete(key)
    },
    getVerification(provider, id) {
      const key = verificationKey(provider, id)
      const verification = verifications.get(key)
      if (verification !== undefined) {
        verifications.delete(key)
        verifications.set(key, verification)
      }
      return verification
    },
    setVerification(verification) {
      const key = verificationKey(verification.provider, verification.id)
      verifications.delete(key)
      verifications.set(key, verification)
      evictOverflow(verifications)
    },
  }
}
