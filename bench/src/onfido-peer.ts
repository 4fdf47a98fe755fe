import type { AddressInfo } from 'node:net'
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server'
import { Configuration, DefaultApi, FileTransfer, type WebhookEventVerifier } from '@onfido/api'
import {
  createOnfidoSimulator,
  type OnfidoSimulator,
  onfidoSimulatorApiToken,
  onfidoSimulatorWorkflowId,
} from '@openkyc/simulator-onfido'
import { type FaultRates, soakFaultRates } from './fault-injection.js'
import { pick } from './random.js'

/**
 * The peer of `@openkyc/onfido`: Onfido's official Node library (`@onfido/api`, generated from the
 * same OpenAPI spec, axios underneath), driven against the Onfido simulator over loopback. Both
 * clients talk HTTP to the same server, so the comparison includes each one's real transport.
 */

/** What the server in front of the simulator injected, by kind. */
export type LoopbackFaultCounts = {
  requests: number
  serverError: number
  rateLimited: number
  connectionReset: number
  /** Requests the simulator acted on whose answer was then lost (the connection reset). */
  lostResponse: number
}

/**
 * Answers lost after the simulator acted on the request: the hard case for a POST that takes no
 * idempotency key, since repeating it may act twice.
 */
export type LostResponses = {
  /** The share of matching requests whose answer is lost. */
  share: number
  /** Which requests (method and URL only: the body is the simulator's to read). */
  matches: (request: { method: string; url: string }) => boolean
}

/** The simulator on 127.0.0.1 behind a server that can fail a seeded share of requests. */
export type OnfidoLoopback = {
  simulator: OnfidoSimulator
  /** `http://127.0.0.1:PORT`, the API is under `/v3.6`. */
  url: string
  readonly counts: LoopbackFaultCounts
  /**
   * Switches faults on (with these rates and this random source) or off (`undefined`); `lost` also
   * loses the answers of a share of matching requests after the simulator acted on them.
   */
  setFaults(rates: FaultRates | undefined, random?: () => number, lost?: LostResponses): void
  close(): Promise<void>
}

/**
 * Serves an Onfido simulator on 127.0.0.1 (port 0) behind a thin server that, when faults are on,
 * answers a seeded share of requests with 500/502/503/504, 429 + `Retry-After`, or a reset socket
 * before the simulator sees them, and (when asked) loses the answer of a share of chosen requests
 * after the simulator acted on them. Both the adapter (`fetch`) and the SDK (axios) see the same faults.
 *
 * @example
 * ```ts
 * const loopback = await startOnfidoLoopback()
 * loopback.setFaults(soakFaultRates, createSeededRandom(7))
 * ```
 */
