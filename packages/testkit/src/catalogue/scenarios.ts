import type { Scenario, ScenarioId, SyntheticApplicant } from './scenario.js'

/** A valid document for a made-up person; scenarios override what they need. */
function applicant(
  overrides: Partial<SyntheticApplicant> & Pick<SyntheticApplicant, 'firstName' | 'lastName'>,
): SyntheticApplicant {
  return {
    dateOfBirth: '1988-04-12',
    documentNumber: 'ZZ0000000',
    documentType: 'passport',
    issuingCountry: 'DE',
    nationality: 'DE',
    issueDate: '2021-06-01',
    expiryDate: '2031-05-31',
    sex: 'unspecified',
    ...overrides,
  }
}

/**
 * The catalogue. Each applicant's **last name is the magic input**: a simulator that sees
 * `Testperson-Expired` on a submitted document (or typed into its hosted flow) produces an expired
 * document, whatever vendor it imitates. Every value is synthetic: first names are invented, document
 * numbers start with `ZZ` (no country issues those), dates of birth are distinct so a leak is findable.
 *
 * Choices where vendors differ:
 * - `unreadable_document` ends **declined**: vendors let the applicant retry a blurry capture within
 *   the session, but this applicant gives up retrying, and the final decision is a decline.
 * - `watchlist_hit` ends in **review**: screening hits need a person to rule out a namesake (Jumio's
 *   watchlist capability has no rejection, only an `ALERT` warning).
 * - `repeated_face` ends in **review**: a face seen before is suspicious, not proof of fraud.
 * - `applicant_abandons` ends **expired** without a decision: the applicant opened the flow and left;
 *   the vendor's session expires on its clock.
 */
