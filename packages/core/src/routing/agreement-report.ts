import type { ReasonCode } from '../model/reason.js'
import type { Verification } from '../model/verification.js'
import type { AuditEntry } from '../store/audit-entry.js'
import type { KycStore } from '../store/types.js'
import type { RoutingSkipReason } from './routing-record.js'

/** Agreement counts for one group of shadowed verifications. */
export type AgreementCounts = {
  /** Shadow runs recorded (started within the budget). */
  shadowed: number
  /** Runs where both sides have a decision: the ones compared. */
  compared: number
  /** Runs where one side has no decision yet (or its state is not in the store). */
  pending: number
  /** Runs whose shadow side failed or timed out. */
  failed: number
  /** Compared runs with the same decision outcome. */
  outcomeAgreed: number
  /** Compared runs with the same set of reason codes. */
  reasonsAgreed: number
  /** `outcomeAgreed / compared`, or `null` when nothing was compared. */
  outcomeAgreement: number | null
  /** `reasonsAgreed / compared`, or `null` when nothing was compared. */
  reasonAgreement: number | null
}

/** One side of a compared pair. */
export type AgreementSide = {
  provider: string
  verificationId: string
  outcome: string | undefined
  reasonCodes: ReasonCode[]
}

/** A compared pair whose outcomes or reason codes differ. Ids, outcomes and codes only. */
export type AgreementDisagreement = {
  primary: AgreementSide
  shadow: AgreementSide
  outcomeAgrees: boolean
  reasonsAgree: boolean
  country?: string
  documentTypes?: string[]
  segment?: string
}

/** The agreement between one primary provider and its shadow. */
export type ProviderPairAgreement = {
  primaryProvider: string
  shadowProvider: string
  totals: AgreementCounts
  /** By the call's `routing.segment` (`unspecified` when none was given). */
  bySegment: Record<string, AgreementCounts>
  /** By the call's country hint (`unspecified` when none was given). */
  byCountry: Record<string, AgreementCounts>
  /** By each of the call's document types (`unspecified` when none was given). */
  byDocumentType: Record<string, AgreementCounts>
  /** Every compared pair that disagrees, by primary verification id. */
  disagreements: AgreementDisagreement[]
  /**
   * Planned shadow runs that never ran, by reason (`budget_exhausted`, `not_submitted`,
   * `evidence_too_large`, `too_many_pending`, `process_ended`). Not in `totals`.
   */
  notRun: Partial<Record<RoutingSkipReason, number>>
}

/** What {@link createAgreementReport} returns. */
export type AgreementReport = { pairs: ProviderPairAgreement[] }

/** Options for {@link createAgreementReport}. */
export type AgreementReportOptions = {
  /** The store the routed client writes to. */
  store: Pick<KycStore, 'audit' | 'verifications'>
}

const unspecified = 'unspecified'

type Tally = Omit<AgreementCounts, 'outcomeAgreement' | 'reasonAgreement'>

const emptyTally = (): Tally => ({
  shadowed: 0,
  compared: 0,
  pending: 0,
  failed: 0,
  outcomeAgreed: 0,
  reasonsAgreed: 0,
})

const finish = (tally: Tally): AgreementCounts => ({
  ...tally,
  outcomeAgreement: tally.compared === 0 ? null : tally.outcomeAgreed / tally.compared,
  reasonAgreement: tally.compared === 0 ? null : tally.reasonsAgreed / tally.compared,
})

/**
 * The agreement report: for every shadow run recorded in the store's audit log (`routing` entries
 * with `role: 'shadow'`), the primary and shadow verifications' current states are read from the
 * store and compared on decision outcome and on the set of reason codes, per provider pair, in total
 * and by segment, country and document type, with every disagreement listed by verification id.
 * A run whose shadow failed counts as `failed`; one where either side has no decision yet as
 * `pending` (decisions arrive through each provider's webhooks: route them to
 * `kyc.routing.webhooks(provider)`). Runs that never ran (budget spent, evidence let go, process
 * ended) are counted apart, in `notRun`.
 *
 * @example
 * ```ts
 * const report = await createAgreementReport({ store: kyc.store })
 * for (const pair of report.pairs) console.log(pair.primaryProvider, pair.shadowProvider, pair.totals.outcomeAgreement)
 * ```
 */
