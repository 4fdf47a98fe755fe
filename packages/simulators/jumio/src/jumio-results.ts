import { randomInt, randomUUID } from 'node:crypto'
import type { DocumentType } from '@openkyc/core'
import countries from 'i18n-iso-countries'
import type { StoredCredential } from './jumio-state.js'
import {
  type JumioCapabilityName,
  type JumioCredentialCategory,
  type JumioWorkflowDefinition,
  kyxSteps,
} from './jumio-workflows.js'

/**
 * The verification engine: turns a workflow, the captured credentials and an outcome profile into
 * Jumio's capability results, overall decision and steps. Capability names, decision types, labels
 * and data fields follow `reference/jumio-api.md` §6 ("Capability decision labels") and the details
 * example of seed 003; dependencies follow the capability chains of §3: a prerequisite that was
 * rejected or not executed makes its dependants `NOT_EXECUTED / PRECONDITION_NOT_FULFILLED`.
 */

/** Decision types of capabilities and of the overall decision. */
export type JumioDecisionType = 'NOT_EXECUTED' | 'PASSED' | 'REJECTED' | 'WARNING'

/** A capability's verdict in Jumio's words: `{ type, details: { label } }`. */
export type JumioVerdict = { type: JumioDecisionType; label: string }

/** A reference to a credential inside a capability result. */
export type JumioCredentialReference = { id: string; category: JumioCredentialCategory }

/** One capability result as the details response carries it. */
export type JumioCapabilityResult = {
  id: string
  credentials: JumioCredentialReference[]
  validFaceMapForAuthentication?: string
  decision: { type: JumioDecisionType; details: { label: string } }
  data?: Record<string, unknown>
}

/** The overall decision of a workflow execution. */
export type JumioOverallDecision = {
  type: JumioDecisionType
  details: { label: string }
  risk: { score: number }
}

/** One step of a KYX workflow (`/steps`). */
export type JumioStep = {
  id: string
  name: string
  capabilityIds: string[]
  decision: JumioOverallDecision
}

/** Everything retrieval shows about a processed (or expired) execution. Computed once, then frozen. */
export type JumioResult = {
  capabilities: Partial<Record<JumioCapabilityName, JumioCapabilityResult[]>>
  decision: JumioOverallDecision
  steps: JumioStep[]
}

/**
 * How one outcome looks in Jumio's words: a verdict per capability (usability per credential
 * category), everything unspecified passing. The overall decision is derived (any REJECTED →
 * REJECTED 100, any WARNING → WARNING 50, else PASSED 0) unless `decision` sets it, which is how a
 * tenant's risk rules (an expired document, an under-age applicant) are modelled.
 */
export type JumioOutcomeProfile = {
  usability?: Partial<Record<JumioCredentialCategory, JumioVerdict>>
  imageChecks?: JumioVerdict
  extraction?: JumioVerdict
  dataChecks?: JumioVerdict
  similarity?: JumioVerdict
  liveness?: JumioVerdict
  authentication?: JumioVerdict
  watchlistScreening?: JumioVerdict & { searchResults?: number }
  addressValidation?: JumioVerdict
  proofOfResidency?: JumioVerdict
  drivingLicenseVerification?: JumioVerdict
  decision?: { type: JumioDecisionType; score: number }
}

/**
 * The person behind the evidence: what extraction reads off the document. Catalogue applicants fit
 * (countries in ISO alpha-2, converted to Jumio's alpha-3 on output); the Jumio-only fields let a
 * test reproduce a documented example exactly.
 */
export type JumioApplicant = {
  firstName: string
  lastName: string
  /** `YYYY-MM-DD`. */
  dateOfBirth: string
  documentNumber: string
  documentType: DocumentType
  /** ISO 3166-1 alpha-2 (or alpha-3, kept as it is). */
  issuingCountry: string
  /** ISO 3166-1 alpha-2 (or alpha-3). Shown for passports only, which carry it. */
  nationality?: string
  issueDate?: string
  expiryDate?: string
  sex?: 'female' | 'male' | 'unspecified'
  /** Jumio `subType`; derived from the document type when absent. */
  subType?: string
  /** US state or other subdivision printed on driving licences. */
  state?: string
  optionalMrzField1?: string
  optionalMrzField2?: string
}

