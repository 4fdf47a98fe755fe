const encoder = new TextEncoder()

/** The standard base64 alphabet, as the bytes written. */
const base64Alphabet = encoder.encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
const padding = 61 // '='

/** Writes `source` as standard base64 (with padding) into `target` at `offset`; returns the end. */
function writeBase64(source: Uint8Array, target: Uint8Array, offset: number): number {
  let at = offset
  const whole = source.length - (source.length % 3)
  for (let index = 0; index < whole; index += 3) {
    const bits =
      ((source[index] as number) << 16) | ((source[index + 1] as number) << 8) | (source[index + 2] as number)
    target[at] = base64Alphabet[bits >>> 18] as number
    target[at + 1] = base64Alphabet[(bits >>> 12) & 63] as number
    target[at + 2] = base64Alphabet[(bits >>> 6) & 63] as number
    target[at + 3] = base64Alphabet[bits & 63] as number
    at += 4
  }
  const rest = source.length - whole
  if (rest > 0) {
    const bits = ((source[whole] as number) << 16) | (rest === 2 ? (source[whole + 1] as number) << 8 : 0)
    target[at] = base64Alphabet[bits >>> 18] as number
    target[at + 1] = base64Alphabet[(bits >>> 12) & 63] as number
    target[at + 2] = rest === 2 ? (base64Alphabet[(bits >>> 6) & 63] as number) : padding
    target[at + 3] = padding
    at += 4
  }
  return at
}

/**
 * Writes the JSON bodies of `POST /importer/list-item/{kind}` as bytes, into one buffer reused from
 * chunk to chunk: the same bytes as `JSON.stringify` of
 * `{ data: { attributes: { 'list-id', file: { data: base64(csv), filename } } } }`, UTF-8 encoded, but
 * without the base64 text, the JSON text and their UTF-8 copy, three strings of a chunk's size each
 * that reached the old generation and its large-object space and held the bulk-import's peak RSS up.
 *
 * The returned view is valid until the next call: by then the request that sent it has completed
 * (the fetch transport copies a body anyway).
 *
 * @see https://docs.withpersona.com/reference/create-an-importer-list-item-email-address
 */
export function createImporterBodyWriter(
  listId: string,
): (csv: Uint8Array, filename: string) => Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`{"data":{"attributes":{"list-id":${JSON.stringify(listId)},"file":{"data":"`)
  let buffer = new Uint8Array(0)
  return (csv, filename) => {
    const suffix = encoder.encode(`","filename":${JSON.stringify(filename)}}}}}`)
    const size = prefix.length + Math.ceil(csv.length / 3) * 4 + suffix.length
    if (buffer.length < size) buffer = new Uint8Array(size)
    buffer.set(prefix, 0)
    const end = writeBase64(csv, buffer, prefix.length)
    buffer.set(suffix, end)
    return buffer.subarray(0, end + suffix.length)
  }
}
