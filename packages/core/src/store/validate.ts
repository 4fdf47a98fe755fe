import type { z } from 'zod'
import { KycInvalidRequestError, KycStoreIntegrityError } from '../errors.js'
import { lazy } from '../lazy.js'
import type { VerificationUpdate } from '../model/apply-update.js'
import { VerificationStatusSchema } from '../model/status.js'
import { type Verification, VerificationSchema, VerificationTimeFieldSchema } from '../model/verification.js'
import type { InboxClaimRequest, JsonValue, KeyValueSetOptions, TransactionClaimRequest } from './types.js'

/** Issue paths joined for a message (`reasons.0.code, provider`); never the offending values. */
export function describeIssuePaths(issues: readonly z.core.$ZodIssue[]): string {
  const paths = [
    ...new Set(issues.map((issue) => (issue.path.length === 0 ? '(root)' : issue.path.join('.')))),
  ]
  return `invalid ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}`
}

/**
 * Values core has just validated, or built itself from validated values, and hands to a store call
 * now: an update the webhook pipeline parsed with the model's schema a moment ago, an audit entry the
 * router assembled. The store's {@link parseVerificationUpdate} and `parseAuditEntryInput` take a
 * marked value as it is instead of parsing the same object again. A mark serves one call and is gone
 * after it, so an object changed later is checked like any other. Internal to core: not exported
 * from the package.
 *
 * A short list rather than a `WeakSet`: a mark lives from a store call's preparation to the call, so
 * only a few are ever outstanding, and a list of a few is cheaper to add to and take from than a weak
 * table (whose adds and removals showed up on every routed create). Past {@link maxParsedMarks}
 * outstanding marks the oldest gives way: that value is then parsed again, which is always correct.
 */
const parsedValues: object[] = []
const maxParsedMarks = 256
/** Where the next mark goes once the list is full (the oldest of the marks written since). */
let nextReplaced = 0

/** Marks a value core has just validated (or built from validated values) for one store call. See {@link parsedValues}. */
export function markParsed<Value extends object>(value: Value): Value {
  // Marked once, as in a set: one take removes the mark.
  if (parsedValues.includes(value)) return value
  if (parsedValues.length < maxParsedMarks) parsedValues.push(value)
  else {
    parsedValues[nextReplaced] = value
    nextReplaced = (nextReplaced + 1) % maxParsedMarks
  }
  return value
}

/** Whether `value` carries a {@link markParsed} mark; the mark is removed (it serves one call). */
export function takeParsedMark(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const index = parsedValues.lastIndexOf(value)
  if (index === -1) return false
  // Order does not matter: the last mark takes the freed place.
  const last = parsedValues.pop() as object
  if (index < parsedValues.length) parsedValues[index] = last
  return true
}

/** Marks an update just produced by `KycEventSchema` or `VerificationSchema` for one store call. See {@link parsedValues}. */
export function markParsedVerificationUpdate<Update extends VerificationUpdate>(update: Update): Update {
  return markParsed(update)
}

/**
 * Validates an update given to `applyVerification`. Throws `KycInvalidRequestError` (paths only) when
 * it is not a `Verification` or an event's verification; stores call it before writing anything.
 * An update the webhook pipeline has just parsed itself is not parsed twice.
 */
export function parseVerificationUpdate(update: unknown): VerificationUpdate {
  if (takeParsedMark(update)) return update as VerificationUpdate
  const plain = plainVerification(update)
  if (plain !== undefined) return plain
  const parsed = VerificationSchema.safeParse(update)
  if (parsed.success) return parsed.data
  throw new KycInvalidRequestError({
    message: `Invalid verification update: ${describeIssuePaths(parsed.error.issues)}.`,
    issues: parsed.error.issues,
  })
}

/** The keys `VerificationSchema` knows, in its order (and as a set); the status and time-field values it accepts. */
const verificationShape = lazy(() => ({
  keys: Object.keys(VerificationSchema.shape),
  knownKeys: new Set(Object.keys(VerificationSchema.shape)),
  statuses: new Set<string>(VerificationStatusSchema.options),
  timeFields: new Set<string>(VerificationTimeFieldSchema.options),
}))

/** An object literal, a `JSON.parse` result or an `Object.create(null)` object: nothing else is taken by hand. */
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** The decimal number written by the `length` characters at `start` of `text`; -1 when one is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0
  for (let index = start; index < start + length; index += 1) {
    const digit = text.charCodeAt(index) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** Whether `toISOString`'s separators (`-`, `-`, `T`, `:`, `:`, `.`, `Z`) are where it puts them. */
function hasTimestampSeparators(value: string): boolean {
  return (
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 84 &&
    value.charCodeAt(13) === 58 &&
    value.charCodeAt(16) === 58 &&
    value.charCodeAt(19) === 46 &&
    value.charCodeAt(23) === 90
  )
}
const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * A timestamp in the one form `toISOString` writes for the years 0000–9999
 * (`2030-01-01T00:00:00.000Z`), of a real date: checked character by character, with no `Date` built.
 */
function isCanonicalTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 24) return false
  if (!hasTimestampSeparators(value)) return false
  const year = digitsAt(value, 0, 4)
  const month = digitsAt(value, 5, 2)
  const day = digitsAt(value, 8, 2)
  const hour = digitsAt(value, 11, 2)
  const minute = digitsAt(value, 14, 2)
  const second = digitsAt(value, 17, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || digitsAt(value, 20, 3) < 0) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const lastDay = month === 2 && leap ? 29 : (daysInMonth[month - 1] ?? 0)
  return (
    day <= lastDay && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
  )
}

