import type { VerificationStatus } from '@openkyc/core'
import { match, P } from 'ts-pattern'

/** Jumio's workflow statuses that end a journey without a decision (G23, DOC statusMappings). */
export const jumioExpiredStatuses: readonly string[] = ['TOKEN_EXPIRED', 'SESSION_EXPIRED']

/** What besides the workflow status decides our status. */
export type JumioStatusContext = {
  /** The overall `decision.details.label`, when retrieval returned one. */
  decisionLabel?: string | undefined
  /** Whether the applicant opened the journey (`startedAt` present). */
  started?: boolean
  /** Whether the status comes with full details (a decision can only be read from details). */
  detailsAvailable?: boolean
}

/**
 * Jumio's workflow status → our verification status.
 *
 * | Jumio | ours |
 * | --- | --- |
 * | `INITIATED` | `created`, or `in_progress` once `startedAt` is set |
 * | `ACQUISITION_STARTED` (intermediate callbacks, third-party docs) | `in_progress` |
 * | `ACQUIRED` | `submitted` |
 * | `PROCESSED` | `completed`; `expired` when the decision is `NOT_EXECUTED` / `TOKEN_EXPIRED` or `SESSION_EXPIRED`; `submitted` while only the status (no details) could be read |
 * | `TOKEN_EXPIRED`, `SESSION_EXPIRED` | `expired` |
 * | anything else | `in_progress` (unknown statuses are treated as not final) |
 *
 * @see Jumio docs "Workflow Status" and statusMappings (DOC), KYX guide "Callback" (G23);
 *   `docs/reference/jumio-api.md` §5, §6
 */
export function mapJumioStatus(status: string, context: JumioStatusContext = {}): VerificationStatus {
  return match(status)
    .returnType<VerificationStatus>()
    .with('INITIATED', () => (context.started === true ? 'in_progress' : 'created'))
    .with('ACQUISITION_STARTED', () => 'in_progress')
    .with('ACQUIRED', () => 'submitted')
    .with('PROCESSED', () =>
      match(context)
        .returnType<VerificationStatus>()
        .with({ decisionLabel: P.union('TOKEN_EXPIRED', 'SESSION_EXPIRED') }, () => 'expired')
        .with({ detailsAvailable: false }, () => 'submitted')
        .otherwise(() => 'completed'),
    )
    .with(P.union('TOKEN_EXPIRED', 'SESSION_EXPIRED'), () => 'expired')
    .otherwise(() => 'in_progress')
}
