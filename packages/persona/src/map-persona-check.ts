import type { Check, CheckKind, CheckOutcome, Reason, ReasonCode } from '@openkyc/core'
import type { PersonaCheck } from './persona-schemas.js'

/** What a Persona check name means for us: the kind of check, and the reason code when it fails. */
export type PersonaCheckMeaning = { kind: CheckKind; failureCode: ReasonCode }

/**
 * Persona check names onto our check kinds and the reason code a failure stands for. The names come
 * from Persona's check catalogue and the examples in its OpenAPI bundle; a name not listed here maps
 * to kind `other` with reason `other`, never an exception.
 *
 * @see https://docs.withpersona.com/docs/verification-checks
 * @see https://docs.withpersona.com/reference/retrieve-a-government-id-verification (example `checks`)
 * @see https://docs.withpersona.com/reference/retrieve-a-selfie-verification (example `checks`)
 */
export const personaCheckTable: Readonly<Record<string, PersonaCheckMeaning>> = {
  // Government ID: can it be read?
  id_blur_detection: { kind: 'document_quality', failureCode: 'document_unreadable' },
  id_glare_detection: { kind: 'document_quality', failureCode: 'document_unreadable' },
  id_unprocessable_submission_detection: { kind: 'document_quality', failureCode: 'document_unreadable' },
  id_portrait_detection: { kind: 'document_quality', failureCode: 'document_unreadable' },
  id_portrait_clarity_detection: { kind: 'document_quality', failureCode: 'document_unreadable' },
  id_double_side_detection: { kind: 'document_quality', failureCode: 'document_incomplete' },
  // Government ID: is it genuine, valid and acceptable?
  id_tamper_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_electronic_replica_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_fabrication_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_handwriting_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_color_inconsistency_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_compromised_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_entity_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_public_figure_detection: { kind: 'document_authenticity', failureCode: 'document_tampered' },
  id_disallowed_country_detection: { kind: 'document_authenticity', failureCode: 'document_unsupported' },
  id_disallowed_type_detection: { kind: 'document_authenticity', failureCode: 'document_unsupported' },
  id_real_id_detection: { kind: 'document_authenticity', failureCode: 'document_unsupported' },
  // Government ID: data read from it
  id_extracted_properties_detection: { kind: 'data_extraction', failureCode: 'document_unreadable' },
  id_mrz_detection: { kind: 'data_extraction', failureCode: 'document_unreadable' },
  id_barcode_detection: { kind: 'data_extraction', failureCode: 'document_unreadable' },
  // Government ID: does the data agree with itself, with what we know, and with the calendar?
  // (Expiry sits here, as in the scenario catalogue: it is a check on the dates read.)
  id_expired_detection: { kind: 'data_consistency', failureCode: 'document_expired' },
  id_nfc_expired_detection: { kind: 'data_consistency', failureCode: 'document_expired' },
  id_mrz_inconsistency_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_barcode_inconsistency_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_extraction_inconsistency_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_number_format_inconsistency_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_valid_dates_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_age_inconsistency_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_inquiry_comparison: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_account_comparison: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_po_box_detection: { kind: 'data_consistency', failureCode: 'other' },
  id_repeat_detection: { kind: 'data_consistency', failureCode: 'repeated_face' },
  id_inconsistent_repeat_detection: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  id_age_comparison: { kind: 'age', failureCode: 'age_requirement' },
  id_aamva_database_lookup: { kind: 'database', failureCode: 'data_mismatch' },
  id_selfie_comparison: { kind: 'face_match', failureCode: 'face_mismatch' },
  // Selfie
  selfie_id_comparison: { kind: 'face_match', failureCode: 'face_mismatch' },
  selfie_account_comparison: { kind: 'face_match', failureCode: 'face_mismatch' },
  selfie_repeat_detection: { kind: 'face_match', failureCode: 'repeated_face' },
  selfie_liveness_detection: { kind: 'liveness', failureCode: 'liveness_failed' },
  selfie_suspicious_entity_detection: { kind: 'liveness', failureCode: 'liveness_failed' },
  selfie_pose_detection: { kind: 'liveness', failureCode: 'liveness_failed' },
  selfie_pose_repeat_detection: { kind: 'liveness', failureCode: 'liveness_failed' },
  selfie_multiple_faces_detection: { kind: 'liveness', failureCode: 'selfie_unusable' },
  selfie_public_figure_detection: { kind: 'liveness', failureCode: 'liveness_failed' },
  selfie_glare_detection: { kind: 'other', failureCode: 'selfie_unusable' },
  selfie_glasses_detection: { kind: 'other', failureCode: 'selfie_unusable' },
  selfie_face_covering_detection: { kind: 'other', failureCode: 'selfie_unusable' },
  selfie_age_comparison: { kind: 'age', failureCode: 'age_requirement' },
  // Database
  database_identity_comparison: { kind: 'database', failureCode: 'data_mismatch' },
  database_inquiry_comparison: { kind: 'data_consistency', failureCode: 'data_mismatch' },
  database_deceased_detection: { kind: 'database', failureCode: 'other' },
  database_address_deliverable_detection: { kind: 'database', failureCode: 'other' },
  database_address_residential_detection: { kind: 'database', failureCode: 'other' },
  database_po_box_detection: { kind: 'database', failureCode: 'other' },
}

