import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HttpFetch } from '../../src/http/index.js'

/** A JSON response, as a vendor would send it. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

/** One scripted answer: a response, or a thrown error standing in for a network failure. */
export type ScriptedAnswer = Response | (() => Response) | { networkError: string }

/** A request as the fake fetch received it. */
export type RecordedRequest = { method: string; url: string; headers: Headers; body: string; at: number }

/**
 * An injected fetch that answers from a script, in order (the last answer repeats), and records every
 * request it receives with the fake clock's time.
 */
export function scriptedFetch(answers: ScriptedAnswer[], now: () => number = () => 0) {
  const requests: RecordedRequest[] = []
  const fetch: HttpFetch = async (request) => {
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
      at: now(),
    })
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!
    if ('networkError' in answer) throw new TypeError(answer.networkError)
    return typeof answer === 'function' ? answer() : answer.clone()
  }
  return { fetch, requests }
}

/**
 * A fake clock whose `sleep` advances time instantly and records every wait. Enough for calls that
 * run one at a time.
 */
export function steppingClock(start = 1_700_000_000_000) {
  let time = start
  const sleeps: number[] = []
  return {
    now: () => time,
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted()
      sleeps.push(ms)
      time += ms
    },
  }
}

/**
 * A fake clock for concurrent calls: `sleep` registers a timer, and `run` fires the earliest timer only
 * once every pending promise has settled, like an event loop where nothing takes time.
 */
export function manualClock(start = 0) {
  let time = start
  const timers: { at: number; resolve: () => void }[] = []
  const idle = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    now: () => time,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        const timer = { at: time + ms, resolve }
        timers.push(timer)
        signal?.addEventListener('abort', () => {
          timers.splice(timers.indexOf(timer), 1)
          reject(signal.reason)
        })
      }),
    /** Drives the clock until `promise` settles. */
    async run<T>(promise: Promise<T>): Promise<T> {
      let settled = false
      promise.then(
        () => {
          settled = true
        },
        () => {
          settled = true
        },
      )
      for (;;) {
        await idle()
        await idle()
        if (settled) return promise
        timers.sort((left, right) => left.at - right.at)
        const next = timers.shift()
        if (next === undefined) throw new Error('Nothing left to run, but the promise has not settled.')
        time = Math.max(time, next.at)
        next.resolve()
      }
    },
  }
}

/** A real HTTP server on 127.0.0.1, on a free port. */
export async function startServer(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v1/`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}

/** Reads a Node request body as text. */
export async function readRequestBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The two transports the client sends through over a real socket, for suites that must behave the
 * same on both: `node:http` (the default on Node: nothing injected) and Web `fetch` (undici here, and
 * the default on Bun, Deno, workerd and browsers), forced by injecting a `fetch`.
 */
export const transports: { name: string; fetch: HttpFetch | undefined }[] = [
  { name: 'node:http', fetch: undefined },
  { name: 'fetch', fetch: (request) => globalThis.fetch(request) },
]

/** The client setting that selects `transport`: a `fetch` to inject, or nothing. */
export function transportOptions(transport: { fetch: HttpFetch | undefined }): { fetch?: HttpFetch } {
  return transport.fetch === undefined ? {} : { fetch: transport.fetch }
}
