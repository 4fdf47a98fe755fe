import type { Check, CheckKind, CheckOutcome, Reason, ReasonCode } from '@openkyc/core'
import { match } from 'ts-pattern'
import type { JumioCapability } from './jumio-schemas.js'

/**
 * Which of our check kinds each Jumio capability is. `usability` looks at whatever credential it
 * names: on an ID or document it is `document_quality`, on a selfie or face map it is part of
 * establishing a live capture, so `liveness`. Capabilities Jumio adds later become `other`.
 *
 * @see Jumio KYX implementation guide, "Capabilities" (G23); `docs/reference/jumio-api.md` §3, §6
 */
export const jumioCapabilityKinds: Readonly<Record<string, CheckKind>> = {
  usability: 'document_quality',
  imageChecks: 'document_authenticity',
  extraction: 'data_extraction',
  dataChecks: 'data_consistency',
  liveness: 'liveness',
  similarity: 'face_match',
  authentication: 'authentication',
  watchlistScreening: 'watchlist',
  addressValidation: 'database',
  proofOfResidency: 'database',
  drivingLicenseVerification: 'database',
  braCpfValidation: 'database',
  biometricVerification: 'face_match',
}

/** Credential categories that hold a face rather than a document. */
const faceCategories = new Set(['SELFIE', 'FACEMAP'])

/**
 * Labels that mean the same in every capability (G23): the capability could not run.
 * `PRECONDITION_NOT_FULFILLED` is Jumio's "a capability this one depends on did not pass".
 */
const commonReasons: Readonly<Record<string, ReasonCode>> = {
  TECHNICAL_ERROR: 'technical_error',
  PRECONDITION_NOT_FULFILLED: 'other',
}

/**
 * Jumio's capability decision labels (`decision.details.label`) → our reason codes, per capability.
 * A label not in the capability's row nor in the common row becomes `other` with the label kept in
 * `raw`. Passing labels (`OK`, `MATCH`, `LOW_RISK`) produce no reason.
 *
 * @see Jumio docs, capability pages Usability, Image Checks, Data Checks, Liveness (DOC), and the KYX
 *   implementation guide's label tables (G23); `docs/reference/jumio-api.md` §6 "Capability decision labels"
 */
