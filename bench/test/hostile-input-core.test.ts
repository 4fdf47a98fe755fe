import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import {
  createWebhookPipeline,
  isKycError,
  isSensitiveKey,
  type KycRateLimitedError,
  REDACTED,
  redact,
  redactUrl,
  signBody,
  signTimestampedPayload,
  verifyBodySignature,
  verifyTimestampedSignature,
} from '@openkyc/core'
import { createHttpClient } from '@openkyc/core/http'
import { afterEach, describe, expect, it } from 'vitest'
import { createBenchPersona, personaTestCredentials } from '../src/providers.js'

/**
 * Hostile input against core's shared mechanisms (issue 12): one case per class fixed in core, each
 * printing one summary line of counts (inputs tried, rejected, requests caused, time held or bytes
 * buffered). Times and memory are printed as figures and ratios to a baseline measured in the same
 * run, never asserted: what is asserted is what was rejected and what reached the network.
 */

const nowSeconds = 1_764_686_826
const now = () => nowSeconds * 1000
const secret = personaTestCredentials.webhookSecret

/** A fetch that must never be called: webhook verification needs no vendor request. */
let unexpectedRequests = 0
const refuseFetch = async (): Promise<Response> => {
  unexpectedRequests += 1
  return new Response('{}', { status: 500 })
}

const servers: Server[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) child.kill()
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    ),
  )
})

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

const milliseconds = (value: number) => `${value.toFixed(value < 1 ? 3 : 1)} ms`
const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** Runs `run` `times` times and returns the mean wall time of one run, in milliseconds. */
async function meanTime(times: number, run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  for (let index = 0; index < times; index++) await run()
  return (performance.now() - started) / times
}

