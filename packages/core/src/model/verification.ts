import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import { CheckSchema } from './check.js'
import { CredentialSchema } from './credential.js'
import { DecisionSchema } from './decision.js'
import { IdentityDataSchema } from './identity.js'
import { VerificationStatusSchema } from './status.js'

/** An ISO 8601 timestamp with an offset, as every timestamp of the model. */
const timestamp = () => z.iso.datetime({ offset: true })

/**
 * The opaque, JSON-serializable handle an adapter needs to find a verification again
 * (Jumio: `{ accountId, workflowExecutionId }`, Persona: `{ inquiryId }`). Store it as it is.
 */
export const VerificationReferenceSchema = lazySchema(() => z.record(z.string(), z.string()))

/** The opaque handle an adapter needs to find a verification again. See {@link VerificationReferenceSchema}. */
export type VerificationReference = z.infer<typeof VerificationReferenceSchema>

/** How the applicant continues: a hosted page, a mobile SDK token, or both. Holds secrets; never logged. */
export const VerificationSessionSchema = lazySchema(() =>
  z.object({
    url: z.url().optional(),
    sdkToken: z.string().optional(),
    expiresAt: timestamp().optional(),
  }),
)

/** How the applicant continues. See {@link VerificationSessionSchema}. */
export type VerificationSession = z.infer<typeof VerificationSessionSchema>

/** A timestamp field of a verification. See {@link VerificationSchema} `observedTimes`. */
export const VerificationTimeFieldSchema = lazySchema(() => z.enum(['createdAt', 'updatedAt', 'completedAt']))

/** A timestamp field of a verification. See {@link VerificationTimeFieldSchema}. */
export type VerificationTimeField = z.infer<typeof VerificationTimeFieldSchema>

/**
 * The normalized verification: one applicant's verification at one provider, over one or more attempts.
 *
 * Timestamps come from the vendor. When the vendor gives none (no creation time on a session, no
 * modification time on a status read), the adapter uses the time it observed the fact (the time of
 * the call, or of the webhook's receipt, on the injected clock) and lists the field in
 * `observedTimes`, so an application never mistakes the adapter's clock for the vendor's.
 */
export const VerificationSchema = lazySchema(() => {
  const at = timestamp()
  return z.object({
    /** The provider's primary id for this verification (Persona inquiry id, Jumio workflow execution id). */
    id: z.string().min(1),
    /** The adapter's `provider` name, for example `jumio` or `persona`. */
    provider: z.string().min(1),
    reference: resolveSchema(VerificationReferenceSchema),
    /** The application's own id for the person being verified. Never personal data itself. */
    subjectReference: z.string().optional(),
    status: resolveSchema(VerificationStatusSchema),
    /**
     * The attempt the applicant is on (1 for the first), for vendors that let the applicant try again
     * after a resubmission request. Absent reads as 1. A later attempt is always further along than any
     * state of an earlier one (see {@link applyVerificationUpdate}).
     */
    attempt: z.number().int().min(1).optional(),
    decision: resolveSchema(DecisionSchema).optional(),
    checks: z.array(resolveSchema(CheckSchema)).default([]),
    credentials: z.array(resolveSchema(CredentialSchema)).default([]),
    identity: resolveSchema(IdentityDataSchema).optional(),
    session: resolveSchema(VerificationSessionSchema).optional(),
    createdAt: at,
    /** When the provider last changed this verification; orders concurrent updates. */
    updatedAt: at,
    completedAt: at.optional(),
    /** Set once the provider deleted the personal data; identity and credentials are gone for good. */
    redactedAt: at.optional(),
    /** Timestamp fields that hold the adapter's observation time because the vendor gave none. */
    observedTimes: z.array(resolveSchema(VerificationTimeFieldSchema)).optional(),
    /** The vendor's own words beside ours (status, decision type, labels). Never personal data. */
    raw: z.object({ status: z.string() }).catchall(z.unknown()),
  })
})

/** The normalized verification. See {@link VerificationSchema}. */
export type Verification = z.infer<typeof VerificationSchema>
