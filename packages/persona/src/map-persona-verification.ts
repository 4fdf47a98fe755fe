import type { Credential, CredentialKind, CredentialPart, DocumentType } from '@openkyc/core'
import { mapPersonaCountry, mapPersonaIdClass } from './map-persona-identity.js'
import type { PersonaVerificationEvidence } from './persona-schemas.js'

/**
 * Persona verification types onto our credential kinds. Legacy per-document government-id types
 * carry their document type in the name.
 *
 * | Persona verification type | credential kind | document type |
 * |---|---|---|
 * | `verification/government-id`, `verification/government-id-nfc` | `id_document` | from `id-class` |
 * | `verification/passport` (legacy) | `id_document` | `passport` |
 * | `verification/driver-license` (legacy) | `id_document` | `driving_license` |
 * | `verification/national-identity-card` (legacy) | `id_document` | `id_card` |
 * | `verification/other-identity-card` (legacy) | `id_document` | `other` |
 * | `verification/selfie` | `selfie` | – |
 * | `verification/document` | `document` | – |
 * | `verification/database*`, `verification/aamva`, `verification/phone-number`, `verification/email-address` | `personal_data` | – |
 * | anything else | not listed | – |
 *
 * @see https://docs.withpersona.com/docs/verification-types
 */
export function mapPersonaVerificationType(
  type: string,
): { kind: CredentialKind; documentType?: DocumentType } | undefined {
  // A table rather than ts-pattern: this runs several times per verification on every webhook event.
  const known = verificationTypes.get(type)
  if (known) return { ...known }
  return type.startsWith('verification/database') ? { kind: 'personal_data' } : undefined
}

const verificationTypes: ReadonlyMap<string, { kind: CredentialKind; documentType?: DocumentType }> = new Map<
  string,
  { kind: CredentialKind; documentType?: DocumentType }
>([
  ['verification/government-id', { kind: 'id_document' }],
  ['verification/government-id-nfc', { kind: 'id_document' }],
  ['verification/passport', { kind: 'id_document', documentType: 'passport' }],
  ['verification/driver-license', { kind: 'id_document', documentType: 'driving_license' }],
  ['verification/national-identity-card', { kind: 'id_document', documentType: 'id_card' }],
  ['verification/other-identity-card', { kind: 'id_document', documentType: 'other' }],
  ['verification/selfie', { kind: 'selfie' }],
  ['verification/document', { kind: 'document' }],
  ['verification/aamva', { kind: 'personal_data' }],
  ['verification/phone-number', { kind: 'personal_data' }],
  ['verification/email-address', { kind: 'personal_data' }],
])

/**
 * Whether a verification in this status holds evidence the applicant submitted.
 *
 * | Persona verification status | evidence submitted |
 * |---|---|
 * | `submitted`, `passed`, `failed`, `requires_retry` | yes |
 * | `initiated`, `confirmed`, `canceled`, `skipped` | no |
 * | anything else | no |
 *
 * @see https://docs.withpersona.com/docs/verification-lifecycle
 */
export function personaVerificationHasEvidence(status: string | null | undefined): boolean {
  // `initiated`, `confirmed`, `canceled`, `skipped` and unknown statuses hold no evidence.
  return status === 'submitted' || status === 'passed' || status === 'failed' || status === 'requires_retry'
}

const photoParts: ReadonlyMap<string, CredentialPart> = new Map<string, CredentialPart>([
  ['front', 'front'],
  ['back', 'back'],
  ['portrait', 'face'],
  ['left_photo', 'face'],
  ['center_photo', 'face'],
  ['right_photo', 'face'],
])

function photoPart(page: string | null | undefined): CredentialPart | undefined {
  return typeof page === 'string' ? photoParts.get(page) : undefined
}

function partsOf(verification: PersonaVerificationEvidence, kind: CredentialKind): CredentialPart[] {
  const attributes = verification.attributes ?? {}
  const parts = new Set<CredentialPart>()
  // A switch rather than ts-pattern: this runs for every verification of every webhook event, where
  // building a matcher per call was a visible share of webhook ingest.
  switch (kind) {
    case 'id_document':
      for (const photo of attributes['photo-urls'] ?? []) {
        const part = photoPart(photo.page)
        if (part) parts.add(part)
      }
      if (attributes['front-photo-url']) parts.add('front')
      if (attributes['back-photo-url']) parts.add('back')
      return [...parts]
    case 'selfie':
    case 'liveness':
      return ['face']
    case 'document':
      return ['page']
    case 'personal_data':
      return ['data']
    default:
      throw new TypeError(`Unknown credential kind: ${String(kind satisfies never)}`)
  }
}

/**
 * One verification as the credential the applicant submitted, or `undefined` when it holds no
 * evidence (not submitted yet, canceled) or is of a type we do not model. Never copies images, URLs
 * or extracted data.
 */
export function mapPersonaCredential(verification: PersonaVerificationEvidence): Credential | undefined {
  const mapped = mapPersonaVerificationType(verification.type)
  if (!mapped || !personaVerificationHasEvidence(verification.attributes?.status)) return undefined
  const attributes = verification.attributes ?? {}
  const documentType =
    mapped.kind === 'id_document'
      ? (mapPersonaIdClass(attributes['id-class']) ?? mapped.documentType)
      : undefined
  const issuingCountry =
    mapped.kind === 'id_document' ? mapPersonaCountry(attributes['country-code']) : undefined
  return {
    id: verification.id,
    kind: mapped.kind,
    ...(documentType ? { documentType } : {}),
    ...(issuingCountry ? { issuingCountry } : {}),
    parts: partsOf(verification, mapped.kind),
  }
}
