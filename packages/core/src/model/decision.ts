import { z } from 'zod'
import { ReasonSchema } from './reason.js'

/** The outcome of a decision. A decline is data, not an exception. */
export const DecisionOutcomeSchema = z.enum(['approved', 'declined', 'review'])

/** The outcome of a decision. See {@link DecisionOutcomeSchema}. */
export type DecisionOutcome = z.infer<typeof DecisionOutcomeSchema>

/** The decision on a completed verification, with the vendor's own words in `raw`. */
export const DecisionSchema = z.object({
  outcome: DecisionOutcomeSchema,
  reasons: z.array(ReasonSchema).default([]),
  /** 0 (no risk) to 100, when the provider scores risk. */
  riskScore: z.number().min(0).max(100).optional(),
  /** `manual` when a person decided through a review API or dashboard. */
  decidedBy: z.enum(['provider', 'manual']),
  decidedAt: z.iso.datetime({ offset: true }).optional(),
  raw: z.object({ status: z.string() }).catchall(z.unknown()),
})

/** The decision on a completed verification. See {@link DecisionSchema}. */
export type Decision = z.infer<typeof DecisionSchema>
