/**
 * Persona's `Key-Inflection` header: responses use kebab-case keys by default and camel or snake case on
 * request, while request bodies and query keys may use any of the three casings. The simulator stores
 * everything in kebab-case (Persona's canonical form) and converts only at the edges.
 *
 * @see docs/reference/persona-api.md §1 (MIR `api-key-inflection.md`)
 */

/** The three key casings Persona serves; kebab is the default. */
export type PersonaKeyInflection = 'kebab' | 'camel' | 'snake'

/** Parses a `Key-Inflection` header value, falling back to the default for missing or unknown values. */
export function parseKeyInflection(
  value: string | null | undefined,
  fallback: PersonaKeyInflection = 'kebab',
): PersonaKeyInflection {
  const normalized = value?.trim().toLowerCase()
  if (normalized === 'kebab' || normalized === 'camel' || normalized === 'snake') return normalized
  return fallback
}

/** Splits a key written in kebab-, snake- or camelCase into lower-case words. */
function splitWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_\s]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase())
}

/**
 * Converts one key from any casing to kebab-case, the form the simulator stores. Digits stay attached to
 * the preceding word (`address-street-1` ⇄ `addressStreet1` ⇄ `address_street_1`).
 */
export function toKebabCase(key: string): string {
  if (key.startsWith('$') || key.includes('/') || key.includes('.')) return key
  return splitWords(key.replace(/([a-zA-Z])(\d)/g, '$1-$2')).join('-')
}

/** Converts a kebab-case key to the requested inflection. */
export function inflectKey(key: string, inflection: PersonaKeyInflection): string {
  if (inflection === 'kebab') return key
  if (inflection === 'snake') return key.replaceAll('-', '_')
  return key.replace(/-([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase())
}

/**
 * Decides whether an object and everything below it keep their keys verbatim. `path` lists the (already
 * mapped) keys walked from the document root, array indices skipped, e.g. `['data', 'attributes', 'fields']`;
 * `ancestors` holds the objects along that path, the root first and the object itself last, so a predicate
 * can look at the enclosing resource's `type`.
 */
export type PreserveKeysPredicate = (path: readonly string[], ancestors: readonly object[]) => boolean

function mapKeysDeep(
  value: unknown,
  mapKey: (key: string) => string,
  preserve: PreserveKeysPredicate | undefined,
  path: string[],
  ancestors: object[],
): unknown {
  if (Array.isArray(value)) return value.map((item) => mapKeysDeep(item, mapKey, preserve, path, ancestors))
  if (value === null || typeof value !== 'object') return value
  const lineage = [...ancestors, value]
  if (preserve?.(path, lineage)) return structuredClone(value)
  const result: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    const mapped = mapKey(key)
    result[mapped] = mapKeysDeep(child, mapKey, preserve, [...path, mapped], lineage)
  }
  return result
}

/**
 * Inflects every object key of a kebab-case document for output. Values (ids, types, statuses) are never
 * touched; keys below paths matched by `preserve` are kept as stored (Persona stopped inflecting
 * `attributes.fields` keys in 2025-10-27).
 */
export function inflectKeys(
  value: unknown,
  inflection: PersonaKeyInflection,
  preserve?: PreserveKeysPredicate,
) {
  if (inflection === 'kebab' && preserve === undefined) return value
  return mapKeysDeep(value, (key) => inflectKey(key, inflection), preserve, [], [])
}

/**
 * Normalizes every key of an incoming body to kebab-case, so handlers read one casing whatever the client
 * sent. `preserve` keeps keys of matched paths verbatim.
 */
export function normalizeKeys(value: unknown, preserve?: PreserveKeysPredicate): unknown {
  return mapKeysDeep(value, toKebabCase, preserve, [], [])
}
