import { KycProviderUnavailableError } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { describe, expect, it } from 'vitest'
import { createPersona } from '../src/index.js'

const apiKey = 'persona_sandbox_simulator-tests'
const instantSleep = async () => undefined

function setup() {
  const simulator = createPersonaSimulator({ webhook: { secret: 'wbhsec_simulator-tests' } })
  const persona = createPersona({
    apiKey,
    templateId: 'itmpl_SimulatorTests',
    caseTemplateId: 'ctmpl_SimulatorTests',
    webhookSecrets: ['wbhsec_simulator-tests'],
    fetch: simulator.fetch,
    sleep: instantSleep,
    env: {},
  })
  return { simulator, persona }
}

/** How many inquiries the simulated Persona holds, read through its own API. */
async function inquiryCount(simulator: ReturnType<typeof createPersonaSimulator>): Promise<number> {
  const response = await simulator.fetch('https://api.withpersona.com/api/v1/inquiries?page%5Bsize%5D=100', {
    headers: { authorization: `Bearer ${apiKey}` },
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { data: unknown[] }).data.length
}

const connectionReset = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  })

describe('idempotent creates against the simulator', () => {
  it('a reset before Persona saw the request: the retry creates the one inquiry', async () => {
    const { simulator, persona } = setup()
    simulator.resetNext({ match: { method: 'POST', path: '/api/v1/inquiries' } })
    const { verification } = await persona.createVerification({ subjectReference: 'user_reset_before' })
    expect(verification.status).toBe('created')
    expect(simulator.requests.filter((request) => request.status === 'reset')).toHaveLength(1)
    expect(await inquiryCount(simulator)).toBe(1)
  })

  it('a reset after Persona created the inquiry (the response lost): the retry replays it, one inquiry', async () => {
    const simulator = createPersonaSimulator()
    const keys: string[] = []
    let lost = false
    const losingFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init)
      const isCreate = request.method === 'POST' && new URL(request.url).pathname === '/api/v1/inquiries'
      if (isCreate) keys.push(request.headers.get('idempotency-key') ?? '')
      const response = await simulator.fetch(request)
      if (isCreate && !lost) {
        lost = true
        expect(response.status).toBe(201) // Persona did create it…
        throw connectionReset() // …but the answer never arrived.
      }
      return response
    }
    const persona = createPersona({
      apiKey,
      templateId: 'itmpl_SimulatorTests',
      fetch: losingFetch as typeof fetch,
      sleep: instantSleep,
      env: {},
    })
    const { verification } = await persona.createVerification({ subjectReference: 'user_reset_after' })
    expect(keys).toHaveLength(2)
    expect(keys[1]).toBe(keys[0])
    expect(await inquiryCount(simulator)).toBe(1)
    expect((await persona.getVerification({ reference: verification.reference })).id).toBe(verification.id)
  })

  it("a caller's idempotencyKey: a second call with it (a retried job) returns the first inquiry, no second one", async () => {
    const { simulator, persona } = setup()
    const idempotencyKey = 'bulk-batch-1-item-7'
    const first = await persona.createVerification({ subjectReference: 'user_retried_job', idempotencyKey })
    const second = await persona.createVerification({ subjectReference: 'user_retried_job', idempotencyKey })
    expect(second.verification.id).toBe(first.verification.id)
    const sent = simulator.requests.filter(
      (request) => request.method === 'POST' && request.path === '/api/v1/inquiries',
    )
    expect(sent.map((request) => request.status)).toEqual([201, 201])
    expect(await inquiryCount(simulator)).toBe(1)
    // Without a key of the caller's, each call is its own create.
    await persona.createVerification({ subjectReference: 'user_retried_job' })
    expect(await inquiryCount(simulator)).toBe(2)
  })

  it('gives up with KycProviderUnavailableError when every attempt is reset, having created nothing', async () => {
    const { simulator, persona } = setup()
    simulator.resetNext({ times: 10, match: { method: 'POST', path: '/api/v1/inquiries' } })
    await expect(persona.createVerification({ subjectReference: 'user_reset_always' })).rejects.toThrow(
      KycProviderUnavailableError,
    )
    simulator.clearFaults()
    expect(await inquiryCount(simulator)).toBe(0)
  })
})

