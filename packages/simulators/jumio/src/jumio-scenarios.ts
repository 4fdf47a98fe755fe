import type { Scenario, ScenarioId, SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { scenarioById, scenarioByLastName, scenarios } from '@openkyc/testkit/catalogue'
import type { JumioApplicant, JumioOutcomeProfile } from './jumio-results.js'
import type { JumioWorkflowDefinition } from './jumio-workflows.js'

/**
 * How each catalogue scenario looks at Jumio, in Jumio's own labels, and how the simulator
 * recognises it in what an applicant submits (the magic inputs).
 *
 * | scenario | Jumio realisation |
 * |---|---|
 * | `clean_approve` | every capability `PASSED` (`OK`, similarity `MATCH`); decision `PASSED`, score 0 |
 * | `expired_document` | dataChecks `WARNING / DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT`, extraction shows the past expiry date; decision `REJECTED`, score 100 (tenant rule) |
 * | `tampered_document` | imageChecks `REJECTED / MANIPULATED_DOCUMENT`; extraction and dataChecks `NOT_EXECUTED / PRECONDITION_NOT_FULFILLED`; decision `REJECTED` |
 * | `unreadable_document` | usability of the ID `REJECTED / BLURRED`; everything depending on the ID `PRECONDITION_NOT_FULFILLED`; decision `REJECTED` |
 * | `face_mismatch` | similarity `REJECTED / NO_MATCH` (`data.similarity: NOT_MATCH`); decision `REJECTED` |
 * | `liveness_failure` | liveness `REJECTED / LIVENESS_UNDETERMINED`; decision `REJECTED` |
 * | `repeated_face` | imageChecks `WARNING / REPEATED_FACE` with `faceSearchFindings`; decision `WARNING`, score 50 |
 * | `watchlist_hit` | watchlistScreening `WARNING / ALERT`, `searchResults` 1; decision `WARNING` (screening workflows 32, 10010, 10013 only) |
 * | `underage` | every capability `PASSED`, extraction `currentAge` under 18; decision `REJECTED`, score 100 (tenant rule) |
 * | `applicant_abandons` | the session expires: status `SESSION_EXPIRED` (journey started) or `TOKEN_EXPIRED` (never started) |
 * | `manual_review_then_approve` | first dataChecks `WARNING / MISMATCHING_DATAPOINTS`, decision `WARNING`; after the back-office review the decision becomes `PASSED` (the capability keeps its warning) and a new `PROCESSED` callback is sent |
 */

/** What the simulator needs to realise one scenario. */
export type JumioScenarioRealisation = {
  /** Capability verdicts while processing. */
  profile: JumioOutcomeProfile
  /** The verdicts after a person's review in the back office, for multi-step scenarios. */
  afterReview?: JumioOutcomeProfile
  /** The workflow must run this capability, or the scenario cannot happen. */
  requiresCapability?: 'watchlistScreening'
  /** The scenario ends in an expiry rather than a decision. */
  expires?: boolean
}

/** The Jumio realisation of every catalogue scenario. */
export const jumioScenarioRealisations: Readonly<Record<ScenarioId, JumioScenarioRealisation>> = {
  clean_approve: { profile: {} },
  expired_document: {
    profile: {
      dataChecks: { type: 'WARNING', label: 'DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT' },
      decision: { type: 'REJECTED', score: 100 },
    },
  },
  tampered_document: { profile: { imageChecks: { type: 'REJECTED', label: 'MANIPULATED_DOCUMENT' } } },
  unreadable_document: { profile: { usability: { ID: { type: 'REJECTED', label: 'BLURRED' } } } },
  face_mismatch: { profile: { similarity: { type: 'REJECTED', label: 'NO_MATCH' } } },
  liveness_failure: { profile: { liveness: { type: 'REJECTED', label: 'LIVENESS_UNDETERMINED' } } },
  repeated_face: { profile: { imageChecks: { type: 'WARNING', label: 'REPEATED_FACE' } } },
  watchlist_hit: {
    profile: { watchlistScreening: { type: 'WARNING', label: 'ALERT', searchResults: 1 } },
    requiresCapability: 'watchlistScreening',
  },
  underage: { profile: { decision: { type: 'REJECTED', score: 100 } } },
  applicant_abandons: { profile: {}, expires: true },
  manual_review_then_approve: {
    profile: { dataChecks: { type: 'WARNING', label: 'MISMATCHING_DATAPOINTS' } },
    afterReview: {
      dataChecks: { type: 'WARNING', label: 'MISMATCHING_DATAPOINTS' },
      decision: { type: 'PASSED', score: 0 },
    },
  },
}

/** The scenario an execution realises, with the person behind it. */
export type JumioScenarioChoice = {
  scenarioId: ScenarioId
  applicant: JumioApplicant
  /** Where the choice came from: a magic input in the request or the evidence, or the control API. */
  source: 'reference' | 'document' | 'prepared-data' | 'hosted-page' | 'control'
}

/** A catalogue applicant as extraction reads it. */
export function applicantFromCatalogue(applicant: SyntheticApplicant): JumioApplicant {
  return { ...applicant }
}

/** The choice for a catalogue scenario. */
export function choiceFor(
  scenarioId: ScenarioId,
  source: JumioScenarioChoice['source'],
): JumioScenarioChoice {
  const scenario = scenarioById(scenarioId)
  return { scenarioId, applicant: applicantFromCatalogue(scenario.applicant), source }
}

/** The prefix of a `customerInternalReference` or `userReference` that names a scenario: `scenario:<id>`. */
export const scenarioReferencePrefix = 'scenario:'

const scenarioIdPattern = /^scenario:([a-z_]+)(?::|$)/

/**
 * Reads a scenario from a reference string: `scenario:<id>` (optionally followed by `:` and anything),
 * or a reference that contains a catalogue applicant's magic last name (`Testperson-Expired-42`).
 */
export function scenarioFromReference(reference: string | undefined): Scenario | undefined {
  if (reference === undefined) return undefined
  const byId = scenarioIdPattern.exec(reference)
  if (byId !== null) return scenarios.find((scenario) => scenario.id === byId[1])
  const lower = reference.toLowerCase()
  return scenarios.find((scenario) => lower.includes(scenario.applicant.lastName.toLowerCase()))
}

/** The scenario of a typed or uploaded last name (the catalogue's magic input). */
export function scenarioFromLastName(lastName: string | undefined): Scenario | undefined {
  return lastName === undefined ? undefined : scenarioByLastName(lastName)
}

const textDecoder = new TextDecoder('latin1')

/**
 * "Reads" a document image the way the simulator can: a magic last name written anywhere in the file
 * (a JPEG comment or PNG text chunk, see `createJumioDocumentImage`) identifies the applicant.
 */
export function scenarioFromImage(bytes: Uint8Array): Scenario | undefined {
  const text = textDecoder.decode(bytes).toLowerCase()
  return scenarios.find((scenario) => text.includes(scenario.applicant.lastName.toLowerCase()))
}

/** Why a scenario cannot happen in a workflow, or undefined when it can. */
export function scenarioUnsupportedReason(
  scenarioId: ScenarioId,
  workflow: JumioWorkflowDefinition,
): string | undefined {
  const requirement = jumioScenarioRealisations[scenarioId].requiresCapability
  if (requirement !== undefined && !workflow.capabilities.includes(requirement)) {
    return `scenario ${scenarioId} needs a workflow with ${requirement} (32, 10010 or 10013); this execution runs workflow ${workflow.key}`
  }
  return undefined
}
