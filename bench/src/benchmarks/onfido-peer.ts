import { FileTransfer, WebhookEventVerifier } from '@onfido/api'
import { isKycError, type VerificationReference, verifyBodySignature } from '@openkyc/core'
import { createOnfido } from '@openkyc/onfido'
import {
  onfidoSimulatorApiToken,
  onfidoSimulatorWebhookToken,
  onfidoSimulatorWorkflowId,
  signOnfidoWebhook,
} from '@openkyc/simulator-onfido'
import { scenarioById, scenarios } from '@openkyc/testkit/catalogue'
import { createJpeg } from '@openkyc/testkit/harness'
import { compareInterleaved, describeSpread, type InterleavedResult } from '../measure.js'
import {
  createOnfidoSdk,
  createWithSdk,
  type OnfidoLoopback,
  peerFaultRates,
  readWithSdk,
  startOnfidoLoopback,
  uploadAndCheckWithSdk,
  verifyWithSdk,
} from '../onfido-peer.js'
import { createSeededRandom } from '../random.js'
import type { BenchmarkResult, Figure } from '../report.js'

/**
 * Benchmark: `@openkyc/onfido` against Onfido's own Node library (`@onfido/api`, axios), the same
 * flows against the same simulator over loopback, in alternating batches. The adapter does more
 * per request (retries, client-side rate limiting, response validation, mapping to the normalized
 * model); the goal is that it is not slower for it.
 */

/** How long each comparison runs. */
export type OnfidoPeerOptions = {
  /** Measured rounds of the hosted flow. */
  rounds?: number
  warmupRounds?: number
  /** Hosted flows per side per round. */
  batch?: number
  /** Measured rounds of the API channel (each `apiBatch` flows per side). */
  apiRounds?: number
  apiBatch?: number
  /** Measured rounds of the webhook verification (each `verificationBatch` deliveries per side). */
  verificationRounds?: number
  verificationBatch?: number
  /** Flows per side under faults. */
  faultFlows?: number
}

const goalFlowRatio = 1
const goalWebhookRatio = 1
const instantSleep = async () => {}

/**
 * A flow's goal rows, adapter ÷ SDK time (lower is better): the median of the per-round ratios on
 * wall time and on this process's CPU time (the simulator's work on both sides included, since it
 * serves both in this process), each of which must meet the goal.
 */
function flowFigures(name: string, result: InterleavedResult): Figure[] {
  return [
    {
      name: `${name}: time, adapter ÷ SDK`,
      value: result.ratio.median,
      unit: 'ratio',
      ratio: result.ratio.median,
      goal: `≤ ${goalFlowRatio.toFixed(1)}`,
      met: result.ratio.median <= goalFlowRatio,
    },
    {
      name: `${name}: CPU time, adapter ÷ SDK`,
      value: result.cpu.ratio.median,
      unit: 'ratio',
      ratio: result.cpu.ratio.median,
      goal: `≤ ${goalFlowRatio.toFixed(1)}`,
      met: result.cpu.ratio.median <= goalFlowRatio,
    },
  ]
}

/**
 * How steady a comparison was, for the notes: per-round ratios (median, IQR, extremes) on wall and
 * CPU time, the ratio of the two sides' median times and of their totals. `invert` reports
 * throughput (baseline ÷ subject) instead of time.
 */
function spreadNote(name: string, result: InterleavedResult, invert = false): string {
  const flip = (summary: InterleavedResult['ratio']): InterleavedResult['ratio'] =>
    invert
      ? {
          ...summary,
          median: 1 / summary.median,
          p10: 1 / summary.p90,
          p25: 1 / summary.p75,
          p75: 1 / summary.p25,
          p90: 1 / summary.p10,
          min: 1 / summary.max,
          max: 1 / summary.min,
        }
      : summary
  const ofMedians = (subject: number, baseline: number) => (invert ? baseline / subject : subject / baseline)
  return `${name}: per-round ratio, wall ${describeSpread(flip(result.ratio))}, CPU ${describeSpread(flip(result.cpu.ratio))}; ratio of the median times ${ofMedians(result.subjectMs.median, result.baselineMs.median).toFixed(3)} wall, ${ofMedians(result.cpu.subjectMs.median, result.cpu.baselineMs.median).toFixed(3)} CPU; of the totals ${(invert ? 1 / result.totalRatio : result.totalRatio).toFixed(3)} wall.`
}

