import type { HttpBody } from './create-http-client.js'

/** A request body as the bytes sent on every attempt, with the content type they imply. */
export type PreparedBody = { bytes: Uint8Array<ArrayBuffer>; contentType: string | undefined }

const encoder = new TextEncoder()

/**
 * Serialises a call's body once, so that every attempt sends (and a `sign` hook sees) the very same
 * bytes: `json` as UTF-8 JSON, anything else the way `fetch` would encode it (a `FormData` keeps its
 * multipart boundary across retries).
 */
export async function prepareBody(call: {
  json?: unknown
  body?: HttpBody
}): Promise<PreparedBody | undefined> {
  if (call.json !== undefined) {
    return { bytes: encoder.encode(JSON.stringify(call.json)), contentType: 'application/json' }
  }
  if (call.body === undefined) return undefined
  if (typeof call.body === 'string') {
    return { bytes: encoder.encode(call.body), contentType: 'text/plain;charset=UTF-8' }
  }
  if (call.body instanceof Uint8Array) return { bytes: call.body, contentType: undefined }
  if (call.body instanceof ArrayBuffer) return { bytes: new Uint8Array(call.body), contentType: undefined }
  // FormData, URLSearchParams and Blob: let the platform encode them, boundary and type included.
  const encoded = new Request('http://body.invalid/', { method: 'POST', body: call.body })
  // The type first: Bun drops a body's implied content-type once the body has been read.
  const contentType = encoded.headers.get('content-type') ?? undefined
  return { bytes: new Uint8Array(await encoded.arrayBuffer()), contentType }
}
