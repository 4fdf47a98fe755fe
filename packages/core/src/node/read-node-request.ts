import type { IncomingMessage } from 'node:http'
import { KycConfigurationError, KycInvalidRequestError } from '../errors.js'
import {
  bodyTooLarge,
  concat,
  declaredLength,
  defaultMaxWebhookBodyBytes,
  type RawWebhookInput,
  type ReadBodyOptions,
} from '../webhook/read-body.js'

const encoder = new TextEncoder()

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
