import type { ScenarioId, SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { scenarioById, scenarioByLastName } from '@openkyc/testkit/catalogue'
import countries from 'i18n-iso-countries'
import type { OnfidoWorkflowRunStatus } from './onfido-resources.js'

/**
 * How each catalogue scenario shows in Onfido's words: the workflow run's end status and `reasons`,
 * and which report breakdowns come back `consider` (breakdown names from SPEC and
 * `reference/onfido-api.md` §6; sub-result meanings from Onfido's "document report suggested client
 * actions": `caution` for an expired document, `suspected` for fraud signs, `rejected` for an
 * unreadable or unsupported image or an applicant under the age threshold).
 */

/** A breakdown path inside a report that comes back `consider`, e.g. `['data_validation', 'document_expiration']`. */
export type BreakdownPath = readonly [group: string, item: string]

/** What one report shows for a scenario. */
export type ReportOutcome = {
  result: 'clear' | 'consider'
  /** Document reports only. */
  subResult?: 'clear' | 'rejected' | 'suspected' | 'caution'
  /** Sub-breakdowns that are `consider` (their group becomes `consider` too). */
  consider: readonly BreakdownPath[]
}

/** The reports the simulator's built-in Studio workflow runs, in task order. */
export const workflowReportNames = [
  'document',
  'facial_similarity_photo',
  'known_faces',
  'watchlist_standard',
] as const

/** A report name the simulator fills with breakdowns; other names get an empty, clear report. */
export type WorkflowReportName = (typeof workflowReportNames)[number]

/** One scenario realised by the Onfido simulator. */
export type OnfidoScenarioRealisation = {
  /** The run's end status, or the status before the back office decides (`review` scenarios). */
  runStatus: OnfidoWorkflowRunStatus
  /**
   * The run's `reasons[]`. Onfido makes them configurable per workflow version; the built-in
   * workflow names the breakdown that decided, `report.group.item` [UNCERTAIN: real values are
   * whatever the customer's workflow version configures].
   */
  reasons: readonly string[]
  reports: Partial<Record<WorkflowReportName, ReportOutcome>>
  /** For scenarios a person finishes: the status and reasons after the back-office review. */
  afterReview?: { runStatus: OnfidoWorkflowRunStatus; reasons: readonly string[] }
}

const clear: ReportOutcome = { result: 'clear', subResult: 'clear', consider: [] }

function consider(subResult: ReportOutcome['subResult'], ...paths: BreakdownPath[]): ReportOutcome {
  return { result: 'consider', ...(subResult === undefined ? {} : { subResult }), consider: paths }
}

/** The realisation of every catalogue scenario (documented in the package README). */
export const onfidoScenarioRealisations: Readonly<Record<ScenarioId, OnfidoScenarioRealisation>> =
  Object.freeze({
    clean_approve: { runStatus: 'approved', reasons: [], reports: {} },
    expired_document: {
      runStatus: 'declined',
      reasons: ['document.data_validation.document_expiration'],
      reports: { document: consider('caution', ['data_validation', 'document_expiration']) },
    },
    tampered_document: {
      runStatus: 'declined',
      reasons: ['document.visual_authenticity.digital_tampering'],
      reports: { document: consider('suspected', ['visual_authenticity', 'digital_tampering']) },
    },
    unreadable_document: {
      runStatus: 'declined',
      reasons: ['document.image_integrity.image_quality'],
      reports: { document: consider('rejected', ['image_integrity', 'image_quality']) },
    },
    face_mismatch: {
      runStatus: 'declined',
      reasons: ['facial_similarity_photo.face_comparison.face_match'],
      reports: { facial_similarity_photo: consider(undefined, ['face_comparison', 'face_match']) },
    },
    liveness_failure: {
      runStatus: 'declined',
      reasons: ['facial_similarity_photo.visual_authenticity.spoofing_detection'],
      reports: {
        facial_similarity_photo: consider(undefined, ['visual_authenticity', 'spoofing_detection']),
      },
    },
    repeated_face: {
      runStatus: 'review',
      reasons: ['known_faces.previously_seen_faces'],
      reports: { known_faces: consider(undefined, ['previously_seen_faces', '']) },
    },
    watchlist_hit: {
      runStatus: 'review',
      reasons: ['watchlist_standard.sanction'],
      reports: { watchlist_standard: consider(undefined, ['sanction', '']) },
    },
    underage: {
      runStatus: 'declined',
      reasons: ['document.age_validation.minimum_accepted_age'],
      reports: { document: consider('rejected', ['age_validation', 'minimum_accepted_age']) },
    },
    applicant_abandons: { runStatus: 'abandoned', reasons: [], reports: {} },
    manual_review_then_approve: {
      runStatus: 'review',
      reasons: ['document.data_comparison.first_name'],
      reports: { document: consider('caution', ['data_comparison', 'first_name']) },
      afterReview: { runStatus: 'approved', reasons: [] },
    },
  })

/** The outcome of one report under a realisation (clear unless the scenario says otherwise). */
export function reportOutcome(realisation: OnfidoScenarioRealisation, name: string): ReportOutcome {
  const outcome = realisation.reports[name as WorkflowReportName]
  if (outcome !== undefined) return outcome
  return name.startsWith('document') ? clear : { result: 'clear', consider: [] }
}

/**
 * The scenario an applicant realises: the one assigned through the control API, else the catalogue
 * scenario of its magic last name, else `clean_approve`.
 */
export function scenarioFor(lastName: string, assigned?: ScenarioId): ScenarioId {
  return assigned ?? scenarioByLastName(lastName)?.id ?? 'clean_approve'
}

/** ISO alpha-2 → alpha-3 (Onfido speaks alpha-3), `GBR` when unknown. */
export function alpha3(alpha2: string): string {
  return countries.alpha2ToAlpha3(alpha2.toUpperCase()) ?? 'GBR'
}

const documentTypes: Record<SyntheticApplicant['documentType'], string> = {
  passport: 'passport',
  driving_license: 'driving_licence',
  id_card: 'national_identity_card',
  visa: 'visa',
  residence_permit: 'residence_permit',
  other: 'passport',
}

/** The Onfido document type of a catalogue document type. */
export function onfidoDocumentType(documentType: SyntheticApplicant['documentType']): string {
  return documentTypes[documentType]
}

/**
 * The document the applicant holds: the catalogue applicant of the scenario (the magic inputs of
 * the catalogue are the person's real document), with the names the applicant was created with.
 * [UNCERTAIN choice] Onfido's sandbox returns fixed "Jane Doe" document data whatever is uploaded;
 * the simulator extracts the catalogue person's data instead, so extraction can be tested.
 */
export function heldDocument(scenarioId: ScenarioId): SyntheticApplicant {
  return scenarioById(scenarioId).applicant
}
