import { pathSegment, toSafeRecord } from '@openkyc/core'
import { personaProvider } from './map-persona-inquiry.js'

/**
 * The id prefixes of the Persona objects the adapter puts into URL paths (Persona's object ids are
 * a type prefix, `_`, and letters and digits: `inq_VcVGVyPRPnufxXjNsaHk2SJo`).
 */
export const personaIdPrefixes = {
  inquiryId: 'inq',
  accountId: 'act',
  caseId: 'case',
  listId: 'lst',
  importerId: 'mprt',
  /** List items have one prefix per list kind (`liea_`, `lipn_`, `ligi_` …). */
  listItemId: 'li[a-z]*',
} as const

/** The id parameters the adapter sends in paths. */
export type PersonaIdName = keyof typeof personaIdPrefixes

const patterns = Object.fromEntries(
  Object.entries(personaIdPrefixes).map(([name, prefix]) => [name, new RegExp(`^${prefix}_[A-Za-z0-9]+$`)]),
) as Record<PersonaIdName, RegExp>

/**
 * Checks a Persona object id before it goes into a URL path, and returns it trimmed. An id in the
 * wrong format (`..`, `inq_x/../../accounts`, an account id where an inquiry id belongs) throws
 * `KycInvalidRequestError` naming the parameter, never the value, and no request is sent.
 *
 * @example
 * ```ts
 * const inquiryId = personaId(reference.inquiryId, 'inquiryId') // 'inq_…'
 * ```
 */
export function personaId(value: unknown, name: PersonaIdName): string {
  return pathSegment(typeof value === 'string' ? value.trim() : value, {
    provider: personaProvider,
    name,
    pattern: patterns[name],
    format: `an id starting with ${personaIdPrefixes[name].replace('[a-z]*', '')}_`,
  })
}

/** Persona field keys: letters, digits, `-` and `_` (`name-first`, `address_street_1`). */
const personaFieldKey = /^[A-Za-z0-9_-]{1,100}$/

/**
 * Caller-chosen `fields` of an account or case, checked before anything is sent: every key must be
 * a plain Persona field key, `__proto__`, `constructor` and `prototype` are refused with
 * `KycInvalidRequestError` (naming the position, never the key), and the copy has no prototype.
 *
 * @example
 * ```ts
 * const fields = personaFields({ 'name-first': 'Alex' })
 * ```
 */
export function personaFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return toSafeRecord(fields, {
    provider: personaProvider,
    what: 'fields',
    path: ['fields'],
    pattern: personaFieldKey,
  })
}
