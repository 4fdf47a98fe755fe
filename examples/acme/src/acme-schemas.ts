import { z } from 'zod'

/**
 * Acme's check, as far as the adapter reads it. Lenient on purpose: only the fields we use, open
 * strings for Acme's enums, `.nullish()` wherever Acme may leave a field out tomorrow.
 */
const AcmeResultSchema = z.object({
  decision: z.string(),
  reasons: z.array(z.string()).nullish(),
  reviewed_by: z.string().nullish(),
  decided_at: z.string().nullish(),
})

export const AcmeCheckSchema = z.object({
  id: z.string(),
  status: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  hosted_url: z.string().nullish(),
  expires_at: z.string().nullish(),
  redacted_at: z.string().nullish(),
  result: AcmeResultSchema.nullish(),
  checks: z.array(z.object({ name: z.string(), result: z.string(), reason: z.string().nullish() })).nullish(),
  document: z.record(z.string(), z.string().nullish()).nullish(),
})

/** Acme's check, as the adapter reads it. */
export type AcmeCheck = z.infer<typeof AcmeCheckSchema>

/** The `lite` plan's decision endpoint (`GET /v1/checks/:id/decision`). */
export const AcmeDecisionSchema = z.object({ result: AcmeResultSchema.nullish() })

/** An Acme webhook event. */
export const AcmeEventSchema = z.object({
  /** Absent on the `lite` plan. */
  id: z.string().nullish(),
  type: z.string(),
  created_at: z.string(),
  data: z.object({ check: AcmeCheckSchema }),
})
