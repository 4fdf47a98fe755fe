import { createHmac } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { createWebhookPipeline, isKycError, type KycAdapter, type VerificationReference } from '@openkyc/core'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { type CapturedWebhook, createCsv } from '@openkyc/testkit/harness'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createBenchJumio,
  createBenchPersona,
  jumioEvidenceFor,
  personaTestCredentials,
} from '../src/providers.js'
import { createCapture, personalDataFound } from './support/capture.js'
import { fuzzedFetch, type ResponseRecordings, recordingFetch, responseSpec } from './support/fuzz.js'

/**
 * Hostile input. 10,000 forged webhook requests (signatures, timestamps, bodies, headers and encodings
 * mutated from genuine signed Persona deliveries) must all be rejected with
 * `KycWebhookVerificationError`; 10,000 adapter calls answered by fuzzed provider responses (real
 * responses with one value changed deep inside, truncated or foreign bodies, any status) must end in a
 * result or a `KycError`, never a `TypeError` or an unhandled rejection. The genuine material holds the
 * catalogue's personal data; no error or log line may repeat it.
 */

const forgeryRuns = 10_000
const responseRunsPerProvider = 5_000

let unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason)
}
beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
})

/** Lets rejections nobody handled surface before they are counted. */
const drainEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 50))

// ── Forged webhooks ──────────────────────────────────────────────────────────────────────────────

type Forgery =
  | { kind: 'signature-flip'; position: number; digit: number }
  | { kind: 'signature-random'; value: string }
  | { kind: 'signature-truncate'; keep: number }
  | { kind: 'signature-other-secret'; secret: string }
  | { kind: 'signature-without-v1' }
  | { kind: 'header-missing' }
  | { kind: 'header-renamed'; name: string }
  | { kind: 'header-garbage'; value: string }
  | { kind: 'header-doubled-garbage'; first: string; second: string }
  | { kind: 'timestamp-shift'; delta: number }
  | { kind: 'timestamp-stale-resigned'; delta: number }
  | { kind: 'timestamp-garbage'; value: string }
  | { kind: 'body-flip'; position: number; code: number }
  | { kind: 'body-insert'; position: number; text: string }
  | { kind: 'body-delete'; position: number; length: number }
  | { kind: 'body-reformat' }
  | { kind: 'body-replace'; value: unknown }
  | { kind: 'body-tamper-status'; status: string }
  | { kind: 'encoding-utf16' }
  | { kind: 'encoding-bom' }
  | { kind: 'encoding-gzip' }
  | { kind: 'encoding-base64' }
  | { kind: 'encoding-invalid-utf8'; position: number }

