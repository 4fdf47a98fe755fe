import { cryptoEngine } from '#crypto'
import { bytesToHex, decodeBase64, encodeBase64 } from '../crypto/encoding.js'
import { KycConfigurationError } from '../errors.js'
import {
  configuredSecrets,
  fail,
  type HmacInput,
  maxSignatureHeaderLength,
  timingSafeEqualStrings,
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

const hexDigits = /^[0-9a-fA-F]+$/
const base64Digits = /^[A-Za-z0-9+/_-]+={0,2}$/

/**
 * The header's digest as lower-case hex (the form the HMAC is compared in), or `undefined` when it
 * cannot be a digest of the expected size.
 */
function decodeSignature(value: string, encoding: BodySignatureEncoding, length: number): string | undefined {
  if (encoding === 'hex') {
    return value.length === length * 2 && hexDigits.test(value) ? value.toLowerCase() : undefined
  }
  // Base64 of `length` bytes is this many characters with padding; without it, up to two fewer.
  const padded = Math.ceil(length / 3) * 4
  if (value.length > padded || value.length < padded - 2 || !base64Digits.test(value)) return undefined
  const bytes = decodeBase64(value)
  return bytes?.length === length ? bytesToHex(bytes) : undefined
}

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
export async function verifyBodySignature(options: VerifyBodySignatureOptions): Promise<void> {
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

  let matched = false
  for (const secret of secrets) {
    const digest = verifierHmacSha256Hex(secret, [options.rawBody])
    const expected = typeof digest === 'string' ? digest : await digest
    // No early exit: the time taken does not tell which secret matched.
    if (timingSafeEqualStrings(expected, signature)) matched = true
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