/**
 * The adapter against the loopback simulator, over real HTTP, with nothing injected but the clock
 * source: it sends through core's default transport (on Node, `node:http` with the keep-alive global
 * agent, as axios does), as an application's adapter does.
 */
function createPeerOnfido(loopback: Pick<OnfidoLoopback, 'url'>, sleep?: (ms: number) => Promise<void>) {
  return createOnfido({
    apiToken: onfidoSimulatorApiToken,
    workflowId: onfidoSimulatorWorkflowId,
    webhookTokens: [onfidoSimulatorWebhookToken],
    baseUrl: `${loopback.url}/v3.6`,
    // Onfido's 400 requests a minute would pace the benchmark, not measure it; the SDK has no budget.
    rateLimit: false,
    env: {},
    ...(sleep === undefined ? {} : { sleep }),
  })
}

/**
 * Setup work (the pool of decided runs, the counts afterwards) never runs with faults on, but a
 * connection the fault phase reset may still fail one call: such a call is repeated, so a stray
 * reset cannot end the run.
 */
async function setupStep<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= 5) throw error
    }
  }
}

/** How many times an application tries each step of a flow before it gives up (both sides alike). */
const applicationAttempts = 5

/** The requests one call of `work` sends to the loopback server, as counted there. */
async function requestsOf(loopback: OnfidoLoopback, work: () => Promise<unknown>): Promise<number> {
  const before = loopback.counts.requests
  await work()
  return loopback.counts.requests - before
}

/** Applicants in the simulator by first name (the fault phase names each side's applicants apart). */
async function countApplicantsByFirstName(loopback: OnfidoLoopback): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  const sdk = createOnfidoSdk(loopback.url)
  for (let page = 1; ; page += 1) {
    const { applicants } = (await setupStep(() => sdk.listApplicants(page, 500, false))).data
    for (const { first_name: name = '' } of applicants) counts.set(name, (counts.get(name) ?? 0) + 1)
    if (applicants.length < 500) return counts
  }
}

function ids(reference: VerificationReference): { applicantId: string; workflowRunId: string } {
  return { applicantId: String(reference.applicantId), workflowRunId: String(reference.workflowRunId) }
}

/**
 * Outcome tally of flows run under faults: flows completed or abandoned (a step failed
 * {@link applicationAttempts} times), and every failure the application saw, by error name.
 */
type FaultTally = { flows: number; completed: number; abandoned: number; errors: Map<string, number> }

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : error instanceof Error
      ? error.name
      : 'unknown'
}

function failuresSeen(tally: FaultTally): number {
  return [...tally.errors.values()].reduce((total, count) => total + count, 0)
}

function describeTally(tally: FaultTally): string {
  const errors = [...tally.errors.entries()]
    .sort((left, right) => right[1] - left[1])
    .map(([name, count]) => `${count} ${name}`)
    .join(', ')
  return `${tally.completed}/${tally.flows} completed, ${tally.abandoned} abandoned; failures seen: ${errors || 'none'}`
}

/** One step as an application runs it under faults: repeated on any failure, up to a limit. */
async function applicationStep<T>(tally: FaultTally, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step()
    } catch (error) {
      const name = errorName(error)
      tally.errors.set(name, (tally.errors.get(name) ?? 0) + 1)
      if (attempt >= applicationAttempts) throw error
    }
  }
}