describe('a hand-off that fails after the inquiry was created', () => {
  const linkPath = /^\/api\/v1\/inquiries\/[^/]+\/generate-one-time-link$/

  it('returns the created verification with the hosted-flow URL, so a retry never makes a second inquiry', async () => {
    const simulator = createPersonaSimulator()
    const lines: { level: string; message: string; fields: unknown }[] = []
    const log =
      (level: string) =>
      (message: string, fields?: Record<string, unknown>): void => {
        lines.push({ level, message, fields })
      }
    const persona = createPersona({
      apiKey,
      templateId: 'itmpl_SimulatorTests',
      hostedFlowUrl: 'https://inquiry.example.test/verify',
      fetch: simulator.fetch,
      sleep: instantSleep,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      env: {},
    })
    // More failures than core's retries: the link request fails for good.
    simulator.failNext({ status: 503, times: 10, match: { method: 'POST', path: linkPath } })
    const { verification } = await persona.createVerification({
      subjectReference: 'user_link_down',
      prefill: { firstName: 'Zebulon', lastName: 'Quartermaine', dateOfBirth: '1971-03-04' },
    })
    simulator.clearFaults()
    const linkAttempts = simulator.requests.filter((request) => linkPath.test(request.path))
    expect(linkAttempts.length).toBeGreaterThan(1)
    expect(linkAttempts.every((request) => request.status === 503)).toBe(true)
    expect(verification.status).toBe('created')
    expect(verification.session).toEqual({
      url: `https://inquiry.example.test/verify?inquiry-id=${verification.id}`,
    })
    expect(await inquiryCount(simulator)).toBe(1)
    // The hosted-flow URL really opens the inquiry on the simulated Persona.
    expect(simulator.persona.hostedUrl(verification.id)).toContain(verification.id)
    // One warning, naming the inquiry and the failure, with no personal data or secrets.
    const warnings = lines.filter((line) => line.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.fields).toMatchObject({
      inquiryId: verification.id,
      code: 'provider_unavailable',
      status: 503,
    })
    const logged = JSON.stringify(lines)
    for (const secret of ['Zebulon', 'Quartermaine', '1971-03-04', apiKey])
      expect(logged).not.toContain(secret)
    // A single-use link can still be had once Persona answers again.
    const link = await persona.createSessionLink({ reference: verification.reference })
    expect(link.url).toMatch(/^https?:\/\//)
    expect(await inquiryCount(simulator)).toBe(1)
  })

  it('still throws when the inquiry itself cannot be created', async () => {
    const { simulator, persona } = setup()
    simulator.failNext({ status: 503, times: 10, match: { method: 'POST', path: '/api/v1/inquiries' } })
    await expect(persona.createVerification({ subjectReference: 'user_create_down' })).rejects.toThrow(
      KycProviderUnavailableError,
    )
    simulator.clearFaults()
    expect(await inquiryCount(simulator)).toBe(0)
  })
})

describe('a 100 000-row list import against the simulator', () => {
  it('streams every row exactly once, in chunks, with bounded read-ahead', async () => {
    const { simulator, persona } = setup()
    const list = await persona.lists.create({ kind: 'email_address', name: 'large import' })
    const totalRows = 100_000
    let rowsProduced = 0
    let rowsAcknowledged = 0
    let maxAhead = 0
    async function* csv() {
      yield 'value,match_type\n'
      for (let row = 0; row < totalRows; row++) {
        rowsProduced++
        yield `applicant-${row}@blocked.example.test,email_address\n`
      }
    }
    const result = await persona.lists.importCsv({
      listId: list.id,
      csv: csv(),
      onProgress: ({ rowsSent }) => {
        rowsAcknowledged = rowsSent
        maxAhead = Math.max(maxAhead, rowsProduced - rowsAcknowledged)
      },
    })
    expect(result.rowsSent).toBe(totalRows)
    expect(result.importers).toHaveLength(10)
    const importerRequests = simulator.requests.filter(
      (request) => request.method === 'POST' && request.path === '/api/v1/importer/list-item/email-addresses',
    )
    expect(importerRequests).toHaveLength(10)
    expect(result.status).toBe('ready')
    // Every row arrived once: all accepted, none seen twice, none rejected.
    expect(result.successfulCount).toBe(totalRows)
    expect(result.duplicateCount).toBe(0)
    expect(result.errorCount).toBe(0)
    // The source is read about one chunk ahead of what Persona has accepted, never the whole file.
    expect(maxAhead).toBeLessThan(25_000)
  }, 120_000)
})
