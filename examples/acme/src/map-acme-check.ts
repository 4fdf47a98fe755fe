import {
  type Check,
  type CheckKind,
  type CheckOutcome,
  type Decision,
  type DocumentType,
  deriveChecks,
  type IdentityData,
  type KycEventType,
  type ReasonCode,
  type Verification,
  type VerificationStatus,
} from '@openkyc/core'
import { match } from 'ts-pattern'
import type { AcmeCheck } from './acme-schemas.js'

/**
 * Acme check status → our status. A status Acme adds later reads as `in_progress`: the check exists
 * and is not known to be finished.
 */
export function mapAcmeStatus(status: string): VerificationStatus {
  return match<string, VerificationStatus>(status)
    .with('pending', () => 'created')
    .with('started', () => 'in_progress')
    .with('processing', () => 'submitted')
    .with('complete', () => 'completed')
    .with('expired', () => 'expired')
    .with('cancelled', () => 'cancelled')
    .otherwise(() => 'in_progress')
}

/** Acme decision → our outcome. An unknown decision needs a person: `review`. */
function mapAcmeDecision(decision: string): Decision['outcome'] {
  return match<string, Decision['outcome']>(decision)
    .with('clear', () => 'approved')
    .with('reject', () => 'declined')
    .with('consider', () => 'review')
    .otherwise(() => 'review')
}

/** Acme reason label → our reason code; unknown labels are `other`, with the label kept in `raw`. */
export const acmeReasonCodes: Readonly<Record<string, ReasonCode>> = {
  doc_expired: 'document_expired',
  doc_tampered: 'document_tampered',
  doc_unreadable: 'document_unreadable',
  face_no_match: 'face_mismatch',
  not_live: 'liveness_failed',
  duplicate_face: 'repeated_face',
  sanctions_match: 'watchlist_hit',
  under_minimum_age: 'age_requirement',
  name_mismatch: 'data_mismatch',
}

/** Acme check name → our check kind. */
export const acmeCheckKinds: Readonly<Record<string, CheckKind>> = {
  image_quality: 'document_quality',
  authenticity: 'document_authenticity',
  extraction: 'data_extraction',
  data_validity: 'data_consistency',
  face_comparison: 'face_match',
  liveness: 'liveness',
  screening: 'watchlist',
  age: 'age',
}

/** Acme check result → our outcome. An unknown result is neither a pass nor a failure. */
function mapAcmeCheckResult(result: string): CheckOutcome {
  return match<string, CheckOutcome>(result)
    .with('pass', () => 'passed')
    .with('fail', () => 'failed')
    .with('warn', () => 'warning')
    .with('not_run', () => 'not_executed')
    .otherwise(() => 'warning')
}

/** Acme webhook event type → our event type; `undefined` for events we do not model. */
export function mapAcmeEventType(type: string): KycEventType | undefined {
  return match<string, KycEventType | undefined>(type)
    .with('check.started', () => 'verification.started')
    .with('check.processing', () => 'verification.submitted')
    .with('check.completed', () => 'verification.completed')
    .with('check.reviewed', () => 'verification.reviewed')
    .with('check.expired', () => 'verification.expired')
    .with('check.cancelled', () => 'verification.cancelled')
    .with('check.redacted', () => 'verification.redacted')
    .otherwise(() => undefined)
}

const reason = (label: string) => ({ code: acmeReasonCodes[label] ?? 'other', raw: label })

function mapDocumentType(type: string | null | undefined): DocumentType | undefined {
  if (type === null || type === undefined) return undefined
  return match<string, DocumentType>(type)
    .with(
      'passport',
      'id_card',
      'driving_license',
      'residence_permit',
      'visa',
      (known) => known as DocumentType,
    )
    .otherwise(() => 'other')
}

function mapIdentity(document: NonNullable<AcmeCheck['document']>): IdentityData {
  const identity: IdentityData = {}
  const set = <Key extends keyof IdentityData>(key: Key, value: IdentityData[Key] | null | undefined) => {
    if (value !== null && value !== undefined) identity[key] = value
  }
  set('firstName', document.first_name)
  set('lastName', document.last_name)
  set('dateOfBirth', document.date_of_birth)
  set('documentNumber', document.number)
  set('documentType', mapDocumentType(document.type))
  set('issuingCountry', document.country)
  set('nationality', document.nationality)
  set('issueDate', document.issue_date)
  set('expiryDate', document.expiry_date)
  return identity
}

/**
 * Acme's check → our verification. Personal data (`document`) goes to `identity` and nowhere else.
 * On the `lite` plan Acme reports no per-check results, so the checks are derived from the decision's
 * reasons (`source: 'derived'`).
 */
export function toVerification(check: AcmeCheck, plan: 'verify' | 'lite' = 'verify'): Verification {
  const status = mapAcmeStatus(check.status)
  const checks: Check[] = (check.checks ?? []).map((entry) => ({
    kind: acmeCheckKinds[entry.name] ?? 'other',
    outcome: mapAcmeCheckResult(entry.result),
    reasons: entry.reason ? [reason(entry.reason)] : [],
    raw: { name: entry.name, label: entry.result },
  }))
  const verification: Verification = {
    id: check.id,
    provider: 'acme',
    reference: { checkId: check.id },
    status,
    checks,
    credentials: [],
    createdAt: check.created_at,
    updatedAt: check.updated_at,
    raw: { status: check.status },
  }
  if (check.result && status === 'completed') {
    verification.decision = {
      outcome: mapAcmeDecision(check.result.decision),
      reasons: (check.result.reasons ?? []).map(reason),
      decidedBy: check.result.reviewed_by === 'analyst' ? 'manual' : 'provider',
      ...(check.result.decided_at ? { decidedAt: check.result.decided_at } : {}),
      raw: { status: check.result.decision },
    }
    verification.completedAt = check.result.decided_at ?? check.updated_at
  }
  if (plan === 'lite') verification.checks = verification.decision ? deriveChecks(verification.decision) : []
  if (check.redacted_at) verification.redactedAt = check.redacted_at
  else if (check.document) verification.identity = mapIdentity(check.document)
  if (check.hosted_url && (status === 'created' || status === 'in_progress')) {
    verification.session = {
      url: check.hosted_url,
      ...(check.expires_at ? { expiresAt: check.expires_at } : {}),
    }
  }
  return verification
}