/** Settings of the engine that are tenant configuration at Jumio. */
export type JumioEngineSettings = {
  /** Adds `validFaceMapForAuthentication` to liveness results ("Facemap on premise", WF 16). Default false. */
  facemapOnPremise: boolean
  /** `searchStatus` of screening results: `SUCCESS` as real payloads show, or the documented `DONE`. */
  watchlistSearchStatus: string
}

/** Input of {@link computeJumioResult}. */
export type ComputeResultInput = {
  workflow: JumioWorkflowDefinition
  credentials: readonly StoredCredential[]
  profile: JumioOutcomeProfile
  applicant: JumioApplicant
  now: number
  /** Retrieval base URL (for `validFaceMapForAuthentication`). */
  retrievalBaseUrl: string
  settings: JumioEngineSettings
}

const passedLabel: Record<JumioCapabilityName, string> = {
  usability: 'OK',
  imageChecks: 'OK',
  extraction: 'OK',
  dataChecks: 'OK',
  similarity: 'MATCH',
  liveness: 'OK',
  authentication: 'OK',
  watchlistScreening: 'OK',
  addressValidation: 'OK',
  proofOfResidency: 'OK',
  drivingLicenseVerification: 'OK',
}

/** The order capabilities appear in the details response (seed 003's order; real data varies). */
const outputOrder: readonly JumioCapabilityName[] = [
  'extraction',
  'similarity',
  'liveness',
  'authentication',
  'dataChecks',
  'imageChecks',
  'usability',
  'watchlistScreening',
  'addressValidation',
  'proofOfResidency',
  'drivingLicenseVerification',
]

const notExecuted = (label: string): JumioVerdict => ({ type: 'NOT_EXECUTED', label })
const blocks = (verdict: JumioVerdict | undefined): boolean =>
  verdict !== undefined && (verdict.type === 'REJECTED' || verdict.type === 'NOT_EXECUTED')

/** ISO alpha-2 → alpha-3 (Jumio speaks alpha-3); alpha-3 input is kept. */
export function toAlpha3(country: string): string {
  if (country.length === 3) return country.toUpperCase()
  return countries.alpha2ToAlpha3(country.toUpperCase()) ?? country.toUpperCase()
}

/** Whole years between a `YYYY-MM-DD` date of birth and a clock time. */
export function ageAt(dateOfBirth: string, now: number): number {
  const birth = new Date(`${dateOfBirth}T00:00:00Z`)
  const today = new Date(now)
  let age = today.getUTCFullYear() - birth.getUTCFullYear()
  const beforeBirthday =
    today.getUTCMonth() < birth.getUTCMonth() ||
    (today.getUTCMonth() === birth.getUTCMonth() && today.getUTCDate() < birth.getUTCDate())
  if (beforeBirthday) age -= 1
  return age
}

const documentTypes: Record<DocumentType, { type: string; subType: string }> = {
  passport: { type: 'PASSPORT', subType: 'E_PASSPORT' },
  driving_license: { type: 'DRIVING_LICENSE', subType: 'REGULAR_DRIVING_LICENSE' },
  id_card: { type: 'ID_CARD', subType: 'NATIONAL_ID' },
  visa: { type: 'VISA', subType: 'VISA' },
  residence_permit: { type: 'ID_CARD', subType: 'RESIDENT_PERMIT_ID' },
  other: { type: 'UNSUPPORTED', subType: 'UNKNOWN' },
}

/** Extraction `data` for an applicant, with the fields the G23 table names, in seed 003's order. */
export function extractionData(applicant: JumioApplicant, now: number): Record<string, unknown> {
  const document = documentTypes[applicant.documentType]
  const data: Record<string, unknown> = {
    type: document.type,
    subType: applicant.subType ?? document.subType,
    issuingCountry: toAlpha3(applicant.issuingCountry),
    firstName: applicant.firstName,
    lastName: applicant.lastName,
    dateOfBirth: applicant.dateOfBirth,
  }
  if (applicant.expiryDate !== undefined) data.expiryDate = applicant.expiryDate
  if (applicant.issueDate !== undefined) data.issuingDate = applicant.issueDate
  data.documentNumber = applicant.documentNumber
  if (applicant.optionalMrzField1 !== undefined) data.optionalMrzField1 = applicant.optionalMrzField1
  if (applicant.optionalMrzField2 !== undefined) data.optionalMrzField2 = applicant.optionalMrzField2
  if (applicant.state !== undefined) data.state = applicant.state
  if (applicant.sex !== undefined) data.gender = { female: 'F', male: 'M', unspecified: 'X' }[applicant.sex]
  if (applicant.documentType === 'passport' && applicant.nationality !== undefined) {
    data.nationality = toAlpha3(applicant.nationality)
  }
  // Documented as an integer, observed as a string (IF, seed 003): the simulator sends what Jumio sends.
  data.currentAge = String(ageAt(applicant.dateOfBirth, now))
  return data
}