const printable = (minLength = 0) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{${minLength},40}$`))

const forgery: fc.Arbitrary<Forgery> = fc.oneof(
  fc.record({
    kind: fc.constant('signature-flip' as const),
    position: fc.nat(),
    digit: fc.integer({ min: 1, max: 15 }),
  }),
  fc.record({ kind: fc.constant('signature-random' as const), value: printable() }),
  fc.record({ kind: fc.constant('signature-truncate' as const), keep: fc.nat({ max: 63 }) }),
  fc.record({ kind: fc.constant('signature-other-secret' as const), secret: printable(1) }),
  fc.constant({ kind: 'signature-without-v1' as const }),
  fc.constant({ kind: 'header-missing' as const }),
  fc.record({
    kind: fc.constant('header-renamed' as const),
    name: fc.constantFrom('x-persona-signature', 'persona-signatures', 'signature', 'webhook-signature'),
  }),
  fc.record({ kind: fc.constant('header-garbage' as const), value: printable() }),
  fc.record({
    kind: fc.constant('header-doubled-garbage' as const),
    first: printable(),
    second: printable(),
  }),
  fc.record({
    kind: fc.constant('timestamp-shift' as const),
    delta: fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).filter((delta) => delta !== 0),
  }),
  fc.record({
    kind: fc.constant('timestamp-stale-resigned' as const),
    delta: fc.oneof(
      fc.integer({ min: 301, max: 1_000_000_000 }),
      fc.integer({ min: -1_000_000_000, max: -301 }),
    ),
  }),
  fc.record({ kind: fc.constant('timestamp-garbage' as const), value: printable() }),
  fc.record({
    kind: fc.constant('body-flip' as const),
    position: fc.nat(),
    code: fc.integer({ min: 1, max: 0xffff }),
  }),
  fc.record({
    kind: fc.constant('body-insert' as const),
    position: fc.nat(),
    text: fc.string({ minLength: 1, maxLength: 20 }),
  }),
  fc.record({
    kind: fc.constant('body-delete' as const),
    position: fc.nat(),
    length: fc.integer({ min: 1, max: 50 }),
  }),
  fc.constant({ kind: 'body-reformat' as const }),
  fc.record({ kind: fc.constant('body-replace' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    kind: fc.constant('body-tamper-status' as const),
    status: fc.constantFrom('approved', 'declined', 'completed', 'needs_review', 'expired'),
  }),
  fc.constant({ kind: 'encoding-utf16' as const }),
  fc.constant({ kind: 'encoding-bom' as const }),
  fc.constant({ kind: 'encoding-gzip' as const }),
  fc.constant({ kind: 'encoding-base64' as const }),
  fc.record({ kind: fc.constant('encoding-invalid-utf8' as const), position: fc.nat() }),
)

type Forged = { headers: Headers; body: string | Uint8Array<ArrayBuffer> }

function sign(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** Applies one forgery to a genuine delivery. */
function forge(delivery: CapturedWebhook, change: Forgery): Forged {
  const headers = new Headers(delivery.headers)
  headers.delete('content-length')
  const header = headers.get('persona-signature') ?? ''
  const timestamp = /t=([^,]+)/.exec(header)?.[1] ?? ''
  const signature = /v1=([0-9a-f]+)/.exec(header)?.[1] ?? ''
  const body = delivery.rawBody
  const setSignature = (t: string, v1: string) => headers.set('persona-signature', `t=${t},v1=${v1}`)
  switch (change.kind) {
    case 'signature-flip': {
      const at = change.position % signature.length
      const digit = ((Number.parseInt(signature[at]!, 16) + change.digit) % 16).toString(16)
      setSignature(timestamp, signature.slice(0, at) + digit + signature.slice(at + 1))
      return { headers, body }
    }
    case 'signature-random':
      setSignature(timestamp, change.value)
      return { headers, body }
    case 'signature-truncate':
      setSignature(timestamp, signature.slice(0, change.keep))
      return { headers, body }
    case 'signature-other-secret':
      setSignature(timestamp, sign(change.secret, timestamp, body))
      return { headers, body }
    case 'signature-without-v1':
      headers.set('persona-signature', `t=${timestamp}`)
      return { headers, body }
    case 'header-missing':
      headers.delete('persona-signature')
      return { headers, body }
    case 'header-renamed':
      headers.delete('persona-signature')
      headers.set(change.name, header)
      return { headers, body }
    case 'header-garbage':
      headers.set('persona-signature', change.value)
      return { headers, body }
    case 'header-doubled-garbage':
      headers.set('persona-signature', change.first)
      headers.append('persona-signature', change.second)
      return { headers, body }
    case 'timestamp-shift':
      setSignature(String(Number(timestamp) + change.delta), signature)
      return { headers, body }
    case 'timestamp-stale-resigned': {
      const stale = String(Number(timestamp) + change.delta)
      setSignature(stale, sign(personaTestCredentials.webhookSecret, stale, body))
      return { headers, body }
    }
    case 'timestamp-garbage':
      setSignature(change.value, signature)
      return { headers, body }
    case 'body-flip': {
      const at = change.position % body.length
      return { headers, body: body.slice(0, at) + String.fromCharCode(change.code) + body.slice(at + 1) }
    }
    case 'body-insert': {
      const at = change.position % (body.length + 1)
      return { headers, body: body.slice(0, at) + change.text + body.slice(at) }
    }
    case 'body-delete': {
      const at = change.position % body.length
      return { headers, body: body.slice(0, at) + body.slice(at + change.length) }
    }
    case 'body-reformat':
      return { headers, body: JSON.stringify(JSON.parse(body), null, 2) }
    case 'body-replace':
      return { headers, body: JSON.stringify(change.value) ?? 'null' }
    case 'body-tamper-status': {
      const document = JSON.parse(body) as {
        data: { attributes: { payload?: { data?: { attributes?: Record<string, unknown> } } } }
      }
      const attributes = document.data.attributes.payload?.data?.attributes
      if (attributes !== undefined) attributes.status = change.status
      return { headers, body: JSON.stringify(document) }
    }
    case 'encoding-utf16':
      return { headers, body: new Uint8Array(Buffer.from(body, 'utf16le')) }
    case 'encoding-bom':
      return { headers, body: `\uFEFF${body}` }
    case 'encoding-gzip':
      headers.set('content-encoding', 'gzip')
      return { headers, body: new Uint8Array(gzipSync(body)) }
    case 'encoding-base64':
      return { headers, body: Buffer.from(body).toString('base64') }
    case 'encoding-invalid-utf8': {
      const bytes = Buffer.from(body)
      const at = change.position % (bytes.length + 1)
      return {
        headers,
        body: new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)])),
      }
    }
  }
}

function sameAsGenuine(delivery: CapturedWebhook, forged: Forged): boolean {
  const forgedBody =
    typeof forged.body === 'string' ? forged.body : Buffer.from(forged.body).toString('latin1')
  const genuineBody =
    typeof forged.body === 'string' ? delivery.rawBody : Buffer.from(delivery.rawBody).toString('latin1')
  return (
    forgedBody === genuineBody &&
    forged.headers.get('persona-signature') === new Headers(delivery.headers).get('persona-signature')
  )
}

// ── Fuzzed provider responses ────────────────────────────────────────────────────────────────────

/** Runs adapter calls against a simulator, keeping every JSON response (they carry the catalogue's personal data). */
async function recordPersona(): Promise<ResponseRecordings> {
  const recordings: ResponseRecordings = new Map()
  const simulator = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const adapter = createBenchPersona(
    { fetch: recordingFetch(simulator.fetch, recordings), now: () => simulator.clock.now() },
    { rateLimit: false, caseTemplateId: 'ctmpl_openkyc_bench' },
  )
  for (const scenario of scenarios) {
    const { applicant } = scenario
    const { verification } = await adapter.createVerification({
      subjectReference: `record-${scenario.id}`,
      prefill: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
      },
    })
    const reference = verification.reference
    await simulator.persona.resolve(String(reference.inquiryId), scenario.id, { applicant })
    await adapter.getVerification({ reference })
    await adapter.reviewVerification!({ reference, action: 'mark_for_review' }).catch(() => undefined)
  }
  const { verification } = await adapter.createVerification({ subjectReference: 'record-more' })
  await adapter.createSessionLink!({ reference: verification.reference }).catch(() => undefined)
  await adapter.simulateVerification!({ reference: verification.reference, outcome: 'approved' }).catch(
    () => undefined,
  )
  const other = (await adapter.createVerification({ subjectReference: 'record-cancel' })).verification
  await adapter.cancelVerification!({ reference: other.reference }).catch(() => undefined)
  await adapter.deleteVerificationData!({ reference: other.reference }).catch(() => undefined)
  const list = await adapter.createList!({ kind: 'email_address', name: 'fuzz' })
  await adapter.addListItems!({ listId: list.id, items: [{ value: 'blocked@example.test' }] })
  await adapter.importListItems!({
    listId: list.id,
    csv: createCsv({ header: ['value'], rows: [['a@example.test']] }),
  })
  const kycCase = await adapter.createCase!({ verifications: [verification.reference] }).catch(
    () => undefined,
  )
  if (kycCase !== undefined) {
    await adapter.setCaseStatus!({ caseId: kycCase.id, status: kycCase.status }).catch(() => undefined)
    await adapter.assignCase!({ caseId: kycCase.id, assignee: 'reviewer@example.test' }).catch(
      () => undefined,
    )
  }
  return recordings
}

async function recordJumio(): Promise<{ recordings: ResponseRecordings; callback: CapturedWebhook }> {
  const recordings: ResponseRecordings = new Map()
  const simulator = createJumioSimulator({ rateLimits: false })
  const adapter = createBenchJumio({
    fetch: recordingFetch(simulator.fetch, recordings),
    now: () => simulator.clock.now(),
  })
  for (const scenario of scenarios.filter((candidate) => candidate.id !== 'applicant_abandons')) {
    const { verification } = await adapter.createVerification({
      subjectReference: `record-${scenario.id}`,
      channel: 'api',
    })
    const { reference } = verification
    const evidence = jumioEvidenceFor(scenario)
    await adapter.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: evidence.front,
      contentType: 'image/jpeg',
    })
    await adapter.uploadCredential({
      reference,
      kind: 'selfie',
      part: 'face',
      content: evidence.selfie,
      contentType: 'image/jpeg',
    })
    await adapter.submitVerification({ reference })
    await adapter.getVerification({ reference })
  }
  await simulator.callbacksIdle()
  const message = simulator.callbacks[0]!
  const { account, workflowExecution } = JSON.parse(message.rawBody) as {
    account: { id: string }
    workflowExecution: { id: string }
  }
  await adapter.deleteVerificationData({
    reference: { accountId: account.id, workflowExecutionId: workflowExecution.id },
  })
  simulator.shutdown()
  return { recordings, callback: { headers: new Headers(message.headers), rawBody: message.rawBody } }
}

/** One adapter call, chosen by the fuzzer. */
type PersonaCall = (
  adapter: ReturnType<typeof createBenchPersona>,
  reference: VerificationReference,
) => Promise<unknown>

const applicant = scenarioById('expired_document').applicant
const personaCalls: Record<string, PersonaCall> = {
  createVerification: (adapter) =>
    adapter.createVerification({
      subjectReference: 'fuzz-subject',
      country: applicant.issuingCountry,
      prefill: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
      },
    }),
  getVerification: (adapter, reference) => adapter.getVerification({ reference }),
  simulateVerification: (adapter, reference) =>
    adapter.simulateVerification!({ reference, outcome: 'declined' }),
  createSessionLink: (adapter, reference) => adapter.createSessionLink!({ reference, expiresInSeconds: 600 }),
  cancelVerification: (adapter, reference) => adapter.cancelVerification!({ reference }),
  reviewVerification: (adapter, reference) =>
    adapter.reviewVerification!({ reference, action: 'decline', comment: 'fuzz' }),
  deleteVerificationData: (adapter, reference) => adapter.deleteVerificationData!({ reference }),
  createList: (adapter) => adapter.createList!({ kind: 'name', name: 'fuzz' }),
  addListItems: (adapter) =>
    adapter.addListItems!({
      listId: 'lst_fuzzfuzzfuzz',
      items: [{ nameFirst: applicant.firstName, nameLast: applicant.lastName }],
    }),
  importListItems: (adapter) =>
    adapter.importListItems!({
      listId: 'lst_fuzzfuzzfuzz',
      csv: createCsv({ header: ['value'], rows: [['x@example.test']] }),
    }),
  createCase: (adapter, reference) => adapter.createCase!({ verifications: [reference] }),
  setCaseStatus: (adapter) => adapter.setCaseStatus!({ caseId: 'case_fuzzfuzzfuzz', status: 'Open' }),
  assignCase: (adapter) =>
    adapter.assignCase!({ caseId: 'case_fuzzfuzzfuzz', assignee: 'reviewer@example.test' }),
}

type JumioCall = (
  adapter: ReturnType<typeof createBenchJumio>,
  reference: VerificationReference,
  callback: CapturedWebhook,
) => Promise<unknown>

const jumioEvidence = jumioEvidenceFor(scenarioById('expired_document'))
const jumioCalls: Record<string, JumioCall> = {
  createHosted: (adapter) => adapter.createVerification({ subjectReference: 'fuzz-subject', country: 'DE' }),
  createApiAndUpload: async (adapter) => {
    const { verification } = await adapter.createVerification({
      subjectReference: 'fuzz-subject',
      channel: 'api',
    })
    const { reference } = verification
    await adapter.uploadCredential({
      reference,
      kind: 'id_document',
      part: 'front',
      content: jumioEvidence.front,
      contentType: 'image/jpeg',
    })
    await adapter.uploadCredential({
      reference,
      kind: 'personal_data',
      data: {
        firstName: applicant.firstName,
        lastName: applicant.lastName,
        dateOfBirth: applicant.dateOfBirth,
      },
    })
    return adapter.submitVerification({ reference })
  },
  getVerification: (adapter, reference) => adapter.getVerification({ reference }),
  deleteVerificationData: (adapter, reference) => adapter.deleteVerificationData({ reference }),
  parseWebhook: (adapter, _reference, callback) =>
    adapter.parseWebhook({ headers: callback.headers, rawBody: callback.rawBody }),
}

type Tally = {
  runs: number
  resolved: number
  kycErrors: number
  served: { count: number }
  byCode: Map<string, number>
}

async function expectOnlyKycErrors(
  call: () => Promise<unknown>,
  tally: Tally,
  capture: ReturnType<typeof createCapture>,
) {
  tally.runs += 1
  try {
    await call()
    tally.resolved += 1
  } catch (error) {
    capture.record(error)
    if (!isKycError(error)) throw error
    tally.kycErrors += 1
    tally.byCode.set(error.code, (tally.byCode.get(error.code) ?? 0) + 1)
  }
}

function newTally(): Tally {
  return { runs: 0, resolved: 0, kycErrors: 0, served: { count: 0 }, byCode: new Map() }
}

/**
 * A clock that moves only when the adapter sleeps, so waits (backoff, Retry-After, import polling)
 * cost no real time and deadlines measured on it still arrive.
 */
function createFakeTime() {
  let now = Date.parse('2030-01-01T00:00:00.000Z')
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += Math.max(0, ms)
    },
  }
}

describe('hostile input', () => {
  it(`rejects ${forgeryRuns.toLocaleString('en-US')} forged webhook requests, every one with KycWebhookVerificationError`, async () => {
    const simulator = createPersonaSimulator({
      rateLimit: { limit: 1_000_000_000 },
      inquiryCreationQuota: false,
      webhook: { secret: personaTestCredentials.webhookSecret, apiVersion: '2025-10-27' },
    })
    const capture = createCapture()
    const adapter: KycAdapter = createBenchPersona(
      { fetch: simulator.fetch, now: () => simulator.clock.now(), logger: capture.logger },
      { handoff: 'hosted-url', rateLimit: false },
    )
    for (const scenario of scenarios.slice(0, 4)) {
      const { applicant: person } = scenario
      const { verification } = await adapter.createVerification({
        subjectReference: `forgery-${scenario.id}`,
        prefill: { firstName: person.firstName, lastName: person.lastName, dateOfBirth: person.dateOfBirth },
      })
      await simulator.persona.resolve(String(verification.reference.inquiryId), scenario.id, {
        applicant: person,
      })
    }
    await simulator.persona.webhooksIdle()
    const genuine = simulator.persona.webhooks.captured()
    const pipeline = createWebhookPipeline({ adapter, logger: capture.logger })
    // The control: every genuine delivery is accepted, so every rejection below is the forgery's doing.
    for (const delivery of genuine) await expect(pipeline.handle(delivery)).resolves.toBeDefined()

    let tried = 0
    const kinds = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(fc.nat(), forgery, fc.boolean(), async (pick, change, asRequest) => {
        const delivery = genuine[pick % genuine.length]!
        const forged = forge(delivery, change)
        fc.pre(!sameAsGenuine(delivery, forged))
        tried += 1
        kinds.set(change.kind, (kinds.get(change.kind) ?? 0) + 1)
        const input = asRequest
          ? new Request('https://app.example.test/webhooks/persona', {
              method: 'POST',
              headers: forged.headers,
              body: forged.body,
            })
          : { rawBody: forged.body, headers: forged.headers }
        const error = await pipeline.handle(input).then(
          () => undefined,
          (reason: unknown) => reason,
        )
        capture.record(error)
        expect(
          isKycError(error) && error.code === 'webhook_verification',
          `${change.kind} was not rejected as a forgery`,
        ).toBe(true)
      }),
      { numRuns: forgeryRuns, seed: 9_001, endOnFailure: true },
    )
    await drainEventLoop()
    const leaks = personalDataFound(capture)
    console.log(
      `hostile input, webhooks: ${tried.toLocaleString('en-US')} forged requests from ${genuine.length} genuine signed deliveries, ${kinds.size} kinds of forgery ` +
        `(${[...kinds.entries()].map(([kind, count]) => `${kind} ${count}`).join(', ')}); accepted 0, rejected ${tried} with KycWebhookVerificationError; ` +
        `unhandled rejections ${unhandled.length}; PII hits ${leaks.length} in ${capture.lines.length} log lines and ${capture.errors.length} errors`,
    )
    expect(tried).toBeGreaterThanOrEqual(forgeryRuns)
    expect(kinds.size).toBe(23)
    expect(unhandled).toEqual([])
    expect(leaks).toEqual([])
  })

  it(`answers ${(2 * responseRunsPerProvider).toLocaleString('en-US')} calls on fuzzed provider responses with results or KycErrors only`, async () => {
    const personaRecordings = await recordPersona()
    const { recordings: jumioRecordings, callback } = await recordJumio()
    const capture = createCapture()
    const persona = newTally()
    const jumio = newTally()

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(personaCalls)),
        fc.array(responseSpec, { minLength: 1, maxLength: 6 }),
        async (name, specs) => {
          const time = createFakeTime()
          const adapter = createBenchPersona(
            { fetch: fuzzedFetch(specs, personaRecordings, persona.served), ...time, logger: capture.logger },
            { rateLimit: false, caseTemplateId: 'ctmpl_openkyc_bench', maxRetries: 2 },
          )
          await expectOnlyKycErrors(
            () => personaCalls[name]!(adapter, { inquiryId: 'inq_fuzzfuzzfuzzfuzz' }),
            persona,
            capture,
          )
        },
      ),
      { numRuns: responseRunsPerProvider, seed: 9_002, endOnFailure: true },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(jumioCalls)),
        fc.array(responseSpec, { minLength: 1, maxLength: 6 }),
        async (name, specs) => {
          const time = createFakeTime()
          const adapter = createBenchJumio(
            { fetch: fuzzedFetch(specs, jumioRecordings, jumio.served), ...time, logger: capture.logger },
            { retries: 2, retrievalRetryDelaysMs: [1000, 2000] },
          )
          const reference = {
            accountId: '00000000-0000-4000-8000-000000000001',
            workflowExecutionId: '00000000-0000-4000-8000-000000000002',
          }
          await expectOnlyKycErrors(() => jumioCalls[name]!(adapter, reference, callback), jumio, capture)
        },
      ),
      { numRuns: responseRunsPerProvider, seed: 9_003, endOnFailure: true },
    )
    await drainEventLoop()
    const leaks = personalDataFound(capture)
    const describeTally = (tally: Tally) =>
      `${tally.runs} calls on ${tally.served.count} fuzzed responses: ${tally.resolved} results, ${tally.kycErrors} KycErrors ` +
      `(${[...tally.byCode.entries()].map(([code, count]) => `${code} ${count}`).join(', ')}), 0 other errors`
    console.log(
      `hostile input, provider responses: persona ${describeTally(persona)}; jumio ${describeTally(jumio)}; ` +
        `unhandled rejections ${unhandled.length}; PII hits ${leaks.length} in ${capture.lines.length} log lines and ${capture.errors.length} errors`,
    )
    expect(persona.runs + jumio.runs).toBe(2 * responseRunsPerProvider)
    expect(persona.served.count + jumio.served.count).toBeGreaterThanOrEqual(2 * responseRunsPerProvider)
    expect(unhandled).toEqual([])
    expect(leaks).toEqual([])
  })
})