/**
 * Persona check reasons that say more than the check name. When a failed check carries one of
 * these, it wins over the check's own failure code (a failed `id_entity_detection` with
 * `replica_detected` is a tampered document either way, but a failed `id_barcode_detection` with
 * `expired` is an expired document). Reasons not listed here fall back to the check's code: most
 * Persona reasons (`no_selfie`, `disabled`, `not_enabled`, `no_account`) only say why a check was
 * not applicable.
 *
 * @see https://docs.withpersona.com/docs/verification-checks
 */
export const personaReasonTable: Readonly<Record<string, ReasonCode>> = {
  expired: 'document_expired',
  too_much_glare: 'document_unreadable',
  barcode_not_decoded: 'document_unreadable',
  mrz_not_found: 'document_unreadable',
  portrait_not_found: 'document_unreadable',
  back_missing: 'document_incomplete',
  side_submitted_twice: 'document_incomplete',
  type_not_detected: 'document_unsupported',
  invalid_country: 'document_unsupported',
  replica_detected: 'document_tampered',
  matched_other_account: 'repeated_face',
}

/** The meaning of a check name; unknown names are kind `other` with reason `other`. */
export function mapPersonaCheckName(name: string): PersonaCheckMeaning {
  return checkMeanings.get(name) ?? { kind: 'other', failureCode: 'other' }
}

/** The table as a `Map`: looked up once per check, faster than a large object literal. */
const checkMeanings: ReadonlyMap<string, PersonaCheckMeaning> = new Map(Object.entries(personaCheckTable))

/**
 * A check's `status` onto our check outcome.
 *
 * | Persona check status | our outcome |
 * |---|---|
 * | `passed` | `passed` |
 * | `failed` | `failed` |
 * | `not_applicable` | `not_executed` |
 * | anything else | `warning` |
 *
 * An unknown status is neither a pass nor a failure we can vouch for, so it reads as `warning`.
 *
 * @see https://docs.withpersona.com/reference/retrieve-a-verification (check `status`)
 */
export function mapPersonaCheckStatus(status: string | null | undefined): CheckOutcome {
  // A table rather than ts-pattern: this runs for every check of every verification (about fifty
  // per inquiry event), where building a matcher per call was a measurable share of webhook ingest.
  return typeof status === 'string' && Object.hasOwn(checkStatusTable, status)
    ? (checkStatusTable[status] as CheckOutcome)
    : 'warning'
}

const checkStatusTable: Readonly<Record<string, CheckOutcome>> = {
  passed: 'passed',
  failed: 'failed',
  not_applicable: 'not_executed',
}

function stringReasons(check: PersonaCheck): string[] {
  const reasons: string[] = []
  for (const reason of check.reasons ?? []) if (typeof reason === 'string') reasons.push(reason)
  return reasons
}

function codedReasons(
  check: PersonaCheck,
  failureCode: ReasonCode,
  vendorReasons: readonly string[],
): Reason[] {
  if (vendorReasons.length === 0) return [{ code: failureCode, raw: check.name }]
  return vendorReasons.map((reason) => ({
    code: Object.hasOwn(personaReasonTable, reason)
      ? (personaReasonTable[reason] as ReasonCode)
      : failureCode,
    raw: reason,
  }))
}

/** The reasons of a failed check: each vendor reason coded, or the check's own code when it has none. */
export function mapPersonaCheckReasons(check: PersonaCheck): Reason[] {
  return codedReasons(check, mapPersonaCheckName(check.name).failureCode, stringReasons(check))
}

/**
 * One Persona check onto ours. Failed checks carry coded reasons; for the others the vendor's
 * reasons (why a check was not applicable) stay in `raw.reasons`. Check `metadata` is never copied:
 * it may hold personal data.
 */
export function mapPersonaCheck(check: PersonaCheck, verificationType: string): Check {
  const outcome = mapPersonaCheckStatus(check.status)
  const meaning = mapPersonaCheckName(check.name)
  const vendorReasons = stringReasons(check)
  const raw: Check['raw'] = { name: check.name }
  if (check.status) raw.label = check.status
  if (check.requirement) raw.requirement = check.requirement
  raw.reasons = vendorReasons
  raw.verificationType = verificationType
  return {
    kind: meaning.kind,
    outcome,
    reasons: outcome === 'failed' ? codedReasons(check, meaning.failureCode, vendorReasons) : [],
    raw,
  }
}
