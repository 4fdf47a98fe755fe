import type { HttpFetch } from './create-http-client.js'
import { readBodyCapped } from './read-response.js'
import { type HttpTransport, type HttpTransportRequest, leavesBodyUnread } from './transport.js'

/**
 * The Web `fetch` transport: an injected `fetch` (called with a `Request`, so a simulator written as
 * `(request: Request) => Promise<Response>` plugs in directly), or, without one, `globalThis.fetch`
 * called with `(url, init)` and looked up per attempt, so a `fetch` replaced later is honoured. Used
 * on every runtime but Node, and on Node whenever a `fetch` is injected or `globalThis.fetch` replaced.
 *
 * @example
 * ```ts
 * const transport = createFetchTransport(simulator.fetch)
 * ```
 */
export function createFetchTransport(fetch: HttpFetch | undefined): HttpTransport {
  return async (input: HttpTransportRequest) => {
    const init: RequestInit = {
      method: input.method,
      headers: input.headers,
      redirect: 'manual',
      signal: input.signal,
      ...(input.body === undefined ? {} : { body: input.body.bytes() }),
    }
    // Without an injected fetch, `fetch(url, init)` builds its own Request: building one here first
    // would construct (and signal-link) a second Request per attempt for nothing.
    const response =
      fetch === undefined
        ? await globalThis.fetch(input.url, init)
        : await fetch(new Request(input.url, init))
    const redirect =
      response.type === 'opaqueredirect' ||
      response.redirected ||
      (response.status >= 300 && response.status < 400)
    const base = { status: response.status, headers: response.headers, redirect }
    if (leavesBodyUnread(response.status, redirect, input.readBody)) {
      // Not awaited: cancelling one branch of a teed (cloned) body only settles once every branch is cancelled.
      void response.body?.cancel().catch(() => undefined)
      return { ...base, read: undefined }
    }
    return { ...base, read: await readBodyCapped(response, input.maxResponseBytes) }
  }
}

/** `globalThis.fetch`, looked up per attempt. */
export const globalFetchTransport: HttpTransport = createFetchTransport(undefined)
