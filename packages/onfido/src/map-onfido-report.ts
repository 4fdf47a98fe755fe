import {
  type Check,
  type CheckKind,
  type CheckOutcome,
  type Reason,
  type ReasonCode,
  uniqueReasons,
} from '@openkyc/core'
import { match, P } from 'ts-pattern'
import type { OnfidoBreakdownNode, OnfidoReport } from './onfido-schemas.js'

/**
 * The report families the tables are keyed by. Onfido names many report variants
 * (`document_with_address_information`, `facial_similarity_photo_fully_auto`, `watchlist_aml`, …);
 * each shares its family's breakdown names.
 */
export type OnfidoReportFamily =
  | 'document'
  | 'facial_similarity'
  | 'known_faces'
  | 'watchlist'
  | 'identity_enhanced'
  | 'proof_of_address'
  | 'device_intelligence'
  | 'other'

/** The family of a report name; a name Onfido adds later is `other`. */
export function onfidoReportFamily(reportName: string): OnfidoReportFamily {
  return match(reportName)
    .returnType<OnfidoReportFamily>()
    .with(P.string.startsWith('document'), () => 'document')
    .with(P.string.startsWith('facial_similarity'), () => 'facial_similarity')
    .with('known_faces', () => 'known_faces')
    .with(P.string.startsWith('watchlist'), () => 'watchlist')
    .with('identity_enhanced', () => 'identity_enhanced')
    .with('proof_of_address', () => 'proof_of_address')
    .with('device_intelligence', () => 'device_intelligence')
    .otherwise(() => 'other')
}

/**
 * The check kind of each report breakdown (`family.breakdown`), and of a report without a breakdown
 * (`family`). Looked up most specific first; anything else is `other`.
 *
 * @see https://documentation.onfido.com/api/latest/#report-schemas
 */
export const onfidoCheckKindTable: Readonly<Record<string, CheckKind>> = {
  'document.data_comparison': 'data_consistency',
  'document.data_consistency': 'data_consistency',
  'document.data_validation': 'data_extraction',
  'document.image_integrity': 'document_quality',
  'document.visual_authenticity': 'document_authenticity',
  'document.police_record': 'database',
  'document.compromised_document': 'database',
  'document.age_validation': 'age',
  'document.issuing_authority': 'authentication',
  document: 'document_authenticity',
  'facial_similarity.face_comparison': 'face_match',
  'facial_similarity.visual_authenticity': 'liveness',
  'facial_similarity.image_integrity': 'other',
  facial_similarity: 'face_match',
  'known_faces.previously_seen_faces': 'database',
  'known_faces.image_integrity': 'other',
  known_faces: 'database',
  watchlist: 'watchlist',
  identity_enhanced: 'database',
  proof_of_address: 'other',
}

/**
 * The reason code of a breakdown that did not come back `clear`: keyed by
 * `family.breakdown.sub.property` (a reason property such as `damaged_document` that Onfido flags
 * `consider` inside a sub-breakdown), `family.breakdown.sub`, `family.breakdown` or `family`, looked
 * up most specific first. A key the table does not know is `other`, with the key kept as the raw label.
 *
 * @see https://documentation.onfido.com/guide/document-report-suggested-client-actions/
 * @see https://documentation.onfido.com/api/latest/#report-schemas
 */
