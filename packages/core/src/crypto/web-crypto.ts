import { hmac } from '@noble/hashes/hmac'
import { sha256 } from '@noble/hashes/sha2'
import type { CryptoEngine } from './crypto-engine.js'
import { bytesToHex } from './encoding.js'

// Every runtime but Node (Bun, Deno, Cloudflare Workers, browsers): WebCrypto for the HMACs that
// verify deliveries on the request path; pure JavaScript (@noble/hashes) where synchronous code
// needs a digest: the audit chain's small entries and the signing helpers of simulators and tests.

const encoder = new TextEncoder()

function toBytes(input: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof input === 'string') return encoder.encode(input)
  // WebCrypto takes ArrayBuffer-backed views only; a SharedArrayBuffer view is copied.
  return input.buffer instanceof ArrayBuffer ? (input as Uint8Array<ArrayBuffer>) : new Uint8Array(input)
}

function join(parts: readonly (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  if (parts.length === 1) return toBytes(parts[0]!)
  const encoded = parts.map(toBytes)
  const joined = new Uint8Array(encoded.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of encoded) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

/**
 * Imported keys by secret: importing costs as much as signing a small body, and a process verifies
 * with the same few secrets all day. Bounded, so a caller signing with many secrets cannot grow it
 * without limit (the oldest key is dropped first).
 */
const keys = new Map<string, Promise<CryptoKey>>()
const maxCachedKeys = 64

function importKey(secret: string | Uint8Array): Promise<CryptoKey> {
  const load = () =>
    crypto.subtle.importKey('raw', toBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  if (typeof secret !== 'string') return load()
  let key = keys.get(secret)
  if (key === undefined) {
    key = load()
    if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value as string)
    keys.set(secret, key)
    // A failed import is not remembered: the next call tries again.
    key.catch(() => keys.delete(secret))
  }
  return key
}

async function hmacSha256(
  secret: string | Uint8Array,
  parts: readonly (string | Uint8Array)[],
): Promise<Uint8Array> {
  const key = await importKey(secret)
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, join(parts)))
}

/** @internal The WebCrypto engine. */
export const cryptoEngine: CryptoEngine = {
  synchronousHmacIsFastest: false,
  hmacSha256,
  hmacSha256Hex: async (secret, parts) => bytesToHex(await hmacSha256(secret, parts)),
  hmacSha256Sync: (secret, parts) => hmac(sha256, toBytes(secret), join(parts)),
  hmacSha256HexSync: (secret, parts) => bytesToHex(hmac(sha256, toBytes(secret), join(parts))),
  sha256: (text) => sha256(encoder.encode(text)),
  sha256Hex: (text) => bytesToHex(sha256(encoder.encode(text))),
  timingSafeEqualBytes: (left, right) => {
    // The length of a digest is public; the contents are compared without an early exit.
    const compared = left.length === right.length ? right : left
    let difference = left.length === right.length ? 0 : 1
    for (let index = 0; index < left.length; index += 1) difference |= left[index]! ^ compared[index]!
    return difference === 0
  },
}
