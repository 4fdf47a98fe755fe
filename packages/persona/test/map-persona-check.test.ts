import type { CheckKind, ReasonCode } from '@openkyc/core'
import { CheckSchema } from '@openkyc/core'
import { describe, expect, it } from 'vitest'
import {
  mapPersonaCheck,
  mapPersonaCheckName,
  mapPersonaCheckReasons,
  mapPersonaCheckStatus,
  personaCheckTable,
  personaReasonTable,
} from '../src/map-persona-check.js'
import { PersonaVerificationSchema } from '../src/persona-schemas.js'
import { fixture } from './fixtures.js'

// The README's check table, row by row: Persona check name → check kind, reason code on failure.
const checkRows: [string, CheckKind, ReasonCode][] = [
  ['id_blur_detection', 'document_quality', 'document_unreadable'],
  ['id_glare_detection', 'document_quality', 'document_unreadable'],
  ['id_unprocessable_submission_detection', 'document_quality', 'document_unreadable'],
  ['id_portrait_detection', 'document_quality', 'document_unreadable'],
  ['id_portrait_clarity_detection', 'document_quality', 'document_unreadable'],
  ['id_double_side_detection', 'document_quality', 'document_incomplete'],
  ['id_tamper_detection', 'document_authenticity', 'document_tampered'],
  ['id_electronic_replica_detection', 'document_authenticity', 'document_tampered'],
  ['id_fabrication_detection', 'document_authenticity', 'document_tampered'],
  ['id_handwriting_detection', 'document_authenticity', 'document_tampered'],
  ['id_color_inconsistency_detection', 'document_authenticity', 'document_tampered'],
  ['id_compromised_detection', 'document_authenticity', 'document_tampered'],
  ['id_entity_detection', 'document_authenticity', 'document_tampered'],
  ['id_public_figure_detection', 'document_authenticity', 'document_tampered'],
  ['id_disallowed_country_detection', 'document_authenticity', 'document_unsupported'],
  ['id_disallowed_type_detection', 'document_authenticity', 'document_unsupported'],
  ['id_real_id_detection', 'document_authenticity', 'document_unsupported'],
  ['id_extracted_properties_detection', 'data_extraction', 'document_unreadable'],
  ['id_mrz_detection', 'data_extraction', 'document_unreadable'],
  ['id_barcode_detection', 'data_extraction', 'document_unreadable'],
  ['id_expired_detection', 'data_consistency', 'document_expired'],
  ['id_nfc_expired_detection', 'data_consistency', 'document_expired'],
  ['id_mrz_inconsistency_detection', 'data_consistency', 'data_mismatch'],
  ['id_barcode_inconsistency_detection', 'data_consistency', 'data_mismatch'],
  ['id_extraction_inconsistency_detection', 'data_consistency', 'data_mismatch'],
  ['id_number_format_inconsistency_detection', 'data_consistency', 'data_mismatch'],
  ['id_valid_dates_detection', 'data_consistency', 'data_mismatch'],
  ['id_age_inconsistency_detection', 'data_consistency', 'data_mismatch'],
  ['id_inquiry_comparison', 'data_consistency', 'data_mismatch'],
  ['id_account_comparison', 'data_consistency', 'data_mismatch'],
  ['id_po_box_detection', 'data_consistency', 'other'],
  ['id_repeat_detection', 'data_consistency', 'repeated_face'],
  ['id_inconsistent_repeat_detection', 'data_consistency', 'data_mismatch'],
  ['id_age_comparison', 'age', 'age_requirement'],
  ['id_aamva_database_lookup', 'database', 'data_mismatch'],
  ['id_selfie_comparison', 'face_match', 'face_mismatch'],
  ['selfie_id_comparison', 'face_match', 'face_mismatch'],
  ['selfie_account_comparison', 'face_match', 'face_mismatch'],
  ['selfie_repeat_detection', 'face_match', 'repeated_face'],
  ['selfie_liveness_detection', 'liveness', 'liveness_failed'],
  ['selfie_suspicious_entity_detection', 'liveness', 'liveness_failed'],
  ['selfie_pose_detection', 'liveness', 'liveness_failed'],
  ['selfie_pose_repeat_detection', 'liveness', 'liveness_failed'],
  ['selfie_multiple_faces_detection', 'liveness', 'selfie_unusable'],
  ['selfie_public_figure_detection', 'liveness', 'liveness_failed'],
  ['selfie_glare_detection', 'other', 'selfie_unusable'],
  ['selfie_glasses_detection', 'other', 'selfie_unusable'],
  ['selfie_face_covering_detection', 'other', 'selfie_unusable'],
  ['selfie_age_comparison', 'age', 'age_requirement'],
  ['database_identity_comparison', 'database', 'data_mismatch'],
  ['database_inquiry_comparison', 'data_consistency', 'data_mismatch'],
  ['database_deceased_detection', 'database', 'other'],
  ['database_address_deliverable_detection', 'database', 'other'],
  ['database_address_residential_detection', 'database', 'other'],
  ['database_po_box_detection', 'database', 'other'],
  // Not in the table: anything Persona adds tomorrow.
  ['id_quantum_hologram_detection', 'other', 'other'],
  ['toString', 'other', 'other'],
]