export async function runOnfidoPeer(options: OnfidoPeerOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rounds = options.rounds ?? 40
  const warmupRounds = options.warmupRounds ?? 4
  const batch = options.batch ?? 8
  const apiRounds = options.apiRounds ?? 40
  const apiBatch = options.apiBatch ?? 4
  // Many short rounds: a verification is microseconds, so a round of 1,000 lasts a few milliseconds and
  // another process's time slice spoils fewer of them than of long rounds.
  const verificationRounds = options.verificationRounds ?? 120
  const verificationBatch = options.verificationBatch ?? 1000
  const faultFlows = options.faultFlows ?? 100
  const notes: string[] = []
  const figures: Figure[] = []
  const loopback = await startOnfidoLoopback()
  const { simulator } = loopback
  const adapter = createPeerOnfido(loopback)
  const sdk = createOnfidoSdk(loopback.url)
  const approve = scenarioById('clean_approve').applicant

  try {
    // Hosted flow: start a verification (applicant + Studio run), read a decided one with its evidence.
    const pool: VerificationReference[] = []
    for (const scenario of scenarios) {
      const { verification } = await setupStep(() =>
        adapter.createVerification({
          subjectReference: `peer-pool-${scenario.id}`,
          prefill: { firstName: scenario.applicant.firstName, lastName: scenario.applicant.lastName },
        }),
      )
      if (scenario.id !== 'applicant_abandons') {
        await simulator.resolve(ids(verification.reference).workflowRunId)
      }
      pool.push(verification.reference)
    }
    const hostedSubject = async (index: number) => {
      await adapter.createVerification({
        subjectReference: `peer-adapter-${index}`,
        prefill: {
          firstName: approve.firstName,
          lastName: approve.lastName,
          dateOfBirth: approve.dateOfBirth,
        },
      })
      await adapter.getVerification({ reference: pool[index % pool.length]! })
    }
    const hostedBaseline = async (index: number) => {
      await createWithSdk(sdk, approve, `peer-sdk-${index}`)
      await readWithSdk(sdk, ids(pool[index % pool.length]!))
    }
    const hostedRequests = {
      subject: await requestsOf(loopback, () => hostedSubject(0)),
      baseline: await requestsOf(loopback, () => hostedBaseline(0)),
    }
    const hosted = await compareInterleaved({
      subject: hostedSubject,
      baseline: hostedBaseline,
      rounds,
      warmupRounds,
      batch,
    })
    figures.push(
      ...flowFigures(
        'hosted flow (create applicant + run, read a decided run with checks and reports)',
        hosted,
      ),
      {
        name: 'hosted flow: one flow (median)',
        value: hosted.subjectMs.median,
        unit: 'ms',
        baseline: hosted.baselineMs.median,
        ratio: hosted.subjectMs.median / hosted.baselineMs.median,
      },
    )

    // API channel: upload a document and a live photo, then a classic check, read back.
    const documentImage = createJpeg({ width: 800, height: 520 })
    const selfieImage = createJpeg({ width: 600, height: 800 })
    const evidence = { document: Buffer.from(documentImage), livePhoto: Buffer.from(selfieImage) }
    const apiSubject = async (index: number) => {
      const { verification } = await adapter.createVerification({
        subjectReference: `peer-api-adapter-${index}`,
        channel: 'api',
        prefill: { firstName: approve.firstName, lastName: approve.lastName },
      })
      const { reference } = verification
      await adapter.uploadCredential!({
        reference,
        kind: 'id_document',
        part: 'front',
        documentType: 'passport',
        content: documentImage,
        contentType: 'image/jpeg',
      })
      await adapter.uploadCredential!({
        reference,
        kind: 'selfie',
        part: 'face',
        content: selfieImage,
        contentType: 'image/jpeg',
      })
      // submitVerification answers with the verification read back after the check (status, checks,
      // reports): the same read the SDK side makes with findCheck + listReports, so no second read.
      const submitted = await adapter.submitVerification!({ reference })
      if (submitted.status === 'created') throw new Error('the API-channel check was not submitted')
    }
    const apiBaseline = async () => {
      const applicant = await sdk.createApplicant({
        first_name: approve.firstName,
        last_name: approve.lastName,
      })
      await uploadAndCheckWithSdk(sdk, applicant.data.id, evidence)
    }
    const apiRequests = {
      subject: await requestsOf(loopback, () => apiSubject(0)),
      baseline: await requestsOf(loopback, apiBaseline),
    }
    const apiChannel = await compareInterleaved({
      subject: apiSubject,
      baseline: apiBaseline,
      rounds: apiRounds,
      warmupRounds,
      batch: apiBatch,
    })
    figures.push(
      ...flowFigures('API channel (applicant, document + live photo upload, check, read)', apiChannel),
      {
        name: 'API channel: one flow (median)',
        value: apiChannel.subjectMs.median,
        unit: 'ms',
        baseline: apiChannel.baselineMs.median,
        ratio: apiChannel.subjectMs.median / apiChannel.baselineMs.median,
      },
    )

    // Webhooks: genuine signed deliveries from the simulator's log.
    await simulator.deliveriesIdle()
    const deliveries = simulator.deliveries.map((message) => ({
      headers: new Headers(message.headers),
      rawBody: message.rawBody,
      signature: message.headers['X-SHA2-Signature'] ?? '',
      action: (JSON.parse(message.rawBody) as { payload: { action: string } }).payload.action,
    }))
    const verifier = new WebhookEventVerifier(onfidoSimulatorWebhookToken)
    // 1. The verification itself: what @openkyc/onfido runs on every delivery (core's verifyBodySignature,
    //    hex, the configured tokens) and JSON.parse, against the SDK's readPayload (HMAC, timingSafeEqual, JSON.parse).
    const verification = await compareInterleaved({
      subject: async (index) => {
        const delivery = deliveries[index % deliveries.length]!
        await verifyBodySignature({
          header: delivery.headers.get('x-sha2-signature'),
          rawBody: delivery.rawBody,
          secrets: [onfidoSimulatorWebhookToken],
          encoding: 'hex',
        })
        JSON.parse(delivery.rawBody)
      },
      // Both sides read the header from the same Headers object, as a receiver does.
      baseline: async (index) => {
        const delivery = deliveries[index % deliveries.length]!
        verifyWithSdk(verifier, delivery.rawBody, delivery.headers.get('x-sha2-signature') ?? '')
      },
      rounds: verificationRounds,
      warmupRounds,
      batch: verificationBatch,
    })
    const verificationRatio = 1 / verification.ratio.median
    const verificationCpuRatio = 1 / verification.cpu.ratio.median
    figures.push(
      {
        name: 'webhook signature verification + JSON.parse: deliveries/s, as @openkyc/onfido runs it (core verifyBodySignature)',
        value: 1000 / verification.subjectMs.median,
        unit: 'deliveries/s',
        baseline: 1000 / verification.baselineMs.median,
      },
      {
        name: "webhook signature verification: throughput, @openkyc/onfido's verifier ÷ SDK's WebhookEventVerifier",
        value: verificationRatio,
        unit: 'ratio',
        ratio: verificationRatio,
        goal: `≥ ${goalWebhookRatio.toFixed(1)}`,
        met: verificationRatio >= goalWebhookRatio,
      },
      {
        name: "webhook signature verification: throughput on CPU time, @openkyc/onfido's verifier ÷ SDK's WebhookEventVerifier",
        value: verificationCpuRatio,
        unit: 'ratio',
        ratio: verificationCpuRatio,
        goal: `≥ ${goalWebhookRatio.toFixed(1)}`,
        met: verificationCpuRatio >= goalWebhookRatio,
      },
    )
    // 2. Handling an event to an authoritative state: parseWebhook (verify, read back, normalize) against
    //    the SDK's readPayload plus the read-back an SDK application needs before acting (findWorkflowRun).
    const runEvents = deliveries.filter((delivery) => delivery.action === 'workflow_run.completed')
    const parseRequests = {
      run: await requestsOf(loopback, () =>
        adapter.parseWebhook({ headers: runEvents[0]!.headers, rawBody: runEvents[0]!.rawBody }),
      ),
      task: await requestsOf(loopback, async () => {
        const task = deliveries.find((delivery) => delivery.action.startsWith('workflow_task.'))!
        await adapter.parseWebhook({ headers: task.headers, rawBody: task.rawBody })
      }),
    }
    const handling = await compareInterleaved({
      subject: async (index) => {
        const delivery = runEvents[index % runEvents.length]!
        await adapter.parseWebhook({ headers: delivery.headers, rawBody: delivery.rawBody })
      },
      baseline: async (index) => {
        const delivery = runEvents[index % runEvents.length]!
        const event = verifyWithSdk(verifier, delivery.rawBody, delivery.signature) as {
          payload: { object: { id: string } }
        }
        await sdk.findWorkflowRun(event.payload.object.id)
      },
      rounds: Math.max(4, Math.round(rounds / 2)),
      warmupRounds: 1,
      batch,
    })
    figures.push({
      name: 'workflow_run.completed handled to an authoritative state: time, parseWebhook ÷ (SDK readPayload + findWorkflowRun) (context)',
      value: handling.ratio.median,
      unit: 'ratio',
      ratio: handling.ratio.median,
    })
    // Forged signatures: what each side throws (an application needs one error type to answer 401 with).
    const genuine = runEvents[0]!
    const forgedSignatures = ['', 'abc', 'zz'.repeat(32), signOnfidoWebhook(genuine.rawBody, 'another-token')]
    const thrownBy = async (work: () => unknown) => {
      try {
        await work()
        return 'accepted'
      } catch (error) {
        return isKycError(error) ? error.code : error instanceof Error ? error.constructor.name : typeof error
      }
    }
    const forgedOutcomes: string[] = []
    for (const signature of forgedSignatures) {
      const headers = new Headers(genuine.headers)
      headers.set('x-sha2-signature', signature)
      const adapterOutcome = await thrownBy(() => adapter.parseWebhook({ headers, rawBody: genuine.rawBody }))
      const sdkOutcome = await thrownBy(() => verifyWithSdk(verifier, genuine.rawBody, signature))
      forgedOutcomes.push(
        `${signature === '' ? 'empty' : signature.length === 64 ? (/^z/.test(signature) ? '64 non-hex' : 'wrong token') : 'short'}: adapter ${adapterOutcome}, SDK ${sdkOutcome}`,
      )
    }
    notes.push(`Forged X-SHA2-Signature values: ${forgedOutcomes.join('; ')}.`)
    const averageBytes =
      deliveries.reduce((total, delivery) => total + delivery.rawBody.length, 0) / deliveries.length
    notes.push(
      `Requests per flow: hosted ${hostedRequests.subject} through the adapter, ${hostedRequests.baseline} through the SDK; API channel ${apiRequests.subject} through the adapter, ${apiRequests.baseline} through the SDK (counted at the loopback server).`,
      `Webhooks: ${deliveries.length} genuine deliveries (workflow_task.* and workflow_run.completed, ${Math.round(averageBytes)} bytes on average). Verification row: ${verificationRounds} rounds of ${verificationBatch} per side. parseWebhook reads Onfido back before it reports a state (${parseRequests.run} requests for a workflow_run.completed, ${parseRequests.task} for a task event), so its deliveries/s are bounded by HTTP round trips, not by verification: ${Math.round(1000 / handling.subjectMs.median)} workflow_run.completed deliveries/s through parseWebhook against ${Math.round(1000 / handling.baselineMs.median)}/s for the SDK's verify + findWorkflowRun.`,
    )
    notes.push(
      `Spread — ${spreadNote('hosted flow', hosted)} ${spreadNote('API channel', apiChannel)} ${spreadNote('webhook verification (throughput, SDK ÷ ours in time)', verification, true)}`,
      `${rounds} measured rounds (after ${warmupRounds} warm-up) of ${batch} hosted flows per side, ${apiRounds} of ${apiBatch} API-channel flows, ${verificationRounds} of ${verificationBatch} webhook verifications; sides alternating first; each goal figure is the median of the per-round ratios, on wall time and on this process's CPU time (the in-process simulator's work for both sides included). The simulator decides runs outside the timed part (a pool of ${pool.length} runs, one per catalogue scenario, is read in turn).`,
      'Hosted flow through the SDK: createApplicant, createWorkflowRun, then findWorkflowRun, listChecks and listReports per check (what an application needs for the outcome and its evidence). Through the adapter: createVerification and getVerification, which also validate, retry and map.',
      'API channel through the SDK: createApplicant, uploadDocument, uploadLivePhoto, createCheck (document + facial_similarity_photo), findCheck, listReports. Through the adapter: createVerification({channel: "api"}), uploadCredential twice (each multipart body sent as its head, the file and its tail, the file not copied), submitVerification, which for an applicant this adapter created and has requested no check for sends createCheck, then the check and its reports together, and answers with the mapped verification (the SDK side\'s findCheck + listReports). A repeated submit (or one from another instance) lists the checks first, so it never starts a second paid check: see the rows under faults.',
      "Both clients talk HTTP to the same simulator on 127.0.0.1: the adapter through core's default transport (nothing injected: node:http and its keep-alive agent on Node), the SDK through axios (node:http too). Onfido's 400 requests a minute are off on the adapter side (they would pace the run); the SDK has no budget.",
    )

    // Under faults: the same flows with 10 % 5xx, 5 % 429 + Retry-After, 2 % resets (before the vendor
    // acts), and 10 % of POST /checks answers lost after the simulator created the check. Each side runs
    // on the same seeded sequence, one after the other, as an application would: every step is repeated
    // on a failure, up to 5 attempts, and a flow whose step still fails is abandoned.
    const adapterWithRetries = createPeerOnfido(loopback, instantSleep)
    const lostCheckAnswers = {
      share: 0.1,
      matches: (request: { method: string; url: string }) =>
        request.method === 'POST' && new URL(request.url).pathname.endsWith('/checks'),
    }
    const underFaults = async (flow: (tally: FaultTally, index: number) => Promise<void>) => {
      const tally: FaultTally = { flows: faultFlows, completed: 0, abandoned: 0, errors: new Map() }
      const before = { ...loopback.counts }
      loopback.setFaults(peerFaultRates, createSeededRandom(15), lostCheckAnswers)
      try {
        for (let index = 0; index < faultFlows; index += 1) {
          try {
            await flow(tally, index)
            tally.completed += 1
          } catch {
            tally.abandoned += 1
          }
        }
      } finally {
        loopback.setFaults(undefined)
      }
      const counts = loopback.counts
      const injected =
        counts.serverError -
        before.serverError +
        counts.rateLimited -
        before.rateLimited +
        counts.connectionReset -
        before.connectionReset +
        counts.lostResponse -
        before.lostResponse
      return { tally, requests: counts.requests - before.requests, injected }
    }
    const adapterHosted = await underFaults(async (tally, index) => {
      await applicationStep(tally, () =>
        adapterWithRetries.createVerification({
          subjectReference: `peer-fault-adapter-${index}`,
          prefill: { firstName: 'Adapterflow', lastName: approve.lastName },
        }),
      )
      await applicationStep(tally, () =>
        adapterWithRetries.getVerification({ reference: pool[index % pool.length]! }),
      )
    })
    const sdkHosted = await underFaults(async (tally, index) => {
      const applicant = await applicationStep(tally, () =>
        sdk.createApplicant({ first_name: 'Sdkflow', last_name: approve.lastName }),
      )
      await applicationStep(tally, () =>
        sdk.createWorkflowRun({
          workflow_id: onfidoSimulatorWorkflowId,
          applicant_id: applicant.data.id,
          customer_user_id: `peer-fault-sdk-${index}`,
        }),
      )
      await applicationStep(tally, () => readWithSdk(sdk, ids(pool[index % pool.length]!)))
    })
    const apiApplicants = { adapter: [] as string[], sdk: [] as string[] }
    const adapterApi = await underFaults(async (tally, index) => {
      const { verification } = await applicationStep(tally, () =>
        adapterWithRetries.createVerification({
          subjectReference: `peer-fault-api-adapter-${index}`,
          channel: 'api',
          prefill: { firstName: 'Adapterapi', lastName: approve.lastName },
        }),
      )
      apiApplicants.adapter.push(verification.id)
      const { reference } = verification
      for (const upload of [
        { kind: 'id_document', part: 'front', documentType: 'passport', content: documentImage },
        { kind: 'selfie', part: 'face', content: selfieImage },
      ] as const) {
        await applicationStep(tally, () =>
          adapterWithRetries.uploadCredential!({ reference, ...upload, contentType: 'image/jpeg' }),
        )
      }
      await applicationStep(tally, () => adapterWithRetries.submitVerification!({ reference }))
    })
    const sdkApi = await underFaults(async (tally) => {
      const applicant = await applicationStep(tally, () =>
        sdk.createApplicant({ first_name: 'Sdkapi', last_name: approve.lastName }),
      )
      const applicantId = applicant.data.id
      apiApplicants.sdk.push(applicantId)
      await applicationStep(tally, () =>
        sdk.uploadDocument('passport', applicantId, new FileTransfer(evidence.document, 'front.jpg')),
      )
      await applicationStep(tally, () =>
        sdk.uploadLivePhoto(applicantId, new FileTransfer(evidence.livePhoto, 'selfie.jpg')),
      )
      const check = await applicationStep(tally, () =>
        sdk.createCheck({ applicant_id: applicantId, report_names: ['document', 'facial_similarity_photo'] }),
      )
      await applicationStep(tally, () => sdk.findCheck(check.data.id))
      await applicationStep(tally, () => sdk.listReports(check.data.id))
    })
    /** Applicants of a side that hold more than one check: a second paid check for one verification. */
    const extraChecks = async (applicantIds: readonly string[]) => {
      let extra = 0
      for (const applicantId of applicantIds) {
        const { checks } = (await setupStep(() => sdk.listChecks(applicantId))).data
        extra += Math.max(0, checks.length - 1)
      }
      return extra
    }
    const duplicateChecks = {
      adapter: await extraChecks(apiApplicants.adapter),
      sdk: await extraChecks(apiApplicants.sdk),
    }
    const applicantsBy = await countApplicantsByFirstName(loopback)
    figures.push(
      {
        name: 'under faults, hosted flow: flows completed (the application repeats a failed step up to 5 times)',
        value: adapterHosted.tally.completed / faultFlows,
        unit: 'share',
        baseline: sdkHosted.tally.completed / faultFlows,
      },
      {
        name: 'under faults, hosted flow: failures the application saw, per flow',
        value: failuresSeen(adapterHosted.tally) / faultFlows,
        unit: 'per flow',
        baseline: failuresSeen(sdkHosted.tally) / faultFlows,
      },
      {
        name: 'under faults, API channel: flows completed (the application repeats a failed step up to 5 times)',
        value: adapterApi.tally.completed / faultFlows,
        unit: 'share',
        baseline: sdkApi.tally.completed / faultFlows,
      },
      {
        name: 'under faults, API channel: failures the application saw, per flow',
        value: failuresSeen(adapterApi.tally) / faultFlows,
        unit: 'per flow',
        baseline: failuresSeen(sdkApi.tally) / faultFlows,
      },
      {
        name: 'under faults, API channel: second checks started for one verification (lost POST /checks answers, then repeated)',
        value: duplicateChecks.adapter,
        unit: 'checks',
        baseline: duplicateChecks.sdk,
      },
    )
    const sideNote = (side: string, run: Awaited<ReturnType<typeof underFaults>>) =>
      `${side}: ${describeTally(run.tally)} (${run.requests} requests, ${run.injected} faults met)`
    notes.push(
      `Under faults (${faultFlows} flows per side and flow, seeded: 10 % 5xx, 5 % 429 + Retry-After, 2 % resets, answered before the simulator acts, plus 10 % of POST /checks answers lost after the simulator created the check; the application repeats a failed step at once, up to ${applicationAttempts} attempts, on both sides). Hosted flow — ${sideNote('adapter', adapterHosted)}; ${sideNote('SDK', sdkHosted)}. API channel — ${sideNote('adapter', adapterApi)}; ${sideNote('SDK', sdkApi)}. Second checks for one applicant: adapter ${duplicateChecks.adapter}, SDK ${duplicateChecks.sdk}. Hosted applicants left in Onfido: adapter ${applicantsBy.get('Adapterflow') ?? 0}, SDK ${applicantsBy.get('Sdkflow') ?? 0} for ${faultFlows} flows each.`,
      'The SDK has no retry or backoff: every fault reaches the application as a raw AxiosError (ERR_BAD_RESPONSE for 5xx, ERR_BAD_REQUEST for 429, ECONNRESET), the 429 without its Retry-After read, and a repeated createCheck after a lost answer starts a second paid check. The adapter repeats what is safe to repeat (every GET, and any request refused with 429) and reports the rest as retryable KycErrors (provider_unavailable, rate_limited); its submitVerification, repeated after a lost answer, finds the check it created instead of starting another.',
    )
  } finally {
    await loopback.close()
  }
  return {
    id: 'onfido-peer',
    title: "Onfido: @openkyc/onfido vs. Onfido's official Node library (@onfido/api)",
    baseline: '@onfido/api 6.2.0 (axios) sending the equivalent requests to the same simulator over loopback',
    figures,
    notes,
    durationSeconds: (performance.now() - started) / 1000,
  }
}