export async function createAgreementReport(options: AgreementReportOptions): Promise<AgreementReport> {
  const { store } = options
  const pairs = new Map<
    string,
    {
      primaryProvider: string
      shadowProvider: string
      totals: Tally
      bySegment: Map<string, Tally>
      byCountry: Map<string, Tally>
      byDocumentType: Map<string, Tally>
      disagreements: AgreementDisagreement[]
      notRun: Partial<Record<RoutingSkipReason, number>>
    }
  >()
  const pairOf = (primaryProvider: string, shadowProvider: string) => {
    const pairKey = `${primaryProvider}\u0000${shadowProvider}`
    let pair = pairs.get(pairKey)
    if (pair === undefined) {
      pair = {
        primaryProvider,
        shadowProvider,
        totals: emptyTally(),
        bySegment: new Map(),
        byCountry: new Map(),
        byDocumentType: new Map(),
        disagreements: [],
        notRun: {},
      }
      pairs.set(pairKey, pair)
    }
    return pair
  }
  for await (const entry of store.audit.read()) {
    const routing = entry.routing
    if (entry.action !== 'routing' || routing?.role !== 'shadow' || routing.primary === undefined) continue
    if (routing.stage === 'planned') continue
    const attempt = routing.attempts[0]
    if (attempt === undefined) {
      const skip = routing.skipped[0]
      if (skip !== undefined) {
        const { notRun } = pairOf(routing.primary.provider, skip.provider)
        notRun[skip.reason] = (notRun[skip.reason] ?? 0) + 1
      }
      continue
    }
    const pair = pairOf(routing.primary.provider, attempt.provider)
    const groups = [
      pair.totals,
      tallyOf(pair.bySegment, routing.segment ?? unspecified),
      tallyOf(pair.byCountry, routing.country ?? unspecified),
      ...(routing.documentTypes ?? [unspecified]).map((type) => tallyOf(pair.byDocumentType, type)),
    ]
    const add = (field: keyof Tally) => {
      for (const tally of groups) tally[field] += 1
    }
    add('shadowed')
    if (attempt.result !== 'created') {
      add('failed')
      continue
    }
    const comparison = await compare(store, routing.primary, entry)
    if (comparison === undefined) {
      add('pending')
      continue
    }
    add('compared')
    if (comparison.outcomeAgrees) add('outcomeAgreed')
    if (comparison.reasonsAgree) add('reasonsAgreed')
    if (!comparison.outcomeAgrees || !comparison.reasonsAgree) {
      pair.disagreements.push({
        ...comparison,
        ...(routing.country === undefined ? {} : { country: routing.country }),
        ...(routing.documentTypes === undefined ? {} : { documentTypes: [...routing.documentTypes] }),
        ...(routing.segment === undefined ? {} : { segment: routing.segment }),
      })
    }
  }
  return {
    pairs: [...pairs.values()].map((pair) => ({
      primaryProvider: pair.primaryProvider,
      shadowProvider: pair.shadowProvider,
      totals: finish(pair.totals),
      bySegment: finishGroups(pair.bySegment),
      byCountry: finishGroups(pair.byCountry),
      byDocumentType: finishGroups(pair.byDocumentType),
      disagreements: pair.disagreements.sort((a, b) =>
        a.primary.verificationId < b.primary.verificationId
          ? -1
          : a.primary.verificationId > b.primary.verificationId
            ? 1
            : 0,
      ),
      notRun: pair.notRun,
    })),
  }
}

function tallyOf(groups: Map<string, Tally>, key: string): Tally {
  let tally = groups.get(key)
  if (tally === undefined) {
    tally = emptyTally()
    groups.set(key, tally)
  }
  return tally
}

function finishGroups(groups: Map<string, Tally>): Record<string, AgreementCounts> {
  const result: Record<string, AgreementCounts> = Object.create(null)
  for (const key of [...groups.keys()].sort()) result[key] = finish(groups.get(key) as Tally)
  return result
}

async function compare(
  store: AgreementReportOptions['store'],
  primaryKey: { provider: string; verificationId: string },
  shadowEntry: AuditEntry,
): Promise<Omit<AgreementDisagreement, 'country' | 'documentTypes' | 'segment'> | undefined> {
  const [primary, shadow] = await Promise.all([
    store.verifications.get({ provider: primaryKey.provider, id: primaryKey.verificationId }),
    store.verifications.get({ provider: shadowEntry.provider, id: shadowEntry.verificationId }),
  ])
  if (primary?.decision === undefined || shadow?.decision === undefined) return undefined
  const primarySide = sideOf(primary)
  const shadowSide = sideOf(shadow)
  return {
    primary: primarySide,
    shadow: shadowSide,
    outcomeAgrees: primarySide.outcome === shadowSide.outcome,
    reasonsAgree: primarySide.reasonCodes.join(',') === shadowSide.reasonCodes.join(','),
  }
}

function sideOf(verification: Verification): AgreementSide {
  return {
    provider: verification.provider,
    verificationId: verification.id,
    outcome: verification.decision?.outcome,
    reasonCodes: [...new Set((verification.decision?.reasons ?? []).map((reason) => reason.code))].sort(),
  }
}
