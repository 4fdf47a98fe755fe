import { randomUUID } from 'node:crypto'
import {
  createWebhookPipeline,
  isKycError,
  KycConfigurationError,
  KycInvalidRequestError,
  toWebhookResponse,
} from '@openkyc/core'
import { createRateLimiter } from '@openkyc/core/http'
import { createJumio } from '@openkyc/jumio'
import { createPersona } from '@openkyc/persona'
import { createJumioConformanceDriver } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createBenchJumio, createBenchPersona } from '../src/providers.js'

/**
 * Hostile input against the adapters (issue 12, adapter side): one case per class fixed there, each
 * printing what it tried (`tried`), how many were refused (`rejected`), the vendor requests they
 * caused (`requests`) and how long the webhook request was held (`heldMs`: simulated waits inside
 * the request, from the injected `sleep`; `wallMs`: measured, for information only, never asserted).
 * Every case fails on main before issue 12.
 */

type Counts = { tried: number; rejected: number; requests: number; heldMs?: number; wallMs?: number }

function report(name: string, counts: Counts & Record<string, number>): void {
  console.log(`hostile-input-adapters ${name}: ${JSON.stringify(counts)}`)
}

/** A fetch that counts what reaches the vendor, by host kind. */
function countingFetch(inner: (request: Request) => Promise<Response>) {
  const sent = { all: 0, retrieval: 0 }
  const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    sent.all += 1
    if (new URL(request.url).hostname.startsWith('retrieval.')) sent.retrieval += 1
    return inner(request)
  }) as typeof globalThis.fetch
  return { fetch, sent }
}

async function outcome(promise: Promise<unknown>): Promise<{ ok: boolean; error?: unknown }> {
  try {
    await promise
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

type JumioDriver = Awaited<ReturnType<typeof createJumioConformanceDriver>>
const drivers: JumioDriver[] = []
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()))
})

/**
 * A Jumio simulator with an adapter on it. With `waits.hold` on, every `sleep` the adapter asks for
 * is held until `releaseWaits()` (which also moves the simulator's clock), so a `parseWebhook` that
 * waited on Jumio's schedule could not resolve before the release: a resolved call was held 0 ms.
 */