export async function startOnfidoLoopback(): Promise<OnfidoLoopback> {
  const simulator = createOnfidoSimulator({ rateLimit: false })
  const counts: LoopbackFaultCounts = {
    requests: 0,
    serverError: 0,
    rateLimited: 0,
    connectionReset: 0,
    lostResponse: 0,
  }
  let rates: FaultRates | undefined
  let lost: LostResponses | undefined
  let random: () => number = Math.random
  const errorBody = (status: number, type: string) =>
    Response.json({ error: { type, message: `Simulated failure (${status})`, fields: {} } }, { status })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve(
      {
        hostname: '127.0.0.1',
        port: 0,
        fetch: async (request: Request, bindings: HttpBindings | Http2Bindings) => {
          counts.requests += 1
          if (rates !== undefined) {
            let draw = random()
            if (draw < rates.serverError) {
              counts.serverError += 1
              const status = pick([500, 502, 503, 504], random)
              return errorBody(status, 'internal_server_error')
            }
            draw -= rates.serverError
            if (draw < rates.rateLimited) {
              counts.rateLimited += 1
              const response = errorBody(429, 'rate_limit')
              response.headers.set('retry-after', String(pick([1, 2], random)))
              return response
            }
            draw -= rates.rateLimited
            if (draw < rates.connectionReset) {
              counts.connectionReset += 1
              bindings.incoming.socket.destroy()
              return new Response(null, { status: 502 })
            }
          }
          const loseAnswer = lost?.matches(request) === true && random() < (lost?.share ?? 0)
          const response = await simulator.handle(request)
          if (loseAnswer) {
            counts.lostResponse += 1
            bindings.incoming.socket.destroy()
          }
          return response
        },
      },
      () => resolve(started),
    )
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  // Absolute hrefs and hosted links name the loopback origin, as they would after `listen()`.
  simulator.baseUrl = url
  return {
    simulator,
    url,
    counts,
    setFaults(next, nextRandom, nextLost) {
      rates = next
      lost = next === undefined ? undefined : nextLost
      if (nextRandom !== undefined) random = nextRandom
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        simulator.shutdown()
        server.close((error) => (error ? reject(error) : resolve()))
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}

/** The fault mix of the reliability suite without timeouts (the SDK's default timeout is 30 s). */
export const peerFaultRates: FaultRates = { ...soakFaultRates, timeout: 0 }

/** The official SDK pointed at a loopback simulator. */
export function createOnfidoSdk(url: string): DefaultApi {
  return new DefaultApi(new Configuration({ apiToken: onfidoSimulatorApiToken, basePath: `${url}/v3.6` }))
}

/** What an application does with the SDK to start a hosted verification: applicant, then Studio run. */
export async function createWithSdk(
  sdk: DefaultApi,
  applicant: { firstName: string; lastName: string; dateOfBirth?: string },
  subjectReference: string,
): Promise<{ applicantId: string; workflowRunId: string; url: string | undefined }> {
  const created = await sdk.createApplicant({
    first_name: applicant.firstName,
    last_name: applicant.lastName,
    ...(applicant.dateOfBirth === undefined ? {} : { dob: applicant.dateOfBirth }),
  })
  const run = await sdk.createWorkflowRun({
    workflow_id: onfidoSimulatorWorkflowId,
    applicant_id: created.data.id,
    customer_user_id: subjectReference,
  })
  return { applicantId: created.data.id, workflowRunId: run.data.id, url: run.data.link?.url }
}

/**
 * What an application does with the SDK to learn a verification's outcome with its evidence: the
 * run (status, reasons), the applicant's checks, and each check's reports (document,
 * facial-similarity, watchlist breakdowns and extracted data).
 */
export async function readWithSdk(sdk: DefaultApi, ids: { applicantId: string; workflowRunId: string }) {
  const run = await sdk.findWorkflowRun(ids.workflowRunId)
  const checks = await sdk.listChecks(ids.applicantId)
  const reports = []
  for (const check of checks.data.checks) reports.push(...(await sdk.listReports(check.id)).data.reports)
  return { status: run.data.status, reasons: run.data.reasons ?? [], reports }
}

/** The API channel through the SDK: document and live-photo upload, then a check, read back with its reports. */
export async function uploadAndCheckWithSdk(
  sdk: DefaultApi,
  applicantId: string,
  evidence: { document: Buffer; livePhoto: Buffer },
) {
  await sdk.uploadDocument('passport', applicantId, new FileTransfer(evidence.document, 'front.jpg'))
  await sdk.uploadLivePhoto(applicantId, new FileTransfer(evidence.livePhoto, 'selfie.jpg'))
  const check = await sdk.createCheck({
    applicant_id: applicantId,
    report_names: ['document', 'facial_similarity_photo'],
  })
  const found = await sdk.findCheck(check.data.id)
  const reports = await sdk.listReports(check.data.id)
  return { status: found.data.status, result: found.data.result, reports: reports.data.reports }
}

/** The SDK's webhook check: hex HMAC-SHA256 of the raw body, then `JSON.parse`. */
export function verifyWithSdk(verifier: WebhookEventVerifier, rawBody: string, signature: string): unknown {
  return verifier.readPayload(rawBody, signature)
}
