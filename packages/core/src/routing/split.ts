import type { KeyValueStore } from '../store/types.js'
import type { RoutingSplit } from './routing-config.js'

/** The key-value namespace sticky split assignments are kept in, keyed by subject reference. */
export const splitAssignmentNamespace = 'openkyc-routing-split'

/** The number of buckets a subject reference is hashed into: percentages have two decimals of precision. */
export const splitBuckets = 10_000

const defaultSeed = 'openkyc-split'
const textEncoder = new TextEncoder()

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7f) return false
  return true
}

const fnvOffset = 0x811c9dc5
const fnvPrime = 0x01000193

/** FNV-1a over `text`'s code units (its bytes, when it is ASCII), continuing from `hash`. */
function fnvAscii(hash: number, text: string): number {
  let next = hash
  for (let index = 0; index < text.length; index += 1)
    next = Math.imul(next ^ text.charCodeAt(index), fnvPrime)
  return next
}

/**
 * The bucket (0–9,999) of a subject reference: a 32-bit FNV-1a hash of `seed` and the reference
 * (UTF-8), finished with MurmurHash3's avalanche step so nearby references spread evenly. Pure and
 * synchronous: the same reference lands in the same bucket in every process and runtime.
 *
 * @example
 * ```ts
 * splitBucket('user_123') === splitBucket('user_123') // true, always
 * ```
 */
export function splitBucket(subjectReference: string, seed: string = defaultSeed): number {
  let hash: number
  if (isAscii(seed) && isAscii(subjectReference)) {
    // ASCII (the usual seed and user id) is its own UTF-8: the code units of the seed, a NUL and the
    // reference are hashed where they are, without joining them into a new string or encoding it.
    hash = fnvAscii(Math.imul(fnvAscii(fnvOffset, seed), fnvPrime), subjectReference)
  } else {
    hash = fnvOffset
    for (const byte of textEncoder.encode(`${seed}\u0000${subjectReference}`)) {
      hash = Math.imul(hash ^ byte, fnvPrime)
    }
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return (hash >>> 0) % splitBuckets
}

/**
 * The provider a bucket falls to: providers take consecutive bucket ranges in the order of `weights`,
 * each as wide as its percentage. A provider with 0 % gets no new subjects.
 */
export function providerForBucket(weights: Readonly<Record<string, number>>, bucket: number): string {
  let upper = 0
  let last: string | undefined
  // Walked by key (the order of `Object.entries`), without a [provider, weight] pair per provider per call.
  for (const provider in weights) {
    if (!Object.hasOwn(weights, provider)) continue
    const weight = weights[provider] as number
    if (weight <= 0) continue
    upper += (weight / 100) * splitBuckets
    last = provider
    if (bucket < upper) return provider
  }
  // Rounding can leave the last bucket uncovered; it belongs to the last provider with a share.
  if (last === undefined) throw new RangeError('providerForBucket: no provider has a percentage above 0')
  return last
}

/**
 * A sticky split decision: the provider, and the assignment to store for it (`undefined` when the
 * subject's stored assignment stands). See {@link planSplit} and {@link storeSplitAssignment}.
 */
export type SplitPlan = {
  provider: string
  /** `absent`: store the assignment unless one appeared meanwhile; `replace`: the stored one names a provider no longer installed. */
  write: 'absent' | 'replace' | undefined
}

/**
 * The sticky split, read side: a subject's stored assignment when there is one for an installed
 * provider; otherwise the provider its bucket falls to under the current weights, with the write
 * that records it. Reads only, so the router can store the assignment in the same transaction as the
 * verification and its audit entry ({@link storeSplitAssignment}).
 *
 * @example
 * ```ts
 * const plan = await planSplit(store.keyValue, { weights: { jumio: 70, onfido: 30 } }, 'user_123', ['jumio', 'onfido'])
 * await store.transaction((transaction) => storeSplitAssignment(transaction.keyValue, 'user_123', plan))
 * ```
 */
export async function planSplit(
  keyValue: KeyValueStore,
  split: RoutingSplit,
  subjectReference: string,
  installed: readonly string[],
): Promise<SplitPlan> {
  const stored = await keyValue.get(splitAssignmentNamespace, subjectReference)
  return splitPlanFor(stored, split, subjectReference, installed)
}

/**
 * {@link planSplit} once the subject's stored assignment (`stored`, as `keyValue.get` returned it) has
 * been read: the router reads it itself, so no async function stands between it and the store.
 * Internal to core.
 */
export function splitPlanFor(
  stored: unknown,
  split: RoutingSplit,
  subjectReference: string,
  installed: readonly string[],
): SplitPlan {
  const kept = storedProvider(stored)
  if (kept !== undefined && installed.includes(kept)) return { provider: kept, write: undefined }
  return {
    provider: providerForBucket(split.weights, splitBucket(subjectReference, split.seed)),
    write: stored === undefined ? 'absent' : 'replace',
  }
}

/**
 * The sticky split, write side: stores `plan`'s assignment (nothing when it has no write). `absent`
 * keeps an assignment another call stored meanwhile: both computed the same bucket, so they agree
 * unless the weights changed in between, and then the first one stored stands for later calls.
 */
export async function storeSplitAssignment(
  keyValue: KeyValueStore,
  subjectReference: string,
  plan: SplitPlan,
): Promise<void> {
  await splitAssignmentWrite(keyValue, subjectReference, plan)
}

/**
 * {@link storeSplitAssignment}'s write as the store's own promise, or `undefined` when there is none:
 * the router awaits it in its record's transaction without an async function of its own around it.
 * Internal to core.
 */
export function splitAssignmentWrite(
  keyValue: KeyValueStore,
  subjectReference: string,
  plan: SplitPlan,
): Promise<unknown> | undefined {
  if (plan.write === undefined) return undefined
  const value = { provider: plan.provider }
  return plan.write === 'absent'
    ? keyValue.setIfAbsent(splitAssignmentNamespace, subjectReference, value)
    : keyValue.set(splitAssignmentNamespace, subjectReference, value)
}

/**
 * The sticky split in one step ({@link planSplit}, then {@link storeSplitAssignment} outside any
 * transaction): a subject's stored assignment when there is one for an installed provider;
 * otherwise the provider its bucket falls to under the current weights, stored. A returning subject
 * therefore goes back to the same provider across restarts and after the weights change; only new
 * subjects follow new weights. A subject whose stored provider is no longer installed is assigned
 * afresh. (The router stores the assignment in its record's transaction instead.)
 *
 * @example
 * ```ts
 * const provider = await assignSplit(store.keyValue, { weights: { jumio: 70, onfido: 30 } }, 'user_123', ['jumio', 'onfido'])
 * ```
 */
export async function assignSplit(
  keyValue: KeyValueStore,
  split: RoutingSplit,
  subjectReference: string,
  installed: readonly string[],
): Promise<string> {
  const plan = await planSplit(keyValue, split, subjectReference, installed)
  if (plan.write !== 'absent') {
    await storeSplitAssignment(keyValue, subjectReference, plan)
    return plan.provider
  }
  // Two concurrent first calls agree on the one stored first.
  const kept = storedProvider(
    await keyValue.setIfAbsent(splitAssignmentNamespace, subjectReference, { provider: plan.provider }),
  )
  return kept !== undefined && installed.includes(kept) ? kept : plan.provider
}

function storedProvider(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const provider = (value as Record<string, unknown>).provider
  return typeof provider === 'string' ? provider : undefined
}
