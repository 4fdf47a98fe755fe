import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'

/**
 * The closed table of reason codes. Every adapter maps its vendor's labels onto these codes with one
 * documented table; a label the table does not know becomes `other`, never an exception.
 *
 * | code | meaning |
 * |---|---|
 * | `document_expired` | the identity document is past its expiry date |
 * | `document_unreadable` | blurry, glare, cut off: the document could not be read |
 * | `document_incomplete` | a side or page is missing |
 * | `document_unsupported` | document type or issuing country not accepted |
 * | `document_tampered` | forged, digitally manipulated, a photo of a screen or a copy |
 * | `face_mismatch` | the selfie does not match the portrait on the document |
 * | `liveness_failed` | the selfie is not of a live person present at capture |
 * | `repeated_face` | the face was already seen in another verification |
 * | `data_mismatch` | extracted data is inconsistent (MRZ vs front, or vs the data supplied) |
 * | `age_requirement` | the applicant is under the required age |
 * | `watchlist_hit` | sanctions, PEP or adverse-media screening found a match |
 * | `applicant_abandoned` | the applicant did not finish before the session expired |
 * | `technical_error` | the provider could not process the evidence |
 * | `document_damaged` | the document is physically damaged (torn, worn, punched, laminate lifted) |
 * | `selfie_unusable` | the selfie or video shows no usable face (none, several, covered, too dark) |
 * | `suspected_fraud` | fraud signals or suspicious behaviour (known fraud pattern, risky device or session) |
 * | `duplicate_identity` | the identity or document was already used elsewhere, or too many attempts in a short time (velocity) |
 * | `restricted_location` | the applicant's country, region or network location is not allowed |
 * | `attempt_limit_reached` | the applicant used up the attempts the vendor allows |
 * | `other` | anything else, with the vendor's label kept in `raw` |
 */
export const ReasonCodeSchema = lazySchema(() =>
  z.enum([
    'document_expired',
    'document_unreadable',
    'document_incomplete',
    'document_unsupported',
    'document_tampered',
    'face_mismatch',
    'liveness_failed',
    'repeated_face',
    'data_mismatch',
    'age_requirement',
    'watchlist_hit',
    'applicant_abandoned',
    'technical_error',
    'document_damaged',
    'selfie_unusable',
    'suspected_fraud',
    'duplicate_identity',
    'restricted_location',
    'attempt_limit_reached',
    'other',
  ]),
)

/** One code of the closed reason table. See {@link ReasonCodeSchema}. */
export type ReasonCode = z.infer<typeof ReasonCodeSchema>

/** A reason for a decision or a check outcome: our code, with the vendor's own label beside it. */
export const ReasonSchema = lazySchema(() =>
  z.object({
    code: resolveSchema(ReasonCodeSchema),
    /** The vendor's label, verbatim (for example `REPEATED_FACE` or `mismatched_face`). */
    raw: z.string().optional(),
  }),
)

/** A reason for a decision or a check outcome. See {@link ReasonSchema}. */
export type Reason = z.infer<typeof ReasonSchema>

/**
 * Drops repeated reasons (same code and vendor label), keeping the first of each in order. Vendors
 * often report one label on several checks; a decision lists it once.
 */
export function uniqueReasons(reasons: readonly Reason[]): Reason[] {
  const seen = new Set<string>()
  return reasons.filter((reason) => {
    const key = `${reason.code}\u0000${reason.raw ?? ''}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
