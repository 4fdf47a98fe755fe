import { cryptoEngine } from '#crypto'
import { bytesToHex } from '../crypto/encoding.js'
import { KycConfigurationError, KycWebhookVerificationError } from '../errors.js'
import { assertTolerance, isFiniteNumber } from '../setting-checks.js'

/** A secret or payload as text (UTF-8) or bytes. */
export type HmacInput = string | Uint8Array

/**
 * HMAC-SHA256 of `payload` under `secret`, as lower-case hex: the form most providers put in their
 * signature headers. Bytes are hashed as they are, so a raw body is never re-encoded on the way.
 * Synchronous, for signing in simulators and tests (`node:crypto` on Node, pure JavaScript
 * elsewhere); the verifiers below use WebCrypto off Node.
 *
 * @example
 * ```ts
 * const expected = computeHmacSha256(env.ACME_WEBHOOK_SECRET, rawBody)
 * ```
 */
export function computeHmacSha256(secret: HmacInput, payload: HmacInput): string {
  return bytesToHex(cryptoEngine.hmacSha256Sync(secret, [payload]))
}

/**
 * @internal HMAC-SHA256 as lower-case hex, for a verifier, the fastest way this runtime offers:
 * synchronously where the engine's synchronous HMAC is native (Node: no promise, no thread-pool hop,
 * one native call for the hex digest), through WebCrypto elsewhere. Callers await only a promise, so
 * the synchronous path costs no microtask.
 */
export function verifierHmacSha256Hex(secret: string, parts: readonly HmacInput[]): string | Promise<string> {
  return cryptoEngine.synchronousHmacIsFastest
    ? cryptoEngine.hmacSha256HexSync(secret, parts)
    : cryptoEngine.hmacSha256Hex(secret, parts)
}

/**
 * Compares two strings in time that does not depend on where they differ, so an attacker cannot
 * guess a signature byte by byte from response times. Strings of different length are unequal
 * (a signature's length is public anyway). The UTF-16 code units are compared as they are, with no
 * early exit and no encoding on the way (the verifiers compare hex digests on every delivery).
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const compared = a.length === b.length ? b : a
  let difference = a.length === b.length ? 0 : 1
  for (let index = 0; index < a.length; index += 1) {
    difference |= a.charCodeAt(index) ^ compared.charCodeAt(index)
  }
  return difference === 0
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
export function configuredSecrets(secrets: readonly string[]): readonly string[] {
  // One secret is the common case, checked on every delivery: no set to build.
  if (secrets.length === 1 && typeof secrets[0] === 'string' && secrets[0].length > 0) return secrets
  const distinct = [...new Set(secrets.filter((secret) => typeof secret === 'string' && secret.length > 0))]
  if (distinct.length === 0) {
    throw new KycConfigurationError({
      message: 'No webhook secret is configured, so no delivery can be verified.',
    })
  }
  return distinct
}

/** The most `t=…` timestamps a timestamped signature header may hold (Persona sends one per secret). */
export const maxSignatureTimestamps = 4

/** The most signatures a timestamped signature header may hold, over all its timestamps. */
export const maxSignatures = 16

/**
 * Verifies a `t=…,v1=…[,v1=…]` signature header (Persona's scheme, and a common one elsewhere):
 * the HMAC-SHA256 over `` `${t}.${rawBody}` `` must match one `v1` value under one of `secrets`,
 * compared in constant time, and `t` must lie within `toleranceSeconds` of now so a captured
 * delivery cannot be replayed later. During a rotation the header may hold several `v1` values or
 * several space-separated `t=…,v1=…` sets; any one match is enough.
 *
 * The cost of a forged delivery is bounded before the body is hashed: a header longer than
 * {@link maxSignatureHeaderLength}, or with more than {@link maxSignatureTimestamps} timestamps or
 * {@link maxSignatures} signatures, is refused; timestamps outside the tolerance are dropped unhashed,
 * and so are signatures that cannot be a SHA-256 hex digest; the body is then hashed once per
 * distinct timestamp per distinct secret, whatever the number of signatures.
 *
 * Rejects with `KycWebhookVerificationError` whose message says why (missing header, malformed header,
 * stale timestamp, no match) and never contains a signature, a secret or the body; with
 * `KycConfigurationError` when no secret is configured, or when `now()` or `toleranceSeconds` is not a
 * finite number (positive, for the tolerance): replay protection fails closed, never open.
 *
 * @example
 * ```ts
 * await verifyTimestampedSignature({
 *   header: headers.get('persona-signature'),
 *   rawBody,
 *   secrets: [env.PERSONA_WEBHOOK_SECRET],
 * })
 * ```
 */
