import { KycInvalidRequestError } from './errors.js'

/**
 * Path segments that reach an object's prototype machinery when used as a property name:
 * `target['__proto__'] = x` replaces the prototype, and a dotted path through `constructor.prototype`
 * writes `Object.prototype` for the whole process.
 */
export const forbiddenKeySegments: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Where a field name came from, for the error; the name itself is never echoed (it may be cell text). */
export type SafeKeyOptions = {
  /** The provider, when the check runs inside an adapter. */
  provider?: string
  /** What the keys name, for the message: `"prepared data"`, `"list item"`, `"fields"`. */
  what: string
  /** The issue path of the object holding the keys, for example `['data']`. */
  path?: readonly (string | number)[]
  /** Splits a key into segments, for dotted paths such as `address.country`. Default: no split. */
  separator?: string
  /** Every segment must match this; refused otherwise. Default: any segment that is not forbidden. */
  pattern?: RegExp
}

/** The one error of this module: names the position, never the key. */
function unsafeKey(options: SafeKeyOptions, position: number, reason: string): KycInvalidRequestError {
  return new KycInvalidRequestError({
    ...(options.provider === undefined ? {} : { provider: options.provider }),
    message: `Invalid ${options.what}: field name number ${position + 1} ${reason}.`,
    issues: [{ path: [...(options.path ?? []), position], message: reason }],
  })
}

/**
 * The segments of one caller-chosen key, refused with `KycInvalidRequestError` when a segment is
 * empty, is one of {@link forbiddenKeySegments}, or breaks `options.pattern`. `position` is the key's
 * index among its siblings, reported instead of the key itself.
 */
export function safeKeySegments(key: string, position: number, options: SafeKeyOptions): string[] {
  const segments = options.separator === undefined ? [key] : key.split(options.separator)
  for (const segment of segments) {
    if (segment === '') throw unsafeKey(options, position, 'has an empty segment')
    if (forbiddenKeySegments.has(segment)) {
      throw unsafeKey(options, position, 'uses a reserved name (__proto__, constructor, prototype)')
    }
    if (options.pattern !== undefined && !options.pattern.test(segment)) {
      throw unsafeKey(options, position, `does not match ${String(options.pattern)}`)
    }
  }
  return segments
}

/** An empty object with no prototype: no key written into it can reach `Object.prototype`. */
export function createSafeObject<Value = unknown>(): Record<string, Value> {
  return Object.create(null) as Record<string, Value>
}

/**
 * A copy of an object whose keys come from outside (callers, applicants, CSV headers): every own key
 * checked with {@link safeKeySegments}, the result built without a prototype. Throws
 * `KycInvalidRequestError` before anything is sent.
 *
 * @example
 * ```ts
 * const fields = toSafeRecord(options.fields ?? {}, { provider: 'persona', what: 'account fields', path: ['fields'] })
 * ```
 */
export function toSafeRecord<Value>(
  input: Readonly<Record<string, Value>>,
  options: SafeKeyOptions,
): Record<string, Value> {
  const result = createSafeObject<Value>()
  // Own keys only, `__proto__` included when it was created as an own property (JSON.parse does that).
  Object.keys(input).forEach((key, position) => {
    safeKeySegments(key, position, options)
    result[key] = input[key] as Value
  })
  return result
}

/**
 * Nested objects from flat, caller-chosen dotted keys (`address.country` → `{ address: { country } }`),
 * every level built without a prototype and every segment checked with {@link safeKeySegments}.
 * A later key wins over an earlier one at the same path.
 *
 * @example
 * ```ts
 * const nested = nestDottedKeys({ 'address.city': 'Berlin' }, { what: 'prepared data', path: ['data'] })
 * ```
 */
export function nestDottedKeys<Value>(
  input: Readonly<Record<string, Value>>,
  options: Omit<SafeKeyOptions, 'separator'>,
  mapValue: (value: Value, segments: readonly string[]) => unknown = (value) => value,
): Record<string, unknown> {
  const result = createSafeObject()
  Object.keys(input).forEach((key, position) => {
    const segments = safeKeySegments(key, position, { ...options, separator: '.' })
    let target = result
    for (const segment of segments.slice(0, -1)) {
      const next = target[segment]
      if (typeof next !== 'object' || next === null) target[segment] = createSafeObject()
      target = target[segment] as Record<string, unknown>
    }
    target[segments.at(-1)!] = mapValue(input[key] as Value, segments)
  })
  return result
}
