import * as nodeCrypto from 'node:crypto'
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

/**
 * `crypto.hash` (Node 20.12 and later): one call, no `Hash` object, about half the time of
 * `createHash().update().digest()` on an audit entry. Read from the namespace, not imported by name,
 * so an older Node 20 (without it) loads this module and falls back to `createHash`.
 */
const oneShotHash = (
  nodeCrypto as {
    hash?: {
      (algorithm: string, data: string | Uint8Array, encoding: 'hex'): string
      (algorithm: string, data: string | Uint8Array, encoding: 'buffer'): Buffer
    }
  }
).hash

/** SHA-256's block size: an HMAC key is padded (or first hashed) to this length (RFC 2104). */
const blockBytes = 64
/** The largest message hashed through {@link oneShotHmacHex}; a longer one goes through `createHmac`. */
const scratchBytes = 16 * 1024

/**
 * A secret's HMAC pads (RFC 2104): the key, hashed first when longer than a block, zero-padded to a
 * block and XORed with 0x36 (inner) and 0x5c (outer). `outer` has room after its pad for the inner
 * digest, so the outer hash reads one buffer kept for the purpose. Bounded like {@link keys}.
 */
type HmacPads = { inner: Buffer; outer: Buffer }
const pads = new Map<string, HmacPads>()
const digestLength = 32

function padsFor(secret: string): HmacPads {
  let found = pads.get(secret)
  if (found === undefined) {
    const encoded = Buffer.from(secret, 'utf8')
    const key = Buffer.alloc(blockBytes)
    ;(encoded.length > blockBytes ? createHash('sha256').update(encoded).digest() : encoded).copy(key)
    found = { inner: Buffer.alloc(blockBytes), outer: Buffer.alloc(blockBytes + digestLength) }
    for (let index = 0; index < blockBytes; index += 1) {
      found.inner[index] = key[index]! ^ 0x36
      found.outer[index] = key[index]! ^ 0x5c
    }
    key.fill(0)
    encoded.fill(0)
    if (pads.size >= maxCachedKeys) pads.delete(pads.keys().next().value as string)
    pads.set(secret, found)
  }
  return found
}

/** Where {@link oneShotHmacHex} lays out `inner pad ‖ message`. */
let scratch: Buffer | undefined

/**
 * HMAC-SHA256 as hex from two one-shot hashes, `H(outer ‖ H(inner ‖ message))` (RFC 2104), or
 * `undefined` when this Node has no `crypto.hash` or the message may not fit the scratch buffer.
 * A webhook body is a few hundred bytes: there, building a `createHmac` object costs more than
 * hashing the body, and this path has no object to build. The message bytes are wiped from the
 * scratch buffer afterwards, so no body lingers in it.
 */
function oneShotHmacHex(secret: string, parts: readonly (string | Uint8Array)[]): string | undefined {
  if (oneShotHash === undefined || secret.length === 0) return undefined
  // UTF-8 takes at most three bytes per UTF-16 unit: a bound that needs no pass over the text.
  let bound = blockBytes
  for (const part of parts) bound += typeof part === 'string' ? part.length * 3 : part.byteLength
  if (bound > scratchBytes) return undefined
  const { inner, outer } = padsFor(secret)
  scratch ??= Buffer.alloc(scratchBytes)
  inner.copy(scratch, 0)
  let length = blockBytes
  for (const part of parts) {
    if (typeof part === 'string') length += scratch.write(part, length, 'utf8')
    else {
      scratch.set(part, length)
      length += part.byteLength
    }
  }
  oneShotHash('sha256', scratch.subarray(0, length), 'buffer').copy(outer, blockBytes)
  scratch.fill(0, blockBytes, length)
  return oneShotHash('sha256', outer, 'hex')
}

/** @internal The `node:crypto` engine. */
export const cryptoEngine: CryptoEngine = {
  synchronousHmacIsFastest: true,
  hmacSha256: async (secret, parts) => digestBytes(secret, parts),
  hmacSha256Hex: async (secret, parts) => hmac(secret, parts).digest('hex'),
  hmacSha256Sync: digestBytes,
  hmacSha256HexSync: (secret, parts) =>
    (typeof secret === 'string' ? oneShotHmacHex(secret, parts) : undefined) ??
    hmac(secret, parts).digest('hex'),
  sha256: (text) => new Uint8Array(createHash('sha256').update(text, 'utf8').digest()),
  sha256Hex:
    oneShotHash === undefined
      ? (text) => createHash('sha256').update(text, 'utf8').digest('hex')
      : (text) => oneShotHash('sha256', text, 'hex'),
  timingSafeEqualBytes: (left, right) => {
    if (left.length !== right.length) {
      // Spend the same work as a real comparison, then answer no.
      timingSafeEqual(left, left)
      return false
    }
    return timingSafeEqual(left, right)
  },
}