export async function verifyTimestampedSignature(
  options: VerifyTimestampedSignatureOptions,
): Promise<VerifiedTimestampedSignature> {
  const secrets = configuredSecrets(options.secrets)
  const toleranceSeconds = options.toleranceSeconds ?? 300
  assertTolerance(toleranceSeconds, { setting: 'toleranceSeconds' })
  const nowMs = (options.now ?? Date.now)()
  if (!isFiniteNumber(nowMs)) {
    throw new KycConfigurationError({ message: 'The webhook clock (now) did not return a finite time.' })
  }
  const raw = options.header
  if (typeof raw !== 'string') fail('the signature header is missing')
  const header = raw.trim()
  if (header === '') fail('the signature header is missing')
  if (raw.length > maxSignatureHeaderLength) fail('the signature header is too long')
  const signatureSets = parseSignatureHeader(header, options.format)
  if (signatureSets.length === 0) fail('the signature header has no timestamped signature')
  if (signatureSets.length > maxSignatureTimestamps) fail('the signature header has too many timestamps')
  const signatureCount = signatureSets.reduce((count, set) => count + set.signatures.length, 0)
  if (signatureCount > maxSignatures) fail('the signature header has too many signatures')

  // Before any hashing: a stale timestamp cannot verify, so its signatures are not worth computing.
  const nowSeconds = nowMs / 1000
  const fresh = signatureSets.filter(
    (set) => Math.abs(nowSeconds - Number(set.timestamp)) <= toleranceSeconds,
  )
  if (fresh.length === 0) fail(`the timestamp is outside the ${toleranceSeconds} s tolerance`)

  for (const { timestamp, signatures } of mergeByTimestamp(fresh)) {
    // A SHA-256 hex digest is 64 hex digits; anything else cannot match, so costs no hashing.
    const candidates = signatures.filter((signature) => sha256Hex.test(signature))
    if (candidates.length === 0) continue
    let matched = false
    for (const secret of secrets) {
      // The prefix and the body are handed over in turn: on Node each is fed to the HMAC as it is
      // (copying a large body into a joined buffer first cost as much as hashing it); WebCrypto
      // takes one buffer. UTF-8 either way, so the bytes hashed are the same.
      const digest = verifierHmacSha256Hex(secret, [`${timestamp}.`, options.rawBody])
      const expected = typeof digest === 'string' ? digest : await digest
      for (const signature of candidates) {
        // No early exit: the time taken does not tell which secret or signature matched.
        if (timingSafeEqualStrings(expected, signature)) matched = true
      }
    }
    if (matched) return { timestamp: Number(timestamp) }
  }
  fail('no signature matches')
}

const sha256Hex = /^[0-9a-f]{64}$/

/** One set per distinct timestamp, holding every signature given for it: each is hashed once. */
function mergeByTimestamp(sets: readonly SignatureSet[]): readonly SignatureSet[] {
  // One set is what every delivery outside a secret rotation carries: nothing to merge.
  if (sets.length === 1) return sets
  const merged = new Map<string, string[]>()
  for (const { timestamp, signatures } of sets) {
    merged.set(timestamp, [...(merged.get(timestamp) ?? []), ...signatures])
  }
  return [...merged].map(([timestamp, signatures]) => ({ timestamp, signatures }))
}

type SignatureSet = { timestamp: string; signatures: string[] }

/**
 * Reads every `t=…,v1=…` set in a header (trimmed by the caller). Both rotation layouts occur: one timestamp with several
 * `v1` elements, and several space-separated sets (Persona's documented form). Each timestamp
 * element starts a new set; elements before the first timestamp and unknown keys are ignored.
 * The caller bounds the header's length first, so this walk is bounded too.
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
 * {@link verifyTimestampedSignature}. Synchronous, so it fits synchronous signing hooks.
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
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets
  const signatures = secrets.map(
    (secret) =>
      `${signatureKey}=${bytesToHex(cryptoEngine.hmacSha256Sync(secret, [`${timestamp}.`, options.rawBody]))}`,
  )
  if (options.layout === 'signatures') return [`${timestampKey}=${timestamp}`, ...signatures].join(',')
  return signatures.map((signature) => `${timestampKey}=${timestamp},${signature}`).join(' ')
}
