/**
 * A vendor response as received: what an adapter needs to verify a response signature or to keep a
 * download. `body` holds at most the call's byte cap.
 */
export type HttpRawResponse = {
  status: number
  headers: Headers
  body: Uint8Array
}

/** What reading a body gave: its bytes, or `too_large` once it passed the cap (the rest is not read). */
export type ReadBodyResult = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'too_large' }

/** The default cap on a response body: 4 MiB, far above any JSON a vendor API answers with. */
export const defaultMaxResponseBytes = 4 * 1024 * 1024

/**
 * Reads a response body, stopping as soon as it passes `maxBytes`: a declared `Content-Length` above
 * the cap is refused unread, and a body without one is read chunk by chunk and cancelled once the
 * cap is passed. Memory held is at most the cap plus one chunk, whatever the sender sends.
 */
export async function readBodyCapped(response: Response, maxBytes: number): Promise<ReadBodyResult> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    void response.body?.cancel().catch(() => undefined)
    return { kind: 'too_large' }
  }
  if (response.body === null) return { kind: 'bytes', bytes: new Uint8Array(0) }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined)
      return { kind: 'too_large' }
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return { kind: 'bytes', bytes: chunks[0]! }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return { kind: 'bytes', bytes }
}
