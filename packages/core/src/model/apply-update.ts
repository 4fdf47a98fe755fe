import type { Decision } from './decision.js'
import type { EventVerification } from './event.js'
import { verificationStatusRank } from './status.js'
import type { Verification } from './verification.js'

/** A verification, or the personal-data-free view of one carried by an event. */
export type VerificationUpdate = Verification | EventVerification

/** No decision 0; a pending one (`review`, `resubmission_requested`) 1; a final one 2. */
function decisionRank(decision: Decision | undefined): number {
  if (decision === undefined) return 0
  return decision.outcome === 'review' || decision.outcome === 'resubmission_requested' ? 1 : 2
}

/** The attempt a state describes; absent reads as the first. */
function attemptOf(verification: VerificationUpdate): number {
  return verification.attempt ?? 1
}

/**
 * Orders two states of one verification: negative when `a` is behind `b`, positive when ahead,
 * zero when neither is (same attempt, status, decision rank and `updatedAt`).
 *
 * The order is lexicographic over (attempt, status rank, decision rank, redaction, `updatedAt`): a
 * later attempt always wins (so the next attempt replaces a `resubmission_requested` decision, and a
 * late state of an earlier attempt never overwrites it), then a later lifecycle stage, then a final
 * decision over a pending one (`review`, `resubmission_requested`), and among equals the newer wins.
 */
export function compareVerificationProgress(a: VerificationUpdate, b: VerificationUpdate): number {
  return (
    attemptOf(a) - attemptOf(b) ||
    verificationStatusRank[a.status] - verificationStatusRank[b.status] ||
    decisionRank(a.decision) - decisionRank(b.decision) ||
    Number(a.redactedAt !== undefined) - Number(b.redactedAt !== undefined) ||
    Date.parse(a.updatedAt) - Date.parse(b.updatedAt)
  )
}

/**
 * Applies an update (a fresh read or an event's verification) to the state you hold, moving it
 * forward only. Pure: returns `current` itself when the update is older, a duplicate or lower-ranked,
 * so `result === current` tells you nothing changed.
 *
 * When the update wins it replaces the state, except that fields an event never carries (`identity`,
 * `session`, `subjectReference`) are kept from `current`, and redaction is sticky: once `redactedAt`
 * is set, identity and credentials stay gone.
 *
 * @example
 * ```ts
 * const next = applyVerificationUpdate(stored, event.verification)
 * if (next !== stored) await save(next)
 * ```
 */
export function applyVerificationUpdate(
  current: Verification | undefined,
  update: VerificationUpdate,
): Verification {
  if (current === undefined) return { ...update }
  if (current.id !== update.id || current.provider !== update.provider) {
    throw new TypeError('applyVerificationUpdate: the update belongs to another verification')
  }
  if (compareVerificationProgress(update, current) <= 0) return current
  const redactedAt = update.redactedAt ?? current.redactedAt
  const next: Verification = {
    ...update,
    subjectReference: update.subjectReference ?? current.subjectReference,
    createdAt: current.createdAt,
  }
  if (redactedAt !== undefined) {
    next.redactedAt = redactedAt
    next.credentials = []
    delete next.identity
    delete next.session
    return next
  }
  const identity = 'identity' in update ? update.identity : undefined
  const session = 'session' in update ? update.session : undefined
  if ((identity ?? current.identity) !== undefined) next.identity = identity ?? current.identity
  if ((session ?? current.session) !== undefined) next.session = session ?? current.session
  return next
}

const progressTimeOffset = 8.64e15

/** The largest attempt {@link verificationProgressKey} tells apart (its attempt field is four digits). */
const maxKeyedAttempt = 9999

/**
 * A fixed-width string whose lexicographic (byte) order is the order of
 * {@link compareVerificationProgress}: attempt (four digits; attempts past 9999 rank as 9999), status
 * rank, decision rank, redaction, then `updatedAt` in milliseconds. Stores that apply the forward-only
 * rule in SQL compare it (`WHERE excluded.progress > stored.progress`) and then store what
 * {@link applyVerificationUpdate} returns.
 *
 * @example
 * ```ts
 * verificationProgressKey(verification) // '00014210001749038400000': first attempt, completed, approved, not redacted
 * ```
 */
export function verificationProgressKey(verification: VerificationUpdate): string {
  const updatedAt = Date.parse(verification.updatedAt) + progressTimeOffset
  const attempt = String(Math.min(attemptOf(verification), maxKeyedAttempt)).padStart(4, '0')
  return `${attempt}${verificationStatusRank[verification.status]}${decisionRank(verification.decision)}${
    verification.redactedAt === undefined ? 0 : 1
  }${String(updatedAt).padStart(17, '0')}`
}

/** One kind of change an application acts on. See {@link describeVerificationChanges}. */
export type VerificationChange = 'status' | 'outcome' | 'reasons' | 'redaction'

function reasonSet(decision: Decision | undefined): string {
  return (decision?.reasons ?? [])
    .map((reason) => `${reason.code}\u0000${reason.raw ?? ''}`)
    .sort()
    .join('\u0001')
}

/**
 * What changed between two states of one verification that an application acts on: its status, its
 * decision outcome, its decision reasons (compared as a set) or its redaction. A first state
 * (`previous` undefined) is a `status` change. A later timestamp, new checks or raw vendor words alone
 * are not: a Persona `inquiry.failed` followed by `inquiry.declined` (both declined, same reasons) is
 * one change, not two.
 *
 * @example
 * ```ts
 * describeVerificationChanges(submitted, approved) // ['status', 'outcome']
 * ```
 */
export function describeVerificationChanges(
  previous: VerificationUpdate | undefined,
  next: VerificationUpdate,
): VerificationChange[] {
  if (previous === undefined) return ['status']
  const changes: VerificationChange[] = []
  if (previous.status !== next.status) changes.push('status')
  if (previous.decision?.outcome !== next.decision?.outcome) changes.push('outcome')
  if (reasonSet(previous.decision) !== reasonSet(next.decision)) changes.push('reasons')
  if ((previous.redactedAt === undefined) !== (next.redactedAt === undefined)) changes.push('redaction')
  return changes
}
