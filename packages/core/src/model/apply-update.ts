import type { Decision } from './decision.js'
import type { EventVerification } from './event.js'
import { verificationStatusRank } from './status.js'
import type { Verification } from './verification.js'

/** A verification, or the personal-data-free view of one carried by an event. */
export type VerificationUpdate = Verification | EventVerification

function decisionRank(decision: Decision | undefined): number {
  if (decision === undefined) return 0
  return decision.outcome === 'review' ? 1 : 2
}

/**
 * Orders two states of one verification: negative when `a` is behind `b`, positive when ahead,
 * zero when neither is (same status, decision rank and `updatedAt`).
 *
 * The order is lexicographic over (status rank, decision rank, redaction, `updatedAt`): a later
 * lifecycle stage always wins, a final decision wins over `review`, and among equals the newer wins.
 */
export function compareVerificationProgress(a: VerificationUpdate, b: VerificationUpdate): number {
  return (
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