/**
 * The common, simple verification (what a create or a status read returns: no decision, identity,
 * session, checks or credentials yet, canonical UTC timestamps) checked by hand, as a copy shaped as
 * `VerificationSchema`'s output; `undefined` for anything else, which the schema then parses. Only
 * what certainly passes the schema is taken here, so the result is the schema's (a property test
 * holds the two together); it spares the full parse, which on a routed create cost more than the rest
 * of routing. Every value is read once, into the copy. Internal to core (tests hold it to the schema).
 *
 * `asStored` gives the copy a store keeps of a verification a provider has just created (the router's
 * record): without its `session` (a hand-off secret), and with `subjectReference` when the
 * verification has none; the result is then what this function gives for such a copy of the input.
 */
export function plainVerification(
  update: unknown,
  asStored?: { subjectReference: string | undefined },
): Verification | undefined {
  if (!isPlainObject(update)) return undefined
  const shape = verificationShape()
  const copy: Record<string, unknown> = {}
  // Walked without listing them first (for…in allocates no array); an inherited enumerable key the
  // schema does not know sends the input to the schema too.
  for (const key in update) if (!shape.knownKeys.has(key)) return undefined
  // As the schema does: a key present with `undefined` stays present, an absent one stays absent.
  for (const key of shape.keys) {
    if (asStored !== undefined && key === 'session') continue
    if (Object.hasOwn(update, key)) copy[key] = update[key]
    if (key === 'subjectReference' && copy.subjectReference === undefined && asStored !== undefined) {
      if (asStored.subjectReference !== undefined) copy.subjectReference = asStored.subjectReference
    }
  }
  const { id, provider, reference, subjectReference, status, attempt, checks, credentials, raw } = copy
  if (typeof id !== 'string' || id.length === 0 || typeof provider !== 'string' || provider.length === 0) {
    return undefined
  }
  if (subjectReference !== undefined && typeof subjectReference !== 'string') return undefined
  if (typeof status !== 'string' || !shape.statuses.has(status)) return undefined
  if (attempt !== undefined && !(Number.isSafeInteger(attempt) && (attempt as number) >= 1)) return undefined
  // Anything richer goes to the schema.
  if (copy.decision !== undefined || copy.identity !== undefined || copy.session !== undefined)
    return undefined
  if (!Array.isArray(checks) || checks.length > 0 || !Array.isArray(credentials) || credentials.length > 0) {
    return undefined
  }
  if (!isCanonicalTimestamp(copy.createdAt) || !isCanonicalTimestamp(copy.updatedAt)) return undefined
  if (copy.completedAt !== undefined && !isCanonicalTimestamp(copy.completedAt)) return undefined
  if (copy.redactedAt !== undefined && !isCanonicalTimestamp(copy.redactedAt)) return undefined
  const { observedTimes } = copy
  if (
    observedTimes !== undefined &&
    !(
      Array.isArray(observedTimes) &&
      observedTimes.every((field) => typeof field === 'string' && shape.timeFields.has(field))
    )
  ) {
    return undefined
  }
  if (!isPlainObject(reference) || !isPlainObject(raw) || typeof raw.status !== 'string') return undefined
  const referenceCopy: Record<string, string> = {}
  for (const key in reference) {
    const value = reference[key]
    if (!Object.hasOwn(reference, key) || typeof value !== 'string' || key === '__proto__') return undefined
    referenceCopy[key] = value
  }
  copy.reference = referenceCopy
  copy.checks = []
  copy.credentials = []
  if (observedTimes !== undefined) copy.observedTimes = [...(observedTimes as string[])]
  copy.raw = { ...raw }
  return copy as Verification
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
 * Validates a `claimEvent` request. Throws `KycInvalidRequestError` for an empty or overlong id, a
 * `verification` that is not a key of two such ids, or an `update` that is not a valid update of that
 * verification (see {@link parseVerificationUpdate}; an update core marked as parsed is taken as it
 * is). The answer carries the update as parsed; the request's own `update` object stays what the
 * store compares a later `applyVerification` with.
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
  if (candidate?.update === undefined) return candidate as TransactionClaimRequest
  const update = parseVerificationUpdate(candidate.update)
  if (
    verification === undefined ||
    update.provider !== verification.provider ||
    update.id !== verification.id
  ) {
    throw invalidClaim(['update'])
  }
  return update === candidate.update
    ? (candidate as TransactionClaimRequest)
    : ({ ...candidate, update } as TransactionClaimRequest)
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
