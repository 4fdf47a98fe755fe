import { createHash, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
import type { CryptoEngine } from './crypto-engine.js'

// Node only: selected by the `node` condition of the package's `#crypto` import. Synchronous
// `node:crypto`: on Node a WebCrypto HMAC hops to the thread pool and costs more than hashing a
// webhook body, so the verifiers call `hmacSha256HexSync` here directly (`synchronousHmacIsFastest`).

/**
 * Secret keys by secret text: `createHmac` with a string prepares the key on every call, which costs
 * a visible share of verifying a small body, and a process verifies with the same few secrets all
 * day. Bounded like the WebCrypto engine's cache (the oldest key is dropped first).
 */
const keys = new Map<string, KeyObject>()
const maxCachedKeys = 64

function keyFor(secret: string | Uint8Array): KeyObject | string | Uint8Array {
  // An empty secret is hashed as it is (old Node versions refuse an empty secret key object).
  if (typeof secret !== 'string' || secret.length === 0) return secret
  let key = keys.get(secret)
  if (key === undefined) {
    key = createSecretKey(secret, 'utf8')
    if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value as string)
    keys.set(secret, key)
  }
  return key
}

function hmac(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]) {
  const mac = createHmac('sha256', keyFor(secret))
  for (const part of parts) mac.update(part)
  return mac
}

/** The digest as a plain `Uint8Array` over the `Buffer`'s memory: the same bytes, no copy. */
function digestBytes(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]): Uint8Array {
  const digest = hmac(secret, parts).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/** @internal The `node:crypto` engine. */
export const cryptoEngine: CryptoEngine = {
  synchronousHmacIsFastest: true,
  hmacSha256: async (secret, parts) => digestBytes(secret, parts),
  hmacSha256Hex: async (secret, parts) => hmac(secret, parts).digest('hex'),
  hmacSha256Sync: digestBytes,
  hmacSha256HexSync: (secret, parts) => hmac(secret, parts).digest('hex'),
  sha256: (text) => new Uint8Array(createHash('sha256').update(text, 'utf8').digest()),
  sha256Hex: (text) => createHash('sha256').update(text, 'utf8').digest('hex'),
  timingSafeEqualBytes: (left, right) => {
    if (left.length !== right.length) {
      // Spend the same work as a real comparison, then answer no.
      timingSafeEqual(left, left)
      return false
    }
    return timingSafeEqual(left, right)
  },
}