function derivedDecision(verdicts: readonly JumioVerdict[]): { type: JumioDecisionType; score: number } {
  if (verdicts.some((verdict) => verdict.type === 'REJECTED')) return { type: 'REJECTED', score: 100 }
  if (verdicts.some((verdict) => verdict.type === 'WARNING')) return { type: 'WARNING', score: 50 }
  if (verdicts.length > 0 && verdicts.every((verdict) => verdict.type === 'NOT_EXECUTED')) {
    return { type: 'NOT_EXECUTED', score: -1 }
  }
  // A required credential that never arrived fails the transaction.
  if (verdicts.some((verdict) => verdict.label === 'NOT_UPLOADED')) return { type: 'REJECTED', score: 100 }
  return { type: 'PASSED', score: 0 }
}

/** The overall-decision object for a type and score (`details.label` equals the type, G22). */
export function overallDecision(
  type: JumioDecisionType,
  score: number,
  label?: string,
): JumioOverallDecision {
  return { type, details: { label: label ?? type }, risk: { score } }
}

function searchData(now: number, results: number, status: string): Record<string, unknown> {
  const reference = `${Math.floor(now / 1000)}-${randomUUID().replaceAll('-', '').slice(0, 8)}`
  return {
    searchDate: new Date(now).toISOString(),
    searchId: String(randomInt(1_000_000_000, 2_000_000_000)),
    searchReference: reference,
    searchResultUrl: `https://app.complyadvantage.com/public/search/${reference}/${randomUUID().replaceAll('-', '').slice(0, 12)}`,
    searchResults: results,
    searchStatus: status,
  }
}

/**
 * Computes the capability results, overall decision and steps of a finalized execution.
 *
 * Credentials that were not captured get usability `NOT_EXECUTED / NOT_UPLOADED`, except FACEMAPs
 * that only the web or SDK can capture: an API-channel execution simply has none, and liveness then
 * runs on the selfie alone.
 */