export const onfidoReasonTable: Readonly<Record<string, ReasonCode>> = {
  'document.data_validation.document_expiration': 'document_expired',
  'document.data_validation.expiry_date': 'document_expired',
  'document.data_validation': 'data_mismatch',
  'document.data_comparison': 'data_mismatch',
  'document.data_consistency': 'data_mismatch',
  'document.image_integrity.image_quality.damaged_document': 'document_damaged',
  'document.image_integrity.image_quality.incorrect_side': 'document_incomplete',
  'document.image_integrity.image_quality': 'document_unreadable',
  'document.image_integrity.conclusive_document_quality.corner_removed': 'document_damaged',
  'document.image_integrity.conclusive_document_quality.punctured_document': 'document_damaged',
  'document.image_integrity.conclusive_document_quality.missing_back': 'document_incomplete',
  'document.image_integrity.conclusive_document_quality': 'document_unreadable',
  'document.image_integrity.supported_document': 'document_unsupported',
  'document.image_integrity.colour_picture': 'document_tampered',
  'document.image_integrity': 'document_unreadable',
  'document.visual_authenticity': 'document_tampered',
  'document.compromised_document.document_database': 'suspected_fraud',
  'document.compromised_document.repeat_attempts': 'duplicate_identity',
  'document.compromised_document': 'document_tampered',
  'document.issuing_authority': 'document_tampered',
  'document.age_validation': 'age_requirement',
  'facial_similarity.face_comparison': 'face_mismatch',
  'facial_similarity.visual_authenticity': 'liveness_failed',
  'facial_similarity.image_integrity.face_detected': 'selfie_unusable',
  'facial_similarity.image_integrity.source_integrity.fake_webcam': 'suspected_fraud',
  'facial_similarity.image_integrity.source_integrity.emulator': 'suspected_fraud',
  'facial_similarity.image_integrity.source_integrity': 'liveness_failed',
  'facial_similarity.image_integrity': 'selfie_unusable',
  'known_faces.previously_seen_faces': 'repeated_face',
  'known_faces.image_integrity': 'selfie_unusable',
  known_faces: 'repeated_face',
  watchlist: 'watchlist_hit',
  identity_enhanced: 'data_mismatch',
  device_intelligence: 'suspected_fraud',
}

/**
 * The reason code of a document report's `sub_result`, Onfido's one-word summary of its breakdowns.
 * It counts only when no breakdown names a reason (the breakdowns say more: a `suspected` document
 * also has, say, `visual_authenticity` flagged). `rejected` and `caution` each cover several causes
 * (unreadable, unsupported or underage; expired or not all checks completed), so they map to nothing.
 *
 * @see https://documentation.onfido.com/guide/document-report-suggested-client-actions/
 */
export const onfidoSubResultReasonTable: Readonly<Record<string, ReasonCode>> = {
  suspected: 'suspected_fraud',
}

/** The most specific entry of a table for `family.breakdown.sub`, then `family.breakdown`, then `family`. */
function lookup<Value>(table: Readonly<Record<string, Value>>, path: readonly string[]): Value | undefined {
  for (let length = path.length; length > 0; length--) {
    const key = path.slice(0, length).join('.')
    if (Object.hasOwn(table, key)) return table[key]
  }
  return undefined
}

/** The reason for a breakdown path (`['document', 'data_validation', 'document_expiration']`). */
export function mapOnfidoReason(path: readonly string[]): Reason {
  return { code: lookup(onfidoReasonTable, path) ?? 'other', raw: path.join('.') }
}

/** The check kind for a breakdown path (`['document', 'visual_authenticity']`). */
export function mapOnfidoCheckKind(path: readonly string[]): CheckKind {
  return lookup(onfidoCheckKindTable, path) ?? 'other'
}

/**
 * A report or breakdown result → a check outcome.
 *
 * | result | outcome |
 * |---|---|
 * | `clear` | `passed` |
 * | `consider` | `failed` |
 * | `unidentified` | `warning` |
 * | none (not run) | `not_executed` |
 * | anything else | `warning` |
 */
export function mapOnfidoResult(result: string | null | undefined): CheckOutcome {
  return match(result)
    .returnType<CheckOutcome>()
    .with('clear', () => 'passed')
    .with('consider', () => 'failed')
    .with('unidentified', () => 'warning')
    .with(P.nullish, () => 'not_executed')
    .otherwise(() => 'warning')
}

const needsLook = (result: string | null | undefined) =>
  result !== undefined && result !== null && result !== 'clear'

/** A reason property name Onfido flags inside a sub-breakdown (`damaged_document`); anything else is ignored. */
const reasonPropertyName = /^[a-z][a-z0-9_]{0,63}$/

/**
 * The reason properties a sub-breakdown flags `consider` (`image_quality.properties.damaged_document`).
 * [UNCERTAIN] The spec types them as strings without an enum; `consider` is the flagged value.
 */
function flaggedProperties(node: OnfidoBreakdownNode): string[] {
  return Object.entries(node.properties ?? {})
    .filter(([name, value]) => value === 'consider' && reasonPropertyName.test(name))
    .map(([name]) => name)
}