async function jumioSetup(settings: Parameters<typeof createBenchJumio>[1] = {}) {
  const driver = await createJumioConformanceDriver()
  drivers.push(driver)
  const { fetch, sent } = countingFetch((request) => driver.fetch(request))
  const pending: { ms: number; resolve: () => void }[] = []
  /** While `hold` is on, waits are held until `releaseWaits()`; `requestedMs` sums every wait asked for. */
  const waits = { hold: false, requestedMs: 0 }
  const jumio = createBenchJumio(
    {
      fetch,
      now: () => driver.now?.() ?? Date.now(),
      sleep: async (ms) => {
        waits.requestedMs += ms
        if (!waits.hold) return driver.advanceTime(ms)
        return new Promise<void>((resolve) => pending.push({ ms, resolve }))
      },
    },
    settings,
  )
  /** Lets every held wait end, in order, moving the simulated clock; repeats until none is left. */
  const releaseWaits = async () => {
    for (let wait = pending.shift(); wait !== undefined; wait = pending.shift()) {
      await driver.advanceTime(wait.ms)
      wait.resolve()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const parse = (rawBody: string) =>
    jumio.parseWebhook({ headers: new Headers({ 'content-type': 'application/json' }), rawBody })
  return { driver, jumio, sent, waits, pending, parse, releaseWaits }
}

const callbackBody = (accountId: string, workflowExecutionId: string, status = 'PROCESSED') =>
  JSON.stringify({
    callbackSentAt: '2030-01-01T00:00:00.000Z',
    workflowExecution: { id: workflowExecutionId, status, definitionKey: '999' },
    account: { id: accountId },
  })

describe('hostile input against the adapters (issue 12)', () => {
  it('class 2: a forged Jumio callback costs at most 1 retrieval request and holds the request 0 ms', async () => {
    // No budget and no HTTP retries here, so every request a callback causes is counted once.
    const { driver, parse, sent, waits } = await jumioSetup({ callbackReadRateLimit: false, retries: 0 })
    const tried = 300
    let rejected = 0
    const started = performance.now()
    // Random well-formed ids: one status read each; 100 of them sent three times (remembered: 0 more).
    const ids = Array.from({ length: 200 }, () => [randomUUID(), randomUUID()] as const)
    for (const [accountId, workflowExecutionId] of [...ids, ...ids.slice(0, 100)]) {
      const result = await outcome(parse(callbackBody(accountId, workflowExecutionId)))
      if (!result.ok) rejected += 1
      // 10 callbacks per simulated second: under Jumio's retrieval limit, so no 429 muddles the count.
      await driver.advanceTime(100)
    }
    const wallMs = performance.now() - started
    // Ids that cannot be Jumio's: no request at all.
    const malformed = ['..', '.', '', 'not-a-uuid', '../../accounts', `${randomUUID()}/..`]
    for (const id of malformed) {
      const result = await outcome(parse(callbackBody(id, randomUUID())))
      if (!result.ok) rejected += 1
    }
    expect(rejected).toBe(tried + malformed.length)
    expect(sent.retrieval).toBe(200)
    expect(waits.requestedMs).toBe(0)
    report('class 2 forged callbacks (random ids)', {
      tried: tried + malformed.length,
      rejected,
      requests: sent.retrieval,
      requestsPerWellFormedCallback: sent.retrieval / tried,
      requestsPerMalformedCallback: 0,
      heldMs: 0,
      wallMs: Math.round(wallMs),
    })
  })

  it('class 2: an early (or forged) PROCESSED callback is answered at once; the decision comes from one background re-read', async () => {
    const { driver, jumio, sent, waits, pending, releaseWaits } = await jumioSetup({
      callbackReadRateLimit: false,
    })
    driver.simulator.setEarlyCallbacks(90_000)
    const { verification } = await jumio.createVerification({ subjectReference: 'early', country: 'DE' })
    await driver.runScenario({ reference: verification.reference, scenario: scenarioById('clean_approve') })
    const { accountId, workflowExecutionId } = verification.reference as Record<string, string>
    const background: string[] = []
    const pipeline = createWebhookPipeline({
      adapter: jumio,
      onBackgroundOutcome: (result) => {
        for (const processed of result.events) background.push(processed.event.type)
      },
    })
    const before = sent.retrieval
    const tried = 20
    const types: string[] = []
    // Every wait stays held while these run: each call resolves, so none waited.
    waits.hold = true
    for (let index = 0; index < tried; index++) {
      // Under Jumio's retrieval limit (15 per second), so no 429 retry asks for a wait of its own.
      await driver.advanceTime(200)
      const { events } = await pipeline.handle({
        headers: { 'content-type': 'application/json' },
        rawBody: callbackBody(accountId!, workflowExecutionId!),
      })
      types.push(...events.map((processed) => processed.event.type))
    }
    const requestsInRequests = sent.retrieval - before
    // One background re-read for the execution, however many callbacks named it.
    expect(pending).toHaveLength(1)
    expect(types).toEqual(['verification.submitted'])
    waits.hold = false
    await releaseWaits()
    await expect.poll(() => background, { timeout: 10_000 }).toEqual(['verification.completed'])
    report('class 2 early/forged PROCESSED on a real execution', {
      tried,
      rejected: 0,
      requests: requestsInRequests,
      requestsPerCallback: requestsInRequests / tried,
      backgroundRequests: sent.retrieval - before - requestsInRequests,
      backgroundWaitMs: waits.requestedMs,
      heldMs: 0,
    })
    pipeline.close()
  })

  it('class 2: a flood of forged callbacks uses only the callback budget, never the application’s reads', async () => {
    const { jumio, parse, sent } = await jumioSetup({
      callbackReadRateLimit: createRateLimiter({ requests: 5, intervalMs: 1000, now: () => 0 }),
    })
    const tried = 500
    const started = performance.now()
    const results = await Promise.all(
      Array.from({ length: tried }, () => outcome(parse(callbackBody(randomUUID(), randomUUID())))),
    )
    const wallMs = performance.now() - started
    const codes = results.map((result) => (isKycError(result.error) ? result.error.code : 'other'))
    const limited = codes.filter((code) => code === 'rate_limited').length
    expect(sent.retrieval).toBe(5)
    expect(limited).toBe(tried - 5)
    const { verification } = await jumio.createVerification({ subjectReference: 'app', country: 'DE' })
    await expect(jumio.getVerification({ reference: verification.reference })).resolves.toBeDefined()
    report('class 2 callback flood', {
      tried,
      rejected: results.filter((result) => !result.ok).length,
      requests: 5,
      answeredTryLater503: limited,
      heldMs: 0,
      wallMs: Math.round(wallMs),
    })
  })

  it('class 3: a forged callback racing the genuine one cannot put its own fields into the event', async () => {
    const { driver, jumio, parse, sent } = await jumioSetup({ callbackReadRateLimit: false })
    const { verification } = await jumio.createVerification({ subjectReference: 'race', country: 'DE' })
    await driver.runScenario({ reference: verification.reference, scenario: scenarioById('clean_approve') })
    const [genuine] = await driver.webhookDeliveries({ reference: verification.reference })
    const { accountId, workflowExecutionId } = verification.reference as Record<string, string>
    const forgedStatuses = ['TOKEN_EXPIRED', 'SESSION_EXPIRED', 'INITIATED', 'PROCESSED', 'OWNED']
    const genuineEvent = (await jumio.parseWebhook(genuine!))[0]
    let identical = 0
    const before = sent.retrieval
    for (const status of forgedStatuses) {
      const [event] = await parse(callbackBody(accountId!, workflowExecutionId!, status))
      if (JSON.stringify(event) === JSON.stringify(genuineEvent)) identical += 1
    }
    expect(identical).toBe(forgedStatuses.length)
    expect(genuineEvent?.occurredAt).not.toBe('2030-01-01T00:00:00.000Z')
    report('class 3 forged callback fields', {
      tried: forgedStatuses.length,
      rejected: 0,
      requests: sent.retrieval - before,
      eventsIdenticalToGenuine: identical,
    })
  })

  it('class 4: __proto__, constructor and prototype field names are refused everywhere; Object.prototype untouched', async () => {
    const jumioSide = await jumioSetup({ callbackReadRateLimit: false })
    const { verification } = await jumioSide.jumio.createVerification({
      subjectReference: 'pollution',
      channel: 'api',
      country: 'DE',
    })
    const persona = createPersonaSimulator()
    const personaSide = countingFetch((request) => persona.fetch(request))
    const personaAdapter = createBenchPersona({ fetch: personaSide.fetch, now: () => persona.clock.now() })
    const list = await personaAdapter.createList({ kind: 'email_address', name: 'hostile' })
    const jumioBefore = jumioSide.sent.all
    const personaBefore = personaSide.sent.all
    const hostileKeys = [
      '__proto__',
      '__proto__.polluted',
      'constructor',
      'constructor.prototype.polluted',
      'prototype',
      'a.__proto__.polluted',
    ]
    const attempts: Promise<unknown>[] = []
    for (const key of hostileKeys) {
      const data = JSON.parse(`{${JSON.stringify(key)}: "yes"}`) as Record<string, string>
      attempts.push(
        jumioSide.jumio.uploadCredential({ reference: verification.reference, kind: 'personal_data', data }),
        personaAdapter.addListItems({ listId: list.id, items: [data] }),
        personaAdapter.accounts.create({ referenceId: 'user', fields: data }),
        personaAdapter.cases.create({ fields: data }),
      )
    }
    const results = await Promise.all(attempts.map(outcome))
    const rejected = results.filter((result) => result.error instanceof KycInvalidRequestError).length
    const requests = jumioSide.sent.all - jumioBefore + personaSide.sent.all - personaBefore
    expect(rejected).toBe(attempts.length)
    expect(requests).toBe(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted')
    // Fresh adapters in the same process still work.
    await expect(
      createBenchJumio({
        fetch: (input, init) =>
          jumioSide.driver.fetch(input instanceof Request ? input : new Request(input, init)),
        now: Date.now,
      }).createVerification({ subjectReference: 'after', country: 'DE' }),
    ).resolves.toBeDefined()
    await expect(
      createBenchPersona({ fetch: persona.fetch, now: () => persona.clock.now() }).createVerification({
        subjectReference: 'after',
      }),
    ).resolves.toBeDefined()
    report('class 4 prototype pollution', { tried: attempts.length, rejected, requests })
  })

  it('class 5: ids cannot change the endpoint: every hostile id is refused before any request', async () => {
    const jumioSide = await jumioSetup()
    const persona = createPersonaSimulator()
    const personaSide = countingFetch((request) => persona.fetch(request))
    const personaAdapter = createBenchPersona({ fetch: personaSide.fetch, now: () => persona.clock.now() })
    const hostileIds = ['..', '.', '', 'a/b', '../../accounts', '%2e%2e', 'x\u0000', `${randomUUID()}/..`]
    const attempts: Promise<unknown>[] = []
    for (const id of hostileIds) {
      const jumioReference = { accountId: randomUUID(), workflowExecutionId: id }
      attempts.push(
        jumioSide.jumio.getVerification({ reference: jumioReference }),
        jumioSide.jumio.deleteVerificationData({ reference: jumioReference }),
        jumioSide.jumio.deleteVerificationData({
          reference: { ...jumioReference, accountId: id },
          scope: 'account',
        }),
        jumioSide.jumio.accounts.delete(id),
        personaAdapter.getVerification({ reference: { inquiryId: id } }),
        personaAdapter.deleteVerificationData({ reference: { inquiryId: id } }),
        personaAdapter.cancelVerification({ reference: { inquiryId: id } }),
        personaAdapter.accounts.redact({ accountId: id }),
        personaAdapter.setCaseStatus({ caseId: id, status: 'Open' }),
        personaAdapter.lists.archive({ listId: id }),
      )
    }
    const results = await Promise.all(attempts.map(outcome))
    const rejected = results.filter((result) => result.error instanceof KycInvalidRequestError).length
    const requests = jumioSide.sent.all + personaSide.sent.all
    expect(rejected).toBe(attempts.length)
    expect(requests).toBe(0)
    report('class 5 path ids', { tried: attempts.length, rejected, requests })
  })

  it('class 9: no personal data or secret in errors; unusual header values give 400/401, never 500', async () => {
    let tried = 0
    let rejected = 0
    // A list CSV without its header row.
    const persona = createPersonaSimulator()
    const personaSide = countingFetch((request) => persona.fetch(request))
    const personaAdapter = createBenchPersona({ fetch: personaSide.fetch, now: () => persona.clock.now() })
    const list = await personaAdapter.createList({ kind: 'email_address', name: 'no-header' })
    const before = personaSide.sent.all
    const csvError = await outcome(
      personaAdapter.importListItems({
        listId: list.id,
        csv: 'erika.mustermann@example.test\nmax@example.test\n',
      }),
    )
    tried += 1
    if (csvError.error instanceof KycInvalidRequestError) rejected += 1
    expect(JSON.stringify(csvError.error)).not.toMatch(/erika|mustermann|example\.test/)
    expect((csvError.error as Error).message).not.toMatch(/erika|mustermann|example\.test/)
    // Credentials that cannot be header values, refused at creation naming only the setting.
    const hostileSecrets = ['key\nX', 'key\r\nX-Evil: 1', 'key\u0000', 'k\u00e9y']
    for (const secret of hostileSecrets) {
      for (const create of [
        () => createPersona({ apiKey: `persona_sandbox_${secret}`, templateId: 'itmpl_X', env: {} }),
        () =>
          createJumio({ clientId: 'id', clientSecret: secret, region: 'amer-1', userAgent: 'A/1', env: {} }),
        () =>
          createJumio({
            clientId: 'id',
            clientSecret: 's',
            region: 'amer-1',
            userAgent: `A/1 ${secret}`,
            env: {},
          }),
      ]) {
        tried += 1
        try {
          create()
        } catch (error) {
          if (error instanceof KycConfigurationError && !JSON.stringify(error).includes(secret)) rejected += 1
        }
      }
    }
    // Header values with unusual characters reaching the webhook pipeline.
    const statuses: number[] = []
    const jumioSide = await jumioSetup()
    for (const adapter of [personaAdapter, jumioSide.jumio]) {
      const pipeline = createWebhookPipeline({ adapter })
      for (const value of [
        't=\u00e9,v1=\u00ff',
        '\u00ff'.repeat(300),
        't=1,v1=\u2603',
        'x\r\nEvil: 1',
        'x\u0000',
      ]) {
        tried += 1
        const headers = {
          'persona-signature': value,
          'content-type': 'application/json',
          'x-anything': value,
        }
        const result = await outcome(pipeline.handle({ rawBody: '{"data":{}}', headers }))
        const status = toWebhookResponse(result.error).status
        statuses.push(status)
        if (status === 400 || status === 401) rejected += 1
      }
      pipeline.close()
    }
    expect(statuses.filter((status) => status >= 500)).toEqual([])
    expect(rejected).toBe(tried)
    report('class 9 errors and headers', {
      tried,
      rejected,
      requests: personaSide.sent.all - before + jumioSide.sent.all,
      answered500: statuses.filter((status) => status >= 500).length,
    })
  })
})
