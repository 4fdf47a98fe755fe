// Byte encodings on Web-standard APIs only (no `Buffer`), shared by core and the adapters.

const hexDigits = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** Bytes as lower-case hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += hexDigits[byte]
  return hex
}

/** Hex (either case, even length, validated by the caller) as bytes; `undefined` when not hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined
  const bytes = new Uint8Array(hex.length / 2)
  for (let index = 0; index < bytes.length; index += 1) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16)
  }
  return bytes
}

/** Characters turned into one `btoa` string at a time: `String.fromCharCode` takes arguments, not arrays. */
const base64Slice = 0x8000

/**
 * Bytes (or text, as UTF-8) as standard base64 with padding, as `Buffer.toString('base64')` writes it.
 *
 * @example
 * ```ts
 * const basic = encodeBase64(`${clientId}:${clientSecret}`)
 * ```
 */
export function encodeBase64(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  let result = ''
  // Slices of a multiple of 3 bytes encode without padding, so the pieces join into one base64 text.
  const step = base64Slice - (base64Slice % 3)
  for (let offset = 0; offset < bytes.length; offset += step) {
    result += btoa(String.fromCharCode(...bytes.subarray(offset, offset + step)))
  }
  return result
}

/**
 * Base64 (standard or URL-safe alphabet, padding optional) as bytes; `undefined` when it is not
 * base64.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined
  const standard = text.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '')
  if (standard.length % 4 === 1) return undefined
  try {
    const binary = atob(standard)
    const bytes = new Uint8Array(binary.length)
    for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index)
    return bytes
  } catch {
    return undefined
  }
}
