import type { Simulator } from '@openkyc/testkit/harness'
import { pick } from './random.js'

/** How often each kind of fault hits a request, as fractions of all requests (they add up). */
export type FaultRates = {
  /** 500, 502, 503 or 504 instead of the vendor's answer. */
  serverError: number
  /** 429 with `Retry-After` (1 or 2 seconds). */
  rateLimited: number
  /** The connection is reset: `fetch` rejects like undici does. */
  connectionReset: number
  /** No answer until the client gives up (its per-attempt timeout aborts the request). */
  timeout: number
}

/** The reliability suite's mix: 10 % 5xx, 5 % 429, 2 % resets, 1 % timeouts. */
export const soakFaultRates: FaultRates = {
  serverError: 0.1,
  rateLimited: 0.05,
  connectionReset: 0.02,
  timeout: 0.01,
}

/** What was injected, by kind, plus the requests that went through untouched. */
export type FaultCounts = {
  requests: number
  serverError: number
  rateLimited: number
  connectionReset: number
  /** Timeouts after the vendor acted: the response was lost (the retry must not act twice). */
  lostResponse: number
  /** Of those, POSTs: the ones only an idempotency key makes safe to retry. */
  lostPostResponse: number
  /** Timeouts before the vendor saw the request. */
  connectTimeout: number
}

/** Options of {@link createFaultInjectingFetch}. */
export type FaultInjectingFetchOptions = {
  simulator: Pick<Simulator, 'fetch' | 'failNext' | 'resetNext'>
  rates: FaultRates
  random: () => number
  /**
   * Requests whose timeouts must happen before the vendor acts, because neither the vendor nor any
   * client can make a retry of them safe (Jumio's `POST /api/v1/accounts` has no idempotency key).
   * Every other timeout loses the response after the vendor acted, the harder case.
   */
  connectTimeoutOnly?: (request: Request) => boolean
  /** Called for every request before the decision, for schedulers that track activity. */
  onRequest?: () => void
}

/** A `fetch` with faults, and the tally of what it injected. */
export type FaultInjectingFetch = {
  fetch: typeof fetch
  readonly counts: FaultCounts
}

/**
 * Stalled requests, held until their client aborts them. A real socket keeps a pending `fetch` (and so
 * the caller's abort signals) reachable; without this set a stalled in-process request is garbage,
 * the signals that would abort it (`AbortSignal.any` holds its dependants weakly) are collected, and
 * the caller waits forever.
 */
const stalledRequests = new Set<Promise<Response>>()

/** A promise that settles only when the request is aborted, as a stalled connection does. */
function stalled(request: Request): Promise<Response> {
  const pending = new Promise<Response>((_resolve, reject) => {
    if (request.signal.aborted) return reject(request.signal.reason)
    request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true })
  })
  stalledRequests.add(pending)
  const release = () => {
    stalledRequests.delete(pending)
  }
  pending.then(release, release)
  return pending
}

/**
 * Wraps a simulator's `fetch` so that a seeded share of requests fails: 5xx, 429 with `Retry-After`
 * and connection resets go through the simulator's own fault injection (`failNext`, `resetNext`,
 * queued for exactly this request's method and path, so the simulator's request log shows them);
 * timeouts stall the response until the client's timeout aborts it.
 *
 * @example
 * ```ts
 * const faults = createFaultInjectingFetch({ simulator, rates: soakFaultRates, random: createSeededRandom(1) })
 * const adapter = createPersona({ ..., fetch: faults.fetch })
 * ```
 */
export function createFaultInjectingFetch(options: FaultInjectingFetchOptions): FaultInjectingFetch {
  const { simulator, rates, random } = options
  const counts: FaultCounts = {
    requests: 0,
    serverError: 0,
    rateLimited: 0,
    connectionReset: 0,
    lostResponse: 0,
    lostPostResponse: 0,
    connectTimeout: 0,
  }
  const fetchWithFaults = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    options.onRequest?.()
    counts.requests += 1
    const match = { method: request.method, path: new URL(request.url).pathname }
    let draw = random()
    if (draw < rates.serverError) {
      counts.serverError += 1
      simulator.failNext({ status: pick([500, 502, 503, 504], random), match })
      return simulator.fetch(request)
    }
    draw -= rates.serverError
    if (draw < rates.rateLimited) {
      counts.rateLimited += 1
      simulator.failNext({ status: 429, retryAfterSeconds: pick([1, 2], random), match })
      return simulator.fetch(request)
    }
    draw -= rates.rateLimited
    if (draw < rates.connectionReset) {
      counts.connectionReset += 1
      simulator.resetNext({ match })
      return simulator.fetch(request)
    }
    draw -= rates.connectionReset
    if (draw < rates.timeout) {
      if (options.connectTimeoutOnly?.(request) === true) {
        counts.connectTimeout += 1
        return stalled(request)
      }
      counts.lostResponse += 1
      if (request.method === 'POST') counts.lostPostResponse += 1
      // The vendor acts on the request; its answer never arrives.
      await simulator.fetch(request)
      return stalled(request)
    }
    return simulator.fetch(request)
  }
  return { fetch: fetchWithFaults as typeof fetch, counts }
}