export const jumioReasonTable: Readonly<Record<string, Readonly<Record<string, ReasonCode>>>> = {
  usability: {
    NOT_UPLOADED: 'document_incomplete',
    BAD_QUALITY: 'document_unreadable',
    BLURRED: 'document_unreadable',
    BAD_QUALITY_IMAGE: 'document_unreadable',
    GLARE: 'document_unreadable',
    DAMAGED_DOCUMENT: 'document_damaged',
    MISSING_MANDATORY_DATAPOINTS: 'document_unreadable',
    PART_OF_DOCUMENT_MISSING: 'document_incomplete',
    PART_OF_DOCUMENT_HIDDEN: 'document_incomplete',
    MISSING_PAGE: 'document_incomplete',
    MISSING_SIGNATURE: 'document_incomplete',
    BLACK_WHITE: 'document_tampered',
    PHOTOCOPY: 'document_tampered',
    NOT_A_DOCUMENT: 'document_unsupported',
    UNSUPPORTED_COUNTRY: 'document_unsupported',
    UNSUPPORTED_DOCUMENT_TYPE: 'document_unsupported',
    LIVENESS_UNDETERMINED: 'liveness_failed',
  },
  imageChecks: {
    FAILED: 'document_tampered',
    DIGITAL_COPY: 'document_tampered',
    WATERMARK: 'document_tampered',
    GHOST_IMAGE_DIFFERENT: 'document_tampered',
    PUNCHED: 'document_tampered',
    SAMPLE: 'document_tampered',
    FAKE: 'document_tampered',
    CHIP_MISSING: 'document_tampered',
    DIGITAL_MANIPULATION: 'document_tampered',
    MISMATCH_FRONT_BACK: 'document_tampered',
    MANIPULATED_DOCUMENT: 'document_tampered',
    MANIPULATED_DOCUMENT_PHOTO: 'document_tampered',
    MANIPULATED_DOCUMENT_DOCUMENT_NUMBER: 'document_tampered',
    MANIPULATED_DOCUMENT_EXPIRY: 'document_tampered',
    MANIPULATED_DOCUMENT_DOB: 'document_tampered',
    MANIPULATED_DOCUMENT_NAME: 'document_tampered',
    MANIPULATED_DOCUMENT_ADDRESS: 'document_tampered',
    MANIPULATED_DOCUMENT_SECURITY_CHECKS: 'document_tampered',
    MANIPULATED_DOCUMENT_SIGNATURE: 'document_tampered',
    MANIPULATED_DOCUMENT_PERSONAL_NUMBER: 'document_tampered',
    MANIPULATED_DOCUMENT_PLACE_OF_BIRTH: 'document_tampered',
    MANIPULATED_DOCUMENT_GENDER: 'document_tampered',
    MANIPULATED_DOCUMENT_ISSUING_DATE: 'document_tampered',
    OTHER_REJECTION: 'other',
    DIFFERENT_PERSON: 'face_mismatch',
    REPEATED_FACE: 'repeated_face',
  },
  extraction: {},
  dataChecks: {
    NFC_CERTIFICATE: 'document_tampered',
    MISMATCHING_DATAPOINTS: 'data_mismatch',
    MRZ_CHECKSUM: 'data_mismatch',
    MISMATCH_HRZ_MRZ_DATA: 'data_mismatch',
    MISMATCHING_DATA_REPEATED_FACE: 'repeated_face',
    HIGH_FRAUD_RISK: 'suspected_fraud',
    DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT: 'document_expired',
  },
  liveness: {
    LIVENESS_UNDETERMINED: 'liveness_failed',
    ID_USED_AS_SELFIE: 'liveness_failed',
    MULTIPLE_PEOPLE: 'selfie_unusable',
    DIGITAL_COPY: 'liveness_failed',
    PHOTOCOPY: 'liveness_failed',
    MANIPULATED: 'liveness_failed',
    NO_FACE_PRESENT: 'selfie_unusable',
    FACE_NOT_FULLY_VISIBLE: 'selfie_unusable',
    BLACK_WHITE: 'liveness_failed',
    BAD_QUALITY: 'selfie_unusable',
    AGE_DIFFERENCE: 'data_mismatch',
  },
  similarity: {
    NO_MATCH: 'face_mismatch',
    NOT_MATCH: 'face_mismatch',
    NOT_POSSIBLE: 'other',
  },
  authentication: {
    FAILED: 'face_mismatch',
  },
  watchlistScreening: {
    ALERT: 'watchlist_hit',
    NOT_ENOUGH_DATA: 'other',
    VALIDATION_FAILED: 'other',
    INVALID_MERCHANT_SETTINGS: 'other',
    EXTRACTION_NOT_DONE: 'other',
    NO_VALID_ID_CREDENTIAL: 'other',
  },
  addressValidation: {
    DENY: 'data_mismatch',
    ALERT: 'data_mismatch',
    NOT_ENOUGH_DATA: 'other',
    UNSUPPORTED_COUNTRY: 'other',
  },
  proofOfResidency: {
    DENY: 'data_mismatch',
    ALERT: 'data_mismatch',
    NOT_ENOUGH_DATA: 'other',
    UNSUPPORTED_COUNTRY: 'other',
  },
  drivingLicenseVerification: {
    DENY: 'data_mismatch',
    ALERT: 'data_mismatch',
    UNSUPPORTED_COUNTRY: 'other',
    UNSUPPORTED_STATE: 'other',
    VALIDATION_FAILED: 'other',
  },
  braCpfValidation: {
    DENY: 'data_mismatch',
    NOT_ENOUGH_DATA: 'other',
    INVALID_MERCHANT_SETTINGS: 'other',
    VALIDATION_FAILED: 'other',
    UNSUPPORTED_COUNTRY: 'other',
  },
  biometricVerification: {
    MEDIUM_RISK: 'face_mismatch',
    HIGH_RISK: 'face_mismatch',
    PERMISSION_DENIED: 'other',
    BAD_REQUEST: 'other',
  },
}

