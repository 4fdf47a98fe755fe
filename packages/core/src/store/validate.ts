import type { z } from 'zod'
import { KycInvalidRequestError, KycStoreIntegrityError } from '../errors.js'
import type { VerificationUpdate } from '../model/apply-update.js'
import { type Verification, VerificationSchema } from '../model/verification.js'
import type { InboxClaimRequest, JsonValue, KeyValueSetOptions, TransactionClaimRequest } from './types.js'

/** Issue paths joined for a message (`reasons.0.code, provider`); never the offending values. */
export function describeIssuePaths(issues: readonly z.core.$ZodIssue[]): string {
  const paths = [
    ...new Set(issues.map((issue) => (issue.path.length === 0 ? '(root)' : issue.path.join('.')))),
  ]
  return `invalid ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}`
}

/**
 * Updates the webhook pipeline parsed with the model's schema a moment ago and hands to the store's
 * `applyVerification` now: the store's {@link parseVerificationUpdate} takes them as they are instead
 * of parsing the same ten kilobytes again. A mark serves one call and is gone after it, so an object
 * changed later is checked like any other. Internal to core: not exported from the package.
 */
const parsedUpdates = new WeakSet<object>()

/** Marks an update just produced by `KycEventSchema` or `VerificationSchema` for one store call. See {@link parsedUpdates}. */
export function markParsedVerificationUpdate<Update extends VerificationUpdate>(update: Update): Update {
  parsedUpdates.add(update)
  return update
}

/**
 * Validates an update given to `applyVerification`. Throws `KycInvalidRequestError` (paths only) when
 * it is not a `Verification` or an event's verification; stores call it before writing anything.
 * An update the webhook pipeline has just parsed itself is not parsed twice.
 */
export function parseVerificationUpdate(update: unknown): VerificationUpdate {
  if (typeof update === 'object' && update !== null && parsedUpdates.delete(update)) {
    return update as VerificationUpdate
  }
  const parsed = VerificationSchema.safeParse(update)
  if (parsed.success) return parsed.data
  throw new KycInvalidRequestError({
    message: `Invalid verification update: ${describeIssuePaths(parsed.error.issues)}.`,
    issues: parsed.error.issues,
  })
}

/**
 * Reads a stored verification state back. Throws `KycStoreIntegrityError` (naming provider and id,
 * never the content) when the stored value is corrupt or foreign.
 */
export function parseStoredVerification(row: unknown, key: { provider: string; id: string }): Verification {
  const parsed = VerificationSchema.safeParse(row)
  if (parsed.success && parsed.data.provider === key.provider && parsed.data.id === key.id) return parsed.data
  throw new KycStoreIntegrityError({
    provider: key.provider,
    message: `The stored state of verification ${key.id} is not a valid Verification (${parsed.success ? 'it belongs to another verification' : describeIssuePaths(parsed.error.issues)}); it is corrupt or was written by something else: restore it, or delete it and let the reconciler re-read it from the provider.`,
  })
}

const maxNameLength = 200

function invalidClaim(problems: string[]): KycInvalidRequestError {
  return new KycInvalidRequestError({
    message: `Invalid inbox claim: invalid ${problems.join(', ')} (ids are 1 to ${maxNameLength} characters, leaseMs a positive integer).`,
    issues: problems.map((path) => ({ path: [path], message: 'invalid' })),
  })
}

/** Validates a claim request. Throws `KycInvalidRequestError` for an empty or overlong id, or a bad `leaseMs`. */
export function parseClaimRequest(request: unknown): InboxClaimRequest {
  const candidate = request as Partial<InboxClaimRequest> | null | undefined
  const problems: string[] = []
  if (!isName(candidate?.provider)) problems.push('provider')
  if (!isName(candidate?.eventId)) problems.push('eventId')
  if (!(Number.isInteger(candidate?.leaseMs) && (candidate?.leaseMs ?? 0) > 0)) problems.push('leaseMs')
  if (problems.length > 0) throw invalidClaim(problems)
  return candidate as InboxClaimRequest
}

/**
 * Validates a `claimEvent` request. Throws `KycInvalidRequestError` for an empty or overlong id, or a
 * `verification` that is not a key of two such ids.
 */
export function parseTransactionClaimRequest(request: unknown): TransactionClaimRequest {
  const candidate = request as Partial<TransactionClaimRequest> | null | undefined
  const problems: string[] = []
  if (!isName(candidate?.provider)) problems.push('provider')
  if (!isName(candidate?.eventId)) problems.push('eventId')
  const verification = candidate?.verification
  if (verification !== undefined && !(isName(verification?.provider) && isName(verification?.id))) {
    problems.push('verification')
  }
  if (problems.length > 0) throw invalidClaim(problems)
  return candidate as TransactionClaimRequest
}

/** The largest JSON value, in UTF-16 code units of its serialization, a {@link KeyValueStore} accepts. */
export const maxKeyValueBytes = 64 * 1024

/**
 * Validates a key-value write and returns the value's JSON text. Throws `KycInvalidRequestError` for
 * an empty or overlong namespace or key, a value that is not JSON or is too large, or a bad `ttlMs`.
 */
export function parseKeyValueWrite(
  namespace: unknown,
  key: unknown,
  value: unknown,
  options: KeyValueSetOptions | undefined,
): string {
  parseKeyValueName(namespace, key)
  const ttlMs = options?.ttlMs
  if (ttlMs !== undefined && !(Number.isInteger(ttlMs) && ttlMs > 0)) {
    throw invalidKeyValue('ttlMs must be a positive integer')
  }
  if (!isJsonValue(value, 0)) throw invalidKeyValue('the value is not JSON (or nests deeper than 64 levels)')
  const text = JSON.stringify(value)
  if (text.length > maxKeyValueBytes)
    throw invalidKeyValue(`the value is larger than ${maxKeyValueBytes} characters of JSON`)
  return text
}

/** Validates a namespace and key. Throws `KycInvalidRequestError` when either is empty or longer than 200 characters. */
export function parseKeyValueName(namespace: unknown, key: unknown): void {
  if (!isName(namespace)) throw invalidKeyValue(`namespace must be 1 to ${maxNameLength} characters`)
  if (!isName(key)) throw invalidKeyValue(`key must be 1 to ${maxNameLength} characters`)
}

function invalidKeyValue(problem: string): KycInvalidRequestError {
  return new KycInvalidRequestError({ message: `Invalid key-value write: ${problem}.` })
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxNameLength
}

function isJsonValue(value: unknown, depth: number): value is JsonValue {
  if (depth > 64) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1))
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false
  return Object.values(value).every((item) => isJsonValue(item, depth + 1))
}
