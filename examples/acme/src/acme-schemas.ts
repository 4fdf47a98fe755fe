import { z } from 'zod'

/**
 * Acme's check, as far as the adapter reads it. Lenient on purpose: only the fields we use, open
 * strings for Acme's enums, `.nullish()` wherever Acme may leave a field out tomorrow.
 */
export const AcmeCheckSchema = z.object({
  id: z.string(),
  status: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  hosted_url: z.string().nullish(),
  expires_at: z.string().nullish(),
  redacted_at: z.string().nullish(),
  result: z
    .object({
      decision: z.string(),
      reasons: z.array(z.string()).nullish(),
      reviewed_by: z.string().nullish(),
      decided_at: z.string().nullish(),
    })
    .nullish(),
  checks: z.array(z.object({ name: z.string(), result: z.string(), reason: z.string().nullish() })).nullish(),
  document: z.record(z.string(), z.string().nullish()).nullish(),
})

/** Acme's check, as the adapter reads it. */
export type AcmeCheck = z.infer<typeof AcmeCheckSchema>

/** An Acme webhook event. */
export const AcmeEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  created_at: z.string(),
  data: z.object({ check: AcmeCheckSchema }),
})
