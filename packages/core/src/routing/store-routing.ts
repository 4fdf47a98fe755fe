import type { Verification } from '../model/verification.js'
import type { KycStore } from '../store/types.js'
import type { RoutingRecord } from './routing-record.js'

/** What {@link storeRoutedVerification} writes. */
export type RoutedVerificationRecord = {
  /** The verification a provider created, stored without its `session` (a hand-off secret). */
  verification: Verification | undefined
  /** The provider and id the audit entry is filed under. */
  fileUnder: { provider: string; id: string }
  routing: RoutingRecord
  /** The call's subject reference, stored when the adapter's verification lacks one (erasure looks it up). */
  subjectReference?: string | undefined
}

/**
 * Stores a routed verification's state (when one was created) and appends the routing audit entry,
 * in one transaction: both commit or neither does. The session (hosted URL, SDK token) is left out of
 * the stored state: it is a secret meant for the applicant only.
 */
export async function storeRoutedVerification(
  store: KycStore,
  record: RoutedVerificationRecord,
): Promise<void> {
  const { verification, fileUnder, routing } = record
  await store.transaction(async (transaction) => {
    if (verification !== undefined) {
      const { session: _session, ...withoutSession } = verification
      const subjectReference = verification.subjectReference ?? record.subjectReference
      await transaction.applyVerification(
        subjectReference === undefined ? withoutSession : { ...withoutSession, subjectReference },
      )
    }
    await transaction.appendAudit({
      provider: fileUnder.provider,
      verificationId: fileUnder.id,
      action: 'routing',
      actor: 'application',
      ...(verification === undefined
        ? {}
        : {
            to: {
              status: verification.status,
              ...(verification.decision === undefined ? {} : { outcome: verification.decision.outcome }),
            },
          }),
      reasons: [],
      routing,
    })
  })
}
