import type { ScenarioId } from '@openkyc/testkit/catalogue'
import {
  createSimulator,
  createSimulatorClock,
  createWebhookDeliverer,
  type DeliveryMode,
  type Simulator,
  type SimulatorClock,
  type SimulatorContext,
  type WebhookAttempt,
  type WebhookMessage,
  type WebhookTarget,
  webhookTargetFor,
} from '@openkyc/testkit/harness'
import { createJumioApp, type JumioClient } from './jumio-app.js'
import { JumioEngine, type JumioExecutionReference, type ResolveOptions } from './jumio-engine.js'
import type { JumioUrls } from './jumio-payloads.js'
import { jumioProblemBody } from './jumio-problem.js'
import { defaultRateLimits, type JumioRateLimits } from './jumio-rate-limits.js'
import type { JumioApplicant, JumioOutcomeProfile } from './jumio-results.js'
import { type JumioScenarioRealisation, jumioScenarioRealisations } from './jumio-scenarios.js'
import type { JumioWorkflowStatus } from './jumio-state.js'
import { JumioTokenIssuer } from './jumio-tokens.js'
import { defaultUploadLimits, type JumioUploadLimits } from './jumio-uploads.js'
import { type JumioWorkflowDefinition, jumioWorkflows } from './jumio-workflows.js'

/** Jumio's data-centre regions (`reference/jumio-api.md` §1). */
export type JumioRegion = 'amer-1' | 'emea-1' | 'apac-1'

/** The OAuth2 client the simulator accepts when `clients` is not given. Test credentials, not secrets. */
export const jumioSimulatorClient: Readonly<Required<Pick<JumioClient, 'id' | 'secret'>>> = Object.freeze({
  id: 'openkyc-simulator-client',
  secret: 'openkyc-simulator-secret',
})

/**
 * Jumio's published callback source addresses per region (DOC Callback, current list). Captured
 * callbacks carry the first address of the simulator's region as `remoteAddress`.
 */
export const jumioCallbackIpRanges: Readonly<Record<JumioRegion, readonly string[]>> = Object.freeze({
  'amer-1': [
    '34.202.241.227',
    '34.226.103.119',
    '34.226.254.127',
    '52.8.136.236',
    '54.177.61.57',
    '54.183.15.212',
  ],
  'emea-1': [
    '34.253.41.236',
    '35.157.27.193',
    '52.48.0.25',
    '52.57.194.92',
    '52.58.113.86',
    '52.209.180.134',
  ],
  'apac-1': [
    '3.0.109.121',
    '52.76.184.73',
    '52.77.102.92',
    '13.238.100.17',
    '13.238.203.238',
    '52.64.132.26',
  ],
})

/** Where callbacks go. */
export type JumioCallbackTarget =
  /** Captured only (default): answered 200 in process, nothing leaves the machine. */
  | 'capture'
  /** POSTed with the global `fetch` to each execution's `callbackUrl` (or the Portal default). */
  | 'callback-url'
  /** Any in-process receiver, for example an application's Hono `app.fetch`. */
  | WebhookTarget
  /** A real URL every callback is POSTed to instead of `callbackUrl` (the demo's local receiver). */
  | { url: string }

