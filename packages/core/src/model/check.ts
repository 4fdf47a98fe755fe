import { z } from 'zod'
import { ReasonSchema } from './reason.js'

/** What a check looked at. Open to growth; adapters map vendor check names onto these kinds. */
export const CheckKindSchema = z.enum([
  'document_quality',
  'document_authenticity',
  'data_extraction',
  'data_consistency',
  'face_match',
  'liveness',
  'watchlist',
  'database',
  'age',
  'authentication',
  'other',
])

/** What a check looked at. See {@link CheckKindSchema}. */
export type CheckKind = z.infer<typeof CheckKindSchema>

/** The result of one check. `warning` is neither a pass nor a failure (Jumio's `WARNING`). */
export const CheckOutcomeSchema = z.enum(['passed', 'failed', 'warning', 'not_executed'])

/** The result of one check. See {@link CheckOutcomeSchema}. */
export type CheckOutcome = z.infer<typeof CheckOutcomeSchema>

/**
 * Where a check comes from. `reported`: the vendor reported this check and its outcome. `derived`: the
 * vendor reported one decision and no per-check results, and the adapter derived the check from the
 * decision's reason codes (a `face_mismatch` reason becomes a failed `face_match` check). A derived
 * check says no more than the reasons it came from: never read a passed derived check as evidence
 * that the vendor ran it.
 */
export const CheckSourceSchema = z.enum(['reported', 'derived'])

/** Where a check comes from. See {@link CheckSourceSchema}. */
export type CheckSource = z.infer<typeof CheckSourceSchema>

/** One check the provider ran, normalized, with the vendor's own name and label kept in `raw`. */
export const CheckSchema = z.object({
  kind: CheckKindSchema,
  outcome: CheckOutcomeSchema,
  reasons: z.array(ReasonSchema).default([]),
  /** Reported by the vendor, or derived by the adapter from the decision. Absent reads as `reported`. */
  source: CheckSourceSchema.optional(),
  raw: z.object({ name: z.string(), label: z.string().optional() }).catchall(z.unknown()),
})

/** One check the provider ran. See {@link CheckSchema}. */
export type Check = z.infer<typeof CheckSchema>

/**
 * Where a check comes from, reading an absent `source` as `reported`.
 *
 * @example
 * ```ts
 * const reported = verification.checks.filter((check) => checkSource(check) === 'reported')
 * ```
 */
export function checkSource(check: Pick<Check, 'source'>): CheckSource {
  return check.source ?? 'reported'
}
