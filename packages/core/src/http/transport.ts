import type { HttpMethod } from './create-http-client.js'
import type { ReadBodyResult } from './read-response.js'
import type { PreparedBody } from './request-body.js'

/**
 * One attempt as a transport sends it: the final URL, lower-case headers, the body (the same bytes
 * on every attempt of a call, as chunks a transport may write in turn or join) and the signal that ends it (the attempt's timer or the caller).
 */
export type HttpTransportRequest = {
  url: string
  method: HttpMethod
  headers: Record<string, string>
  body: PreparedBody | undefined
  /** Aborts the request and a body still arriving. */
  signal: AbortSignal
  /** `false` when the caller discards a successful body (`responseType: 'none'`, HEAD). */
  readBody: boolean
  /** The byte cap: a larger body is not buffered, it reads as `too_large`. */
  maxResponseBytes: number
}

/** What a transport hands back: status, headers and (when read) the body within the cap. */
export type HttpTransportResponse = {
  status: number
  headers: Headers
  /** A redirect, in whatever form: a 3xx, an opaque redirect (browsers), or one a custom `fetch` followed. */
  redirect: boolean
  /** `undefined` when the body was left unread (see {@link leavesBodyUnread}). */
  read: ReadBodyResult | undefined
}

/**
 * Sends one attempt. Rejects on a network failure (or once `signal` aborts); every status, 3xx and
 * 5xx included, is a response. Two implementations: `fetch` everywhere (`fetch-transport.ts`) and
 * `node:http` on Node (`node-transport.ts`), chosen by the package's `#transport` import condition.
 */
export type HttpTransport = (request: HttpTransportRequest) => Promise<HttpTransportResponse>

/** Whether a response's body is left unread: a redirect's, or a successful one nobody reads. */
export function leavesBodyUnread(status: number, redirect: boolean, readBody: boolean): boolean {
  return redirect || (!readBody && status >= 200 && status < 300)
}