export function computeJumioResult(input: ComputeResultInput): JumioResult {
  const { workflow, profile, applicant, now } = input
  const inWorkflow = new Set(workflow.capabilities)
  const reference = (credential: StoredCredential): JumioCredentialReference => ({
    id: credential.id,
    category: credential.category,
  })
  const captured = (credential: StoredCredential): boolean => credential.onFile || credential.parts.size > 0
  const credentials = input.credentials
  const of = (category: JumioCredentialCategory): StoredCredential[] =>
    credentials.filter((credential) => credential.category === category)
  const firstCaptured = (category: JumioCredentialCategory): StoredCredential | undefined =>
    of(category).find(captured)
  const capabilities: Partial<Record<JumioCapabilityName, JumioCapabilityResult[]>> = {}
  const allVerdicts: JumioVerdict[] = []

  const add = (
    name: JumioCapabilityName,
    refs: StoredCredential[],
    verdict: JumioVerdict,
    data?: Record<string, unknown>,
    extra?: Partial<JumioCapabilityResult>,
  ): void => {
    const result: JumioCapabilityResult = {
      id: randomUUID(),
      credentials: refs.map(reference),
      ...extra,
      decision: { type: verdict.type, details: { label: verdict.label } },
      ...(data === undefined ? {} : { data }),
    }
    capabilities[name] = [...(capabilities[name] ?? []), result]
    allVerdicts.push(verdict)
  }

  // usability, one result per credential captured in this execution (or expected but missing)
  const usabilityByCredential = new Map<string, JumioVerdict>()
  if (inWorkflow.has('usability')) {
    for (const credential of credentials) {
      if (credential.category === 'DATA') continue
      if (credential.onFile) {
        usabilityByCredential.set(credential.id, { type: 'PASSED', label: 'OK' })
        continue
      }
      const apiCapturable = credential.allowedChannels.includes('API')
      if (!captured(credential) && !apiCapturable) continue
      const verdict = captured(credential)
        ? (profile.usability?.[credential.category] ?? { type: 'PASSED', label: 'OK' })
        : notExecuted('NOT_UPLOADED')
      usabilityByCredential.set(credential.id, verdict)
      add('usability', [credential], verdict)
    }
  }
  const usable = (credential: StoredCredential | undefined): JumioVerdict | undefined => {
    if (credential === undefined) return notExecuted('NOT_UPLOADED')
    if (!inWorkflow.has('usability')) return captured(credential) ? undefined : notExecuted('NOT_UPLOADED')
    return usabilityByCredential.get(credential.id) ?? notExecuted('NOT_UPLOADED')
  }
  const verdictFor = (
    name: JumioCapabilityName,
    prerequisites: readonly (JumioVerdict | undefined)[],
  ): JumioVerdict => {
    if (prerequisites.some(blocks)) return notExecuted('PRECONDITION_NOT_FULFILLED')
    return (profile[name] as JumioVerdict | undefined) ?? { type: 'PASSED', label: passedLabel[name] }
  }

  const id = firstCaptured('ID') ?? of('ID')[0]
  const selfie = firstCaptured('SELFIE') ?? of('SELFIE')[0]
  const facemaps = of('FACEMAP').filter(captured)
  const data = firstCaptured('DATA') ?? of('DATA')[0]

  let imageChecks: JumioVerdict | undefined
  if (inWorkflow.has('imageChecks')) {
    imageChecks = verdictFor('imageChecks', [usable(id)])
    const refs = [selfie, id].filter((credential): credential is StoredCredential => credential !== undefined)
    const findings =
      imageChecks.label === 'REPEATED_FACE'
        ? { faceSearchFindings: { status: 'DONE', findings: [randomUUID(), randomUUID()] } }
        : undefined
    add(
      'imageChecks',
      selfie !== undefined && captured(selfie) ? refs : id ? [id] : [],
      imageChecks,
      findings,
    )
  }
  let extraction: JumioVerdict | undefined
  if (inWorkflow.has('extraction')) {
    extraction = verdictFor('extraction', [usable(id), imageChecks])
    add(
      'extraction',
      id ? [id] : [],
      extraction,
      extraction.type === 'PASSED' ? extractionData(applicant, now) : {},
    )
  }
  if (inWorkflow.has('dataChecks')) {
    add('dataChecks', id ? [id] : [], verdictFor('dataChecks', [extraction]))
  }
  if (inWorkflow.has('similarity')) {
    const pair =
      workflow.key === 20
        ? credentials.slice(0, 2)
        : [selfie, id].filter((c): c is StoredCredential => c !== undefined)
    const verdict = verdictFor('similarity', pair.map(usable))
    const similarity =
      verdict.type === 'PASSED'
        ? 'MATCH'
        : verdict.type === 'REJECTED'
          ? 'NOT_MATCH'
          : verdict.type === 'WARNING'
            ? 'NOT_POSSIBLE'
            : undefined
    add('similarity', pair, verdict, similarity === undefined ? {} : { similarity })
  }
  if (inWorkflow.has('liveness')) {
    const refs = [selfie, ...facemaps].filter((c): c is StoredCredential => c !== undefined)
    const verdict = verdictFor('liveness', refs.map(usable))
    const age = ageAt(applicant.dateOfBirth, now)
    const facemap = facemaps[0]
    const livenessType = of('FACEMAP')[0]?.type?.values?.[0] ?? 'JUMIO_STANDARD'
    const extra =
      input.settings.facemapOnPremise && facemap !== undefined
        ? {
            validFaceMapForAuthentication: `${input.retrievalBaseUrl}/api/v1/accounts/${facemap.accountId}/credentials/${facemap.id}/parts/FACEMAP`,
          }
        : undefined
    add(
      'liveness',
      refs,
      verdict,
      verdict.type === 'NOT_EXECUTED'
        ? {}
        : {
            type: livenessType,
            predictedAge: age,
            ageConfidenceRange: `${Math.max(age - 10, 0)}-${age + 10}`,
          },
      extra,
    )
  }
  if (inWorkflow.has('authentication')) {
    const refs = [selfie, ...facemaps].filter((c): c is StoredCredential => c !== undefined)
    const verdict = verdictFor('authentication', refs.map(usable))
    const authenticationType = of('FACEMAP')[0]?.type?.values?.[0] ?? 'JUMIO_STANDARD'
    add('authentication', refs, verdict, verdict.type === 'NOT_EXECUTED' ? {} : { type: authenticationType })
  }
  if (inWorkflow.has('watchlistScreening')) {
    const basedOnData = !inWorkflow.has('extraction')
    const prerequisite = basedOnData
      ? data !== undefined && captured(data)
        ? undefined
        : notExecuted('NOT_ENOUGH_DATA')
      : extraction
    let verdict: JumioVerdict
    if (prerequisite?.label === 'NOT_ENOUGH_DATA') verdict = prerequisite
    else verdict = verdictFor('watchlistScreening', [prerequisite])
    const refs = basedOnData ? (data ? [data] : []) : id ? [id] : []
    const hits = verdict.type === 'WARNING' ? (profile.watchlistScreening?.searchResults ?? 1) : 0
    add(
      'watchlistScreening',
      refs,
      verdict,
      verdict.type === 'NOT_EXECUTED' ? {} : searchData(now, hits, input.settings.watchlistSearchStatus),
    )
  }
  for (const name of ['addressValidation', 'proofOfResidency', 'drivingLicenseVerification'] as const) {
    if (inWorkflow.has(name)) add(name, id ? [id] : [], verdictFor(name, [extraction]))
  }

  const decision = profile.decision ?? derivedDecision(allVerdicts)
  const ordered: Partial<Record<JumioCapabilityName, JumioCapabilityResult[]>> = {}
  for (const name of outputOrder) {
    const results = capabilities[name]
    if (results !== undefined) ordered[name] = results
  }
  return {
    capabilities: ordered,
    decision: overallDecision(decision.type, decision.score),
    steps: workflow.kyx ? buildSteps(ordered) : [],
  }
}

