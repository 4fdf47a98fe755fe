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

/** One check the provider ran, normalized, with the vendor's own name and label kept in `raw`. */
export const CheckSchema = z.object({
  kind: CheckKindSchema,
  outcome: CheckOutcomeSchema,
  reasons: z.array(ReasonSchema).default([]),
  raw: z.object({ name: z.string(), label: z.string().optional() }).catchall(z.unknown()),
})

/** One check the provider ran. See {@link CheckSchema}. */
export type Check = z.infer<typeof CheckSchema>
