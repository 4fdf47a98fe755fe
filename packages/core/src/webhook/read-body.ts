import { KycInvalidRequestError } from '../errors.js'

/** The default largest webhook body we read: 1 MiB, far above any provider's event payload. */
export const defaultMaxWebhookBodyBytes = 1024 * 1024

/** Headers as Node (and most Node frameworks) hand them over. */
export type IncomingHeaders = Record<string, string | string[] | undefined>

/** A webhook delivery exactly as received: the bytes the signature covers, and the headers. */
export type RawWebhookInput = {
  rawBody: Uint8Array | string
  headers: Headers | IncomingHeaders
  /** The peer address, for providers that authenticate callbacks by source IP. */
  remoteAddress?: string
}

/** Options for reading a request body. */
export type ReadBodyOptions = {
  /** The largest body accepted, in bytes. Default 1 MiB. */
  maxBytes?: number
}

/** @internal The error for a body over the limit, shared by the Web and Node readers. */
export function bodyTooLarge(maxBytes: number): KycInvalidRequestError {
  return new KycInvalidRequestError({
    message: `The webhook body is larger than the ${maxBytes}-byte limit.`,
    issues: [{ path: ['body'], message: `larger than ${maxBytes} bytes`, code: 'too_big' }],
  })
}

/**
 * Headers as a Web `Headers`. A framework may hand over names or values that HTTP does not allow
 * (a value decoded as UTF-8 with characters above U+00FF, a line break): `Headers` throws a
 * `TypeError` on those, which would surface as a 500. It is an unreadable delivery instead:
 * `KycInvalidRequestError` (answer 400), naming neither the header nor its value.
 */
export function toWebHeaders(headers: Headers | IncomingHeaders): Headers {
  if (headers instanceof Headers) return headers
  const result = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) {
      try {
        result.append(name, item)
      } catch (cause) {
        throw new KycInvalidRequestError({
          message: 'The webhook request has a header name or value that is not valid HTTP.',
          issues: [{ path: ['headers'], message: 'not a valid HTTP header' }],
          cause,
        })
      }
    }
  }
  return result
}

/** @internal A `content-length` value as a number, when it is one. */
export function declaredLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value)
}

/** @internal The chunks as one byte array of `total` bytes. */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.length
  }
  return body
}

/**
 * Reads a Web `Request`'s body as bytes, stopping at `maxBytes` so an oversized delivery cannot
 * exhaust memory. Throws `KycInvalidRequestError` past the limit.
 */
export async function readWebRequestBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const length = declaredLength(request.headers.get('content-length'))
  if (length !== undefined && length > maxBytes) throw bodyTooLarge(maxBytes)
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel()
      throw bodyTooLarge(maxBytes)
    }
    chunks.push(value)
  }
  return concat(chunks, total)
}
