import type { DecisionOutcome, VerificationStatus } from '@openkyc/core'
import { match, P } from 'ts-pattern'

/** What one vendor status means in our model: a status, and for decided ones an outcome. */
export type OnfidoStatusMeaning = { status: VerificationStatus; outcome?: DecisionOutcome }

/**
 * A Studio workflow run's status → our status and outcome. The spec lists eight values; anything
 * Onfido adds later reads as `submitted` (not terminal, so a later read or webhook can still move it).
 *
 * | workflow run status | status | outcome |
 * |---|---|---|
 * | `awaiting_input` | `created` | |
 * | `awaiting_client_input` | `submitted` | |
 * | `processing` | `submitted` | |
 * | `approved` | `completed` | `approved` |
 * | `declined` | `completed` | `declined` |
 * | `review` | `completed` | `review` |
 * | `abandoned` | `expired` | |
 * | `error` | `completed` | `review` |
 * | anything else | `submitted` | |
 *
 * [UNCERTAIN] `awaiting_input` cannot tell "not opened yet" from "opened, not finished"; both read as
 * `created`. `error` is a finished run without a verdict: it reads as `review` with the reason
 * `technical_error`, so a person looks at it.
 *
 * @see https://documentation.onfido.com/api/latest/#workflow-runs
 */
export function mapOnfidoWorkflowRunStatus(status: string | null | undefined): OnfidoStatusMeaning {
  return match(status)
    .returnType<OnfidoStatusMeaning>()
    .with('awaiting_input', () => ({ status: 'created' }))
    .with('awaiting_client_input', 'processing', () => ({ status: 'submitted' }))
    .with('approved', () => ({ status: 'completed', outcome: 'approved' }))
    .with('declined', () => ({ status: 'completed', outcome: 'declined' }))
    .with('review', () => ({ status: 'completed', outcome: 'review' }))
    .with('abandoned', () => ({ status: 'expired' }))
    .with('error', () => ({ status: 'completed', outcome: 'review' }))
    .otherwise(() => ({ status: 'submitted' }))
}

/**
 * A classic check's status and result → our status and outcome (API channel, after
 * `submitVerification`).
 *
 * | check status | result | status | outcome |
 * |---|---|---|---|
 * | no check yet | | `created` | |
 * | `awaiting_applicant` | | `in_progress` | |
 * | `in_progress` | | `submitted` | |
 * | `paused` | | `submitted` | |
 * | `reopened` | | `submitted` | |
 * | `complete` | `clear` | `completed` | `approved` |
 * | `complete` | `consider` | `completed` | `review` |
 * | `withdrawn` | | `cancelled` | |
 * | anything else | | `submitted` | |
 *
 * [UNCERTAIN] Onfido's `consider` asks the integrator to look; the check has no "declined". It reads
 * as `review`, with the reasons of the reports that need a look.
 *
 * @see https://documentation.onfido.com/api/latest/#checks
 */
export function mapOnfidoCheckStatus(
  status: string | null | undefined,
  result: string | null | undefined,
): OnfidoStatusMeaning {
  return match({ status, result })
    .returnType<OnfidoStatusMeaning>()
    .with({ status: P.nullish }, () => ({ status: 'created' }))
    .with({ status: 'awaiting_applicant' }, () => ({ status: 'in_progress' }))
    .with({ status: 'complete', result: 'clear' }, () => ({ status: 'completed', outcome: 'approved' }))
    .with({ status: 'complete' }, () => ({ status: 'completed', outcome: 'review' }))
    .with({ status: 'withdrawn' }, () => ({ status: 'cancelled' }))
    .otherwise(() => ({ status: 'submitted' }))
}
