import type { ListKind } from '@openkyc/core'

/** How one list kind is spelled across Persona's list, list-item and importer endpoints. */
export type PersonaListKindSpec = {
  /** The list object's `type`, e.g. `list/email-address`. */
  type: string
  /** The plural path segment: `email-addresses` in `/list/email-addresses`, `/list-item/email-addresses`. */
  segment: string
  /** Whether `POST /list/{segment}` exists. */
  creatable: boolean
  /** The item attributes Persona accepts (besides `list-id`), in kebab case. */
  itemAttributes: readonly string[]
  /** Item attributes that must be present. */
  requiredItemAttributes: readonly string[]
  /** Item attributes sent as numbers. */
  numericItemAttributes: readonly string[]
  /** The attribute a plain `value` stands for, when the kind has no `value` attribute. */
  valueAlias?: string
  /** CSV columns of `POST /importer/list-item/{segment}`, or `undefined` when the kind has no importer. */
  importColumns?: readonly string[]
  /** Columns every import file must have. */
  requiredImportColumns?: readonly string[]
}

/**
 * Our list kinds onto Persona's list types. Persona has no face lists in its current API (only the
 * 2023 spec had `list/face`), and field lists take items but cannot be created through the API.
 *
 * | list kind | Persona list type | create | item attributes | CSV importer columns |
 * |---|---|---|---|---|
 * | `email_address` | `list/email-address` | yes | `value`, `match-type` | `value`, `match_type` |
 * | `phone_number` | `list/phone-number` | yes | `value` | `value` |
 * | `name` | `list/name` | yes | `name-first`, `name-last` | `name_first`, `name_last` |
 * | `government_id_number` | `list/government-id-number` | yes | `id-number`, `id-class` | `id_number`, `id_class` |
 * | `ip_address` | `list/ip-address` | yes | `value` | `value` |
 * | `geolocation` | `list/geolocation` | yes | `latitude`, `longitude`, `radius-meters` | `latitude`, `longitude`, `radius_meters` |
 * | `country` | `list/country` | yes | `country-code` | – |
 * | `browser_fingerprint` | `list/browser-fingerprint` | yes | `value` | – |
 * | `field` | `list/field` | no | `field-value` | – |
 * | `face` | – | no | – | – |
 *
 * @see https://docs.withpersona.com/reference/lists
 * @see https://docs.withpersona.com/reference/importers
 */
export const personaListKinds: Readonly<Partial<Record<ListKind, PersonaListKindSpec>>> = {
  email_address: {
    type: 'list/email-address',
    segment: 'email-addresses',
    creatable: true,
    itemAttributes: ['value', 'match-type'],
    requiredItemAttributes: ['value'],
    numericItemAttributes: [],
    importColumns: ['value', 'match_type'],
    requiredImportColumns: ['value'],
  },
  phone_number: {
    type: 'list/phone-number',
    segment: 'phone-numbers',
    creatable: true,
    itemAttributes: ['value'],
    requiredItemAttributes: ['value'],
    numericItemAttributes: [],
    importColumns: ['value'],
    requiredImportColumns: ['value'],
  },
  name: {
    type: 'list/name',
    segment: 'names',
    creatable: true,
    itemAttributes: ['name-first', 'name-last'],
    requiredItemAttributes: [],
    numericItemAttributes: [],
    importColumns: ['name_first', 'name_last'],
    requiredImportColumns: [],
  },
  government_id_number: {
    type: 'list/government-id-number',
    segment: 'government-id-numbers',
    creatable: true,
    itemAttributes: ['id-number', 'id-class'],
    requiredItemAttributes: ['id-number'],
    numericItemAttributes: [],
    valueAlias: 'id-number',
    importColumns: ['id_number', 'id_class'],
    requiredImportColumns: ['id_number'],
  },
  ip_address: {
    type: 'list/ip-address',
    segment: 'ip-addresses',
    creatable: true,
    itemAttributes: ['value'],
    requiredItemAttributes: ['value'],
    numericItemAttributes: [],
    importColumns: ['value'],
    requiredImportColumns: ['value'],
  },
  geolocation: {
    type: 'list/geolocation',
    segment: 'geolocations',
    creatable: true,
    itemAttributes: ['latitude', 'longitude', 'radius-meters'],
    requiredItemAttributes: ['latitude', 'longitude'],
    numericItemAttributes: ['latitude', 'longitude', 'radius-meters'],
    importColumns: ['latitude', 'longitude', 'radius_meters'],
    requiredImportColumns: ['latitude', 'longitude'],
  },
  country: {
    type: 'list/country',
    segment: 'countries',
    creatable: true,
    itemAttributes: ['country-code'],
    requiredItemAttributes: ['country-code'],
    numericItemAttributes: [],
    valueAlias: 'country-code',
  },
  browser_fingerprint: {
    type: 'list/browser-fingerprint',
    segment: 'browser-fingerprints',
    creatable: true,
    itemAttributes: ['value'],
    requiredItemAttributes: ['value'],
    numericItemAttributes: [],
  },
  field: {
    type: 'list/field',
    segment: 'fields',
    creatable: false,
    itemAttributes: ['field-value'],
    requiredItemAttributes: ['field-value'],
    numericItemAttributes: [],
    valueAlias: 'field-value',
  },
}

/** The list kind of a Persona list `type` (`list/email-address` → `email_address`), if we model it. */
export function listKindOfPersonaType(type: string): ListKind | undefined {
  for (const [kind, spec] of Object.entries(personaListKinds)) {
    if (spec?.type === type) return kind as ListKind
  }
  return undefined
}

/** `nameFirst`, `name_first` and `name-first` all become `name-first`. */
export function toKebabCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase()
}
