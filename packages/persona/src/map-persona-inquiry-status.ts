import type { DecisionOutcome, VerificationStatus } from '@openkyc/core'

/**
 * What Persona's `completed` inquiry status means for the application. Persona sets `completed`
 * when the applicant passed the template's required verifications and reached the end of the flow;
 * an approval or decline is a separate, later step (a workflow, a reviewer, or the API). So
 * `completed` is not `approved`, and which reading is right depends on how the template and its
 * workflows are set up:
 *
 * - `'pending'` (default): evidence is in and a decision is still to come. The verification is
 *   `submitted` without a decision until Persona reports `approved`, `declined` or `needs_review`.
 *   Right when a workflow or a reviewer decides every inquiry.
 * - `'review'`: the verification is `completed` with a `review` decision: a person should look.
 * - `'approved'`: the verification is `completed` and approved. Right only when the template's
 *   required verifications are the whole decision and nothing decides afterwards.
 *
 * @see https://docs.withpersona.com/docs/model-lifecycle
 */
export type PersonaCompletedMeaning = 'approved' | 'review' | 'pending'

/** How the adapter turns Persona statuses into decisions. */
export type PersonaDecisionPolicy = {
  /** See {@link PersonaCompletedMeaning}. Default `'pending'`. */
  completedMeans?: PersonaCompletedMeaning
}

/** Our status for an inquiry status, plus the decision outcome when the status implies one. */
export type MappedInquiryStatus = {
  status: VerificationStatus
  /** Persona has no resubmission request: a retry is a new verification inside the same inquiry. */
  outcome?: Exclude<DecisionOutcome, 'resubmission_requested'>
}

/**
 * Maps an inquiry's `status` onto our lifecycle and decision outcome.
 *
 * | Persona inquiry status | our status | decision outcome |
 * |---|---|---|
 * | `created` | `created` | – |
 * | `pending` | `in_progress` | – |
 * | `completed` | by policy: `submitted` / `completed` / `completed` | – / `review` / `approved` |
 * | `needs_review` | `completed` | `review` |
 * | `approved` | `completed` | `approved` |
 * | `declined` | `completed` | `declined` |
 * | `failed` | `completed` | `declined` |
 * | `expired` | `expired` | – |
 * | anything else | `in_progress` | – |
 *
 * An unknown status never throws: it reads as "still going" (the forward-only rule keeps any later
 * state an application already holds) and the vendor's word stays in `raw.status`.
 *
 * @see https://docs.withpersona.com/docs/model-lifecycle
 * @see https://docs.withpersona.com/reference/inquiries (status "do not assume this is a static enumeration")
 */
export function mapPersonaInquiryStatus(
  status: string,
  policy: PersonaDecisionPolicy = {},
): MappedInquiryStatus {
  // A switch rather than ts-pattern: this runs twice per webhook event, where building a matcher per
  // call was a visible share of webhook ingest. A fresh object each time: callers adjust it.
  switch (status) {
    case 'created':
      return { status: 'created' }
    case 'pending':
      return { status: 'in_progress' }
    case 'completed':
      return mapCompleted(policy.completedMeans ?? 'pending')
    case 'needs_review':
      return { status: 'completed', outcome: 'review' }
    case 'approved':
      return { status: 'completed', outcome: 'approved' }
    case 'declined':
    case 'failed':
      return { status: 'completed', outcome: 'declined' }
    case 'expired':
      return { status: 'expired' }
    default:
      return { status: 'in_progress' }
  }
}

function mapCompleted(meaning: PersonaCompletedMeaning): MappedInquiryStatus {
  switch (meaning) {
    case 'pending':
      return { status: 'submitted' }
    case 'review':
      return { status: 'completed', outcome: 'review' }
    case 'approved':
      return { status: 'completed', outcome: 'approved' }
    default:
      // Settings are validated at creation; only a cast could get here.
      throw new TypeError(`Unknown completedMeans policy: ${String(meaning satisfies never)}`)
  }
}
