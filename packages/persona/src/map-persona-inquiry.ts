import {
  type Check,
  type Decision,
  uniqueReasons,
  type Verification,
  type VerificationSession,
} from '@openkyc/core'
import { mapPersonaCheck, mapPersonaCheckReasons } from './map-persona-check.js'
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

/** The included resources of a given kind that the inquiry relates to (all of that kind if it lists none). */
function related<T extends { id: string }>(
  document: PersonaInquiryDocument,
  relationship: 'verifications' | 'reports',
  typePrefix: string,
  parse: (value: unknown) => T | undefined,
): T[] {
  const linked = document.data.relationships?.[relationship]?.data
  const ids = linked ? new Set(linked.map((resource) => resource.id)) : undefined
  const found: T[] = []
  for (const resource of document.included ?? []) {
    if (!resource.type.startsWith(typePrefix) || (ids !== undefined && !ids.has(resource.id))) continue
    const parsed = parse(resource)
    if (parsed !== undefined) found.push(parsed)
  }
  return found
}

/** The included verifications of an inquiry, parsed leniently (unreadable ones are skipped). */
export function includedVerifications(document: PersonaInquiryDocument): PersonaVerification[] {
  return related(document, 'verifications', 'verification/', (value) => {
    const parsed = PersonaVerificationSchema.safeParse(value)
    return parsed.success ? parsed.data : undefined
  })
}

/**
 * The included verifications as a webhook event reads them (their evidence attributes), checked in
 * place; unreadable ones are skipped, as by {@link includedVerifications}.
 */
export function includedVerificationEvidence(
  document: PersonaInquiryDocument,
): PersonaVerificationEvidence[] {
  return related(document, 'verifications', 'verification/', (value) =>
    isPersonaVerificationEvidence(value) ? value : undefined,
  )
}

/** The included screening reports of an inquiry (watchlist, PEP, adverse media). */
export function includedReports(document: PersonaInquiryDocument): PersonaReport[] {
  return related(document, 'reports', 'report/', (value) => {
    const parsed = PersonaReportSchema.safeParse(value)
    return parsed.success ? parsed.data : undefined
  })
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

/**
 * The reasons behind a decline or review, from the most telling evidence available:
 *
 * 1. the failed checks Persona marks `required`, plus screening matches;
 * 2. failing that, every failed check of the verifications that failed;
 * 3. failing that, every failed check.
 *
 * A passed verification often carries failed checks that were not required (glare on a selfie that
 * still matched); they do not explain a decision and are left out while better evidence exists.
 */
function decisionReasons(
  verifications: readonly PersonaVerificationEvidence[],
  reports: readonly PersonaReport[],
) {
  const failedChecks = (among: readonly PersonaVerificationEvidence[]) =>
    among.flatMap((verification) =>
      (verification.attributes?.checks ?? []).filter((check) => check.status === 'failed'),
    )
  const screeningHits = reports
    .map(mapPersonaScreeningReport)
    .flatMap((check) => (check?.outcome === 'failed' ? check.reasons : []))
  // Each tier is worked out only when the ones before it found nothing.
  const tiers = [
    () => [
      ...failedChecks(verifications)
        .filter((check) => check.requirement === 'required')
        .flatMap(mapPersonaCheckReasons),
      ...screeningHits,
    ],
    () =>
      failedChecks(
        verifications.filter((verification) => verification.attributes?.status === 'failed'),
      ).flatMap(mapPersonaCheckReasons),
    () => failedChecks(verifications).flatMap(mapPersonaCheckReasons),
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
  const fullVerifications = options.identity === false ? undefined : includedVerifications(document)
  const verifications: readonly PersonaVerificationEvidence[] =
    fullVerifications ?? includedVerificationEvidence(document)
  const reports = includedReports(document)
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

  const checks: Check[] = []
  for (const verification of verifications) {
    for (const check of verification.attributes?.checks ?? []) {
      checks.push(mapPersonaCheck(check, verification.type))
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
          reasons: mapped.outcome === 'approved' ? [] : decisionReasons(verifications, reports),
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
