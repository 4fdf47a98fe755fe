import { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from '../store/memory-store.js'
import type { KycStore } from '../store/types.js'

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/**
 * @deprecated The webhook pipeline now keeps its state in a {@link KycStore} (inbox with claims,
 * forward-only verification state, audit log, transactions). A custom store implements `KycStore` and
 * runs `describeStoreConformance` from `@openkyc/testkit/store-conformance`.
 */
export type WebhookStore<Handle = unknown> = KycStore<Handle>

/** @deprecated Use {@link MemoryStoreOptions}. */
export type MemoryWebhookStoreOptions = MemoryStoreOptions

/**
 * @deprecated Renamed {@link createMemoryStore}, which it calls: the memory store now implements the
 * whole `KycStore` contract.
 *
 * @example
 * ```ts
 * const store = createMemoryStore() // instead of createMemoryWebhookStore()
 * ```
 */
export function createMemoryWebhookStore(options: MemoryStoreOptions = {}): MemoryStore {
  return createMemoryStore(options)
}