function buildSteps(
  capabilities: Partial<Record<JumioCapabilityName, JumioCapabilityResult[]>>,
): JumioStep[] {
  const steps: JumioStep[] = []
  for (const step of kyxSteps) {
    const results = step.capabilities.flatMap((name) => capabilities[name] ?? [])
    if (results.length === 0) continue
    const verdicts = results.map((result) => ({
      type: result.decision.type,
      label: result.decision.details.label,
    }))
    const decision = derivedDecision(verdicts)
    steps.push({
      id: randomUUID(),
      name: step.name,
      capabilityIds: results.map((result) => result.id),
      decision: overallDecision(decision.type, decision.score),
    })
  }
  return steps
}

/**
 * The result of an execution that expired before it was finalized: every capability
 * `NOT_EXECUTED` (usability `NOT_UPLOADED`) and the decision `NOT_EXECUTED` with the expiry as label
 * and score -1 (G22, DOC). `rejected` reproduces the real SESSION_EXPIRED payload Iron Fish captured
 * instead (`REJECTED / REJECTED / 100`), where doc and observation disagree.
 */
export function expiredJumioResult(
  workflow: JumioWorkflowDefinition,
  credentials: readonly StoredCredential[],
  status: 'TOKEN_EXPIRED' | 'SESSION_EXPIRED',
  style: 'not-executed' | 'rejected',
): JumioResult {
  const capabilities: Partial<Record<JumioCapabilityName, JumioCapabilityResult[]>> = {}
  const id = credentials.find((credential) => credential.category === 'ID')
  for (const name of outputOrder) {
    if (!workflow.capabilities.includes(name)) continue
    if (name === 'usability') {
      capabilities.usability = credentials
        .filter((credential) => credential.category !== 'DATA' && credential.allowedChannels.length > 0)
        .map((credential) => ({
          id: randomUUID(),
          credentials: [{ id: credential.id, category: credential.category }],
          decision: { type: 'NOT_EXECUTED', details: { label: 'NOT_UPLOADED' } },
        }))
      continue
    }
    capabilities[name] = [
      {
        id: randomUUID(),
        credentials: id ? [{ id: id.id, category: id.category }] : [],
        decision: { type: 'NOT_EXECUTED', details: { label: 'PRECONDITION_NOT_FULFILLED' } },
        data: {},
      },
    ]
  }
  const decision =
    style === 'rejected' ? overallDecision('REJECTED', 100) : overallDecision('NOT_EXECUTED', -1, status)
  return { capabilities, decision, steps: workflow.kyx ? buildSteps(capabilities) : [] }
}
