import { cryptoEngine } from '#crypto'
import { bytesToHex, decodeBase64, encodeBase64 } from '../crypto/encoding.js'
import { KycConfigurationError } from '../errors.js'
import {
  configuredSecrets,
  fail,
  type HmacInput,
  maxSignatureHeaderLength,
  verifierHmacSha256Hex,
} from './hmac.js'

/** Hash algorithms a body signature may use. One today; the table below is where others go. */
export type BodySignatureAlgorithm = 'sha256'

/** How the signature is written in its header. */
export type BodySignatureEncoding = 'hex' | 'base64'

/** Digest length in bytes, per algorithm: a header of any other length is refused unread. */
const digestBytes: Record<BodySignatureAlgorithm, number> = { sha256: 32 }

/** Options for {@link verifyBodySignature}. */
export type VerifyBodySignatureOptions = {
  /** The signature header's value, as received (Onfido `X-SHA2-Signature`, Veriff `X-HMAC-SIGNATURE`). */
  header: string | null | undefined
  /** The body exactly as received: the signature covers these bytes. */
  rawBody: HmacInput
  /** Every secret currently valid; several while a secret is being rotated. */
  secrets: readonly string[]
  /** How the vendor writes the digest: `hex` (either case) or `base64` (standard or URL-safe alphabet). */
  encoding: BodySignatureEncoding
  /** The HMAC's hash. Default `sha256`. */
  algorithm?: BodySignatureAlgorithm
}

const base64Digits = /^[A-Za-z0-9+/_-]+={0,2}$/

/** Whether every character of `value` is a hex digit (either case): a loop, cheaper than a regex here. */
function isHex(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index)
    // 0-9, then A-F and a-f folded together by setting the lower-case bit.
    if (!((code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x66))) return false
  }
  return true
}

/**
 * The header's digest as hex, or `undefined` when it cannot be a digest of the expected size: hex as
 * received (either case, compared by {@link timingSafeEqualHex}), base64 decoded to lower-case hex.
 */
function decodeSignature(value: string, encoding: BodySignatureEncoding, length: number): string | undefined {
  if (encoding === 'hex') return value.length === length * 2 && isHex(value) ? value : undefined
  // Base64 of `length` bytes is this many characters with padding; without it, up to two fewer.
  const padded = Math.ceil(length / 3) * 4
  if (value.length > padded || value.length < padded - 2 || !base64Digits.test(value)) return undefined
  const bytes = decodeBase64(value)
  return bytes?.length === length ? bytesToHex(bytes) : undefined
}

/**
 * Whether `signature` (hex digits of either case, checked by {@link isHex}) spells the lower-case hex
 * `expected`, in time that does not depend on where they differ. Setting the lower-case bit folds
 * A–F onto a–f and leaves the digits as they are, so no lower-cased copy of the header is made.
 */
function timingSafeEqualHex(expected: string, signature: string): boolean {
  if (expected.length !== signature.length) return false
  let difference = 0
  for (let index = 0; index < expected.length; index += 1) {
    difference |= expected.charCodeAt(index) ^ (signature.charCodeAt(index) | 0x20)
  }
  return difference === 0
}

/** What every successful synchronous verification answers: one settled promise, not a new one each time. */
const verified: Promise<void> = Promise.resolve()

/**
 * Verifies a signature over the raw body alone, with no timestamp: the scheme of Onfido
 * (`X-SHA2-Signature`, hex HMAC-SHA256) and Veriff (`X-HMAC-SIGNATURE`). The header must hold one
 * digest, which must equal the HMAC of `rawBody` under one of `secrets`, compared in constant time.
 * Such a scheme has no replay window, so replays are the pipeline's dedupe's to handle.
 *
 * The cost of a forged delivery is bounded before any hashing: a header longer than
 * {@link maxSignatureHeaderLength}, or not exactly one digest of the algorithm's size in the
 * declared encoding, is refused unread; then the body is hashed once per distinct secret, never more.
 *
 * Rejects with `KycWebhookVerificationError` whose message says why (missing, malformed, no match)
 * and never contains a signature, a secret or the body; `KycConfigurationError` when no secret is set.
 * It never throws synchronously: every failure is a rejection.
 *
 * @example
 * ```ts
 * await verifyBodySignature({
 *   header: headers.get('x-sha2-signature'),
 *   rawBody,
 *   secrets: [env.ONFIDO_WEBHOOK_TOKEN],
 *   encoding: 'hex',
 * })
 * ```
 */
