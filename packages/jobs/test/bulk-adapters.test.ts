import { createJumio } from '@openkyc/jumio'
import { createOnfido } from '@openkyc/onfido'
import { createJumioSimulator } from '@openkyc/simulator-jumio'
import {
  createOnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { createJpeg, createSimulatorClock } from '@openkyc/testkit/harness'
import { describe, expect, it } from 'vitest'
import {
  type BulkAdapter,
  type BulkItem,
  type BulkItemResult,
  createBulkRuns,
  createClusterRateLimiter,
  vendorStartLimits,
} from '../src/index.js'
import { testDatabases, useJobs } from './databases.js'
import { jumioTestSettings, personaPair } from './providers.js'

/** Waits until every item of the batch has finished, then reads every result. */
async function finished(bulk: ReturnType<typeof createBulkRuns>, batchId: string) {
  await expect
    .poll(async () => (await bulk.status(batchId))?.remaining, { timeout: 120_000, interval: 250 })
    .toBe(0)
  const results: BulkItemResult[] = []
  for await (const result of bulk.results(batchId)) results.push(result)
  return results
}

/** The evidence store `loadEvidence` reads: a document and a selfie, by name. */
const evidenceFiles = new Map([
  ['document-front.jpg', createJpeg({ width: 800, height: 520 })],
  ['selfie.jpg', createJpeg({ width: 600, height: 800 })],
])
const loadEvidence = async (source: string) => {
  const content = evidenceFiles.get(source)
  if (content === undefined) throw new Error(`no evidence named ${source}`)
  return content
}
const evidence: NonNullable<BulkItem['request']>['evidence'] = [
  {
    kind: 'id_document',
    part: 'front',
    documentType: 'passport',
    country: 'GB',
    contentType: 'image/jpeg',
    source: 'document-front.jpg',
  },
  { kind: 'selfie', part: 'face', contentType: 'image/jpeg', source: 'selfie.jpg' },
]

describe.each(testDatabases())('bulk runs with every adapter on $name', (target) => {
  const { open, closeAfterAll } = useJobs(target)

  it('runs Onfido (hosted and API channel with evidence) and Jumio items through the common interface, each subject once', async () => {
    const jobs = await open()
    // Onfido's 400 requests a minute, scaled to 6 s; Jumio's documented limits in its simulator, and its
    // one transaction start a second as the adapter's cluster-wide transactionRateLimit.
    const onfidoWindowMs = 6_000
    const onfidoSimulator = createOnfidoSimulator({
      clock: createSimulatorClock({ mode: 'real' }),
      rateLimit: { limit: 400, windowMs: onfidoWindowMs },
    })
    const onfido = createOnfido({
      apiToken: onfidoSimulatorApiToken,
      workflowId: onfidoSimulatorWorkflowId,
      webhookTokens: [onfidoSimulatorWebhookToken],
      env: {},
      fetch: onfidoSimulator.fetch,
      rateLimit: createClusterRateLimiter({
        jobs,
        key: 'onfido',
        limit: { requests: 400, intervalMs: onfidoWindowMs },
      }),
      maxRetries: 0, // a 5xx reaches the job, which retries the item
    })
    // Jumio's one initiation a second, strictly: a token bucket with no burst.
    const jumioSimulator = createJumioSimulator({
      clock: createSimulatorClock({ mode: 'real' }),
      rateLimits: { initiation: { ratePerSecond: 1, burst: 1 } },
    })
    const jumio = createJumio({
      ...jumioTestSettings,
      transactionRateLimit: createClusterRateLimiter({
        jobs,
        key: 'jumio:starts',
        limit: vendorStartLimits.jumio,
        marginMs: 250, // a loaded 2-core machine delays a start by up to this on its way to the simulator
      }),
      env: {},
      fetch: jumioSimulator.fetch,
    })
    const persona = personaPair({ webhooks: false })
    const bulk = createBulkRuns({
      jobs,
      adapters: { onfido, jumio, persona: persona.adapter },
      loadEvidence,
      retryLimit: 3,
    })
    // The first check creation answers 503 once: the API item is retried, resumes on the applicant it
    // recorded (its uploads done), and never creates a second applicant or check.
    onfidoSimulator.failNext({ status: 503, match: { method: 'POST', path: /\/checks$/ } })
    const items: BulkItem[] = [
      ...[1, 2, 3].map((index) => ({
        provider: 'onfido',
        subjectReference: `onfido-hosted-${index}`,
        request: { prefill: { firstName: 'Ada', lastName: `Hosted${index}` } },
      })),
      ...[1, 2].map((index) => ({
        provider: 'onfido',
        subjectReference: `onfido-api-${index}`,
        request: {
          channel: 'api' as const,
          prefill: { firstName: 'Ada', lastName: `Api${index}` },
          evidence,
        },
      })),
      ...[1, 2, 3].map((index) => ({ provider: 'jumio', subjectReference: `jumio-${index}` })),
      // Persona declares no API channel: refused before any request.
      {
        provider: 'persona',
        subjectReference: 'persona-api',
        request: { channel: 'api' as const, evidence },
      },
    ]
    const stop = await bulk.work({ concurrency: 4, pollingIntervalSeconds: 0.25 })
    closeAfterAll(stop)
    const { batchId } = await bulk.submit(items)
    const results = await finished(bulk, batchId)

    expect(
      results.map(({ subjectReference, state, errorCode }) => ({ subjectReference, state, errorCode })),
    ).toEqual([
      ...items
        .slice(0, -1)
        .map((item) => ({ subjectReference: item.subjectReference, state: 'done', errorCode: undefined })),
      { subjectReference: 'persona-api', state: 'failed', errorCode: 'unsupported_capability' },
    ])
    const byProvider = (provider: string) => results.filter((result) => result.provider === provider)
    // Hosted items hand back a link; API items were submitted (their evidence is in).
    expect(
      byProvider('onfido')
        .slice(0, 3)
        .every((result) => result.sessionUrl !== undefined),
    ).toBe(true)
    expect(
      byProvider('onfido')
        .slice(3)
        .map((result) => result.verificationStatus),
    ).toEqual([
      expect.stringMatching(/^(submitted|completed)$/),
      expect.stringMatching(/^(submitted|completed)$/),
    ])
    // One API item needed a second attempt, on the verification it had recorded.
    expect(
      byProvider('onfido')
        .slice(3)
        .map((result) => result.attempts)
        .sort(),
    ).toEqual([1, 2])

    // The simulators' own records: one applicant per Onfido item, one check and two uploads per API
    // item, one workflow run per hosted item, one execution per Jumio item; no 429 anywhere.
    const created = (simulator: typeof onfidoSimulator, path: RegExp) =>
      simulator.requests.filter(
        (request) => request.method === 'POST' && path.test(request.path) && request.status === 201,
      ).length
    expect(created(onfidoSimulator, /\/applicants$/)).toBe(5)
    expect(created(onfidoSimulator, /\/checks$/)).toBe(2)
    expect(created(onfidoSimulator, /\/(documents|live_photos)$/)).toBe(4)
    expect(onfidoSimulator.runs()).toHaveLength(3)
    expect(new Set(jumioSimulator.executions().map((execution) => execution.workflowExecutionId))).toEqual(
      new Set(byProvider('jumio').map((result) => result.verificationId)),
    )
    expect(jumioSimulator.executions()).toHaveLength(3)
    for (const simulator of [onfidoSimulator, jumioSimulator]) {
      expect(simulator.requests.filter((request) => request.status === 429)).toEqual([])
    }
    expect(persona.simulator.requests).toEqual([])
  }, 240_000)

  it('never repeats a cut-off call to a provider without idempotency keys, but repeats one whose wait timed out before any call', async () => {
    const jobs = await open()
    const calls: string[] = []
    // Two providers without idempotency keys. `jumio`'s start limiter makes its first wait outlast the
    // item's deadline: nothing was called, so the retry calls. `onfido`'s call is cut off (no answer): it
    // may have created something, so it is not repeated.
    let waits = 0
    const slowFirstWait = {
      async acquire(signal?: AbortSignal) {
        waits += 1
        if (waits === 1) {
          await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))
        }
      },
    }
    const adapter: BulkAdapter = {
      async createVerification(options) {
        calls.push(options.subjectReference)
        if (options.subjectReference === 'cut-off') {
          throw new TypeError('fetch failed') // the connection died mid-call
        }
        return {
          verification: {
            id: `applicant-${options.subjectReference}`,
            provider: 'onfido',
            reference: { applicantId: options.subjectReference },
            status: 'created',
            checks: [],
            credentials: [],
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            raw: { status: 'created' },
          },
        }
      },
    }
    const bulk = createBulkRuns({
      jobs,
      retryLimit: 2,
      itemTimeoutMs: 1_000,
      startLimiters: { jumio: slowFirstWait },
      adapters: { onfido: adapter, jumio: adapter },
    })
    const stop = await bulk.work({ concurrency: 1, pollingIntervalSeconds: 0.25 })
    closeAfterAll(stop)
    const { batchId } = await bulk.submit([
      { provider: 'jumio', subjectReference: 'waited' },
      { provider: 'onfido', subjectReference: 'cut-off' },
    ])
    const results = await finished(bulk, batchId)
    expect(results.map(({ state, errorCode, attempts }) => ({ state, errorCode, attempts }))).toEqual([
      { state: 'done', errorCode: undefined, attempts: 2 },
      { state: 'failed', errorCode: 'outcome_unknown', attempts: 2 },
    ])
    expect(calls.sort()).toEqual(['cut-off', 'waited'])
  }, 240_000)
})
