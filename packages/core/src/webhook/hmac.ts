import { createHmac, timingSafeEqual } from 'node:crypto'
import { KycConfigurationError, KycWebhookVerificationError } from '../errors.js'

/** A secret or payload as text (UTF-8) or bytes. */
export type HmacInput = string | Uint8Array

const encoder = new TextEncoder()

function toBytes(input: HmacInput): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input
}

/**
 * HMAC-SHA256 of `payload` under `secret`, as lower-case hex: the form most providers put in their
 * signature headers. Bytes are hashed as they are, so a raw body is never re-encoded on the way.
 *
 * @example
 * ```ts
 * const expected = computeHmacSha256(process.env.ACME_WEBHOOK_SECRET!, rawBody)
 * ```
 */
export function computeHmacSha256(secret: HmacInput, payload: HmacInput): string {
  return createHmac('sha256', toBytes(secret)).update(toBytes(payload)).digest('hex')
}

/**
 * Compares two strings in time that does not depend on where they differ, so an attacker cannot
 * guess a signature byte by byte from response times. Strings of different length are unequal
 * (a signature's length is public anyway).
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = encoder.encode(a)
  const right = encoder.encode(b)
  if (left.length !== right.length) {
    // Spend the same work as a real comparison, then answer no.
    timingSafeEqual(left, left)
    return false
  }
  return timingSafeEqual(left, right)
}

/**
 * The shape of a `t=…,v1=…` signature header. Persona's is the default: `t` holds Unix seconds and
 * each `v1` one hex HMAC-SHA256 over `` `${t}.${rawBody}` `` (several during a secret rotation).
 */
export type TimestampedSignatureFormat = {
  /** The key of the timestamp element. Default `t`. */
  timestampKey?: string
  /** The key of each signature element. Default `v1`. */
  signatureKey?: string
}

/** Options for {@link verifyTimestampedSignature}. */
export type VerifyTimestampedSignatureOptions = {
  /** The signature header's value, as received (for example `Persona-Signature`). */
  header: string | null | undefined
  /** The body exactly as received: the signature covers these bytes. */
  rawBody: HmacInput
  /** Every secret currently valid; several while a secret is being rotated. */
  secrets: readonly string[]
  /** How far the signed timestamp may be from now, either way. Default 300 seconds. */
  toleranceSeconds?: number
  /** The current time in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number
  format?: TimestampedSignatureFormat
}

/** What a successful verification learned. */
export type VerifiedTimestampedSignature = {
  /** The signed timestamp, in Unix seconds. */
  timestamp: number
}

/**
 * The longest signature header any verifier in this module reads. Longer headers are refused before
 * they are parsed, so the work spent on a forged delivery does not grow with what its sender packs
 * into the header. A real header is a few hundred characters even during a rotation.
 */
export const maxSignatureHeaderLength = 1024

/** @internal Throws the verification error every signature scheme uses; the reason names no value. */
export function fail(reason: string): never {
  throw new KycWebhookVerificationError({ message: `Webhook signature verification failed: ${reason}.` })
}

/**
 * @internal The configured secrets, without empty and repeated ones (each is hashed at most once).
 * No secret at all is our fault, not the sender's: `KycConfigurationError`.
 */
export function configuredSecrets(secrets: readonly string[]): string[] {
  const distinct = [...new Set(secrets.filter((secret) => typeof secret === 'string' && secret.length > 0))]
  if (distinct.length === 0) {
    throw new KycConfigurationError({
      message: 'No webhook secret is configured, so no delivery can be verified.',
    })
  }
  return distinct
}

function signedPayload(timestamp: string, rawBody: HmacInput): Uint8Array {
  const prefix = encoder.encode(`${timestamp}.`)
  const body = toBytes(rawBody)
  const payload = new Uint8Array(prefix.length + body.length)
  payload.set(prefix, 0)
  payload.set(body, prefix.length)
  return payload
}

/**
 * Verifies a `t=…,v1=…[,v1=…]` signature header (Persona's scheme, and a common one elsewhere):
 * the HMAC-SHA256 over `` `${t}.${rawBody}` `` must match one `v1` value under one of `secrets`,
 * compared in constant time, and `t` must lie within `toleranceSeconds` of now so a captured
 * delivery cannot be replayed later. During a rotation the header may hold several `v1` values or
 * several space-separated `t=…,v1=…` sets; any one match is enough.
 *
 * Throws `KycWebhookVerificationError` whose message says why (missing header, malformed header,
 * stale timestamp, no match) and never contains a signature, a secret or the body. Throws
 * `KycConfigurationError` when no secret is configured, because that is our fault, not the sender's.
 *
 * @example
 * ```ts
 * verifyTimestampedSignature({
 *   header: headers.get('persona-signature'),
 *   rawBody,
 *   secrets: [process.env.PERSONA_WEBHOOK_SECRET!],
 * })
 * ```
 */
export function verifyTimestampedSignature(
  options: VerifyTimestampedSignatureOptions,
): VerifiedTimestampedSignature {
  const secrets = configuredSecrets(options.secrets)
  const header = options.header?.trim()
  if (!header) fail('the signature header is missing')
  const signatureSets = parseSignatureHeader(header, options.format)
  if (signatureSets.length === 0) fail('the signature header has no timestamped signature')

  const toleranceSeconds = options.toleranceSeconds ?? 300
  const nowSeconds = (options.now ?? Date.now)() / 1000
  let signedButStale = false
  let verifiedTimestamp: number | undefined
  for (const { timestamp, signatures } of signatureSets) {
    let matched = false
    for (const secret of secrets) {
      // The prefix and the body are fed to the HMAC in turn: copying a large body into a joined
      // buffer first cost as much as hashing it. UTF-8 either way, so the bytes hashed are the same.
      const expected = createHmac('sha256', secret)
        .update(`${timestamp}.`)
        .update(options.rawBody)
        .digest('hex')
      for (const signature of signatures) {
        // No early exit: the time taken does not tell which secret or signature matched.
        if (timingSafeEqualStrings(expected, signature)) matched = true
      }
    }
    if (!matched) continue
    if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) signedButStale = true
    else verifiedTimestamp ??= Number(timestamp)
  }
  if (verifiedTimestamp !== undefined) return { timestamp: verifiedTimestamp }
  if (signedButStale) fail(`the timestamp is outside the ${toleranceSeconds} s tolerance`)
  fail('no signature matches')
}

