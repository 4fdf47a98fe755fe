import { lazy } from '../lazy.js'
import { VerificationStatusSchema } from '../model/status.js'
import type { Verification } from '../model/verification.js'
import { type AuditEntryInput, type AuditState, fitsAuditIdentifier } from '../store/audit-entry.js'
import type { JsonValue, KycStore } from '../store/types.js'
import { markParsed, plainVerification } from '../store/validate.js'
import { isRecordableDocumentTypes, type RoutingRecord } from './routing-record.js'
import { type SplitPlan, splitAssignmentWrite } from './split.js'

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
  /** A new subject's sticky split assignment, committed with the rest (see `planSplit`). */
  split?: { subjectReference: string; plan: SplitPlan } | undefined
}

/**
 * Stores a routed verification's state (when one was created), appends the routing audit entry (and
 * any `alsoAudit` entries) and writes `keyValue` and the `split` assignment, in one transaction: all
 * commit or none does. The session (hosted URL, SDK token) is left out of
 * the stored state: it is a secret meant for the applicant only.
 */
export function storeRoutedVerification(store: KycStore, record: RoutedVerificationRecord): Promise<void> {
  const { verification, fileUnder, routing } = record
  const entries = [
    routingAuditEntry(fileUnder, routing, verification === undefined ? undefined : stateOf(verification)),
  ]
  if (record.alsoAudit !== undefined) {
    for (const also of record.alsoAudit) entries.push(routingAuditEntry(fileUnder, also))
  }
  // The store's own promise, with no async function around it: one turn fewer on every routed create.
  return store.transaction(async (transaction) => {
    if (verification !== undefined) {
      await transaction.applyVerification(withoutSession(verification, record.subjectReference))
    }
    const splitWrite =
      record.split === undefined
        ? undefined
        : splitAssignmentWrite(transaction.keyValue, record.split.subjectReference, record.split.plan)
    if (splitWrite !== undefined) await splitWrite
    if (record.keyValue !== undefined) {
      const { namespace, key, value, ttlMs } = record.keyValue
      await transaction.keyValue.set(namespace, key, value, { ttlMs })
    }
    // Sent with the commit where the store can (`appendAuditAtCommit`, synchronous): the memory store
    // hashes the chain when the log is read, a SQL store in the commit's statement, off the request path.
    if (transaction.appendAuditAtCommit !== undefined) {
      for (const entry of entries) transaction.appendAuditAtCommit(entry)
    } else {
      for (const entry of entries) await transaction.appendAudit(entry)
    }
  })
}

/**
 * The verification as stored: without its session, and with the call's subject reference when it
 * lacks one. A plain one (what a create returns) is checked and copied here in one step, and marked so
 * the transaction's `applyVerification` takes it as it is rather than copying it again; anything else
 * is left for the store to validate.
 */
function withoutSession(verification: Verification, subjectReference: string | undefined): Verification {
  const checked = plainVerification(verification, { subjectReference })
  if (checked !== undefined) return markParsed(checked)
  const { session: _session, ...stored } = verification
  if (stored.subjectReference === undefined && subjectReference !== undefined) {
    stored.subjectReference = subjectReference
  }
  return stored
}

/**
 * A routing audit entry, marked for the store (`markParsed`) when it certainly passes
 * `AuditEntryInputSchema`, so the store does not parse it again; otherwise the store's parse decides,
 * as for any entry. Its parts are the router's: enum values from its own code, the country and
 * segment `checkHints` validated, rule names from the validated configuration, and `to` from the
 * verification the same transaction's `applyVerification` has just validated. What remains (provider
 * names and ids from adapters, document types from the caller, list lengths) is checked here.
 */
function routingAuditEntry(
  fileUnder: { provider: string; id: string },
  routing: RoutingRecord,
  to?: AuditState | undefined,
): AuditEntryInput {
  const entry: AuditEntryInput = {
    provider: fileUnder.provider,
    verificationId: fileUnder.id,
    action: 'routing',
    actor: 'application',
    reasons: noReasons,
    routing,
  }
  if (to !== undefined) entry.to = to
  return isName(fileUnder.provider, maxProviderName) &&
    fitsAuditIdentifier(fileUnder.id) &&
    fitsRoutingRecordLimits(routing)
    ? markParsed(entry)
    : entry
}

/** Routing entries name no reasons: one frozen empty list, shared (entries are never changed once built). */
const noReasons = Object.freeze([]) as unknown as AuditEntryInput['reasons']

/** The frozen `to` state of each status without a decision, shared by the entries of every create. */
const undecidedStates = lazy(
  () =>
    new Map<string, AuditState>(
      VerificationStatusSchema.options.map((status) => [status, Object.freeze({ status })]),
    ),
)

/**
 * The verification's status and outcome as an entry's `to`: the shared state for a status without a
 * decision (what a create returns), a new one otherwise. An unknown status gets its own object, which
 * the transaction's `applyVerification` then refuses.
 */
function stateOf(verification: Verification): AuditState {
  if (verification.decision !== undefined) {
    return { status: verification.status, outcome: verification.decision.outcome }
  }
  return undecidedStates().get(verification.status) ?? { status: verification.status }
}

const maxProviderName = 100
const maxRecordedVerificationId = 200
const maxListed = 20

function isName(value: unknown, maxLength: number): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength
}

/** The limits of `RoutingRecordSchema` on what adapters and callers put in a record built by the router. */
function fitsRoutingRecordLimits(routing: RoutingRecord): boolean {
  if (routing.attempts.length > maxListed || routing.skipped.length > maxListed) return false
  for (const attempt of routing.attempts) {
    if (!isName(attempt.provider, maxProviderName) || (attempt.errorCode?.length ?? 0) > 64) return false
  }
  for (const skip of routing.skipped) if (!isName(skip.provider, maxProviderName)) return false
  if (routing.chosen !== undefined && !isName(routing.chosen, maxProviderName)) return false
  if (
    routing.primary !== undefined &&
    !(
      isName(routing.primary.provider, maxProviderName) &&
      isName(routing.primary.verificationId, maxRecordedVerificationId)
    )
  ) {
    return false
  }
  return routing.documentTypes === undefined || isRecordableDocumentTypes(routing.documentTypes)
}
