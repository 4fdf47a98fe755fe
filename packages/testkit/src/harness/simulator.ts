import type { AddressInfo } from 'node:net'
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server'
import { createSimulatorClock, type SimulatorClock } from './clock.js'
import {
  connectionResetError,
  type FailNextOptions,
  type Fault,
  type FaultOptions,
  malformedJsonBody,
  matchesRequest,
} from './faults.js'

/** What a vendor handler gets with each request besides the request itself. */
export type SimulatorContext = {
  /** The simulator's clock: read time from here, never from `Date.now()`. */
  clock: SimulatorClock
  /** The public origin (`http://127.0.0.1:PORT` once listening), for absolute URLs in hosted links. */
  baseUrl: string
}

/** A vendor's behaviour: one request in, one response out. Stateful, async, no network. */
export type SimulatorHandler = (request: Request, context: SimulatorContext) => Promise<Response>

/** One entry of the request log. Never bodies, query strings or headers: they hold secrets and personal data. */
export type SimulatorRequestRecord = {
  method: string
  /** The URL path, without the query string. */
  path: string
  /** The status answered, or `reset` when the connection was reset. */
  status: number | 'reset'
  /** Clock time of the request, ISO 8601. */
  at: string
}

/** A running loopback server. */
export type SimulatorServer = {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string
  close(): Promise<void>
}

/** Options for {@link createSimulator}. */
export type CreateSimulatorOptions = {
  /** A short name (`jumio`, `persona`, `acme`): used in the default base URL and in messages. */
  name: string
  handle: SimulatorHandler
  /** Shared with the simulator's webhook deliverer, so retries and expiry move together. */
  clock?: SimulatorClock
  /** The origin used until `listen()` sets a real one. Default `https://NAME.simulator.test`. */
  baseUrl?: string
  /** The body `failNext` sends when none is given, in the vendor's error shape. */
  errorBody?: (status: number) => unknown
}

/**
 * A simulated vendor: a fetch function first (hand `simulator.fetch` to an adapter and no socket is
 * opened), a loopback server second, with fault injection and time control on the side.
 */
export type Simulator = {
  readonly name: string
  readonly clock: SimulatorClock
  /** The current public origin; `listen()` replaces the default with the server's URL. */
  baseUrl: string
  /**
   * A drop-in `fetch` for adapters: builds a `Request` from `(input, init)`, applies latency and the
   * next matching fault, then the vendor handler. A reset rejects like undici does
   * (`TypeError('fetch failed')` with `cause.code === 'ECONNRESET'`).
   */
  fetch: typeof fetch
  /** Runs one request through faults and the handler; a reset resolves to `Response.error()`. */
  handle(request: Request): Promise<Response>
  /** Serves the simulator on 127.0.0.1 (port 0 picks a free port) and sets `baseUrl`. */
  listen(options?: { port?: number }): Promise<SimulatorServer>
  /** The next matching request(s) get this status (and `Retry-After`, body, headers) instead of the handler. */
  failNext(options: FailNextOptions): void
  /** The next matching request(s) see a connection reset: a rejected fetch, or a destroyed socket. */
  resetNext(options?: FaultOptions): void
  /** The next matching request(s) get `200` with a JSON content type and a body that is not JSON. */
  malformedNext(options?: FaultOptions): void
  /** Drops every queued fault. */
  clearFaults(): void
  /** Delays every response by `ms` of real time (latency is for people watching, not for tests). */
  setLatency(ms: number): void
  /** Moves the simulator's clock forward, running due timers (expiry, webhook retries). */
  advanceTime(ms: number): Promise<void>
  /** Every request seen, in order: method, path and status only. */
  readonly requests: readonly SimulatorRequestRecord[]
  /** `requests.length`: the number of requests that reached the simulator, faults included. */
  readonly requestCount: number
  /** Errors the vendor handler threw (each answered with a 500), so a simulator bug is never silent. */
  readonly handlerErrors: readonly unknown[]
}

type Outcome = { kind: 'response'; response: Response } | { kind: 'reset' }

function faultBodyInit(body: unknown): { body: string; contentType: string } {
  if (typeof body === 'string') return { body, contentType: 'text/plain; charset=utf-8' }
  return { body: JSON.stringify(body), contentType: 'application/json' }
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timeout = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timeout)
        reject(signal.reason)
      },
      { once: true },
    )
  })
}

/**
 * Creates a simulator around a vendor handler. Vendor simulators (Jumio, Persona, Acme) are built on
 * it: they implement the vendor's endpoints in `handle`, and get fault injection, latency, a request
 * log, time control and a loopback server for free.
 *
 * @example
 * ```ts
 * const simulator = createSimulator({
 *   name: 'acme',
 *   handle: async (request, { clock }) => Response.json({ now: clock.isoNow() }),
 * })
 * simulator.failNext({ status: 429, retryAfterSeconds: 2 })
 * const adapter = createAcme({ apiKey: 'test', fetch: simulator.fetch })
 * ```
 */