/** The reasons of one sub-breakdown that did not come back clear: one per flagged property, else its own. */
function subBreakdownReasons(path: readonly string[], node: OnfidoBreakdownNode): Reason[] {
  const flagged = flaggedProperties(node)
  if (flagged.length === 0) return [mapOnfidoReason(path)]
  return flagged.map((name) => mapOnfidoReason([...path, name]))
}

/** The reasons of one breakdown node: its sub-breakdowns that did not come back clear, else the node itself. */
function breakdownReasons(path: readonly string[], node: OnfidoBreakdownNode): Reason[] {
  const reasons = Object.entries(node.breakdown ?? {})
    .filter((entry): entry is [string, OnfidoBreakdownNode] => needsLook(entry[1]?.result))
    .flatMap(([name, child]) => subBreakdownReasons([...path, name], child))
  if (reasons.length === 0 && needsLook(node.result)) reasons.push(mapOnfidoReason(path))
  return reasons
}

/**
 * One report → checks: one per top-level breakdown (`document.visual_authenticity`,
 * `facial_similarity_photo.face_comparison`, `watchlist_standard.sanction`, …), or one for the whole
 * report when it has no breakdown (a report still running, or a report type without one). Each check
 * keeps Onfido's report and breakdown name and result in `raw`.
 */
export function mapOnfidoReport(report: OnfidoReport): Check[] {
  const family = onfidoReportFamily(report.name)
  const breakdowns = Object.entries(report.breakdown ?? {}).filter(
    (entry): entry is [string, OnfidoBreakdownNode] => entry[1] !== null && entry[1] !== undefined,
  )
  if (breakdowns.length === 0) {
    return [
      {
        kind: mapOnfidoCheckKind([family]),
        outcome: mapOnfidoResult(report.result),
        reasons: needsLook(report.result) ? [mapOnfidoReason([family])] : [],
        raw: {
          name: report.name,
          ...(report.result ? { label: report.result } : {}),
          reportId: report.id,
          ...(report.status ? { status: report.status } : {}),
          ...(report.sub_result ? { subResult: report.sub_result } : {}),
        },
      },
    ]
  }
  return breakdowns.map(([name, node]) => ({
    kind: mapOnfidoCheckKind([family, name]),
    outcome: mapOnfidoResult(node.result),
    reasons: breakdownReasons([family, name], node),
    raw: {
      name: `${report.name}.${name}`,
      ...(node.result ? { label: node.result } : {}),
      reportId: report.id,
      ...(report.sub_result ? { subResult: report.sub_result } : {}),
    },
  }))
}

/** Every report's checks, in report order. */
export function mapOnfidoReports(reports: readonly OnfidoReport[]): Check[] {
  return reports.flatMap(mapOnfidoReport)
}

/** The reasons behind the checks that did not pass, each once. */
export function reasonsOfChecks(checks: readonly Check[]): Reason[] {
  return uniqueReasons(checks.filter((check) => check.outcome !== 'passed').flatMap((check) => check.reasons))
}

/**
 * The reasons the document reports' `sub_result` gives (see {@link onfidoSubResultReasonTable}), each
 * once, read from the checks' `raw.subResult`; the raw label is `document.sub_result.<value>`.
 */
export function reasonsOfSubResults(checks: readonly Check[]): Reason[] {
  return uniqueReasons(
    checks.flatMap((check) => {
      const subResult = check.raw.subResult
      if (typeof subResult !== 'string' || !Object.hasOwn(onfidoSubResultReasonTable, subResult)) return []
      return [{ code: onfidoSubResultReasonTable[subResult]!, raw: `document.sub_result.${subResult}` }]
    }),
  )
}

/**
 * A workflow run's own `reasons[]` (strings configured per workflow version) → reasons. A string
 * that names a breakdown path the reason table knows (`document.visual_authenticity`) maps through
 * it; anything else is `other` with the string kept. [UNCERTAIN] Onfido does not document the values.
 */
export function mapOnfidoRunReasons(reasons: readonly string[] | null | undefined): Reason[] {
  return (reasons ?? []).map((reason) => {
    const path = reason.split('.')
    const code = lookup(onfidoReasonTable, path)
    return { code: code ?? 'other', raw: reason }
  })
}
