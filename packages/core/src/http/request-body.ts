import type { HttpBody } from './create-http-client.js'

/**
 * A request body as the bytes sent on every attempt, with the content type they imply. The bytes
 * are held as the chunks they were given in (a multipart upload: its head, the file, its tail), so
 * a transport that can write chunks in turn (`node:http`) sends a large file without copying it;
 * {@link PreparedBody.bytes} joins them, once, for a transport or a `sign` hook that needs one array.
 */
export type PreparedBody = {
  chunks: readonly Uint8Array<ArrayBuffer>[]
  /** The total length of {@link PreparedBody.chunks}. */
  byteLength: number
  contentType: string | undefined
  /** Every chunk in one array: the chunk itself when there is one, else joined on first use and kept. */
  bytes(): Uint8Array<ArrayBuffer>
}

const encoder = new TextEncoder()

function preparedBody(
  chunks: readonly Uint8Array<ArrayBuffer>[],
  contentType: string | undefined,
): PreparedBody {
  let byteLength = 0
  for (const chunk of chunks) byteLength += chunk.byteLength
  let joined: Uint8Array<ArrayBuffer> | undefined = chunks.length === 1 ? chunks[0] : undefined
  return {
    chunks,
    byteLength,
    contentType,
    bytes() {
      if (joined === undefined) {
        joined = new Uint8Array(byteLength)
        let offset = 0
        for (const chunk of chunks) {
          joined.set(chunk, offset)
          offset += chunk.byteLength
        }
      }
      return joined
    },
  }
}

/**
 * Serialises a call's body once, so that every attempt sends (and a `sign` hook sees) the very same
 * bytes: `json` as UTF-8 JSON, a list of byte chunks as those chunks in order, anything else the way
 * `fetch` would encode it (a `FormData` keeps its multipart boundary across retries).
 */
export async function prepareBody(call: {
  json?: unknown
  body?: HttpBody
}): Promise<PreparedBody | undefined> {
  if (call.json !== undefined) {
    return preparedBody([encoder.encode(JSON.stringify(call.json))], 'application/json')
  }
  const { body } = call
  if (body === undefined) return undefined
  if (typeof body === 'string') return preparedBody([encoder.encode(body)], 'text/plain;charset=UTF-8')
  if (body instanceof Uint8Array) return preparedBody([body], undefined)
  if (body instanceof ArrayBuffer) return preparedBody([new Uint8Array(body)], undefined)
  if (Array.isArray(body)) {
    // Copied as a list only: a caller changing its array afterwards cannot change what a retry sends.
    return preparedBody(
      (body as readonly unknown[]).map((chunk) => {
        if (!(chunk instanceof Uint8Array)) throw new TypeError('A body chunk must be a Uint8Array.')
        return chunk as Uint8Array<ArrayBuffer>
      }),
      undefined,
    )
  }
  // FormData, URLSearchParams and Blob: let the platform encode them, boundary and type included.
  const encoded = new Request('http://body.invalid/', { method: 'POST', body: body as BodyInit })
  // The type first: Bun drops a body's implied content-type once the body has been read.
  const contentType = encoded.headers.get('content-type') ?? undefined
  return preparedBody([new Uint8Array(await encoded.arrayBuffer())], contentType)
}
