import {
  type Check,
  type Decision,
  type Reason,
  uniqueReasons,
  type Verification,
  type VerificationSession,
} from '@openkyc/core'
import { mapPersonaCheck } from './map-persona-check.js'
import { isCalendarDate, mapPersonaIdentity } from './map-persona-identity.js'
import { mapPersonaInquiryStatus, type PersonaDecisionPolicy } from './map-persona-inquiry-status.js'
import { mapPersonaCredential, mapPersonaVerificationType } from './map-persona-verification.js'
import {
  isPersonaVerificationEvidence,
  type PersonaInquiry,
  type PersonaInquiryDocument,
  type PersonaReport,
  PersonaReportSchema,
  type PersonaVerification,
  type PersonaVerificationEvidence,
  PersonaVerificationSchema,
} from './persona-schemas.js'

/** The provider name the Persona adapter reports everywhere. */
export const personaProvider = 'persona'

/**
 * The tag `cancelVerification` puts on an inquiry before expiring it. Persona has one word,
 * `expired`, for "ran out of time" and "expired through the API"; the tag keeps the difference at
 * Persona (visible in the dashboard too), so every reader maps the inquiry to `cancelled`.
 */
export const personaCancelledTag = 'openkyc-cancelled'

/** Options for {@link mapPersonaInquiry}. */
export type MapPersonaInquiryOptions = {
  policy?: PersonaDecisionPolicy
  /** The hand-off to attach (only `createVerification` and session links know it). */
  session?: VerificationSession
  /** The application's id for the applicant, when the inquiry does not carry it. */
  subjectReference?: string
  /** The time to use when Persona sent no timestamps at all (never in practice). */
  now?: () => number
  /**
   * Whether to read the identity data (default `true`). Webhook events carry none, so they skip it:
   * the verifications' extraction attributes and the inquiry's fields are then neither validated nor
   * read.
   */
  identity?: boolean
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`: the form `toISOString` writes and Persona sends. */
const canonicalTimestamp = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/

/**
 * A Persona timestamp in the canonical form `toISOString` writes, or `undefined` when it is not a
 * time. Runs several times per webhook event, so a canonical value is checked, not rebuilt.
 */
export function isoTimestamp(value: string | null | undefined): string | undefined {
  if (!value) return undefined
  // A valid timestamp already in canonical form is its own normalization; building a `Date` to
  // print it again was a visible cost on every webhook event. Anything else takes the long way.
  const parts = canonicalTimestamp.exec(value)
  if (parts && isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]))) return value
  const time = Date.parse(value)
  return Number.isNaN(time) ? undefined : new Date(time).toISOString()
}

/** The length of `YYYY-MM-DDTHH:MM:SS.sssZ`; `toISOString` writes longer text only outside years 0–9999. */
const canonicalLength = 24

/** Whether `later` is after `earlier`, both timestamps as {@link isoTimestamp} returns them. */
function isLater(later: string, earlier: string): boolean {
  // Canonical timestamps sort as text in time order: no parsing on the path every webhook event takes.
  if (later.length === canonicalLength && earlier.length === canonicalLength) return later > earlier
  return Date.parse(later) > Date.parse(earlier)
}

/** The latest of some timestamps as {@link isoTimestamp} returns them. */
function latest(values: readonly (string | undefined)[]): string | undefined {
  let best: string | undefined
  for (const value of values) {
    if (value !== undefined && (best === undefined || isLater(value, best))) best = value
  }
  return best
}

/** The ids an inquiry's relationship lists, or `undefined` when it lists none (then every resource of that kind counts). */
function linkedIds(
  document: PersonaInquiryDocument,
  relationship: 'verifications' | 'reports',
): Set<string> | undefined {
  const linked = document.data.relationships?.[relationship]?.data
  return linked ? new Set(linked.map((resource) => resource.id)) : undefined
}

/**
 * The included verifications and screening reports the inquiry relates to (all of a kind if it
 * lists none), unparsed and in `included` order, sorted by kind in one pass over `included`.
 */
function relatedIncluded(document: PersonaInquiryDocument): { verifications: unknown[]; reports: unknown[] } {
  const verificationIds = linkedIds(document, 'verifications')
  const reportIds = linkedIds(document, 'reports')
  const verifications: unknown[] = []
  const reports: unknown[] = []
  for (const resource of document.included ?? []) {
    if (resource.type.startsWith('verification/')) {
      if (verificationIds === undefined || verificationIds.has(resource.id)) verifications.push(resource)
    } else if (resource.type.startsWith('report/')) {
      if (reportIds === undefined || reportIds.has(resource.id)) reports.push(resource)
    }
  }
  return { verifications, reports }
}

/** The resources that `parse` reads, the unreadable ones skipped. */
function parsedAll<T>(resources: readonly unknown[], parse: (value: unknown) => T | undefined): T[] {
  const found: T[] = []
  for (const resource of resources) {
    const parsed = parse(resource)
    if (parsed !== undefined) found.push(parsed)
  }
  return found
}

const parseVerification = (value: unknown): PersonaVerification | undefined => {
  const parsed = PersonaVerificationSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

const parseVerificationEvidence = (value: unknown): PersonaVerificationEvidence | undefined =>
  isPersonaVerificationEvidence(value) ? value : undefined

const parseReport = (value: unknown): PersonaReport | undefined => {
  const parsed = PersonaReportSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

/** The included verifications of an inquiry, parsed leniently (unreadable ones are skipped). */
export function includedVerifications(document: PersonaInquiryDocument): PersonaVerification[] {
  return parsedAll(relatedIncluded(document).verifications, parseVerification)
}

/**
 * The included verifications as a webhook event reads them (their evidence attributes), checked in
 * place; unreadable ones are skipped, as by {@link includedVerifications}.
 */
export function includedVerificationEvidence(
  document: PersonaInquiryDocument,
): PersonaVerificationEvidence[] {
  return parsedAll(relatedIncluded(document).verifications, parseVerificationEvidence)
}

/** The included screening reports of an inquiry (watchlist, PEP, adverse media). */
export function includedReports(document: PersonaInquiryDocument): PersonaReport[] {
  return parsedAll(relatedIncluded(document).reports, parseReport)
}

const screeningReportTypes = new Set([
  'report/watchlist',
  'report/politically-exposed-person',
  'report/adverse-media',
])

/**
 * A screening report as a `watchlist` check: a match is a failure with `watchlist_hit`, a ready
 * report without a match a pass, anything else not yet executed.
 *
 * @see https://docs.withpersona.com/docs/reports
 */
export function mapPersonaScreeningReport(report: PersonaReport): Check | undefined {
  if (!screeningReportTypes.has(report.type)) return undefined
  const status = report.attributes?.status ?? undefined
  const hasMatch = report.attributes?.['has-match'] === true
  const outcome = hasMatch ? 'failed' : status === 'ready' ? 'passed' : 'not_executed'
  return {
    kind: 'watchlist',
    outcome,
    reasons: hasMatch ? [{ code: 'watchlist_hit', raw: `${report.type}.matched` }] : [],
    raw: { name: report.type, ...(status ? { label: status } : {}), hasMatch },
  }
}

/** A failed check as {@link decisionReasons} weighs it, gathered while the checks are mapped. */
type FailedCheck = { reasons: readonly Reason[]; required: boolean; verificationFailed: boolean }

/**
 * The reasons behind a decline or review, from the most telling evidence available:
 *
 * 1. the failed checks Persona marks `required`, plus screening matches;
 * 2. failing that, every failed check of the verifications that failed;
 * 3. failing that, every failed check.
 *
 * A passed verification often carries failed checks that were not required (glare on a selfie that
 * still matched); they do not explain a decision and are left out while better evidence exists.
 * The reasons are copies: the decision shares no object with the checks.
 */
function decisionReasons(failedChecks: readonly FailedCheck[], reports: readonly PersonaReport[]) {
  const reasonsOf = (among: readonly FailedCheck[]) =>
    among.flatMap((check) => check.reasons.map((reason) => ({ ...reason })))
  const screeningHits = reports
    .map(mapPersonaScreeningReport)
    .flatMap((check) => (check?.outcome === 'failed' ? check.reasons : []))
  // Each tier is worked out only when the ones before it found nothing.
  const tiers = [
    () => [...reasonsOf(failedChecks.filter((check) => check.required)), ...screeningHits],
    () => reasonsOf(failedChecks.filter((check) => check.verificationFailed)),
    () => reasonsOf(failedChecks),
  ]
  for (const tier of tiers) {
    const reasons = tier()
    if (reasons.length > 0) return uniqueReasons(reasons)
  }
  return uniqueReasons([])
}

/**
 * Who decided, from the inquiry's `reviewer` (a `user`, a `workflow` or a `workflow-run`):
 *
 * | reviewer | decision after `marked-for-review-at` | decided by |
 * |---|---|---|
 * | `user` | – | `manual` |
 * | `workflow`, `workflow-run` | – | `provider` |
 * | none or unknown | yes: approved or declined after a review flag | `manual` |
 * | none or unknown | no | `provider` |
 *
 * Persona names no reviewer for decisions made through the API; a final decision on an inquiry that
 * was waiting for review is a person's (through our `reviewVerification` or the dashboard), while
 * one without a review step is Persona's own flow.
 *
 * @see https://docs.withpersona.com/reference/retrieve-an-inquiry (`relationships.reviewer`)
 */
export function mapPersonaDecidedBy(inquiry: PersonaInquiry): Decision['decidedBy'] {
  const reviewer = inquiry.relationships?.reviewer?.data
  const reviewerType = reviewer && 'type' in reviewer ? reviewer.type : undefined
  if (reviewerType === 'user') return 'manual'
  if (reviewerType === 'workflow' || reviewerType === 'workflow-run') return 'provider'
  const status = inquiry.attributes.status
  const reviewedFirst =
    (status === 'approved' || status === 'declined') && Boolean(inquiry.attributes['marked-for-review-at'])
  return reviewedFirst ? 'manual' : 'provider'
}

/**
 * A Persona inquiry document (the inquiry plus the verifications and reports in `included`) as our
 * normalized verification: status and decision by {@link mapPersonaInquiryStatus} and the decision
 * policy, checks from every included verification and screening report, credentials from the
 * submitted verifications, identity from the government-id verification and the inquiry fields.
 *
 * `raw` keeps Persona's own words (inquiry status, verification types and statuses, report matches)
 * and never personal data.
 *
 * @see https://docs.withpersona.com/reference/retrieve-an-inquiry
 */
export function mapPersonaInquiry(
  document: PersonaInquiryDocument,
  options: MapPersonaInquiryOptions = {},
): Verification {
  const inquiry = document.data
  const attributes = inquiry.attributes
  // One pass over `included` for both kinds.
  const included = relatedIncluded(document)
  const fullVerifications =
    options.identity === false ? undefined : parsedAll(included.verifications, parseVerification)
  const verifications: readonly PersonaVerificationEvidence[] =
    fullVerifications ?? parsedAll(included.verifications, parseVerificationEvidence)
  const reports = parsedAll(included.reports, parseReport)
  const mapped = mapPersonaInquiryStatus(attributes.status, options.policy)
  if (mapped.status === 'expired' && attributes.tags?.includes(personaCancelledTag))
    mapped.status = 'cancelled'

  const createdAt =
    isoTimestamp(attributes['created-at']) ?? new Date((options.now ?? Date.now)()).toISOString()
  const redactedAt = isoTimestamp(attributes['redacted-at'])
  const decisionTime = latest([
    isoTimestamp(attributes['decisioned-at']),
    isoTimestamp(attributes['marked-for-review-at']),
    isoTimestamp(attributes['failed-at']),
  ])
  const completedAt =
    mapped.status === 'completed' ? (decisionTime ?? isoTimestamp(attributes['completed-at'])) : undefined
  const updatedAt =
    latest([
      createdAt,
      isoTimestamp(attributes['updated-at']),
      isoTimestamp(attributes['started-at']),
      isoTimestamp(attributes['completed-at']),
      isoTimestamp(attributes['expired-at']),
      decisionTime,
      redactedAt,
    ]) ?? createdAt

  // One pass over the verifications' checks: the mapped checks, and the failed ones for the decision.
  const checks: Check[] = []
  const failedChecks: FailedCheck[] = []
  for (const verification of verifications) {
    const verificationFailed = verification.attributes?.status === 'failed'
    for (const check of verification.attributes?.checks ?? []) {
      const mapped = mapPersonaCheck(check, verification.type)
      checks.push(mapped)
      if (check.status === 'failed') {
        failedChecks.push({
          reasons: mapped.reasons,
          required: check.requirement === 'required',
          verificationFailed,
        })
      }
    }
  }
  for (const report of reports) {
    const check = mapPersonaScreeningReport(report)
    if (check !== undefined) checks.push(check)
  }

  const decision: Decision | undefined =
    mapped.outcome === undefined
      ? undefined
      : {
          outcome: mapped.outcome,
          // No ts-pattern matcher here: this runs on every webhook event, and building one per call cost
          // more than the comparison. An approval carries no reasons.
          reasons: mapped.outcome === 'approved' ? [] : decisionReasons(failedChecks, reports),
          decidedBy: mapPersonaDecidedBy(inquiry),
          ...(completedAt ? { decidedAt: completedAt } : {}),
          raw: { status: attributes.status },
        }

  const identity =
    redactedAt || fullVerifications === undefined
      ? undefined
      : mapPersonaIdentity(
          inquiry,
          fullVerifications.find(
            (verification) => mapPersonaVerificationType(verification.type)?.kind === 'id_document',
          ),
        )
  const subjectReference = attributes['reference-id'] ?? options.subjectReference
  const accountId = inquiry.relationships?.account?.data
  const raw = {
    status: attributes.status,
    ...(accountId && 'id' in accountId ? { accountId: accountId.id } : {}),
    verifications: verifications.map((verification) => ({
      type: verification.type,
      id: verification.id,
      status: verification.attributes?.status ?? null,
    })),
    ...(reports.length > 0
      ? {
          reports: reports.map((report) => ({
            type: report.type,
            id: report.id,
            status: report.attributes?.status ?? null,
            hasMatch: report.attributes?.['has-match'] ?? null,
          })),
        }
      : {}),
  }

  return {
    id: inquiry.id,
    provider: personaProvider,
    reference: { inquiryId: inquiry.id },
    ...(subjectReference ? { subjectReference } : {}),
    status: mapped.status,
    ...(decision ? { decision } : {}),
    checks,
    credentials: redactedAt
      ? []
      : verifications.map(mapPersonaCredential).filter((credential) => credential !== undefined),
    ...(identity ? { identity } : {}),
    ...(options.session && !redactedAt ? { session: options.session } : {}),
    createdAt,
    updatedAt,
    ...(completedAt ? { completedAt } : {}),
    ...(redactedAt ? { redactedAt } : {}),
    raw,
  }
}
