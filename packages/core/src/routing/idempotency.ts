import { cryptoEngine } from '#crypto'
import { KycInvalidRequestError, KycInvalidStateError } from '../errors.js'
import type { VerificationReference } from '../model/verification.js'
import type { JsonValue, KeyValueStore } from '../store/types.js'

/** The key-value namespace a routed call's idempotency record is kept in, keyed by the SHA-256 of the caller's key. */
export const routedIdempotencyNamespace = 'openkyc-routing-idempotency'

/** How long a routed call's result is kept for a retry with the same `idempotencyKey`: 24 hours. */
export const routedIdempotencyLifetimeMs = 24 * 60 * 60 * 1000

/**
 * How long a call in flight holds its key: 15 minutes, far longer than a call with its retries and
 * timeouts takes. A key still held after that belonged to a process that ended mid-call; it is freed.
 */
export const routedIdempotencyPendingMs = 15 * 60 * 1000

/** The longest `idempotencyKey` accepted (Persona's limit). */
const maxKeyLength = 255

/** What the store holds for a key: a call in flight, or the verification the call created. */
type IdempotencyRecord =
  | { state: 'pending'; token: string; subject: string }
  | { state: 'created'; subject: string; provider: string; verificationId: string; reference: JsonValue }

/** A claimed key: the call goes ahead and records its result (or releases the key) under it. */
export type IdempotencyClaim = { key: string; token: string; subject: string }

/** The first call's verification, found under the key: a retry returns it instead of creating another. */
export type IdempotencyReplay = { provider: string; verificationId: string; reference: VerificationReference }

/**
 * Claims a caller's `idempotencyKey` for a routed `createVerification`: stores a pending record
 * (atomically, with `setIfAbsent`) and returns the claim, or returns the first call's verification when
 * the key already produced one. The key is stored as its SHA-256, the subject reference as a hash too.
 * Throws `KycInvalidRequestError` for a malformed key or a key first used for another subject, and
 * `KycInvalidStateError` while another call with the key is in flight.
 */
export async function claimIdempotencyKey(
  keyValue: KeyValueStore,
  idempotencyKey: unknown,
  subjectReference: string,
): Promise<{ claim: IdempotencyClaim } | { replay: IdempotencyReplay }> {
  if (
    typeof idempotencyKey !== 'string' ||
    idempotencyKey.length === 0 ||
    idempotencyKey.length > maxKeyLength
  ) {
    throw new KycInvalidRequestError({
      message: `idempotencyKey: expected a string of 1–${maxKeyLength} characters.`,
    })
  }
  const key = cryptoEngine.sha256Hex(idempotencyKey)
  const subject = cryptoEngine.sha256Hex(`subject\u0000${subjectReference}`)
  const token = crypto.randomUUID()
  const pending: IdempotencyRecord = { state: 'pending', token, subject }
  const stored = readRecord(
    await keyValue.setIfAbsent(routedIdempotencyNamespace, key, pending, {
      ttlMs: routedIdempotencyPendingMs,
    }),
  )
  if (stored?.state === 'pending' && stored.token === token) return { claim: { key, token, subject } }
  if (stored === undefined) {
    throw new KycInvalidStateError({
      message:
        'idempotencyKey: the stored record of this key is unreadable (written by something else); use a fresh key.',
    })
  }
  if (stored.subject !== subject) {
    throw new KycInvalidRequestError({
      message:
        'idempotencyKey: this key was first used for another subjectReference; use a fresh key for every new verification.',
    })
  }
  if (stored.state === 'pending') {
    throw new KycInvalidStateError({
      message: `A routed createVerification with this idempotencyKey is still in flight, or its process ended before the result was recorded; try again later (a key left by an ended process is freed after ${routedIdempotencyPendingMs / 60_000} minutes).`,
    })
  }
  return {
    replay: {
      provider: stored.provider,
      verificationId: stored.verificationId,
      reference: stored.reference as VerificationReference,
    },
  }
}

/** The record that replaces the pending one once a provider created the verification (written with it). */
export function createdIdempotencyRecord(
  claim: IdempotencyClaim,
  verification: { provider: string; id: string; reference: VerificationReference },
): JsonValue {
  const record: IdempotencyRecord = {
    state: 'created',
    subject: claim.subject,
    provider: verification.provider,
    verificationId: verification.id,
    reference: verification.reference as JsonValue,
  }
  return record
}

/** Frees a claimed key after no provider created a verification, so the caller may retry with it. */
export async function releaseIdempotencyKey(keyValue: KeyValueStore, claim: IdempotencyClaim): Promise<void> {
  const stored = readRecord(await keyValue.get(routedIdempotencyNamespace, claim.key))
  if (stored?.state === 'pending' && stored.token === claim.token) {
    await keyValue.delete(routedIdempotencyNamespace, claim.key)
  }
}

function readRecord(value: JsonValue | undefined): IdempotencyRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const record = value as Record<string, JsonValue>
  if (typeof record.subject !== 'string') return undefined
  if (record.state === 'pending' && typeof record.token === 'string') return record as IdempotencyRecord
  if (
    record.state === 'created' &&
    typeof record.provider === 'string' &&
    typeof record.verificationId === 'string' &&
    typeof record.reference === 'object' &&
    record.reference !== null
  ) {
    return record as IdempotencyRecord
  }
  return undefined
}
