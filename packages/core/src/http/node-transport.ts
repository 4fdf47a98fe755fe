import type { IncomingMessage, request as nodeRequest } from 'node:http'
import { globalFetchTransport } from './fetch-transport.js'
import type { ReadBodyResult } from './read-response.js'
import type { PreparedBody } from './request-body.js'
import {
  type HttpTransport,
  type HttpTransportRequest,
  type HttpTransportResponse,
  leavesBodyUnread,
} from './transport.js'

// Node only: selected by the `node` condition of the package's `#transport` import (every other
// runtime gets `web-transport.ts`). Sends through `node:http` / `node:https` and the global agent,
// which keeps connections alive on Node 20+, as axios does. Undici's `fetch` copies a request body
// twice on its way to the socket and wraps every response in Web streams; here the body bytes the
// client already holds are written as they are, and the response is read from the socket's chunks.

type SendRequest = typeof nodeRequest

/**
 * `node:http` and `node:https`, imported on first use rather than when core is imported: they load
 * `net`, `tls` and the stream machinery, a large share of a cold start for an application that has
 * not loaded them yet. After the first request of each scheme, no await.
 */
const senders: { 'http:'?: SendRequest; 'https:'?: SendRequest } = {}

async function loadSender(scheme: 'http:' | 'https:'): Promise<SendRequest> {
  const { request } = scheme === 'https:' ? await import('node:https') : await import('node:http')
  senders[scheme] = request
  return request
}

/** The methods whose empty body is still announced (`Content-Length: 0`), as `fetch` does. */
const bodyMethods = new Set(['POST', 'PUT', 'PATCH'])

/**
 * Why an attempt got no usable response. A `TypeError`, as `fetch` rejects with, so callers see the
 * same kind of cause from both transports; the socket's own error (`ECONNRESET`, `ECONNREFUSED`)
 * is its cause.
 */
function networkError(cause: unknown): TypeError {
  return new TypeError('The request failed before a complete response arrived.', { cause })
}

/**
 * Sends one attempt with `node:http` / `node:https`. The same contract as the `fetch` transport: no
 * redirect followed (a 3xx is the response), the body read only as far as the byte cap (a declared
 * `Content-Length` above it is refused unread), the request and any body still arriving ended by
 * `signal`. Headers `fetch` adds by default that a vendor may look at (`user-agent: node`,
 * `accept: *\/*`) are added when missing; compression is not asked for, so a body is never inflated.
 *
 * @example
 * ```ts
 * const { status, read } = await nodeTransport({
 *   url: 'http://127.0.0.1:8080/v3.6/applicants',
 *   method: 'GET',
 *   headers: { authorization: 'Token token=…' },
 *   body: undefined,
 *   signal: AbortSignal.timeout(30_000),
 *   readBody: true,
 *   maxResponseBytes: 4 * 1024 * 1024,
 * })
 * ```
 */
export const nodeTransport: HttpTransport = async (input: HttpTransportRequest) => {
  const scheme = input.url.startsWith('https:') ? 'https:' : 'http:'
  const send = senders[scheme] ?? (await loadSender(scheme))
  input.signal.throwIfAborted()
  return new Promise<HttpTransportResponse>((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'node', accept: '*/*', ...input.headers }
    if (input.body !== undefined || bodyMethods.has(input.method)) {
      headers['content-length'] = String(input.body?.byteLength ?? 0)
    }
    let request: ReturnType<SendRequest>
    try {
      request = send(input.url, { method: input.method, headers, signal: input.signal }, (response) =>
        receive(response, input).then(resolve, reject),
      )
    } catch (error) {
      reject(input.signal.aborted ? input.signal.reason : networkError(error))
      return
    }
    request.on('error', (error) => reject(networkError(error)))
    writeBody(request, input.body)
  })
}

/**
 * Writes the body's chunks as they are held (a large upload is not joined into a copy first) and ends
 * the request. Chunks written before the socket is free are queued by reference and go out together.
 */
function writeBody(request: ReturnType<SendRequest>, body: PreparedBody | undefined): void {
  if (body === undefined) {
    request.end()
    return
  }
  const { chunks } = body
  const last = chunks.length - 1
  for (let index = 0; index < last; index += 1) request.write(chunks[index])
  request.end(chunks[last])
}

/** Reads one response within the cap; settles once, whatever the socket does afterwards. */
function receive(response: IncomingMessage, input: HttpTransportRequest): Promise<HttpTransportResponse> {
  const status = response.statusCode ?? 0
  let headers: Headers
  try {
    headers = responseHeaders(response.rawHeaders)
  } catch (error) {
    response.destroy()
    return Promise.reject(networkError(error))
  }
  const redirect = status >= 300 && status < 400
  const base = { status, headers, redirect }
  if (leavesBodyUnread(status, redirect, input.readBody)) {
    // Nothing to wait for: an empty body leaves the connection to the next request, any other is cut off.
    if (response.headers['content-length'] === '0' || status === 204 || input.method === 'HEAD') {
      response.resume()
    } else response.destroy()
    return Promise.resolve({ ...base, read: undefined })
  }
  return readCapped(response, input.maxResponseBytes).then((read) => ({ ...base, read }))
}

/**
 * The response headers as `fetch` gives them: repeated names joined with `, `. One difference: `Headers`
 * trims trailing whitespace off a value, which undici's own responses keep (no header the client or an
 * adapter reads depends on it).
 */
function responseHeaders(raw: readonly string[]): Headers {
  const headers = new Headers()
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!)
  return headers
}

/**
 * The body, stopping as soon as it passes `maxBytes` (the rest is not read: the socket is closed).
 * Memory held is at most the cap plus one chunk. The bytes are copied once, into an array of their own.
 */
function readCapped(response: IncomingMessage, maxBytes: number): Promise<ReadBodyResult> {
  return new Promise<ReadBodyResult>((resolve, reject) => {
    const declared = Number(response.headers['content-length'] ?? Number.NaN)
    if (declared > maxBytes) {
      response.destroy()
      resolve({ kind: 'too_large' })
      return
    }
    const chunks: Uint8Array[] = []
    let total = 0
    response.on('data', (chunk: Uint8Array) => {
      total += chunk.byteLength
      if (total > maxBytes) {
        response.destroy()
        resolve({ kind: 'too_large' })
        return
      }
      chunks.push(chunk)
    })
    response.on('end', () => {
      const bytes = new Uint8Array(total)
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.byteLength
      }
      resolve({ kind: 'bytes', bytes })
    })
    response.on('error', (error) => reject(networkError(error)))
    // A socket closed before the end (a reset, a truncated body) without an 'error' of its own.
    response.on('close', () => {
      if (!response.complete) reject(networkError(new Error('The connection closed before the body ended.')))
    })
  })
}

/**
 * The `globalThis.fetch` this module found when it loaded. A different one later means someone
 * replaced it (a test's stub, an instrumentation): it is then honoured, as on every other runtime.
 */
const platformFetch = globalThis.fetch

/**
 * The transport the HTTP client uses on Node when no `fetch` is injected: {@link nodeTransport}, or
 * `globalThis.fetch` when it was replaced after core loaded.
 */
export const defaultTransport: HttpTransport = (input) =>
  globalThis.fetch === platformFetch ? nodeTransport(input) : globalFetchTransport(input)
