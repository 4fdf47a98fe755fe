import type { SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { alpha3, type BreakdownPath, onfidoDocumentType, type ReportOutcome } from './onfido-scenarios.js'

/**
 * Report bodies: breakdowns and properties per report name, shaped after SPEC's report schemas and
 * NODE's sandbox `exampleDocumentReport` / facial-similarity example (`reference/onfido-api.md` §6).
 * Every node is `{result, breakdown?: {item: {result, properties}}}`; a group is `consider` when any of
 * its items is.
 */

/** The breakdown groups and items each report shows, all `clear` by default. */
const breakdownLayouts: Record<string, Record<string, readonly string[]>> = {
  document: {
    data_comparison: ['first_name', 'last_name', 'date_of_birth', 'document_numbers', 'issuing_country'],
    data_validation: ['date_of_birth', 'document_expiration', 'document_numbers', 'expiry_date', 'mrz'],
    image_integrity: ['image_quality', 'supported_document', 'colour_picture', 'conclusive_document_quality'],
    visual_authenticity: [
      'fonts',
      'picture_face_integrity',
      'template',
      'security_features',
      'original_document_present',
      'digital_tampering',
      'face_detection',
      'other',
    ],
    data_consistency: ['first_name', 'last_name', 'date_of_birth', 'document_numbers', 'nationality'],
    compromised_document: ['document_database', 'repeat_attempts'],
    age_validation: ['minimum_accepted_age'],
    police_record: [],
  },
  facial_similarity_photo: {
    face_comparison: ['face_match'],
    image_integrity: ['face_detected', 'source_integrity'],
    visual_authenticity: ['spoofing_detection'],
  },
  known_faces: { previously_seen_faces: [], image_integrity: [] },
  watchlist_standard: { sanction: [], politically_exposed_person: [], legal_and_regulatory_warnings: [] },
}

/** Scores a face node carries, low when the scenario says the check failed. */
function scoreProperties(item: string, failed: boolean): Record<string, unknown> {
  if (item === 'face_match') return { score: failed ? 0.12 : 0.93 }
  if (item === 'spoofing_detection') return { score: failed ? 0.04 : 0.9 }
  if (item === 'image_quality' && failed) return { blurred_photo: 'consider', glare_on_photo: 'consider' }
  return {}
}

function isConsidered(paths: readonly BreakdownPath[], group: string, item?: string): boolean {
  return paths.some(
    ([pathGroup, pathItem]) => pathGroup === group && (item === undefined || pathItem === item),
  )
}

/** The `breakdown` object of a report. */
export function buildBreakdown(name: string, outcome: ReportOutcome): Record<string, unknown> {
  const layout = breakdownLayouts[name]
  if (layout === undefined) return {}
  const breakdown: Record<string, unknown> = {}
  for (const [group, items] of Object.entries(layout)) {
    const groupResult = isConsidered(outcome.consider, group) ? 'consider' : 'clear'
    if (items.length === 0) {
      breakdown[group] = { result: groupResult }
      continue
    }
    const children: Record<string, unknown> = {}
    for (const item of items) {
      const failed = isConsidered(outcome.consider, group, item)
      children[item] = { result: failed ? 'consider' : 'clear', properties: scoreProperties(item, failed) }
    }
    breakdown[group] = { result: groupResult, breakdown: children }
  }
  return breakdown
}

const genders: Record<SyntheticApplicant['sex'], string | undefined> = {
  female: 'Female',
  male: 'Male',
  unspecified: undefined,
}

/** The `properties` of a document report: what was read from the document the applicant holds. */
export function documentProperties(holder: SyntheticApplicant): Record<string, unknown> {
  const gender = genders[holder.sex]
  return {
    first_name: holder.firstName,
    last_name: holder.lastName,
    date_of_birth: holder.dateOfBirth,
    date_of_expiry: holder.expiryDate,
    issuing_date: holder.issueDate,
    document_type: onfidoDocumentType(holder.documentType),
    issuing_country: alpha3(holder.issuingCountry),
    nationality: alpha3(holder.nationality),
    ...(gender === undefined ? {} : { gender }),
    document_numbers: [{ type: 'document_number', value: holder.documentNumber }],
  }
}

/** The `properties` of a report (extracted data, scores, matches). */
export function buildProperties(
  name: string,
  outcome: ReportOutcome,
  context: { holder: SyntheticApplicant; documentId?: string; matchedApplicantId?: string; mediaId?: string },
): Record<string, unknown> {
  if (name.startsWith('document')) return documentProperties(context.holder)
  if (name === 'facial_similarity_photo' || name === 'facial_similarity_photo_fully_auto') {
    const spoofed = isConsidered(outcome.consider, 'visual_authenticity')
    return { score: spoofed ? 0.04 : 0.9 }
  }
  if (name === 'known_faces' && outcome.result === 'consider') {
    return {
      matches: [
        {
          applicant_id: context.matchedApplicantId,
          score: 0.97,
          media_id: context.mediaId,
          media_type: 'live_photos',
          suspected: true,
        },
      ],
    }
  }
  return {}
}