export function createSimulator(options: CreateSimulatorOptions): Simulator {
  const clock = options.clock ?? createSimulatorClock()
  const defaultBaseUrl = options.baseUrl ?? `https://${options.name}.simulator.test`
  const errorBody =
    options.errorBody ??
    ((status: number) => ({ error: { status, message: `Simulated ${options.name} failure` } }))
  const faults: Fault[] = []
  const requests: SimulatorRequestRecord[] = []
  const handlerErrors: unknown[] = []
  let latency = 0

  const takeFault = (method: string, path: string): Fault | undefined => {
    const index = faults.findIndex((fault) => matchesRequest(fault.match, method, path))
    if (index === -1) return undefined
    const fault = faults[index]!
    fault.remaining -= 1
    if (fault.remaining <= 0) faults.splice(index, 1)
    return fault
  }

  const runHandler = async (request: Request): Promise<Response> => {
    try {
      return await options.handle(request, { clock, baseUrl: simulator.baseUrl })
    } catch (error) {
      handlerErrors.push(error)
      return Response.json(
        { error: { status: 500, message: `The ${options.name} simulator failed to handle this request` } },
        { status: 500 },
      )
    }
  }

  const process = async (request: Request): Promise<Outcome> => {
    const path = new URL(request.url).pathname
    const record: SimulatorRequestRecord = { method: request.method, path, status: 0, at: clock.isoNow() }
    requests.push(record)
    if (latency > 0) await sleep(latency, request.signal)
    const fault = takeFault(request.method, path)
    let outcome: Outcome
    if (fault?.kind === 'reset') {
      outcome = { kind: 'reset' }
    } else if (fault?.kind === 'malformed') {
      outcome = {
        kind: 'response',
        response: new Response(malformedJsonBody, { headers: { 'content-type': 'application/json' } }),
      }
    } else if (fault?.kind === 'status') {
      const { body, contentType } = faultBodyInit(fault.body ?? errorBody(fault.status))
      const headers = new Headers({ 'content-type': contentType, ...fault.headers })
      if (fault.retryAfterSeconds !== undefined) headers.set('retry-after', String(fault.retryAfterSeconds))
      outcome = { kind: 'response', response: new Response(body, { status: fault.status, headers }) }
    } else {
      outcome = { kind: 'response', response: await runHandler(request) }
    }
    record.status = outcome.kind === 'reset' ? 'reset' : outcome.response.status
    return outcome
  }

  const queue = (fault: Fault): void => {
    if (!(fault.remaining > 0)) throw new RangeError(`${options.name} simulator: times must be >= 1`)
    faults.push(fault)
  }

  const simulator: Simulator = {
    name: options.name,
    clock,
    baseUrl: defaultBaseUrl,
    fetch: async (input, init) => {
      const request = input instanceof Request && init === undefined ? input : new Request(input, init)
      const outcome = await process(request)
      if (outcome.kind === 'reset') throw connectionResetError()
      return outcome.response
    },
    handle: async (request) => {
      const outcome = await process(request)
      return outcome.kind === 'reset' ? Response.error() : outcome.response
    },
    listen({ port = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const server = serve(
          {
            hostname: '127.0.0.1',
            port,
            fetch: async (request: Request, bindings: HttpBindings | Http2Bindings) => {
              const outcome = await process(request)
              if (outcome.kind === 'response') return outcome.response
              bindings.incoming.socket.destroy()
              return new Response(null, { status: 502 })
            },
          },
          (info: AddressInfo) => {
            const url = `http://127.0.0.1:${info.port}`
            simulator.baseUrl = url
            resolve({
              url,
              close: () =>
                new Promise<void>((resolveClose, rejectClose) => {
                  if (simulator.baseUrl === url) simulator.baseUrl = defaultBaseUrl
                  server.close((error) => (error ? rejectClose(error) : resolveClose()))
                  if ('closeAllConnections' in server) server.closeAllConnections()
                }),
            })
          },
        )
        server.once('error', reject)
      })
    },
    failNext: (fault) => queue({ ...fault, kind: 'status', remaining: fault.times ?? 1 }),
    resetNext: (fault = {}) => queue({ ...fault, kind: 'reset', remaining: fault.times ?? 1 }),
    malformedNext: (fault = {}) => queue({ ...fault, kind: 'malformed', remaining: fault.times ?? 1 }),
    clearFaults: () => {
      faults.length = 0
    },
    setLatency: (ms) => {
      if (!(ms >= 0)) throw new RangeError(`${options.name} simulator: latency must be >= 0`)
      latency = ms
    },
    advanceTime: (ms) => clock.advance(ms),
    get requests() {
      return requests
    },
    get requestCount() {
      return requests.length
    },
    get handlerErrors() {
      return handlerErrors
    },
  }
  return simulator
}
