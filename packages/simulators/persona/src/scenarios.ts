import type { ScenarioId, SyntheticApplicant } from '@openkyc/testkit/catalogue'

/**
 * How the Persona simulator realises each catalogue scenario: which verifications the applicant's
 * submission produces (with which failed checks), how the inquiry ends, and what the template's
 * decisioning (a Persona Workflow) does afterwards. Persona's `completed` is not `approved`: the flow
 * completes, then decisioning approves, declines or marks for review. Every plan can be overridden per
 * simulator (`createPersonaSimulator({ scenarioPlans })`).
 */

/** The verification kinds the simulator produces. */
export type PersonaVerificationKind = 'government-id' | 'selfie' | 'database'

/** A check that fails in a plan; every other documented check of the verification passes. */
export type PlannedCheckFailure = {
  name: string
  reasons: readonly string[]
  /** `required` checks fail their verification; `not_required` ones are recorded but do not. Default `required`. */
  requirement?: 'required' | 'not_required'
}

/** One verification a plan creates. */
export type PlannedVerification = {
  kind: PersonaVerificationKind
  failedChecks?: readonly PlannedCheckFailure[]
}

/** What Persona's decisioning does once the inquiry completes or fails; `none` leaves it there. */
export type PlannedDecision = 'approved' | 'declined' | 'needs_review' | 'none'

/** The Persona realisation of one catalogue scenario. */
export type PersonaScenarioPlan = {
  verifications: readonly PlannedVerification[]
  /**
   * How the applicant's flow ends: `completed` (required verifications passed or the template allows
   * failures), `failed` (attempts exhausted), or `abandoned` (started, never finished: the inquiry
   * expires when the clock passes `expires-at`).
   */
  flowOutcome: 'completed' | 'failed' | 'abandoned'
  /** Automatic decisioning after the flow (reviewer: a workflow run). */
  decision: PlannedDecision
  /** A person's decision applied by the final stage (a dashboard reviewer), after `decision`. */
  manualDecision?: 'approved' | 'declined'
  /** A `report/watchlist` with a match is run for the inquiry. */
  watchlistMatch?: boolean
}

const allPass: readonly PlannedVerification[] = [
  { kind: 'government-id' },
  { kind: 'selfie' },
  { kind: 'database' },
]

function withFailure(kind: PersonaVerificationKind, failure: PlannedCheckFailure): PlannedVerification[] {
  return allPass.map((verification) =>
    verification.kind === kind ? { kind, failedChecks: [failure] } : { kind: verification.kind },
  )
}

/**
 * The default plan per catalogue scenario (documented in `docs/persona-simulator.md`). Check names and
 * reason strings follow Persona's documented check list; the reason strings are the simulator's choice
 * (Persona documents them as open strings).
 */
export const defaultPersonaScenarioPlans: Readonly<Record<ScenarioId, PersonaScenarioPlan>> = {
  clean_approve: { verifications: allPass, flowOutcome: 'completed', decision: 'approved' },
  expired_document: {
    verifications: withFailure('government-id', { name: 'id_expired_detection', reasons: ['expired'] }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  tampered_document: {
    verifications: withFailure('government-id', { name: 'id_tamper_detection', reasons: ['tampered'] }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  unreadable_document: {
    verifications: withFailure('government-id', {
      name: 'id_unprocessable_submission_detection',
      reasons: ['unprocessable_image'],
    }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  face_mismatch: {
    verifications: withFailure('selfie', { name: 'selfie_id_comparison', reasons: ['face_mismatch'] }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  liveness_failure: {
    verifications: withFailure('selfie', { name: 'selfie_liveness_detection', reasons: ['no_live_face'] }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  repeated_face: {
    verifications: withFailure('selfie', {
      name: 'selfie_account_comparison',
      reasons: ['matched_other_account'],
      requirement: 'not_required',
    }),
    flowOutcome: 'completed',
    decision: 'needs_review',
  },
  watchlist_hit: {
    verifications: allPass,
    flowOutcome: 'completed',
    decision: 'needs_review',
    watchlistMatch: true,
  },
  underage: {
    verifications: withFailure('government-id', {
      name: 'id_age_comparison',
      reasons: ['under_minimum_age'],
    }),
    flowOutcome: 'failed',
    decision: 'declined',
  },
  applicant_abandons: { verifications: [], flowOutcome: 'abandoned', decision: 'none' },
  manual_review_then_approve: {
    verifications: withFailure('government-id', {
      name: 'id_inquiry_comparison',
      reasons: ['name_mismatch'],
      requirement: 'not_required',
    }),
    flowOutcome: 'completed',
    decision: 'needs_review',
    manualDecision: 'approved',
  },
}

/** The catalogue's scenario ids, for validating control-API input and building the hosted page. */
export const personaScenarioIds = Object.keys(defaultPersonaScenarioPlans) as ScenarioId[]

/** True when `value` names a catalogue scenario the simulator can realise. */
export function isScenarioId(value: unknown): value is ScenarioId {
  return typeof value === 'string' && Object.hasOwn(defaultPersonaScenarioPlans, value)
}

/**
 * The applicant used when a scenario runs without one (the hosted page, `resolve` without data): made-up
 * values, recognisably fake, with the scenario's magic last name.
 */
export function fallbackApplicant(lastName: string): SyntheticApplicant {
  return {
    firstName: 'Alex',
    lastName,
    dateOfBirth: '1990-01-01',
    documentNumber: 'ZZ0000000',
    documentType: 'passport',
    issuingCountry: 'US',
    nationality: 'US',
    issueDate: '2020-01-01',
    expiryDate: '2030-01-01',
    sex: 'unspecified',
  }
}
