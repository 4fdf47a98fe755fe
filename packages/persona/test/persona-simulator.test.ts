import { KycProviderUnavailableError } from '@openkyc/core'
import { createPersonaSimulator } from '@openkyc/testkit/persona'
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
