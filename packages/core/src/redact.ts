/** The placeholder that replaces redacted values. */
export const REDACTED = '[redacted]'

/**
 * Key names whose values are personal data or secrets, in any casing or separator style
 * (`first_name`, `firstName`, `name-first`, `Authorization`). Matched after removing `-` and `_`
 * and lowering case.
 */
const sensitiveKeys = new Set(
  [
    'authorization',
    'proxyauthorization',
    'cookie',
    'setcookie',
    'apikey',
    'xapikey',
    'token',
    'accesstoken',
    'refreshtoken',
    'idtoken',
    'sessiontoken',
    'sdktoken',
    'clientsecret',
    'secret',
    'password',
    'personasignature',
    'signature',
    'name',
    'firstname',
    'namefirst',
    'givenname',
    'middlename',
    'namemiddle',
    'lastname',
    'namelast',
    'surname',
    'familyname',
    'fullname',
    'dateofbirth',
    'birthdate',
    'dob',
    'documentnumber',
    'idnumber',
    'identificationnumber',
    'personalnumber',
    'ssn',
    'email',
    'emailaddress',
    'phone',
    'phonenumber',
    'address',
    'addressstreet1',
    'addressstreet2',
    'street',
    'line1',
    'line2',
    'postalcode',
    'image',
    'file',
    'content',
  ].map(normalizeKey),
)

function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase()
}

/** True when a key (header, field, property) names personal data or a secret. */
export function isSensitiveKey(key: string): boolean {
  return sensitiveKeys.has(normalizeKey(key))
}

/**
 * Returns a deep copy of `value` in which every property whose key names personal data or a secret
 * is replaced by `[redacted]`. Strings that look like bearer tokens are redacted too. Use it before
 * anything vendor-shaped reaches a log, an error or a debug view.
 *
 * @example
 * ```ts
 * logger.debug(redact({ headers, body }))
 * ```
 */
export function redact<T>(value: T, extraKeys: readonly string[] = []): T {
  const extra = new Set(extraKeys.map(normalizeKey))
  const seen = new WeakSet<object>()
  const visit = (input: unknown): unknown => {
    if (typeof input === 'string') return /^(bearer|basic)\s/i.test(input) ? REDACTED : input
    if (typeof input !== 'object' || input === null) return input
    if (input instanceof Uint8Array || input instanceof ArrayBuffer) return REDACTED
    if (seen.has(input)) return '[circular]'
    seen.add(input)
    if (Array.isArray(input)) return input.map(visit)
    if (input instanceof Headers) return visit(Object.fromEntries(input.entries()))
    const output: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(input)) {
      const sensitive = isSensitiveKey(key) || extra.has(normalizeKey(key))
      output[key] = sensitive && child !== null && child !== undefined ? REDACTED : visit(child)
    }
    return output
  }
  return visit(value) as T
}

/** Redacts a URL's query string values whose keys are sensitive (tokens in hosted-flow links). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    for (const key of [...parsed.searchParams.keys()]) {
      if (isSensitiveKey(key) || /token|key|secret|signature/i.test(key))
        parsed.searchParams.set(key, REDACTED)
    }
    return parsed.toString()
  } catch {
    return url
  }
}
