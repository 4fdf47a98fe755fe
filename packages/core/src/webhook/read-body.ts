import type { IncomingMessage } from 'node:http'
import { KycConfigurationError, KycInvalidRequestError } from '../errors.js'

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

/** The error for a body over the limit (internal: shared by the Web and Node readers). */
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

function declaredLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined
  return Number(value)
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const body = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.length
  }
  return body
}

const encoder = new TextEncoder()

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

type MaybeParsedRequest = IncomingMessage & { rawBody?: unknown; body?: unknown }

/**
 * Reads a Node `IncomingMessage` (Express, Fastify's `request.raw`, plain `node:http`) into the raw
 * input the webhook pipeline needs. It reads the bytes itself, so no JSON body parser can
 * re-serialize them and break the signature.
 *
 * Mount the webhook route before any body parser. When one already ran, the bytes are taken from
 * `req.rawBody` (the common `verify` hook pattern) or from a `Buffer`/string `req.body`
 * (`express.raw()`, `express.text()`); a body already parsed into an object cannot be verified and
 * throws `KycConfigurationError` saying so. A body over `maxBytes` (default 1 MiB) throws
 * `KycInvalidRequestError`; the rest of it is drained so a 400 response can still be sent.
 *
 * @example
 * ```ts
 * app.post('/webhooks/kyc', async (req, res) => {
 *   const outcome = await kyc.webhooks.handle(await readNodeRequest(req))
 *   res.sendStatus(200)
 * })
 * ```
 */
export async function readNodeRequest(
  request: IncomingMessage,
  options: ReadBodyOptions = {},
): Promise<RawWebhookInput> {
  const maxBytes = options.maxBytes ?? defaultMaxWebhookBodyBytes
  const parsed = request as MaybeParsedRequest
  const base = {
    headers: request.headers,
    ...(request.socket?.remoteAddress === undefined ? {} : { remoteAddress: request.socket.remoteAddress }),
  }
  const prepared = [parsed.rawBody, parsed.body].find(
    (candidate) => candidate instanceof Uint8Array || typeof candidate === 'string',
  ) as Uint8Array | string | undefined
  if (prepared !== undefined) {
    const size = typeof prepared === 'string' ? encoder.encode(prepared).length : prepared.length
    if (size > maxBytes) throw bodyTooLarge(maxBytes)
    return { ...base, rawBody: prepared }
  }
  if (request.readableEnded) {
    throw new KycConfigurationError({
      message:
        'The webhook request body was already consumed by a body parser, so its signature cannot be checked. ' +
        'Mount the webhook route before express.json(), or use express.raw({ type: "*/*" }) on it.',
    })
  }
  const rawBody = await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    const cleanUp = () => {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      request.off('aborted', onAborted)
    }
    const tooLarge = () => {
      cleanUp()
      // Drain the rest so the connection stays usable for the 400 response.
      request.resume()
      reject(bodyTooLarge(maxBytes))
    }
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
      total += bytes.length
      if (total > maxBytes) return tooLarge()
      chunks.push(bytes)
    }
    const onEnd = () => {
      cleanUp()
      resolve(concat(chunks, total))
    }
    const onError = (error: Error) => {
      cleanUp()
      reject(
        new KycInvalidRequestError({
          message: 'The webhook request failed while its body was being read.',
          cause: error,
        }),
      )
    }
    const onAborted = () => onError(new Error('request aborted'))
    const length = declaredLength(request.headers['content-length'])
    if (length !== undefined && length > maxBytes) return tooLarge()
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
    request.on('aborted', onAborted)
  })
  return { ...base, rawBody }
}
