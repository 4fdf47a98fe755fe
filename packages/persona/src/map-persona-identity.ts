import type { Address, DocumentType, IdentityData } from '@openkyc/core'
import { match } from 'ts-pattern'
import type { PersonaInquiry, PersonaVerification } from './persona-schemas.js'

/**
 * Country codes Persona (or the documents it reads) writes that are not ISO 3166-1 alpha-2 but
 * have one obvious alpha-2 meaning. `UK` appears in Persona's own account example.
 */
const countryAliases: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' }

/**
 * A Persona country code as ISO 3166-1 alpha-2, upper case, or `undefined` when it is not one.
 * Persona speaks alpha-2 already; this only normalizes case and the aliases above, and drops
 * anything else rather than guessing.
 *
 * @see https://docs.withpersona.com/reference/retrieve-a-government-id-verification (`country-code`: "ISO 3166-1 alpha 2")
 */
export function mapPersonaCountry(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const upper = value.trim().toUpperCase()
  const code = countryAliases[upper] ?? upper
  return /^[A-Z]{2}$/.test(code) ? code : undefined
}

/**
 * Persona's `id-class` onto our document types.
 *
 * | Persona `id-class` | document type |
 * |---|---|
 * | `pp`, `ppc` (passport card) | `passport` |
 * | `dl`, `mdl` (mobile licence) | `driving_license` |
 * | `id`, `nric`, `myn` | `id_card` |
 * | `visa` | `visa` |
 * | `rp`, `pr` | `residence_permit` |
 * | anything else | `other` |
 *
 * @see https://docs.withpersona.com/docs/government-id-classes
 */
export function mapPersonaIdClass(idClass: string | null | undefined): DocumentType | undefined {
  if (!idClass) return undefined
  return idClasses.get(idClass.toLowerCase()) ?? 'other'
}

// Tables rather than ts-pattern matchers: these run on every webhook event with a government id.
const idClasses: ReadonlyMap<string, DocumentType> = new Map<string, DocumentType>([
  ['pp', 'passport'],
  ['ppc', 'passport'],
  ['dl', 'driving_license'],
  ['mdl', 'driving_license'],
  ['id', 'id_card'],
  ['nric', 'id_card'],
  ['myn', 'id_card'],
  ['visa', 'visa'],
  ['rp', 'residence_permit'],
  ['pr', 'residence_permit'],
])

/** Our document type onto Persona's `id-class`, for the `selected-id-class` field hint. */
export function personaIdClassFor(documentType: DocumentType): string | undefined {
  return match<DocumentType, string | undefined>(documentType)
    .with('passport', () => 'pp')
    .with('driving_license', () => 'dl')
    .with('id_card', () => 'id')
    .with('visa', () => 'visa')
    .with('residence_permit', () => 'rp')
    .with('other', () => undefined)
    .exhaustive()
}

/** Persona's `sex` (`M`, `F`, `X`, or spelled out) onto ours. */
export function mapPersonaSex(sex: string | null | undefined): IdentityData['sex'] {
  if (!sex) return undefined
  return sexes.get(sex.trim().toLowerCase())
}

const sexes: ReadonlyMap<string, IdentityData['sex']> = new Map<string, IdentityData['sex']>([
  ['m', 'male'],
  ['male', 'male'],
  ['f', 'female'],
  ['female', 'female'],
  ['x', 'unspecified'],
  ['unspecified', 'unspecified'],
  ['other', 'unspecified'],
])

/** A `YYYY-MM-DD` date, or `undefined` when the value is not a real calendar date. */
export function mapPersonaDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const date = value.slice(0, 10)
  const parts = datePattern.exec(date)
  if (!parts) return undefined
  // Checked by arithmetic (proleptic Gregorian, as `Date` does) rather than by a `Date` round trip:
  // several dates are read on every webhook event.
  const year = Number(parts[1])
  const month = Number(parts[2])
  const day = Number(parts[3])
  return isCalendarDate(year, month, day) ? date : undefined
}

/**
 * Whether year, month (1–12) and day name a real date in the proleptic Gregorian calendar, the one
 * `Date` uses: the check a `Date` round trip makes, without building a `Date`.
 */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value : undefined
}

/**
 * The value of an inquiry field. Field keys are kebab-case up to API version 2025-10-27 and "as
 * configured on the template" (usually snake_case) after it, so both spellings are tried.
 *
 * @see https://docs.withpersona.com/changelog (2025-10-27: `fields` keys are no longer key-inflected)
 */
export function inquiryFieldValue(inquiry: PersonaInquiry, name: string): unknown {
  const fields = inquiry.attributes.fields
  if (!fields) return undefined
  for (const key of [name, name.replaceAll('-', '_')]) {
    const field = fields[key]
    if (field !== undefined && field !== null) return field.value
  }
  return undefined
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  const defined: Record<string, unknown> = {}
  for (const key in value) if (value[key] !== undefined) defined[key] = value[key]
  return defined as T
}

/**
 * The identity data of an inquiry: what the government-id verification extracted from the document
 * first, then what the inquiry's fields hold (prefilled or confirmed by the applicant). Returns
 * `undefined` when nothing is known, and after redaction.
 *
 * @see https://docs.withpersona.com/reference/retrieve-a-government-id-verification
 * @see https://docs.withpersona.com/docs/inquiry-fields
 */
export function mapPersonaIdentity(
  inquiry: PersonaInquiry,
  governmentId: PersonaVerification | undefined,
): IdentityData | undefined {
  if (inquiry.attributes['redacted-at']) return undefined
  const document = governmentId?.attributes ?? {}
  const field = (name: string) => nonEmpty(inquiryFieldValue(inquiry, name))
  const address: Address = withoutUndefined({
    line1: nonEmpty(document['address-street-1']) ?? field('address-street-1'),
    line2: nonEmpty(document['address-street-2']) ?? field('address-street-2'),
    city: nonEmpty(document['address-city']) ?? field('address-city'),
    subdivision: nonEmpty(document['address-subdivision']) ?? field('address-subdivision'),
    postalCode: nonEmpty(document['address-postal-code']) ?? field('address-postal-code'),
    country: mapPersonaCountry(
      document['address-country-code'] ?? inquiryFieldValue(inquiry, 'address-country-code'),
    ),
  })
  const identity: IdentityData = withoutUndefined({
    firstName: nonEmpty(document['name-first']) ?? field('name-first'),
    middleName: nonEmpty(document['name-middle']) ?? field('name-middle'),
    lastName: nonEmpty(document['name-last']) ?? field('name-last'),
    dateOfBirth:
      mapPersonaDate(document.birthdate) ?? mapPersonaDate(inquiryFieldValue(inquiry, 'birthdate')),
    documentNumber:
      nonEmpty(document['identification-number']) ??
      nonEmpty(document['document-number']) ??
      field('identification-number'),
    documentType: mapPersonaIdClass(document['id-class']),
    issuingCountry: mapPersonaCountry(document['country-code']),
    nationality: mapPersonaCountry(document.nationality),
    issueDate: mapPersonaDate(document['issue-date']),
    expiryDate: mapPersonaDate(document['expiration-date']),
    sex: mapPersonaSex(document.sex),
    address: Object.keys(address).length > 0 ? address : undefined,
  })
  return Object.keys(identity).length > 0 ? identity : undefined
}