describe('hostile input against core (issue 12)', () => {
  it('class 1: a forged Persona delivery costs about the same whatever its signature header holds', async () => {
    const persona = createBenchPersona({ fetch: refuseFetch, now }, { rateLimit: false })
    const pipeline = createWebhookPipeline({ adapter: persona })
    const body = new Uint8Array(1024 * 1024).fill(0x20)
    const forged = 'ab'.repeat(32)
    const headers = {
      normal: `t=${nowSeconds},v1=${forged}`,
      packed: Array.from({ length: 1800 }, () => `t=${nowSeconds},v1=${forged}`).join(' '),
      // The most hashing a header within the bounds can ask for: 4 fresh timestamps, 3 digests each.
      worstInBounds: Array.from(
        { length: 4 },
        (_, index) => `t=${nowSeconds - index},v1=${forged},v1=${forged},v1=${forged}`,
      ).join(' '),
      stale: Array.from({ length: 4 }, (_, index) => `t=${nowSeconds - 3600 - index},v1=${forged}`).join(' '),
    }
    let tried = 0
    let rejected = 0
    const forge = (header: string) => async () => {
      tried += 1
      const error = await pipeline.handle({ rawBody: body, headers: { 'persona-signature': header } }).then(
        () => undefined,
        (reason: unknown) => reason,
      )
      if (isKycError(error) && error.code === 'webhook_verification') rejected += 1
    }
    await meanTime(5, forge(headers.normal)) // warm-up
    const normal = await meanTime(40, forge(headers.normal))
    const packed = await meanTime(5, forge(headers.packed))
    const worst = await meanTime(10, forge(headers.worstInBounds))
    const stale = await meanTime(20, forge(headers.stale))

    // Body-only scheme: a header that cannot be one digest is refused before hashing.
    const bodyHeaders = [
      'x'.repeat(1_000_000),
      `${forged},${forged}`,
      signBody({ rawBody: 'other', secret, encoding: 'hex' }),
    ]
    let bodyRejected = 0
    for (const header of bodyHeaders) {
      tried += 1
      try {
        await verifyBodySignature({ header, rawBody: body, secrets: [secret], encoding: 'hex' })
      } catch (error) {
        if (isKycError(error) && error.code === 'webhook_verification') bodyRejected += 1
      }
    }

    console.log(
      `hostile input core, class 1 (pre-auth cost): ${tried} forged deliveries with a 1 MiB body tried, ` +
        `${rejected + bodyRejected} rejected, ${unexpectedRequests} vendor requests caused; time held per request: ` +
        `normal forged ${milliseconds(normal)}, ~1,800-set header ${milliseconds(packed)} (${(packed / normal).toFixed(2)}x), ` +
        `worst header within bounds ${milliseconds(worst)} (${(worst / normal).toFixed(2)}x), ` +
        `stale sets ${milliseconds(stale)} (${(stale / normal).toFixed(2)}x)`,
    )
    expect(rejected + bodyRejected).toBe(tried)
    expect(unexpectedRequests).toBe(0)
  })

  it('class 6: a redirect from the vendor host never reaches another origin', async () => {
    let foreignRequests = 0
    let vendorRequests = 0
    const foreign = await listen((_request, response) => {
      foreignRequests += 1
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"data":{"id":"forged"}}')
    })
    const statuses = [301, 302, 303, 307, 308]
    const vendor = await listen((request, response) => {
      vendorRequests += 1
      const status = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('status'))
      response.writeHead(status, { location: `${foreign}steal` })
      response.end()
    })
    const http = createHttpClient({
      provider: 'acme',
      baseUrl: vendor,
      headers: { 'x-auth-client': 'bench-secret-key' },
      idempotency: {},
      sleep: async () => {},
    })
    let tried = 0
    let rejected = 0
    for (const status of statuses) {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        tried += 1
        const error = await http
          .request({
            method,
            path: 'applicants',
            searchParams: { status },
            ...(method === 'POST' ? { json: { firstName: 'Wilhelmina', dateOfBirth: '1987-03-14' } } : {}),
          })
          .then(
            () => undefined,
            (reason: unknown) => reason,
          )
        if (isKycError(error) && error.code === 'invalid_provider_response') rejected += 1
      }
    }
    console.log(
      `hostile input core, class 6 (redirects): ${tried} requests answered 301/302/303/307/308 tried, ${rejected} rejected ` +
        `with KycInvalidProviderResponseError, requests caused: ${vendorRequests} to the vendor, ${foreignRequests} to the other origin`,
    )
    expect(rejected).toBe(tried)
    expect(vendorRequests).toBe(tried)
    expect(foreignRequests).toBe(0)
  })

  it('class 7: a 256 MiB response body is not buffered', async () => {
    const total = 256 * 1024 * 1024
    const port = await startStreamingServer(total)
    const url = `http://127.0.0.1:${port}/`
    const measure = async (maxResponseBytes: number | undefined, declare: boolean) => {
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: url,
        retry: false,
        timeoutMs: 120_000,
        ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
      })
      const memory = () => {
        const usage = process.memoryUsage()
        return usage.heapUsed + usage.arrayBuffers
      }
      globalThis.gc?.()
      const before = memory()
      let peak = before
      const sampler = setInterval(() => {
        peak = Math.max(peak, memory())
      }, 2)
      let outcome: string
      try {
        const response = await http.request({ path: declare ? 'declared' : 'chunked', responseType: 'bytes' })
        outcome = `read ${mebibytes(response?.body?.byteLength ?? 0)}`
      } catch (error) {
        outcome = isKycError(error) ? error.code : String(error)
      }
      peak = Math.max(peak, memory())
      clearInterval(sampler)
      return { outcome, growth: peak - before }
    }
    const declared = await measure(undefined, true)
    const chunked = await measure(undefined, false)
    // The baseline, in the same run: the cap raised above the body, which is what reading it whole costs.
    const whole = await measure(512 * 1024 * 1024, false)
    console.log(
      `hostile input core, class 7 (byte cap): 2 responses of 256 MiB tried against the default 4 MiB cap, ` +
        `${[declared, chunked].filter((run) => run.outcome === 'invalid_provider_response').length} rejected ` +
        `(${declared.outcome}, ${chunked.outcome}); 3 requests caused (with the baseline); memory growth: declared length ` +
        `${mebibytes(declared.growth)}, streamed ${mebibytes(chunked.growth)}, baseline with the cap raised ` +
        `(${whole.outcome}) ${mebibytes(whole.growth)} (capped/baseline ${(chunked.growth / whole.growth).toFixed(3)})`,
    )
    expect(declared.outcome).toBe('invalid_provider_response')
    expect(chunked.outcome).toBe('invalid_provider_response')
  })

  it('class 8: a broken clock or tolerance refuses a year-old signature instead of accepting it', async () => {
    const body = JSON.stringify({ data: { type: 'event', id: 'evt_old' } })
    const yearOld = signTimestampedPayload({
      rawBody: body,
      secrets: secret,
      timestamp: nowSeconds - 365 * 86_400,
    })
    const clocks: (() => number)[] = [
      () => Number.NaN,
      () => '1764686826000' as unknown as number,
      () => undefined as unknown as number,
      () => Number.POSITIVE_INFINITY,
      () => null as unknown as number,
    ]
    const tolerances = [Number.NaN, Number.POSITIVE_INFINITY, 0, -300, '300' as unknown as number]
    let tried = 0
    let refused = 0
    let accepted = 0
    const attempt = async (run: () => Promise<unknown>) => {
      tried += 1
      try {
        await run()
        accepted += 1
      } catch (error) {
        if (isKycError(error) && error.code === 'configuration') refused += 1
      }
    }
    for (const clock of clocks) {
      await attempt(() =>
        verifyTimestampedSignature({ header: yearOld, rawBody: body, secrets: [secret], now: clock }),
      )
    }
    for (const toleranceSeconds of tolerances) {
      await attempt(() =>
        verifyTimestampedSignature({
          header: yearOld,
          rawBody: body,
          secrets: [secret],
          now,
          toleranceSeconds,
        }),
      )
    }
    // Through an adapter and the pipeline, as an application would see it.
    for (const clock of clocks) {
      tried += 1
      // The adapter factory refuses a broken clock at creation; were it let through, the verifier refuses.
      const error = await Promise.resolve()
        .then(() =>
          createWebhookPipeline({ adapter: createBenchPersona({ fetch: refuseFetch, now: clock }) }).handle({
            rawBody: body,
            headers: { 'persona-signature': yearOld },
          }),
        )
        .then(
          () => undefined,
          (reason: unknown) => reason,
        )
      if (error === undefined) accepted += 1
      else if (isKycError(error) && error.code === 'configuration') refused += 1
    }
    console.log(
      `hostile input core, class 8 (replay fails closed): ${tried} year-old signatures under broken clocks or tolerances tried, ` +
        `${refused} refused with KycConfigurationError, ${accepted} accepted, ${unexpectedRequests} requests caused`,
    )
    expect(refused).toBe(tried)
    expect(accepted).toBe(0)
  })

  it('class 9: bad header values and vendor secrets never reach an error, a request or a log', async () => {
    const key = 'bench_secret_key_0123'
    const badValues = [
      `${key}\n`,
      `${key}\r\nx-injected: 1`,
      `${key}\u0000`,
      `${key}\u2028`,
      `${key}😀`,
      `ключ${key}`,
    ]
    let tried = 0
    let refused = 0
    let leaked = 0
    let requests = 0
    let trimmedAndAccepted = 0
    const countingFetch = async () => {
      requests += 1
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
    }
    const check = (error: unknown, code: string) => {
      if (isKycError(error) && error.code === code) refused += 1
      if (`${(error as Error)?.message} ${JSON.stringify(error)}`.includes(key)) leaked += 1
    }
    for (const value of badValues) {
      tried += 1
      try {
        createHttpClient({
          provider: 'acme',
          baseUrl: 'https://api.acme.test/',
          headers: { authorization: `Bearer ${value}` },
          fetch: countingFetch,
        })
      } catch (error) {
        check(error, 'configuration')
      }
      tried += 1
      const supplied = createHttpClient({
        provider: 'acme',
        baseUrl: 'https://api.acme.test/',
        headers: () => ({ 'x-api-key': value }),
        fetch: countingFetch,
      })
      check(await supplied.request({ path: 'x' }).catch((error: unknown) => error), 'configuration')
      // Persona trims its key first (a trailing newline or U+2028 is gone); whatever remains is checked.
      tried += 1
      try {
        createBenchPersona({ fetch: countingFetch, now }, { apiKey: value })
        trimmedAndAccepted += 1
      } catch (error) {
        check(error, 'configuration')
      }
    }
    const vendorKeys = [
      'x-auth-client',
      'x-hmac-signature',
      'x-api-key',
      'x-app-token',
      'x-app-access-sig',
      'x-sha2-signature',
      'authorization',
      'persona-signature',
      'tokens',
      'sdk_token',
      'document.number',
      'document[number]',
    ]
    let keysHidden = 0
    for (const name of vendorKeys) {
      tried += 1
      const inObject = redact({ [name]: key })[name] === REDACTED
      const inUrl =
        new URL(redactUrl(`https://x.test/?${encodeURIComponent(name)}=${key}`)).searchParams.get(name) ===
        REDACTED
      if (inObject && inUrl && isSensitiveKey(name)) keysHidden += 1
    }
    tried += 1
    if (JSON.stringify(redact({ document: { number: key } })).includes(key)) leaked += 1
    else keysHidden += 1
    console.log(
      `hostile input core, class 9 (headers and redaction): ${tried} inputs tried; ${refused} bad header values refused with ` +
        `KycConfigurationError before any request (${requests} requests caused; ${trimmedAndAccepted} Persona keys valid once trimmed), ` +
        `${leaked} errors or redactions leaking the key; ` +
        `${keysHidden} vendor secret keys hidden alike by redact() and redactUrl()`,
    )
    expect(refused + trimmedAndAccepted).toBe(badValues.length * 3)
    expect(refused).toBeGreaterThanOrEqual(badValues.length * 2)
    expect(requests).toBe(0)
    expect(leaked).toBe(0)
    expect(keysHidden).toBe(vendorKeys.length + 1)
  })

  it('class 10: retryAfterMs reports the capped wait the client uses', async () => {
    const answers: Record<string, string>[] = [
      { 'retry-after': '90' },
      { 'retry-after': '9'.repeat(303) },
      { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' },
      { 'ratelimit-reset': '9'.repeat(20) },
      { 'retry-after': '5' },
    ]
    let tried = 0
    let withinCap = 0
    let requests = 0
    let slept = 0
    let largest = 0
    for (const headers of answers) {
      tried += 1
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: 'https://api.acme.test/',
        retry: { limit: 1 },
        now,
        sleep: async (ms) => {
          slept += ms
        },
        fetch: async () => {
          requests += 1
          return new Response('{}', { status: 429, headers })
        },
      })
      const error = (await http
        .request({ path: 'x' })
        .catch((caught: unknown) => caught)) as KycRateLimitedError
      const wait = error.retryAfterMs ?? Number.POSITIVE_INFINITY
      largest = Math.max(largest, wait)
      if (error.code === 'rate_limited' && wait <= 60_000) withinCap += 1
    }
    console.log(
      `hostile input core, class 10 (retryAfterMs): ${tried} 429 answers with Retry-After/RateLimit-Reset up to 1e303 tried, ` +
        `${withinCap} reported a wait within the 60 s cap (largest ${largest} ms), ${requests} requests caused, ` +
        `${slept} ms of (injected) waiting`,
    )
    expect(withinCap).toBe(tried)
    expect(requests).toBe(tried * 2)
  })
})

/**
 * Starts, in a child process, a server that streams `total` bytes from one reused chunk (so its own
 * memory stays flat), with a declared length on `/api/declared` and chunked on anything else.
 * Returns its port. A separate process keeps the server's memory out of the client's figures.
 */
async function startStreamingServer(total: number): Promise<number> {
  const script = `
    const http = require('node:http')
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const server = http.createServer((request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(request.url.includes('declared') ? { 'content-length': String(${total}) } : {}),
      })
      let written = 0
      const pump = () => {
        while (written < ${total} && !response.destroyed) {
          written += chunk.length
          if (!response.write(chunk)) return void response.once('drain', pump)
        }
        if (!response.destroyed) response.end()
      }
      pump()
    })
    server.listen(0, '127.0.0.1', () => console.log(server.address().port))
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())))
  })
}