type SignatureSet = { timestamp: string; signatures: string[] }

/**
 * Reads every `t=…,v1=…` set in a header. Both rotation layouts occur: one timestamp with several
 * `v1` elements, and several space-separated sets (Persona's documented form). Each timestamp
 * element starts a new set; elements before the first timestamp and unknown keys are ignored.
 */
function parseSignatureHeader(
  header: string,
  format: TimestampedSignatureFormat | undefined,
): SignatureSet[] {
  const timestampKey = format?.timestampKey ?? 't'
  const signatureKey = format?.signatureKey ?? 'v1'
  const sets: SignatureSet[] = []
  let current: SignatureSet | undefined
  for (const element of header.split(/[\s,]+/)) {
    const separator = element.indexOf('=')
    if (separator <= 0) continue
    const key = element.slice(0, separator)
    const value = element.slice(separator + 1)
    if (key === timestampKey) {
      current = /^\d{1,12}$/.test(value) ? { timestamp: value, signatures: [] } : undefined
      if (current) sets.push(current)
    } else if (key === signatureKey && current && value.length > 0) {
      current.signatures.push(value.toLowerCase())
    }
  }
  return sets.filter((set) => set.signatures.length > 0)
}

/** Options for {@link signTimestampedPayload}. */
export type SignTimestampedPayloadOptions = {
  rawBody: HmacInput
  /** One secret, or several to emit one signature per secret as during a rotation. */
  secrets: string | readonly string[]
  /** Unix seconds to sign. Default: now. */
  timestamp?: number
  /** The current time in milliseconds, used when `timestamp` is not given. Default `Date.now`. */
  now?: () => number
  format?: TimestampedSignatureFormat
  /**
   * How several secrets are laid out: `sets` (default, Persona's documented rotation form) writes
   * space-separated `t=…,v1=…` sets; `signatures` writes one `t` followed by several `v1`.
   */
  layout?: 'sets' | 'signatures'
}

/**
 * Builds a `t=…,v1=…` header the way a provider would, for simulators and tests: the counterpart of
 * {@link verifyTimestampedSignature}.
 *
 * @example
 * ```ts
 * const header = signTimestampedPayload({ rawBody, secrets: 'wbhsec_test' })
 * await pipeline.handle({ rawBody, headers: { 'persona-signature': header } })
 * ```
 */
export function signTimestampedPayload(options: SignTimestampedPayloadOptions): string {
  const timestampKey = options.format?.timestampKey ?? 't'
  const signatureKey = options.format?.signatureKey ?? 'v1'
  const timestamp = String(options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000))
  const payload = signedPayload(timestamp, options.rawBody)
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets
  const signatures = secrets.map((secret) => `${signatureKey}=${computeHmacSha256(secret, payload)}`)
  if (options.layout === 'signatures') return [`${timestampKey}=${timestamp}`, ...signatures].join(',')
  return signatures.map((signature) => `${timestampKey}=${timestamp},${signature}`).join(' ')
}
