/**
 * The hashing core needs, in one small interface with two implementations chosen by the package's
 * `#crypto` import condition: `node-crypto.ts` on Node (`node:crypto`, synchronous, the fastest there)
 * and `web-crypto.ts` everywhere else (WebCrypto with a cached `CryptoKey` per secret for the
 * verifications on the request path; pure JavaScript `@noble/hashes` where a synchronous digest is
 * needed: the audit chain and the signing helpers). Both give byte-identical results; a test
 * runs every function through both.
 */
export type CryptoEngine = {
  /**
   * Whether the synchronous HMACs are this runtime's fastest (Node's native one). The verifiers then
   * hash synchronously: no promise, no thread-pool hop. Elsewhere the synchronous HMAC is pure
   * JavaScript and the verifiers keep WebCrypto.
   */
  readonly synchronousHmacIsFastest: boolean
  /** HMAC-SHA256 of the concatenated `parts` under `secret` (strings as UTF-8). */
  hmacSha256(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]): Promise<Uint8Array>
  /** {@link CryptoEngine.hmacSha256} as lower-case hex. */
  hmacSha256Hex(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]): Promise<string>
  /**
   * {@link CryptoEngine.hmacSha256}, synchronously, for the signing helpers simulators and tests call
   * from synchronous hooks (pure JavaScript off Node: slower than WebCrypto on large bodies).
   */
  hmacSha256Sync(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]): Uint8Array
  /**
   * {@link CryptoEngine.hmacSha256Sync} as lower-case hex: what the verifiers call where
   * {@link CryptoEngine.synchronousHmacIsFastest} (on Node a hex digest is one native call, cheaper
   * than building a `Buffer` of the digest and comparing bytes).
   */
  hmacSha256HexSync(secret: string | Uint8Array, parts: readonly (string | Uint8Array)[]): string
  /** SHA-256 of `text` (UTF-8), synchronously: the audit chain hashes inside synchronous code. */
  sha256(text: string): Uint8Array
  /** {@link CryptoEngine.sha256} as lower-case hex. */
  sha256Hex(text: string): string
  /** Equal bytes, compared in time that does not depend on where they differ. Different lengths: false. */
  timingSafeEqualBytes(left: Uint8Array, right: Uint8Array): boolean
}
