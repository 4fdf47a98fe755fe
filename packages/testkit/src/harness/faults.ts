/** Which requests a fault applies to. Omitted fields match anything. */
export type RequestMatch = {
  /** HTTP method, case-insensitive. */
  method?: string
  /** The URL path: a string matches exactly, a RegExp is tested against the path. */
  path?: string | RegExp
}

/** Options shared by every fault. */
export type FaultOptions = {
  /** How many matching requests the fault hits. Default 1; `Infinity` until cleared. */
  times?: number
  match?: RequestMatch
}

/** Options for {@link Simulator.failNext}. */
export type FailNextOptions = FaultOptions & {
  status: number
  /** Sets `Retry-After` (seconds), as vendors do on 429 and 503. */
  retryAfterSeconds?: number
  /**
   * The response body. Objects are sent as JSON; strings as they are. Defaults to the simulator's
   * `errorBody(status)`, so vendor simulators answer with their vendor's error shape.
   */
  body?: unknown
  /** Extra response headers. */
  headers?: Record<string, string>
}

/** A queued fault, as the simulator keeps it. */
export type Fault =
  | ({ kind: 'status' } & FailNextOptions & { remaining: number })
  | ({ kind: 'reset' } & FaultOptions & { remaining: number })
  | ({ kind: 'malformed' } & FaultOptions & { remaining: number })

/** True when a request's method and path fit the match. */
export function matchesRequest(match: RequestMatch | undefined, method: string, path: string): boolean {
  if (match === undefined) return true
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false
  if (match.path === undefined) return true
  return typeof match.path === 'string' ? match.path === path : match.path.test(path)
}

/**
 * The error undici's `fetch` rejects with when the peer resets the connection, so adapters see in
 * process exactly what they would see on the wire.
 */
export function connectionResetError(): TypeError {
  const cause = Object.assign(new Error('read ECONNRESET'), {
    code: 'ECONNRESET',
    errno: -104,
    syscall: 'read',
  })
  return new TypeError('fetch failed', { cause })
}

/** A body that a JSON parser rejects, sent with a JSON content type. */
export const malformedJsonBody = '{"data": {"id": "truncated", "attributes": '
