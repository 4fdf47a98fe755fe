/** The placeholder that replaces redacted values. */
export const REDACTED = '[redacted]'

/**
 * Key names whose values are personal data or secrets, in any casing or separator style
 * (`first_name`, `firstName`, `name-first`, `Authorization`, `document.number`, `document[number]`).
 * Matched after removing `-`, `_`, `.`, brackets and spaces and lowering case. The vendor secret
 * headers we know of are listed by name (Jumio, Persona, Onfido, Veriff, Sumsub); any key that
 * contains one of {@link sensitiveKeyParts} is sensitive too, so a vendor's next secret header
 * (`x-foo-token`) is covered before anyone lists it.
 */
const sensitiveKeys = new Set(
  [
    'authorization',
    'proxyauthorization',
    'cookie',
    'setcookie',
    'apikey',
    'key',
    'xapikey',
    'xauthclient',
    'xapptoken',
    'xappaccesssig',
    'xhmacsignature',
    'xsha2signature',
    'xsignature',
    'personasignature',
    'token',
    'tokens',
    'clientsecret',
    'secret',
    'password',
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
    'nationalid',
    'taxid',
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

/**
 * Fragments that make any key sensitive wherever they appear in it (`sessionToken`, `sdk_token`,
 * `webhook-secret`, `x-hmac-signature`, `api_key`). One rule, read by {@link redact} and
 * {@link redactUrl} alike.
 */
const sensitiveKeyParts = ['token', 'secret', 'password', 'passwd', 'signature', 'apikey', 'authorization']

function normalizeKey(key: string): string {
  return key.replace(/[-_.\s[\]]/g, '').toLowerCase()
}

/**
 * True when a key (header, field, property, query parameter) names personal data or a secret. The
 * one rule behind {@link redact} and {@link redactUrl}.
 */
export function isSensitiveKey(key: string): boolean {
  const normalized = normalizeKey(key)
  return sensitiveKeys.has(normalized) || sensitiveKeyParts.some((part) => normalized.includes(part))
}

/** Credentials written into a value: `Bearer …`, `Basic …`, Onfido's `Token token=…`. */
const credentialValue = /^(bearer|basic)\s|^token\s+token=/i

/**
 * Returns a deep copy of `value` in which every property whose key names personal data or a secret
 * is replaced by `[redacted]` (see {@link isSensitiveKey}; a nested key is also read with its parent's,
 * so `document: { number }` counts as `document.number`). Credentials written into a value
 * (`Bearer …`, `Basic …`, `Token token=…`) are redacted too, and URL strings go through
 * {@link redactUrl}, so both apply one rule. Use it before anything vendor-shaped reaches a log, an
 * error or a debug view.
 *
 * @example
 * ```ts
 * logger.debug(redact({ headers, body }))
 * ```
 */
export function redact<T>(value: T, extraKeys: readonly string[] = []): T {
  const extra = new Set(extraKeys.map(normalizeKey))
  const sensitive = (key: string) => isSensitiveKey(key) || extra.has(normalizeKey(key))
  const seen = new WeakSet<object>()
  const visit = (input: unknown, parentKey: string): unknown => {
    if (typeof input === 'string') {
      if (credentialValue.test(input)) return REDACTED
      return /^https?:\/\//i.test(input) ? redactUrl(input, extraKeys) : input
    }
    if (typeof input !== 'object' || input === null) return input
    if (input instanceof Uint8Array || input instanceof ArrayBuffer) return REDACTED
    if (seen.has(input)) return '[circular]'
    seen.add(input)
    if (Array.isArray(input)) return input.map((child) => visit(child, parentKey))
    if (input instanceof Headers) return visit(Object.fromEntries(input.entries()), parentKey)
    const output: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(input)) {
      // `document: { number }` is `document.number`: the key is read with its parent's too.
      const hidden = sensitive(key) || (parentKey !== '' && sensitive(`${parentKey}.${key}`))
      output[key] = hidden && child !== null && child !== undefined ? REDACTED : visit(child, key)
    }
    return output
  }
  return visit(value, '') as T
}

/**
 * Redacts what a URL may carry: the user name and password, and the value of every query parameter
 * whose key {@link isSensitiveKey} (or one of `extraKeys`) names, such as the token in a
 * hosted-flow link. Text that is not a URL comes back unchanged.
 *
 * @example
 * ```ts
 * redactUrl('https://flow.example/?session-token=abc&step=2') // ...?session-token=%5Bredacted%5D&step=2
 * ```
 */
export function redactUrl(url: string, extraKeys: readonly string[] = []): string {
  const extra = new Set(extraKeys.map(normalizeKey))
  try {
    const parsed = new URL(url)
    if (parsed.username !== '') parsed.username = REDACTED
    if (parsed.password !== '') parsed.password = REDACTED
    for (const key of new Set(parsed.searchParams.keys())) {
      if (isSensitiveKey(key) || extra.has(normalizeKey(key))) parsed.searchParams.set(key, REDACTED)
    }
    return parsed.toString()
  } catch {
    return url
  }
}
