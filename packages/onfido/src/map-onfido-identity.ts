import type { DocumentType, IdentityData } from '@openkyc/core'
import { match } from 'ts-pattern'
import { onfidoReportFamily } from './map-onfido-report.js'
import { onfidoCountryToAlpha2 } from './onfido-country.js'
import type { OnfidoReport } from './onfido-schemas.js'

/**
 * Onfido's document type → ours. Onfido lists about eighty types (most of them proof-of-address
 * papers); those are `other`.
 *
 * | Onfido | ours |
 * |---|---|
 * | `passport`, `passport_card` | `passport` |
 * | `driving_licence`, `uk_driving_licence`, `non_uk_driving_licence`, `international_driving_licence` | `driving_license` |
 * | `national_identity_card` | `id_card` |
 * | `residence_permit`, `uk_biometric_residence_permit` | `residence_permit` |
 * | `visa` | `visa` |
 * | anything else | `other` |
 */
export function mapOnfidoDocumentType(value: unknown): DocumentType | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  return match(value.toLowerCase().replaceAll(' ', '_'))
    .returnType<DocumentType>()
    .with('passport', 'passport_card', () => 'passport')
    .with(
      'driving_licence',
      'uk_driving_licence',
      'non_uk_driving_licence',
      'international_driving_licence',
      () => 'driving_license',
    )
    .with('national_identity_card', () => 'id_card')
    .with('residence_permit', 'uk_biometric_residence_permit', () => 'residence_permit')
    .with('visa', () => 'visa')
    .otherwise(() => 'other')
}

/** Our document type → Onfido's, for uploads. */
export function toOnfidoDocumentType(documentType: DocumentType | undefined): string {
  return match(documentType)
    .with('passport', () => 'passport')
    .with('driving_license', () => 'driving_licence')
    .with('id_card', () => 'national_identity_card')
    .with('residence_permit', () => 'residence_permit')
    .with('visa', () => 'visa')
    .with('other', undefined, () => 'unknown')
    .exhaustive()
}

/** A `YYYY-MM-DD` date, or `undefined` for anything else (Onfido sends ISO dates; nothing else is trusted). */
export function mapOnfidoDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined
  const time = Date.parse(`${value}T00:00:00Z`)
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) return undefined
  return value
}

/** Onfido's `gender` → our `sex`. */
export function mapOnfidoSex(value: unknown): IdentityData['sex'] {
  if (typeof value !== 'string') return undefined
  return match(value.toLowerCase())
    .returnType<IdentityData['sex']>()
    .with('female', 'f', () => 'female')
    .with('male', 'm', () => 'male')
    .with('', () => undefined)
    .otherwise(() => 'unspecified')
}

const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 256) : undefined

/** The document number: the `document_number` entry of `document_numbers[]`, else the first one. */
function documentNumberOf(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined
  const entries = value.filter(
    (entry): entry is { type?: unknown; value?: unknown } => typeof entry === 'object' && entry !== null,
  )
  const preferred = entries.find((entry) => entry.type === 'document_number') ?? entries[0]
  return stringOf(preferred?.value)
}

/**
 * Identity data extracted by Onfido: the `properties` of the first document-family report (names,
 * dates of birth, issue and expiry, document number and type, sex), with Onfido's alpha-3 countries
 * turned into alpha-2. `undefined` when there is no document report with data (still running,
 * deleted, or a workflow without one).
 *
 * [UNCERTAIN] A Studio workflow run's `output` may carry captured data too, but its shape is
 * configured per workflow; the document report is the one shape the spec fixes.
 */
export function mapOnfidoIdentity(reports: readonly OnfidoReport[]): IdentityData | undefined {
  const properties = reports.find(
    (report) => onfidoReportFamily(report.name) === 'document' && report.properties,
  )?.properties
  if (!properties) return undefined
  const identity: IdentityData = {}
  const firstName = stringOf(properties.first_name)
  const middleName = stringOf(properties.middle_name)
  const lastName = stringOf(properties.last_name)
  const dateOfBirth = mapOnfidoDate(properties.date_of_birth)
  const documentNumber = documentNumberOf(properties.document_numbers)
  const documentType = mapOnfidoDocumentType(properties.document_type)
  const issuingCountry = onfidoCountryToAlpha2(properties.issuing_country)
  const nationality = onfidoCountryToAlpha2(properties.nationality)
  const issueDate = mapOnfidoDate(properties.issuing_date)
  const expiryDate = mapOnfidoDate(properties.date_of_expiry)
  const sex = mapOnfidoSex(properties.gender)
  if (firstName) identity.firstName = firstName
  if (middleName) identity.middleName = middleName
  if (lastName) identity.lastName = lastName
  if (dateOfBirth) identity.dateOfBirth = dateOfBirth
  if (documentNumber) identity.documentNumber = documentNumber
  if (documentType) identity.documentType = documentType
  if (issuingCountry) identity.issuingCountry = issuingCountry
  if (nationality) identity.nationality = nationality
  if (issueDate) identity.issueDate = issueDate
  if (expiryDate) identity.expiryDate = expiryDate
  if (sex) identity.sex = sex
  return Object.keys(identity).length === 0 ? undefined : identity
}
