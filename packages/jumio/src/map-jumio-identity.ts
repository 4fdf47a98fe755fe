import type { DocumentType, IdentityData } from '@openkyc/core'
import { match } from 'ts-pattern'
import { jumioCountryToAlpha2 } from './jumio-country.js'
import { type JumioCapability, type JumioExtractionData, jumioExtractionDataSchema } from './jumio-schemas.js'

/**
 * Jumio's extraction `type` (and `subType`) → our document type. A resident permit is an `ID_CARD`
 * with sub-type `RESIDENT_PERMIT_ID` at Jumio; `UNSUPPORTED` and types Jumio adds later are `other`.
 *
 * @see KYX implementation guide, extraction `data.type` / `subType` (G23); `docs/reference/jumio-api.md` §6
 */
export function mapJumioDocumentType(
  type: string | null | undefined,
  subType?: string | null | undefined,
): DocumentType | undefined {
  if (type === null || type === undefined || type === '') return undefined
  return match(type)
    .returnType<DocumentType>()
    .with('PASSPORT', () => 'passport')
    .with('DRIVING_LICENSE', () => 'driving_license')
    .with('ID_CARD', () => (subType === 'RESIDENT_PERMIT_ID' ? 'residence_permit' : 'id_card'))
    .with('VISA', () => 'visa')
    .otherwise(() => 'other')
}

/** Our document type → Jumio's ID credential type (for presets on account create). */
export function documentTypeToJumio(type: DocumentType): string | undefined {
  return match(type)
    .returnType<string | undefined>()
    .with('passport', () => 'PASSPORT')
    .with('driving_license', () => 'DRIVING_LICENSE')
    .with('id_card', () => 'ID_CARD')
    .with('residence_permit', () => 'ID_CARD')
    .with('visa', () => 'VISA')
    .with('other', () => undefined)
    .exhaustive()
}

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/

/** A `YYYY-MM-DD` that is a real calendar date, or `undefined`. */
function calendarDate(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  const found = isoDatePattern.exec(value.trim().slice(0, 10))
  if (found === null) return undefined
  const [, year, month, day] = found.map(Number) as [number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? found[0]
    : undefined
}

/** Jumio writes `N/A` where a field could not be read (IF); that is no value at all. */
function text(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' || trimmed.toUpperCase() === 'N/A' ? undefined : trimmed
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T
}

/**
 * Extraction data → our {@link IdentityData}: alpha-3 countries become alpha-2, `M`/`F`/`X` become
 * `male`/`female`/`unspecified`, dates are kept only when they are real `YYYY-MM-DD` dates.
 * Personal data: the result appears in `getVerification` only, never in events, errors or logs.
 *
 * @see KYX implementation guide, extraction `data` fields (G23); seed 003 retrieval example
 */
export function mapJumioIdentity(data: JumioExtractionData): IdentityData | undefined {
  const address = data.address
    ? compact({
        line1: text(data.address.line1),
        line2: text(data.address.line2),
        city: text(data.address.city),
        subdivision: text(data.address.subdivision),
        postalCode: text(data.address.postalCode),
        country: jumioCountryToAlpha2(data.address.country),
      })
    : undefined
  const identity = compact<IdentityData>({
    firstName: text(data.firstName),
    lastName: text(data.lastName),
    dateOfBirth: calendarDate(data.dateOfBirth),
    documentNumber: text(data.documentNumber),
    documentType: mapJumioDocumentType(data.type, data.subType),
    issuingCountry: jumioCountryToAlpha2(data.issuingCountry),
    nationality: jumioCountryToAlpha2(data.nationality),
    issueDate: calendarDate(data.issuingDate),
    expiryDate: calendarDate(data.expiryDate),
    sex: match(data.gender?.toUpperCase())
      .returnType<IdentityData['sex']>()
      .with('M', () => 'male')
      .with('F', () => 'female')
      .with('X', () => 'unspecified')
      .otherwise(() => undefined),
    address: address !== undefined && Object.keys(address).length > 0 ? address : undefined,
  })
  return Object.keys(identity).length > 0 ? identity : undefined
}

/**
 * The applicant's age in whole years: Jumio's `currentAge` when present, else from the date of birth
 * at `at` (`YYYY-MM-DD` or ISO time). `undefined` when neither can be read.
 */
export function jumioApplicantAge(data: JumioExtractionData | undefined, at: string): number | undefined {
  if (data === undefined) return undefined
  if (data.currentAge !== undefined && data.currentAge >= 0) return Math.floor(data.currentAge)
  const birth = calendarDate(data.dateOfBirth)
  if (birth === undefined) return undefined
  const [birthYear, birthMonth, birthDay] = birth.split('-').map(Number) as [number, number, number]
  const [year, month, day] = at.slice(0, 10).split('-').map(Number) as [number, number, number]
  const hadBirthday = month > birthMonth || (month === birthMonth && day >= birthDay)
  return year - birthYear - (hadBirthday ? 0 : 1)
}

/**
 * The identity from the first extraction capability that passed and carries data. Extraction with
 * another decision (`NOT_EXECUTED`) holds nothing reliable.
 */
export function mapJumioExtraction(extraction: readonly JumioCapability[] | null | undefined): {
  identity: IdentityData | undefined
  data: JumioExtractionData | undefined
  credentialIds: string[]
} {
  for (const entry of extraction ?? []) {
    if (entry.decision?.type !== 'PASSED' || entry.data === null || entry.data === undefined) continue
    const parsed = jumioExtractionDataSchema.safeParse(entry.data)
    if (!parsed.success) continue
    return {
      identity: mapJumioIdentity(parsed.data),
      data: parsed.data,
      credentialIds: (entry.credentials ?? []).flatMap((credential) =>
        typeof credential.id === 'string' ? [credential.id] : [],
      ),
    }
  }
  return { identity: undefined, data: undefined, credentialIds: [] }
}
