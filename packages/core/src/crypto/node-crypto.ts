import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { CryptoEngine } from './crypto-engine.js'

// Node only: selected by the `node` condition of the package's `#crypto` import. Synchronous
// `node:crypto` behind the same promise-returning interface as WebCrypto, because on Node a
// WebCrypto HMAC hops to the thread pool and costs more than hashing a webhook body.

function hmac(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]) {
  const mac = createHmac('sha256', secret)
  for (const part of parts) mac.update(part)
  return mac
}

/** @internal The `node:crypto` engine. */
export const cryptoEngine: CryptoEngine = {
  hmacSha256: async (secret, parts) => new Uint8Array(hmac(secret, parts).digest()),
  hmacSha256Hex: async (secret, parts) => hmac(secret, parts).digest('hex'),
  hmacSha256Sync: (secret, parts) => new Uint8Array(hmac(secret, parts).digest()),
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