/** Options of {@link createJumioSimulator}. Every field is optional. */
export type JumioSimulatorOptions = {
  /** Share a clock with other simulators; default a manual clock starting now. */
  clock?: SimulatorClock
  /** Region of the default host names and callback addresses. Default `amer-1`. */
  region?: JumioRegion
  /**
   * Base URLs per Jumio host. Unset hosts default to Jumio's region host names
   * (`https://account.amer-1.jumio.ai`, …) while the simulator runs in process, and to the listener's
   * origin once `listen()` was called, so one port serves every host.
   */
  baseUrls?: Partial<JumioUrls>
  /** The Portal's "Domain Name Prefix" of the web client host. Default `openkyc`. */
  webPrefix?: string
  /** OAuth2 clients. Default: {@link jumioSimulatorClient} with both permissions. */
  clients?: readonly JumioClient[]
  /** Access token lifetime. Default 3600 s. */
  accessTokenLifetimeSeconds?: number
  /** Inactivity timeout of a started journey. Default 15 minutes. */
  sessionTimeoutMs?: number
  /** Time between finalize and PROCESSED. Default 0 (at once). */
  processingDelayMs?: number
  /** Rate limits; `false` switches all off. Default: the documented per-tenant limits. */
  rateLimits?: Partial<JumioRateLimits> | false
  /** Upload limits. Default: the current documented ones (15 MB, 563×355 / 480×640 minimum, 8000×8000 maximum). */
  uploadLimits?: Partial<JumioUploadLimits>
  /** Accept `http:`, IPs, ports and localhost in `callbackUrl` (local demos). Default false. */
  allowInsecureCallbackUrls?: boolean
  /** The Portal callback URL used when a request names none. Default `https://callbacks.openkyc.test/jumio`. `null` sends none. */
  defaultCallbackUrl?: string | null
  callbacks?: {
    target?: JumioCallbackTarget
    /** Delays before retries of a failed delivery (Jumio documents none). Default 1, 5 and 15 minutes. */
    retrySchedule?: readonly number[]
    /** Multiplies retry delays (0.001 lets a demo see the schedule in seconds). */
    timeScale?: number
    /** Duplicates, holding and reordering, as the harness deliverer supports them. */
    mode?: DeliveryMode
    /** Send PROCESSED while retrieval still shows ACQUIRED for this many ms. Default off. */
    earlyRetrievalDelayMs?: number | false
    /** Also send an ACQUIRED callback at finalize. Default false. */
    intermediate?: boolean
  }
  /** How expired executions show their decision: `not-executed` (docs, default) or `rejected` (observed). */
  expiredDecision?: 'not-executed' | 'rejected'
  /** Tenant setting "Facemap on premise": liveness results carry `validFaceMapForAuthentication`. */
  facemapOnPremise?: boolean
  /** `searchStatus` of screening results. Default `SUCCESS` (observed; docs say `DONE`). */
  watchlistSearchStatus?: string
  /** Replaces how scenarios are realised, per scenario. */
  scenarioRealisations?: Partial<Record<ScenarioId, JumioScenarioRealisation>>
  /**
   * Tenant-specific workflow keys, added to (or replacing) the built-in definitions: Jumio configures
   * keys per tenant, so a customer's own key or a trimmed capability list can be simulated.
   */
  workflows?: readonly JumioWorkflowDefinition[]
  /**
   * When `userConsent` is required for biometric workflows: with the account request (`create`), or
   * before the first API upload of evidence (`api-upload`, default; the web client collects consent).
   */
  consentRequired?: 'create' | 'api-upload'
}

/** A read-only view of one workflow execution, for tests and the demo (no personal data). */
export type JumioExecutionSnapshot = {
  accountId: string
  workflowExecutionId: string
  definitionKey: number
  status: JumioWorkflowStatus
  scenarioId?: ScenarioId
  scenarioSource?: string
  decisionType?: string
  credentials: { id: string; category: string; parts: string[]; capturedVia?: 'API' | 'WEB' }[]
  startedAt?: string
  completedAt?: string
  tokenExpiresAt: string
  /** The hosted-flow link of this execution (holds its transaction token). */
  webHref?: string
}

