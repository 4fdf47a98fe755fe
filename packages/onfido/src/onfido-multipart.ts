/** A file part of a multipart body. */
export type OnfidoMultipartFile = { content: Uint8Array; contentType: string; fileName: string }

const encoder = new TextEncoder()

/** A part's name or file name, escaped as browsers escape them (WHATWG HTML, multipart/form-data). */
function escapeName(name: string): string {
  return name.replaceAll('"', '%22').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

/**
 * A `multipart/form-data` body (RFC 7578) of text fields and one file, as three chunks: the encoded
 * head (fields and the file part's headers), the file's own bytes, untouched, and the closing
 * boundary. Building a `FormData` and letting the platform encode it copies a large upload several
 * times over (the `Blob`, its serialisation, the body read back as bytes) before it is sent; core's
 * HTTP client writes these chunks in turn on Node, so the file is not copied at all (other runtimes
 * join them once). The boundary is random per body, as browsers make it.
 *
 * Field values are the adapter's own (ids, document types, country codes), never applicant text.
 *
 * @example
 * ```ts
 * const { chunks, contentType } = encodeOnfidoMultipart([['applicant_id', applicantId]], {
 *   name: 'file',
 *   file: { content, contentType: 'image/jpeg', fileName: 'front.jpg' },
 * })
 * ```
 */
export function encodeOnfidoMultipart(
  fields: readonly (readonly [name: string, value: string])[],
  file: { name: string; file: OnfidoMultipartFile },
): { chunks: readonly Uint8Array<ArrayBuffer>[]; contentType: string } {
  const boundary = `----openkyc${crypto.randomUUID().replaceAll('-', '')}`
  let head = ''
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value.replaceAll(/\r\n|\r|\n/g, '\r\n')}\r\n`
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(file.name)}"; filename="${escapeName(file.file.fileName)}"\r\nContent-Type: ${file.file.contentType}\r\n\r\n`
  const { content } = file.file
  // A view of the caller's bytes, not a copy (a `Uint8Array` over a `SharedArrayBuffer` is copied once).
  const fileBytes =
    content.buffer instanceof ArrayBuffer
      ? new Uint8Array(content.buffer, content.byteOffset, content.byteLength)
      : new Uint8Array(content)
  return {
    chunks: [encoder.encode(head), fileBytes, encoder.encode(`\r\n--${boundary}--\r\n`)],
    contentType: `multipart/form-data; boundary=${boundary}`,
  }
}
