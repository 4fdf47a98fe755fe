import type { CheckKind, DecisionOutcome, DocumentType, ReasonCode, VerificationStatus } from '@openkyc/core'

/** The ids of the catalogue's scenarios. Stable: tests, demos and skip lists refer to them. */
export type ScenarioId =
  | 'clean_approve'
  | 'expired_document'
  | 'tampered_document'
  | 'unreadable_document'
  | 'face_mismatch'
  | 'liveness_failure'
  | 'repeated_face'
  | 'watchlist_hit'
  | 'underage'
  | 'applicant_abandons'
  | 'manual_review_then_approve'

/** What a scenario exercises; the demo summarises agreement between providers per kind. */
export type ScenarioKind = 'baseline' | 'document' | 'biometric' | 'compliance' | 'lifecycle' | 'review'

/**
 * A synthetic applicant. Every value is made up and recognisably fake (names with `Testperson`,
 * document numbers starting `ZZ`), so it can be seeded into tests and searched for in logs.
 */
export type SyntheticApplicant = {
  firstName: string
  /** The magic input simulators read to realise the scenario. */
  lastName: string
  /** `YYYY-MM-DD`. */
  dateOfBirth: string
  documentNumber: string
  documentType: DocumentType
  /** ISO 3166-1 alpha-2. */
  issuingCountry: string
  /** ISO 3166-1 alpha-2. */
  nationality: string
  /** `YYYY-MM-DD`. */
  issueDate: string
  /** `YYYY-MM-DD`. */
  expiryDate: string
  sex: 'female' | 'male' | 'unspecified'
}

/** A normalized state a scenario must reach. */
export type ScenarioExpectation = {
  status: VerificationStatus
  /** Absent when the verification ends without a decision (expired, abandoned). */
  outcome?: DecisionOutcome
  /** The decision's reason codes, exactly (as a set). Empty for an approval. */
  reasonCodes: readonly ReasonCode[]
  /** Check kinds that must be present (others may be too). */
  checkKinds: readonly CheckKind[]
  /** Who decided; checked when given. */
  decidedBy?: 'provider' | 'manual'
}

/** One named applicant and the normalized outcome every conforming adapter must report for it. */
export type Scenario = {
  id: ScenarioId
  title: string
  /** What happens, and the choices made where vendors differ. */
  description: string
  kind: ScenarioKind
  applicant: SyntheticApplicant
  /** The end state. */
  expected: ScenarioExpectation & {
    /** For multi-step scenarios: the state reached before the last step (a person's review). */
    intermediate?: ScenarioExpectation
  }
}