/** The Jumio-specific controls, next to the harness {@link Simulator}'s. */
export type JumioControls = {
  readonly region: JumioRegion
  /** The base URLs in force now (they change when `listen()` gives the simulator a port). */
  urls(): JumioUrls
  /**
   * Replaces the configured base URLs (unset hosts fall back as in `baseUrls`). Useful after
   * `listen()`, for example to put the api host on `http://localhost:PORT` and the others on
   * `http://127.0.0.1:PORT`: one listener, distinct hosts, and Jumio's host rules enforced.
   */
  setBaseUrls(urls: Partial<JumioUrls>): void
  /** Makes an execution reach a catalogue scenario's end state now (capture, finalize, process, callback). */
  resolve(reference: JumioExecutionReference, scenarioId: ScenarioId, options?: ResolveOptions): Promise<void>
  /** Decides the scenario an execution realises when it is finalized later (by the adapter or the hosted page). */
  assignScenario(
    reference: JumioExecutionReference,
    scenarioId: ScenarioId,
    options?: { applicant?: JumioApplicant },
  ): void
  /** Captures every missing part as the applicant would (`WEB` with a facemap, or `API`) without finalizing. */
  capture(
    reference: JumioExecutionReference,
    options?: { applicant?: JumioApplicant; channel?: 'WEB' | 'API' },
  ): void
  /** Finalizes as the web client does after capture. */
  finalize(reference: JumioExecutionReference): Promise<void>
  /** Opens the journey (as visiting `web.href` does): starts the 15-minute session timer. */
  startJourney(reference: JumioExecutionReference): void
  /** Ends an unfinished execution now with `TOKEN_EXPIRED` or `SESSION_EXPIRED`. */
  expire(reference: JumioExecutionReference, status?: 'TOKEN_EXPIRED' | 'SESSION_EXPIRED'): Promise<void>
  /** A back-office review of a processed execution: recomputes with the scenario's (or given) verdicts; sends PROCESSED again. */
  review(reference: JumioExecutionReference, profile?: JumioOutcomeProfile): Promise<void>
  /** One execution's state. */
  execution(reference: JumioExecutionReference): JumioExecutionSnapshot
  /** Every live execution's state, oldest first. */
  executions(): JumioExecutionSnapshot[]
  /** Every callback emitted (duplicates included, retries not), oldest first. */
  readonly callbacks: readonly WebhookMessage[]
  /** Every delivery attempt, retries included. */
  readonly callbackAttempts: readonly WebhookAttempt[]
  /** Callbacks held for `flushCallbacks()`. */
  readonly heldCallbacks: readonly WebhookMessage[]
  /** Duplicates, hold, reorder: applies to later callbacks. */
  setCallbackMode(mode: DeliveryMode): void
  /** Sends held callbacks (shuffled when reordering). */
  flushCallbacks(): Promise<void>
  /** Early callbacks on (`ms` of retrieval lag) or off. */
  setEarlyCallbacks(retrievalDelayMs: number | false): void
  /** Resolves once every emitted callback had its first attempt. */
  callbacksIdle(): Promise<void>
  /** Cancels expiry and processing timers (for a clean shutdown). */
  shutdown(): void
}

/** A Jumio simulator: the harness simulator plus Jumio's controls. */
export type JumioSimulator = Simulator & JumioControls

function regionalUrls(region: JumioRegion, webPrefix: string): JumioUrls {
  return {
    auth: `https://auth.${region}.jumio.ai`,
    account: `https://account.${region}.jumio.ai`,
    api: `https://api.${region}.jumio.ai`,
    retrieval: `https://retrieval.${region}.jumio.ai`,
    web: `https://${webPrefix}.web.${region}.jumio.ai`,
    status: `https://status.${region}.jumio.ai`,
  }
}

const defaultSimulatorOrigin = 'https://jumio.simulator.test'

/**
 * Creates a stateful Jumio KYX simulator, written from Jumio's public documentation: OAuth2, account
 * create/update with its validation rules, credential upload and finalize with transaction tokens,
 * the workflow state machine and expiries on the simulator clock, PII-free unsigned callbacks,
 * retrieval (details, status, steps, parts), deletion, rate limits, and a hosted page at `web.href`.
 * Scenarios from the catalogue happen through magic inputs (see `docs/jumio-simulator.md`) or
 * through the controls.
 *
 * @example
 * ```ts
 * const jumio = createJumioSimulator()
 * const adapter = createJumio({ clientId: jumioSimulatorClient.id, clientSecret: jumioSimulatorClient.secret, fetch: jumio.fetch })
 * const { verification } = await adapter.createVerification({ subjectReference: 'user-1' })
 * await jumio.resolve(verification.reference, 'face_mismatch')
 * console.log(jumio.callbacks.length) // 1: the PROCESSED callback
 * ```
 */
