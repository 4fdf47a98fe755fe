import { KycConfigurationError, type KycError, KycInvalidRequestError } from '../errors.js'

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// A header value is a ByteString without NUL, CR or LF: `Headers` throws a `TypeError` quoting the
// value for anything else, which would put an API key with a stray newline into an error message.
function isHeaderValue(value: unknown): value is string {
  if (typeof value !== 'string') return false
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code === 0 || code === 0x0a || code === 0x0d || code > 0xff) return false
  }
  return true
}

/** Where a header came from: settings are configuration errors, a call's headers invalid requests. */
export type HeaderSource = { provider: string; kind: 'setting' | 'request'; setting: string }

/**
 * The first header whose name or value `Headers` would refuse, as an error that names the setting
 * and the header's name, never its value; `undefined` when every header is valid.
 */
export function invalidHeader(headers: Record<string, string>, source: HeaderSource): KycError | undefined {
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue
    const value = headers[name]
    const nameValid = headerName.test(name)
    if (nameValid && isHeaderValue(value)) continue
    const what = nameValid
      ? `${source.setting}.${name.toLowerCase()} holds a character a header value cannot carry (a line break, NUL or a character above U+00FF)`
      : `${source.setting} has a header name that is not a valid token`
    const options = {
      provider: source.provider,
      message: `Invalid ${source.kind === 'setting' ? 'setting' : 'request header'}: ${what}.`,
    }
    return source.kind === 'setting'
      ? new KycConfigurationError(options)
      : new KycInvalidRequestError(options)
  }
  return undefined
}