/** Labels that mean "this capability passed" and carry no reason. */
const passingLabels = new Set(['OK', 'MATCH', 'LOW_RISK', 'PASSED'])

/**
 * Our reason code for a Jumio capability label. Unknown capabilities and labels become `other`;
 * this never throws, whatever Jumio sends.
 */
export function mapJumioReasonCode(capability: string, label: string): ReasonCode {
  return jumioReasonTable[capability]?.[label] ?? commonReasons[label] ?? 'other'
}

/**
 * Jumio's capability `decision.type` → our check outcome. A type Jumio adds later is a `warning`:
 * neither a pass nor a failure, so it surfaces for review instead of being silently accepted.
 *
 * @see Jumio docs, Retrieval "Workflow Details" (DOC), and G23; `docs/reference/jumio-api.md` §6
 */
export function mapJumioCheckOutcome(type: string | null | undefined): CheckOutcome {
  return match(type ?? '')
    .returnType<CheckOutcome>()
    .with('PASSED', () => 'passed')
    .with('REJECTED', () => 'failed')
    .with('WARNING', () => 'warning')
    .with('NOT_EXECUTED', () => 'not_executed')
    .otherwise(() => 'warning')
}

/** Our check kind for a capability, looking at the credential it examined (see {@link jumioCapabilityKinds}). */
export function mapJumioCheckKind(capability: string, credentialCategories: readonly string[]): CheckKind {
  if (capability === 'usability' && credentialCategories.some((category) => faceCategories.has(category))) {
    return 'liveness'
  }
  return jumioCapabilityKinds[capability] ?? 'other'
}

/**
 * One Jumio capability result → one normalized {@link Check}. The capability name, the decision type
 * and label and the categories of the credentials it looked at stay in `raw`; its `data` does not
 * (it may hold personal data, such as extracted names).
 */
export function mapJumioCapability(name: string, capability: JumioCapability): Check {
  const type = capability.decision?.type ?? undefined
  const label = capability.decision?.details?.label ?? undefined
  const categories = (capability.credentials ?? []).flatMap((credential) =>
    typeof credential.category === 'string' ? [credential.category] : [],
  )
  const outcome = mapJumioCheckOutcome(type)
  const reasons: Reason[] =
    outcome === 'passed' || label === undefined || passingLabels.has(label)
      ? []
      : [{ code: mapJumioReasonCode(name, label), raw: label }]
  return {
    kind: mapJumioCheckKind(name, categories),
    outcome,
    reasons,
    raw: {
      name,
      ...(label === undefined ? {} : { label }),
      ...(type === undefined ? {} : { type }),
      credentials: categories,
    },
  }
}

/** Every capability of a retrieval response, in a stable order (Jumio's key order is not stable). */
export function mapJumioCapabilities(
  capabilities: Record<string, JumioCapability[] | null | undefined> | null | undefined,
): Check[] {
  const known = Object.keys(jumioCapabilityKinds)
  const names = Object.keys(capabilities ?? {}).sort((left, right) => {
    const leftRank = known.indexOf(left) === -1 ? known.length : known.indexOf(left)
    const rightRank = known.indexOf(right) === -1 ? known.length : known.indexOf(right)
    return leftRank - rightRank || left.localeCompare(right)
  })
  return names.flatMap((name) => (capabilities?.[name] ?? []).map((entry) => mapJumioCapability(name, entry)))
}