export function createJumioSimulator(options: JumioSimulatorOptions = {}): JumioSimulator {
  const clock = options.clock ?? createSimulatorClock()
  const region = options.region ?? 'amer-1'
  const regional = regionalUrls(region, options.webPrefix ?? 'openkyc')
  let currentOrigin = defaultSimulatorOrigin
  let baseUrls: Partial<JumioUrls> = { ...options.baseUrls }
  const urlsFor = (origin: string): JumioUrls => {
    const fallback = origin === defaultSimulatorOrigin ? regional : undefined
    const pick = (name: keyof JumioUrls): string =>
      (baseUrls[name] ?? fallback?.[name] ?? origin).replace(/\/+$/, '')
    return {
      auth: pick('auth'),
      account: pick('account'),
      api: pick('api'),
      retrieval: pick('retrieval'),
      web: pick('web'),
      status: pick('status'),
    }
  }
  const urls = (): JumioUrls => urlsFor(currentOrigin)

  const target = options.callbacks?.target ?? 'capture'
  const send = webhookTargetFor(target === 'callback-url' ? 'message-url' : target)
  const deliverer = createWebhookDeliverer({
    clock,
    fetch: send,
    retrySchedule: options.callbacks?.retrySchedule ?? [60_000, 300_000, 900_000],
    ...(options.callbacks?.timeScale === undefined ? {} : { timeScale: options.callbacks.timeScale }),
    ...(options.callbacks?.mode === undefined ? {} : { mode: options.callbacks.mode }),
  })
  const tokens = new JumioTokenIssuer()
  const engine = new JumioEngine({
    clock,
    tokens,
    deliverer,
    urls,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 15 * 60 * 1000,
    processingDelayMs: options.processingDelayMs ?? 0,
    defaultCallbackUrl:
      options.defaultCallbackUrl === null
        ? undefined
        : (options.defaultCallbackUrl ?? 'https://callbacks.openkyc.test/jumio'),
    earlyCallbackRetrievalDelayMs: options.callbacks?.earlyRetrievalDelayMs ?? false,
    intermediateCallbacks: options.callbacks?.intermediate ?? false,
    expiredDecision: options.expiredDecision ?? 'not-executed',
    engineSettings: {
      facemapOnPremise: options.facemapOnPremise ?? false,
      watchlistSearchStatus: options.watchlistSearchStatus ?? 'SUCCESS',
    },
    realisations: { ...jumioScenarioRealisations, ...options.scenarioRealisations },
  })
  const rateLimits: JumioRateLimits =
    options.rateLimits === false
      ? { token: false, initiation: false, retrieval: false }
      : { ...defaultRateLimits, ...options.rateLimits }
  const app = createJumioApp({
    engine,
    tokens,
    clients: options.clients ?? [{ ...jumioSimulatorClient }],
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
    rateLimits,
    uploadLimits: { ...defaultUploadLimits, ...options.uploadLimits },
    allowInsecureCallbackUrls: options.allowInsecureCallbackUrls ?? false,
    workflows: new Map([
      ...jumioWorkflows,
      ...(options.workflows ?? []).map((workflow) => [workflow.key, workflow] as const),
    ]),
    consentRequired: options.consentRequired ?? 'api-upload',
    urls: (context: SimulatorContext) => {
      currentOrigin = context.baseUrl
      return urlsFor(context.baseUrl)
    },
  })

  const simulator = createSimulator({
    name: 'jumio',
    clock,
    baseUrl: defaultSimulatorOrigin,
    errorBody: (status) => jumioProblemBody(status),
    handle: async (request, context) => {
      currentOrigin = context.baseUrl
      return app.fetch(request, { simulator: context })
    },
  })
  const listen = simulator.listen.bind(simulator)

  const snapshot = (reference: JumioExecutionReference): JumioExecutionSnapshot => {
    const execution = engine.find(reference)
    const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString())
    const view: JumioExecutionSnapshot = {
      accountId: execution.accountId,
      workflowExecutionId: execution.id,
      definitionKey: execution.workflow.key,
      status: execution.status,
      credentials: engine.store.credentialsOf(execution).map((credential) => ({
        id: credential.id,
        category: credential.category,
        parts: [...credential.parts.keys()],
        ...(credential.capturedVia === undefined ? {} : { capturedVia: credential.capturedVia }),
      })),
      tokenExpiresAt: iso(execution.tokenExpiresAt)!,
    }
    if (execution.scenario !== undefined) {
      view.scenarioId = execution.scenario.scenarioId
      view.scenarioSource = execution.scenario.source
    }
    if (execution.result !== undefined) view.decisionType = execution.result.decision.type
    if (execution.startedAt !== undefined) view.startedAt = iso(execution.startedAt)!
    if (execution.completedAt !== undefined) view.completedAt = iso(execution.completedAt)!
    if (execution.workflow.hosted) {
      const locale = execution.request.web?.locale ?? 'en'
      view.webHref = `${urls().web}/web/v4/app?authorizationToken=${encodeURIComponent(execution.token)}&locale=${encodeURIComponent(locale)}`
    }
    return view
  }

  const controls: JumioControls = {
    region,
    urls,
    setBaseUrls(next) {
      baseUrls = { ...next }
    },
    async resolve(reference, scenarioId, resolveOptions) {
      engine.resolve(engine.find(reference), scenarioId, resolveOptions)
      await engine.idle()
    },
    assignScenario(reference, scenarioId, assignOptions) {
      engine.assignScenario(engine.find(reference), scenarioId, {
        source: 'control',
        ...(assignOptions?.applicant === undefined ? {} : { applicant: assignOptions.applicant }),
      })
    },
    capture(reference, captureOptions = {}) {
      const execution = engine.find(reference)
      const applicant =
        captureOptions.applicant ?? execution.scenario?.applicant ?? JumioEngine.applicantOf('clean_approve')
      engine.captureAll(
        execution,
        applicant,
        captureOptions.channel ?? (execution.workflow.hosted ? 'WEB' : 'API'),
      )
    },
    async finalize(reference) {
      engine.finalize(engine.find(reference))
      await engine.idle()
    },
    startJourney(reference) {
      const execution = engine.find(reference)
      if (execution.status === 'INITIATED') engine.touch(execution)
    },
    async expire(reference, status) {
      engine.expire(engine.find(reference), status)
      await engine.idle()
    },
    async review(reference, profile) {
      engine.review(engine.find(reference), profile)
      await engine.idle()
    },
    execution: snapshot,
    executions: () =>
      [...engine.store.executions.values()]
        .filter((execution) => engine.store.executionById(execution.id) !== undefined)
        .map((execution) => snapshot(execution.id)),
    get callbacks() {
      return deliverer.messages
    },
    get callbackAttempts() {
      return deliverer.attempts
    },
    get heldCallbacks() {
      return deliverer.held
    },
    setCallbackMode: (mode) => engine.setCallbackMode(mode),
    flushCallbacks: async () => {
      await engine.idle()
      await deliverer.flush()
    },
    setEarlyCallbacks: (delay) => engine.setEarlyCallbacks(delay),
    callbacksIdle: () => engine.idle(),
    shutdown: () => engine.shutdown(),
  }

  const jumio = Object.defineProperties(
    simulator,
    Object.getOwnPropertyDescriptors(controls),
  ) as JumioSimulator
  jumio.listen = async (listenOptions) => {
    const server = await listen(listenOptions)
    currentOrigin = server.url
    return {
      url: server.url,
      close: async () => {
        await server.close()
        currentOrigin = simulator.baseUrl
      },
    }
  }
  return jumio
}
