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
