import { KycInvalidRequestError } from './errors.js'

/** What {@link pathSegment} checks a value against. */
export type PathSegmentOptions = {
  /** The provider, when the check runs inside an adapter. */
  provider?: string
  /** The parameter's name for the message and issue path, for example `inquiryId`. Never the value. */
  name: string
  /** The vendor's id format. Without it, only the rules every segment must keep apply. */
  pattern?: RegExp
  /** The format in words for the message, for example `"a UUID"` or `"an id starting with inq_"`. */
  format?: string
}

/** The longest segment accepted; vendor ids are far shorter, and a long one is a probe. */
const maxSegmentLength = 256

/** Characters no id of any vendor holds: path and query separators, backslash, control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const unsafeSegmentCharacters = /[/\\?#%\u0000-\u001f\u007f]/

/**
 * Checks one value that goes into a URL path (an inquiry id, a workflow execution id) and returns
 * it. `encodeURIComponent` leaves `.` and `..` as they are, and URL resolution then moves an
 * authenticated request to another endpoint of the vendor host (`accounts/{id}/workflow-executions/..`
 * is `accounts/{id}/`), so a segment that is empty, `.` or `..`, holds a slash, backslash, `%`, `?`,
 * `#` or a control character, or breaks the vendor's `pattern`, throws `KycInvalidRequestError`
 * before any request is sent. The message names the parameter, never the value.
 *
 * @example
 * ```ts
 * const inquiryId = pathSegment(reference.inquiryId, {
 *   provider: 'persona',
 *   name: 'inquiryId',
 *   pattern: /^inq_[A-Za-z0-9]+$/,
 *   format: 'an id starting with inq_',
 * })
 * ```
 */
export function pathSegment(value: unknown, options: PathSegmentOptions): string {
  const refuse = (reason: string) =>
    new KycInvalidRequestError({
      ...(options.provider === undefined ? {} : { provider: options.provider }),
      message: `Invalid ${options.name}: ${reason}.`,
      issues: [{ path: [options.name], message: reason }],
    })
  if (typeof value !== 'string' && typeof value !== 'number') throw refuse('expected a string')
  const text = String(value)
  if (text === '') throw refuse('must not be empty')
  if (text === '.' || text === '..') throw refuse('must not be "." or ".."')
  if (text.length > maxSegmentLength) throw refuse(`must be at most ${maxSegmentLength} characters`)
  if (unsafeSegmentCharacters.test(text)) {
    throw refuse('must not contain "/", "\\", "?", "#", "%" or control characters')
  }
  if (options.pattern !== undefined && !options.pattern.test(text)) {
    throw refuse(`expected ${options.format ?? `a value matching ${String(options.pattern)}`}`)
  }
  return text
}

/** A UUID in its canonical 8-4-4-4-12 hexadecimal form, any version (Jumio's account and execution ids). */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