// The README's reason table: a failed check's vendor reason → reason code (wins over the check's code).
const reasonRows: [string, ReasonCode][] = [
  ['expired', 'document_expired'],
  ['too_much_glare', 'document_unreadable'],
  ['barcode_not_decoded', 'document_unreadable'],
  ['mrz_not_found', 'document_unreadable'],
  ['portrait_not_found', 'document_unreadable'],
  ['back_missing', 'document_incomplete'],
  ['side_submitted_twice', 'document_incomplete'],
  ['type_not_detected', 'document_unsupported'],
  ['invalid_country', 'document_unsupported'],
  ['replica_detected', 'document_tampered'],
  ['matched_other_account', 'repeated_face'],
]

describe('mapPersonaCheckName', () => {
  it.each(checkRows)('%s → %s, fails with %s', (name, kind, failureCode) => {
    expect(mapPersonaCheckName(name)).toEqual({ kind, failureCode })
  })

  it('the test table covers every row of the mapping table', () => {
    const tested = new Set(checkRows.map(([name]) => name))
    expect(Object.keys(personaCheckTable).filter((name) => !tested.has(name))).toEqual([])
  })
})

describe('mapPersonaCheckReasons', () => {
  it.each(reasonRows)('a failed check with reason %s → %s', (reason, code) => {
    // A check whose own code differs, so the reason table is what decides.
    expect(
      mapPersonaCheckReasons({ name: 'selfie_glare_detection', status: 'failed', reasons: [reason] }),
    ).toEqual([{ code, raw: reason }])
  })

  it('the test table covers every row of the reason table', () => {
    expect(Object.keys(personaReasonTable).sort()).toEqual(reasonRows.map(([reason]) => reason).sort())
  })

  it('falls back to the check name for reasons that only explain, and for unknown ones', () => {
    expect(
      mapPersonaCheckReasons({
        name: 'id_tamper_detection',
        status: 'failed',
        reasons: ['no_selfie', 'brand_new'],
      }),
    ).toEqual([
      { code: 'document_tampered', raw: 'no_selfie' },
      { code: 'document_tampered', raw: 'brand_new' },
    ])
  })

  it('uses the check name as the raw label when Persona gives no reason', () => {
    expect(mapPersonaCheckReasons({ name: 'selfie_id_comparison', status: 'failed', reasons: [] })).toEqual([
      { code: 'face_mismatch', raw: 'selfie_id_comparison' },
    ])
    expect(mapPersonaCheckReasons({ name: 'mystery_check', status: 'failed', reasons: [null] })).toEqual([
      { code: 'other', raw: 'mystery_check' },
    ])
  })
})

describe('mapPersonaCheckStatus', () => {
  it.each([
    ['passed', 'passed'],
    ['failed', 'failed'],
    ['not_applicable', 'not_executed'],
    ['inconclusive', 'warning'],
    [null, 'warning'],
    [undefined, 'warning'],
  ] as const)('%s → %s', (status, outcome) => {
    expect(mapPersonaCheckStatus(status)).toBe(outcome)
  })
})

describe('mapPersonaCheck on the spec example with 35 checks', () => {
  const document = fixture('verification-government-id-failed.json') as { data: unknown }
  const verification = PersonaVerificationSchema.parse(document.data)
  const checks = (verification.attributes?.checks ?? []).map((check) =>
    mapPersonaCheck(check, verification.type),
  )

  it('maps every check to a valid normalized check, none of them to a crash', () => {
    expect(checks).toHaveLength(35)
    for (const check of checks) expect(CheckSchema.parse(check)).toEqual(check)
  })

  it('codes the failures and keeps the vendor words beside', () => {
    const replica = checks.find((check) => check.raw.name === 'id_electronic_replica_detection')
    expect(replica).toMatchObject({
      kind: 'document_authenticity',
      outcome: 'failed',
      reasons: [{ code: 'document_tampered', raw: 'replica_detected' }],
      raw: { label: 'failed', requirement: 'not_required', verificationType: 'verification/government-id' },
    })
    const expired = checks.find((check) => check.raw.name === 'id_expired_detection')
    expect(expired).toMatchObject({
      outcome: 'not_executed',
      reasons: [],
      raw: { reasons: ['no_expiration_date'] },
    })
  })

  it('never copies check metadata (it may hold personal data)', () => {
    const disallowed = checks.find((check) => check.raw.name === 'id_disallowed_type_detection')
    expect(disallowed?.raw).not.toHaveProperty('metadata')
  })
})