export const scenarios: readonly Scenario[] = Object.freeze([
  {
    id: 'clean_approve',
    title: 'Clean approve',
    description: 'A valid passport, a matching live selfie, no screening hits: approved by the provider.',
    kind: 'baseline',
    applicant: applicant({
      firstName: 'Quillonda',
      lastName: 'Testperson-Approve',
      dateOfBirth: '1986-03-14',
      documentNumber: 'ZZ4100001',
    }),
    expected: {
      status: 'completed',
      outcome: 'approved',
      reasonCodes: [],
      checkKinds: ['document_authenticity', 'face_match', 'liveness'],
      decidedBy: 'provider',
    },
  },
  {
    id: 'expired_document',
    title: 'Expired document',
    description: 'An ID card whose expiry date has passed: declined.',
    kind: 'document',
    applicant: applicant({
      firstName: 'Marvellan',
      lastName: 'Testperson-Expired',
      dateOfBirth: '1979-11-02',
      documentNumber: 'ZZ4100002',
      documentType: 'id_card',
      issuingCountry: 'FR',
      nationality: 'FR',
      issueDate: '2009-02-15',
      expiryDate: '2019-02-14',
      sex: 'male',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['document_expired'],
      checkKinds: ['data_consistency'],
    },
  },
  {
    id: 'tampered_document',
    title: 'Tampered document',
    description: 'A passport whose photo page was digitally manipulated: declined.',
    kind: 'document',
    applicant: applicant({
      firstName: 'Ostravine',
      lastName: 'Testperson-Tampered',
      dateOfBirth: '1991-07-23',
      documentNumber: 'ZZ4100003',
      issuingCountry: 'NL',
      nationality: 'NL',
      sex: 'female',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['document_tampered'],
      checkKinds: ['document_authenticity'],
    },
  },
  {
    id: 'unreadable_document',
    title: 'Unreadable document',
    description:
      'A blurred, glare-covered driving licence; the applicant does not retry the capture: declined.',
    kind: 'document',
    applicant: applicant({
      firstName: 'Pellinore',
      lastName: 'Testperson-Unreadable',
      dateOfBirth: '1983-01-30',
      documentNumber: 'ZZ4100004',
      documentType: 'driving_license',
      issuingCountry: 'GB',
      nationality: 'GB',
      issueDate: '2020-09-10',
      expiryDate: '2030-09-09',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['document_unreadable'],
      checkKinds: ['document_quality'],
    },
  },
  {
    id: 'face_mismatch',
    title: 'Face mismatch',
    description: 'The selfie is of a different person than the document portrait: declined.',
    kind: 'biometric',
    applicant: applicant({
      firstName: 'Thessaly',
      lastName: 'Testperson-Mismatch',
      dateOfBirth: '1995-05-05',
      documentNumber: 'ZZ4100005',
      issuingCountry: 'ES',
      nationality: 'ES',
      sex: 'female',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['face_mismatch'],
      checkKinds: ['face_match'],
    },
  },
  {
    id: 'liveness_failure',
    title: 'Liveness failure',
    description: 'The selfie is a photo of a photo, not a live person: declined.',
    kind: 'biometric',
    applicant: applicant({
      firstName: 'Corvinia',
      lastName: 'Testperson-Spoof',
      dateOfBirth: '1990-12-19',
      documentNumber: 'ZZ4100006',
      issuingCountry: 'IT',
      nationality: 'IT',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['liveness_failed'],
      checkKinds: ['liveness'],
    },
  },
  {
    id: 'repeated_face',
    title: 'Repeated face',
    description: 'The face was already seen in another verification under another identity: review.',
    kind: 'biometric',
    applicant: applicant({
      firstName: 'Belisande',
      lastName: 'Testperson-Repeat',
      dateOfBirth: '1987-08-27',
      documentNumber: 'ZZ4100007',
      issuingCountry: 'AT',
      nationality: 'AT',
    }),
    expected: { status: 'completed', outcome: 'review', reasonCodes: ['repeated_face'], checkKinds: [] },
  },
  {
    id: 'watchlist_hit',
    title: 'Watchlist hit',
    description:
      'Screening finds a sanctions-list match for the name: review, for a person to rule out a namesake.',
    kind: 'compliance',
    applicant: applicant({
      firstName: 'Draxomir',
      lastName: 'Testperson-Watchlist',
      dateOfBirth: '1969-10-08',
      documentNumber: 'ZZ4100008',
      issuingCountry: 'US',
      nationality: 'US',
      sex: 'male',
    }),
    expected: {
      status: 'completed',
      outcome: 'review',
      reasonCodes: ['watchlist_hit'],
      checkKinds: ['watchlist'],
    },
  },
  {
    id: 'underage',
    title: 'Underage',
    description: 'A valid passport of a 14-year-old; the required age is 18: declined.',
    kind: 'compliance',
    applicant: applicant({
      firstName: 'Wrenolyn',
      lastName: 'Testperson-Minor',
      dateOfBirth: '2012-08-09',
      documentNumber: 'ZZ4100009',
      issuingCountry: 'SE',
      nationality: 'SE',
      issueDate: '2024-03-01',
      expiryDate: '2029-02-28',
    }),
    expected: {
      status: 'completed',
      outcome: 'declined',
      reasonCodes: ['age_requirement'],
      checkKinds: ['data_extraction'],
    },
  },
  {
    id: 'applicant_abandons',
    title: 'Applicant abandons',
    description: 'The applicant opens the flow and leaves; the session expires with no decision.',
    kind: 'lifecycle',
    applicant: applicant({
      firstName: 'Halvardine',
      lastName: 'Testperson-Abandon',
      dateOfBirth: '1993-02-21',
      documentNumber: 'ZZ4100010',
      issuingCountry: 'CA',
      nationality: 'CA',
    }),
    expected: { status: 'expired', reasonCodes: [], checkKinds: [] },
  },
  {
    id: 'manual_review_then_approve',
    title: 'Manual review, then approve',
    description:
      'The name read from the document differs from the one supplied (a transliteration): the provider asks for review, and a person approves.',
    kind: 'review',
    applicant: applicant({
      firstName: 'Ysoldetta',
      lastName: 'Testperson-Review',
      dateOfBirth: '1984-06-16',
      documentNumber: 'ZZ4100011',
      issuingCountry: 'PT',
      nationality: 'PT',
    }),
    expected: {
      status: 'completed',
      outcome: 'approved',
      reasonCodes: [],
      checkKinds: ['data_consistency'],
      decidedBy: 'manual',
      intermediate: {
        status: 'completed',
        outcome: 'review',
        reasonCodes: ['data_mismatch'],
        checkKinds: ['data_consistency'],
      },
    },
  },
] satisfies Scenario[])

/** Every scenario id, in catalogue order. */
export const scenarioIds: readonly ScenarioId[] = scenarios.map((scenario) => scenario.id)

const byId = new Map<string, Scenario>(scenarios.map((scenario) => [scenario.id, scenario]))
const byLastName = new Map<string, Scenario>(
  scenarios.map((scenario) => [scenario.applicant.lastName.toLowerCase(), scenario]),
)

/**
 * Looks a scenario up by id; throws for an unknown id, so a typo in a test fails loudly.
 *
 * @example
 * ```ts
 * const { applicant } = scenarioById('expired_document')
 * ```
 */
export function scenarioById(id: ScenarioId): Scenario {
  const scenario = byId.get(id)
  if (scenario === undefined) throw new RangeError(`Unknown scenario id "${id}"`)
  return scenario
}

/**
 * The scenario whose magic last name this is (case-insensitive), for simulators reading a submitted
 * document or a name typed into a hosted flow. Unknown names return `undefined`: simulators treat
 * them as `clean_approve`.
 *
 * @example
 * ```ts
 * const scenario = scenarioByLastName(extracted.lastName) ?? scenarioById('clean_approve')
 * ```
 */
export function scenarioByLastName(lastName: string): Scenario | undefined {
  return byLastName.get(lastName.trim().toLowerCase())
}
