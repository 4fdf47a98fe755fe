import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { KycLogger } from '../../src/adapter.js'
import { isKycError } from '../../src/errors.js'
import { createHttpClient, type HttpAttempt, type HttpMethod } from '../../src/http/index.js'
import { jsonResponse, type ScriptedAnswer, scriptedFetch, steppingClock } from './helpers.js'

/** Recognisable personal data and a secret, seeded everywhere a careless client could leak them. */
const seeded = {
  name: 'Zoltana Quixwood',
  dateOfBirth: '1987-03-14',
  documentNumber: 'X7Q4412983',
  apiKey: 'sk_live_9f8e7d6c5b4a3f2e',
}
const seededValues = Object.values(seeded)
const personalBody = {
  data: {
    attributes: {
      'name-first': seeded.name,
      birthdate: seeded.dateOfBirth,
      'identification-number': seeded.documentNumber,
      note: `${seeded.name} ${seeded.dateOfBirth} ${seeded.documentNumber} ${seeded.apiKey}`,
    },
  },
}
const echoHeaders = { 'x-echo-name': seeded.name, 'x-echo-key': seeded.apiKey, 'request-id': 'req_1' }
const vendorError = {
  errors: [
    {
      title: 'Unprocessable entity',
      details: `name-first ${seeded.name} does not match document ${seeded.documentNumber} born ${seeded.dateOfBirth}`,
      source: { pointer: '/data/attributes/name-first' },
    },
  ],
}

/** Every way a call can end: success, every error status, bad bodies, network failure, timeout. */
const scenarios: { label: string; answers: ScriptedAnswer[]; schema?: z.ZodType }[] = [
  { label: 'success echoing the data', answers: [jsonResponse(200, personalBody, echoHeaders)] },
  ...[400, 401, 403, 404, 409, 410, 422, 429, 500, 503].map((status) => ({
    label: `HTTP ${status}`,
    answers: [jsonResponse(status, vendorError, { ...echoHeaders, 'retry-after': '1' })],
  })),
  {
    label: 'malformed JSON',
    answers: [new Response(`{"name": "${seeded.name}", "dob": "${seeded.dateOfBirth}"`, { status: 200 })],
  },
  {
    label: 'unexpected shape',
    answers: [jsonResponse(200, personalBody, echoHeaders)],
    schema: z.object({
      data: z.object({ attributes: z.object({ birthdate: z.number(), 'name-first': z.enum(['a']) }) }),
    }),
  },
  { label: 'network error', answers: [{ networkError: 'fetch failed' }] },
]

function capture() {
  const lines: string[] = []
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields)}`)
  const logger: KycLogger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  }
  const attempts: HttpAttempt[] = []
  return { lines, logger, attempts, onAttempt: (attempt: HttpAttempt) => attempts.push(attempt) }
}

/** Everything about an error a person could end up reading: message, JSON, and the full inspected chain. */
function errorTexts(error: unknown): string[] {
  expect(isKycError(error)).toBe(true)
  return [(error as Error).message, JSON.stringify(error), String(error), inspect(error, { depth: 10 })]
}

function expectNoSeededValue(texts: string[]) {
  for (const text of texts) {
    for (const value of seededValues) expect(text).not.toContain(value)
  }
}

describe('no personal data or secrets in logs and errors', () => {
  it.each(scenarios)('$label', async ({ answers, schema }) => {
    const clock = steppingClock()
    const server = scriptedFetch(answers, clock.now)
    const output = capture()
    const http = createHttpClient({
      provider: 'persona',
      baseUrl: 'https://api.withpersona.test/api/v1/',
      headers: async () => ({ authorization: `Bearer ${seeded.apiKey}`, 'x-api-key': seeded.apiKey }),
      fetch: server.fetch,
      now: clock.now,
      sleep: clock.sleep,
      idempotency: {},
      logger: output.logger,
      onAttempt: output.onAttempt,
    })
    const errors: unknown[] = []
    for (const method of ['GET', 'POST'] satisfies HttpMethod[]) {
      await http
        .request({
          method,
          path: 'accounts/{accountId}',
          pathParams: { accountId: 'act_123' },
          searchParams: {
            'filter[name-first]': seeded.name,
            'filter[birthdate]': seeded.dateOfBirth,
            'filter[identification-number]': seeded.documentNumber,
            api_key: seeded.apiKey,
          },
          headers: { 'x-applicant-name': seeded.name, 'x-document': seeded.documentNumber },
          ...(method === 'POST' ? { json: personalBody } : {}),
          ...(schema === undefined ? {} : { schema }),
        })
        .catch((error: unknown) => errors.push(error))
    }

    // The seeded values really were sent, so their absence below means something.
    const sent = server.requests.map((request) => `${request.url} ${request.body}`).join(' ')
    expect(sent).toContain(encodeURIComponent(seeded.name).replaceAll('%20', '+'))
    expect(sent).toContain(seeded.documentNumber)
    expect(server.requests[0]?.headers.get('x-api-key')).toBe(seeded.apiKey)

    expect(output.lines.length).toBe(server.requests.length)
    expect(output.lines[0]).toContain('persona GET accounts/{accountId} attempt 1')
    expect(output.attempts[0]).toMatchObject({ method: 'GET', path: 'accounts/{accountId}', attempt: 1 })
    expect(output.attempts[0]?.url).toContain('https://api.withpersona.test/api/v1/accounts/act_123?')
    expectNoSeededValue(output.lines)
    expectNoSeededValue(output.attempts.map((attempt) => JSON.stringify(attempt)))
    expectNoSeededValue(errors.flatMap(errorTexts))
  })

  it('keeps secrets out of the error when the headers supplier fails', async () => {
    const http = createHttpClient({
      provider: 'jumio',
      baseUrl: 'https://account.amer-1.jumio.test/api/v1/',
      headers: () => {
        throw new Error(`token request with ${seeded.apiKey} refused`)
      },
    })
    const error = await http.request({ path: 'accounts' }).catch((caught: unknown) => caught)
    expectNoSeededValue([(error as Error).message, JSON.stringify(error)])
  })

  it('keeps a timed-out request out of the error', async () => {
    const http = createHttpClient({
      provider: 'persona',
      baseUrl: 'https://api.withpersona.test/api/v1/',
      timeoutMs: 20,
      retry: false,
      fetch: (request) =>
        new Promise((_resolve, reject) =>
          request.signal.addEventListener('abort', () => reject(request.signal.reason)),
        ),
    })
    const error = await http
      .request({
        path: 'accounts',
        searchParams: { 'filter[name-first]': seeded.name },
        json: personalBody,
        method: 'POST',
      })
      .catch((caught: unknown) => caught)
    expect((error as Error).message).toBe('persona POST accounts timed out after 20 ms.')
    expectNoSeededValue(errorTexts(error))
  })
})
