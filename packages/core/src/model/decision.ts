import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import { ReasonSchema } from './reason.js'

/**
 * The outcome of a decision. A decline is data, not an exception.
 *
 * `resubmission_requested`: the vendor asks the applicant to try again (a blurry photo, a missing
 * side; Veriff `resubmission_requested`, an Onfido report asking for a new capture). It is not final
 * and not a decline: ask the applicant to retry through the same session. The verification is then
 * `in_progress` on its next attempt (`Verification.attempt` = `decision.attempt + 1`), and that
 * attempt's own decision replaces the request (see {@link applyVerificationUpdate}).
 */
export const DecisionOutcomeSchema = lazySchema(() =>
  z.enum(['approved', 'declined', 'review', 'resubmission_requested']),
)

/** The outcome of a decision. See {@link DecisionOutcomeSchema}. */
export type DecisionOutcome = z.infer<typeof DecisionOutcomeSchema>

/** The decision on a completed verification, with the vendor's own words in `raw`. */
export const DecisionSchema = lazySchema(() =>
  z.object({
    outcome: resolveSchema(DecisionOutcomeSchema),
    reasons: z.array(resolveSchema(ReasonSchema)).default([]),
    /** 0 (no risk) to 100, when the provider scores risk. */
    riskScore: z.number().min(0).max(100).optional(),
    /** `manual` when a person decided through a review API or dashboard. */
    decidedBy: z.enum(['provider', 'manual']),
    decidedAt: z.iso.datetime({ offset: true }).optional(),
    /**
     * Which attempt this decision belongs to (1 for the first). Absent when the vendor does not number
     * attempts, which reads as 1.
     */
    attempt: z.number().int().min(1).optional(),
    raw: z.object({ status: z.string() }).catchall(z.unknown()),
  }),
)

/** The decision on a completed verification. See {@link DecisionSchema}. */
export type Decision = z.infer<typeof DecisionSchema>