export function verifyBodySignature(options: VerifyBodySignatureOptions): Promise<void> {
  try {
    const { secrets, signature } = checkedSignature(options)
    // Where the runtime's synchronous HMAC is its fastest (Node), the whole check runs now: no async
    // function, no await, one shared settled promise for the answer (a webhook's verification is a
    // few microseconds, and a promise per call weighed in it).
    if (cryptoEngine.synchronousHmacIsFastest) {
      let matched = false
      for (const secret of secrets) {
        const expected = cryptoEngine.hmacSha256HexSync(secret, [options.rawBody])
        // No early exit: the time taken does not tell which secret matched.
        if (timingSafeEqualHex(expected, signature)) matched = true
      }
      if (!matched) fail('no signature matches')
      return verified
    }
    return matchAny(secrets, signature, options.rawBody)
  } catch (error) {
    return Promise.reject(error)
  }
}

/** The configured secrets and the header's digest as hex (see `decodeSignature`); throws what the verifier rejects with. */
function checkedSignature(options: VerifyBodySignatureOptions): {
  secrets: readonly string[]
  signature: string
} {
  const secrets = configuredSecrets(options.secrets)
  const algorithm = options.algorithm ?? 'sha256'
  const length = digestBytes[algorithm]
  if (length === undefined) {
    throw new KycConfigurationError({ message: 'The webhook signature algorithm is not supported.' })
  }
  const raw = options.header
  if (typeof raw !== 'string') fail('the signature header is missing')
  const header = raw.trim()
  if (header === '') fail('the signature header is missing')
  if (raw.length > maxSignatureHeaderLength) fail('the signature header is too long')
  const signature = decodeSignature(header, options.encoding, length)
  if (signature === undefined) fail(`the signature header is not one ${options.encoding} digest`)
  return { secrets, signature }
}

/** The WebCrypto path (every runtime but Node): each secret's HMAC, awaited, compared without early exit. */
async function matchAny(secrets: readonly string[], signature: string, rawBody: HmacInput): Promise<void> {
  let matched = false
  for (const secret of secrets) {
    const expected = await verifierHmacSha256Hex(secret, [rawBody])
    // No early exit, as above.
    if (timingSafeEqualHex(expected, signature)) matched = true
  }
  if (!matched) fail('no signature matches')
}

/** Options for {@link signBody}. */
export type SignBodyOptions = {
  rawBody: HmacInput
  secret: string
  encoding: BodySignatureEncoding
  /** Default `sha256`. */
  algorithm?: BodySignatureAlgorithm
}

/**
 * The signature a body-signing vendor would send, for simulators and tests: the counterpart of
 * {@link verifyBodySignature}. Hex is lower case; base64 uses the standard alphabet with padding.
 * Synchronous, so it fits synchronous signing hooks.
 *
 * @example
 * ```ts
 * const signature = signBody({ rawBody, secret: 'webhook-token', encoding: 'hex' })
 * await pipeline.handle({ rawBody, headers: { 'x-sha2-signature': signature } })
 * ```
 */
export function signBody(options: SignBodyOptions): string {
  if ((options.algorithm ?? 'sha256') !== 'sha256') {
    throw new KycConfigurationError({ message: 'The webhook signature algorithm is not supported.' })
  }
  const digest = cryptoEngine.hmacSha256Sync(options.secret, [options.rawBody])
  return options.encoding === 'hex' ? bytesToHex(digest) : encodeBase64(digest)
}
