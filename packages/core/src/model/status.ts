import { z } from '#zod'
import { lazySchema } from '../lazy.js'

/**
 * Where a verification is in its life.
 *
 * `created` (nothing submitted) → `in_progress` (the applicant started) → `submitted` (evidence in,
 * awaiting a decision) → `completed` (a decision exists). `expired` and `cancelled` end it early.
 * Transitions only move forward; see {@link applyVerificationUpdate}.
 */
export const VerificationStatusSchema = lazySchema(() =>
  z.enum(['created', 'in_progress', 'submitted', 'completed', 'expired', 'cancelled']),
)

/** Where a verification is in its life. See {@link VerificationStatusSchema}. */
export type VerificationStatus = z.infer<typeof VerificationStatusSchema>

/**
 * Rank of each status in the forward-only lifecycle. A status with a higher rank is further along.
 * `completed` outranks `expired` and `cancelled`: once a decision exists, a late expiry never hides it.
 */
export const verificationStatusRank: Readonly<Record<VerificationStatus, number>> = {
  created: 0,
  in_progress: 1,
  submitted: 2,
  expired: 3,
  cancelled: 3,
  completed: 4,
}

/** Statuses after which the applicant can no longer change anything. */
export function isTerminalStatus(status: VerificationStatus): boolean {
  return status === 'completed' || status === 'expired' || status === 'cancelled'
}
