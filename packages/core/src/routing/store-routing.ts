import type { Verification } from '../model/verification.js'
import type { JsonValue, KycStore } from '../store/types.js'
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
  /** A key-value write committed with the rest (the caller's idempotency record). */
  keyValue?: { namespace: string; key: string; value: JsonValue; ttlMs: number } | undefined
  /** More routing entries filed under the same verification (a shadow run planned for it). */
  alsoAudit?: readonly RoutingRecord[] | undefined
}

/**
 * Stores a routed verification's state (when one was created), appends the routing audit entry (and
 * any `alsoAudit` entries) and writes `keyValue`, in one transaction: all commit or none does. The session (hosted URL, SDK token) is left out of
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
    if (record.keyValue !== undefined) {
      const { namespace, key, value, ttlMs } = record.keyValue
      await transaction.keyValue.set(namespace, key, value, { ttlMs })
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
    for (const also of record.alsoAudit ?? []) {
      await transaction.appendAudit({
        provider: fileUnder.provider,
        verificationId: fileUnder.id,
        action: 'routing',
        actor: 'application',
        reasons: [],
        routing: also,
      })
    }
  })
}
