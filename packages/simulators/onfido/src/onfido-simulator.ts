import { randomUUID } from 'node:crypto'
import type { ScenarioId } from '@openkyc/testkit/catalogue'
import {
  createSimulator,
  createSimulatorClock,
  createWebhookDeliverer,
  type DeliveryMode,
  type Simulator,
  type SimulatorClock,
  type WebhookAttempt,
  type WebhookMessage,
  type WebhookTarget,
  webhookTargetFor,
} from '@openkyc/testkit/harness'
import {
  createOnfidoApp,
  defaultUploadLimits,
  type OnfidoOAuthClient,
  type OnfidoUploadLimits,
} from './onfido-app.js'
import { OnfidoEngine } from './onfido-engine.js'
import { onfidoErrorBody } from './onfido-errors.js'
import { registerOnfidoHostedPage } from './onfido-hosted-page.js'
import type {
  OnfidoEnvironment,
  OnfidoRegion,
  OnfidoWorkflowRunStatus,
  WebhookRecord,
} from './onfido-resources.js'
import { onfidoSpecEnum } from './openapi/onfido-schema-validator.js'

/** The API token the simulator's tests and driver use (a sandbox token: objects carry `sandbox: true`). */
export const onfidoSimulatorApiToken = 'api_sandbox.openkyc-simulator-token'

/** The signing token of the webhook every simulator registers unless told otherwise. Test value, not a secret. */
export const onfidoSimulatorWebhookToken = 'openkyc-onfido-simulator-webhook-token'

/** Where the default webhook points (captured in process unless `delivery.target` says otherwise). */
export const onfidoSimulatorWebhookUrl = 'https://webhooks.openkyc.test/onfido'

/** A Studio workflow id adapters can be configured with; the simulator accepts any workflow id. */
export const onfidoSimulatorWorkflowId = '7d3f2a4e-5b1c-4e8f-9a60-0c1d2e3f4a5b'

/** A webhook registered at start-up, as an account's dashboard would have it. */
export type OnfidoWebhookSetup = {
  url: string
  token: string
  events?: string[]
  environments?: OnfidoEnvironment[]
  region?: OnfidoRegion
}

/** Where webhook deliveries go. */
export type OnfidoDeliveryTarget =
  /** Captured only (default): answered 200 in process, nothing leaves the machine. */
  | 'capture'
  /** POSTed with the global `fetch` to each webhook's registered URL. */
  | 'webhook-url'
  /** Any in-process receiver, for example an application's `app.fetch`. */
  | WebhookTarget
  /** One real URL every delivery is POSTed to instead of the registered one (the demo's receiver). */
  | { url: string }

/** Options of {@link createOnfidoSimulator}. Every field is optional. */
export type OnfidoSimulatorOptions = {
  clock?: SimulatorClock
  /** The region of the loopback listener and of the in-process default host. Default `eu`. */
  region?: OnfidoRegion
  /** Accepted API tokens. Default: any token starting `api_sandbox` (sandbox) or `api_live` (live). */
  apiTokens?: readonly string[]
  /** OAuth2 client-credentials clients for `POST /v3.6/oauth/token`. Default none. */
  oauthClients?: readonly OnfidoOAuthClient[]
  /** Requests per minute per token (documented 400), or `false`. */
  rateLimit?: { limit?: number; windowMs?: number } | false
  /** Adds `Retry-After` to 429s (Onfido documents none; off by default [UNCERTAIN]). */
  retryAfterSeconds?: number
  /** Time between evidence and a decision, for checks and runs. Default 0 (at once). */
  processingDelayMs?: number
  /** How long an interactive task waits before the run is abandoned. Default 24 h [UNCERTAIN]. */
  interactiveTaskTimeoutMs?: number
  /** The account's deletion delay (soft delete → hard delete). Default 20 days (Onfido's recommended minimum). */
  deletionDelayMs?: number
  uploadLimits?: Partial<OnfidoUploadLimits>
  /** Webhooks registered at start-up. Default one: {@link onfidoSimulatorWebhookUrl} with {@link onfidoSimulatorWebhookToken}. */
  webhooks?: readonly OnfidoWebhookSetup[]
  delivery?: {
    target?: OnfidoDeliveryTarget
    /** Delays before retries of a failed delivery (Onfido documents none [UNCERTAIN]). Default 1, 5, 30 minutes. */
    retrySchedule?: readonly number[]
    timeScale?: number
    /** Duplicates, holding and reordering, as the harness deliverer supports them. */
    mode?: DeliveryMode
  }
}

/** A read-only view of one workflow run for tests and the demo (no personal data). */
export type OnfidoRunSnapshot = {
  id: string
  applicantId: string
  status: OnfidoWorkflowRunStatus
  reasons: readonly string[]
  scenarioId?: ScenarioId
  checkId?: string
  taskIds: readonly string[]
  /** The hosted-flow link as it is served now. */
  linkUrl: string
}

/** The Onfido-specific controls, next to the harness {@link Simulator}'s. */
export type OnfidoControls = {
  readonly region: OnfidoRegion
  /** Decides the scenario a run realises when its evidence arrives (overrides the magic last name). */
  assignScenario(runId: string, scenarioId: ScenarioId): void
  /**
   * The applicant completes the hosted flow now: evidence captured (uploads kept), the run processes
   * and ends per its scenario. `clientInput` parks it at `awaiting_client_input` first.
   */
  resolve(runId: string, options?: { scenarioId?: ScenarioId; clientInput?: boolean }): Promise<void>
  /** Opens the hosted flow as the applicant would. */
  open(runId: string): void
  /** The back office decides a run in `review` (default: the scenario's verdict, else approved). */
  review(runId: string, verdict?: 'approved' | 'declined'): Promise<void>
  /** Abandons an unfinished run now. */
  abandon(runId: string): Promise<void>
  /** Ends an unfinished run with status `error`. */
  fail(runId: string, error?: { type: string; message: string }): Promise<void>
  /** One run's state. */
  run(runId: string): OnfidoRunSnapshot
  /** Every run, oldest first. */
  runs(): OnfidoRunSnapshot[]
  /** Registers a webhook directly (as the dashboard does). Returns its id. */
  registerWebhook(setup: OnfidoWebhookSetup): string
  /** Every webhook emitted (duplicates included, retries not), oldest first. */
  readonly deliveries: readonly WebhookMessage[]
  /** Every delivery attempt, retries included. */
  readonly deliveryAttempts: readonly WebhookAttempt[]
  /** Duplicates, hold, reorder: applies to later deliveries. */
  setDeliveryMode(mode: DeliveryMode): void
  /** Sends held deliveries (shuffled when reordering). */
  flushDeliveries(): Promise<void>
  /** Resolves once every emitted webhook had its first attempt. */
  deliveriesIdle(): Promise<void>
  /** Cancels pending timers (expiry, deletion, processing). */
  shutdown(): void
}

/** An Onfido simulator: the harness simulator plus Onfido's controls. */
export type OnfidoSimulator = Simulator & OnfidoControls

/**
 * Creates a stateful Onfido API v3.6 simulator, written from `reference/onfido-api.md` and the
 * official OpenAPI spec: token auth (and OAuth2), region hosts, applicants with soft deletion and
 * restore, multipart document and live-photo uploads, Studio workflow runs with all eight statuses,
 * tasks, classic checks and reports with sandbox `consider`/`sub_result`, signed webhooks, the error
 * envelope, a 400/min rate limit and a hosted flow at each run's link. Use `simulator.fetch` in
 * process, or `listen()` for a loopback server.
 *
 * @example
 * ```ts
 * const simulator = createOnfidoSimulator()
 * const onfido = createOnfido({ apiToken: onfidoSimulatorApiToken, webhookToken: onfidoSimulatorWebhookToken, workflowId: onfidoSimulatorWorkflowId, fetch: simulator.fetch })
 * const { verification } = await onfido.createVerification({ subjectReference: 'user-1', prefill: { firstName: 'Quillonda', lastName: 'Testperson-Approve' } })
 * await simulator.resolve(verification.reference.workflowRunId)
 * ```
 */
export function createOnfidoSimulator(options: OnfidoSimulatorOptions = {}): OnfidoSimulator {
  const clock = options.clock ?? createSimulatorClock()
  const region = options.region ?? 'eu'
  let listeningOrigin: string | undefined

  const target = options.delivery?.target ?? 'capture'
  const send = webhookTargetFor(target === 'webhook-url' ? 'message-url' : target)
  const deliverer = createWebhookDeliverer({
    clock,
    fetch: send,
    retrySchedule: options.delivery?.retrySchedule ?? [60_000, 300_000, 1_800_000],
    ...(options.delivery?.timeScale === undefined ? {} : { timeScale: options.delivery.timeScale }),
    ...(options.delivery?.mode === undefined ? {} : { mode: options.delivery.mode }),
    headers: { 'user-agent': 'Onfido-Webhooks (simulator)' },
  })

  const engine = new OnfidoEngine({
    clock,
    deliverer,
    processingDelayMs: options.processingDelayMs ?? 0,
    interactiveTaskTimeoutMs: options.interactiveTaskTimeoutMs ?? 24 * 60 * 60 * 1000,
    deletionDelayMs: options.deletionDelayMs ?? 20 * 24 * 60 * 60 * 1000,
    apiOrigin: (objectRegion) => listeningOrigin ?? `https://api.${objectRegion}.onfido.com`,
    linkUrl: (run) =>
      listeningOrigin === undefined
        ? `https://${run.region}.onfido.app/l/${run.id}`
        : `${listeningOrigin}/l/${run.id}`,
  })

  const registerWebhook = (setup: OnfidoWebhookSetup): string => {
    const webhook: WebhookRecord = {
      id: randomUUID(),
      region: setup.region ?? region,
      environment: 'sandbox',
      createdAt: clock.now(),
      url: setup.url,
      token: setup.token,
      name: null,
      enabled: true,
      events: setup.events ?? null,
      environments: setup.environments ?? null,
      payloadVersion: 3,
    }
    engine.webhooks.set(webhook.id, webhook)
    return webhook.id
  }
  for (const setup of options.webhooks ?? [
    { url: onfidoSimulatorWebhookUrl, token: onfidoSimulatorWebhookToken },
  ]) {
    registerWebhook(setup)
  }

  const rateLimit =
    options.rateLimit === false
      ? false
      : { limit: options.rateLimit?.limit ?? 400, windowMs: options.rateLimit?.windowMs ?? 60_000 }
  const app = createOnfidoApp({
    engine,
    clock,
    ...(options.apiTokens === undefined ? {} : { apiTokens: options.apiTokens }),
    oauthClients: options.oauthClients ?? [],
    rateLimit,
    ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
    defaultRegion: region,
    uploadLimits: {
      document: { ...defaultUploadLimits.document, ...options.uploadLimits?.document },
      livePhoto: { ...defaultUploadLimits.livePhoto, ...options.uploadLimits?.livePhoto },
    },
    documentTypes: onfidoSpecEnum('document_types'),
    countryCodes: onfidoSpecEnum('country_codes'),
    registerRootRoutes: (root) => registerOnfidoHostedPage(root, engine),
  })

  const simulator = createSimulator({
    name: 'onfido',
    clock,
    baseUrl: `https://api.${region}.onfido.com`,
    errorBody: onfidoErrorBody,
    handle: async (request) => app.fetch(request),
  })

  const snapshot = (runId: string): OnfidoRunSnapshot => {
    const run = engine.runById(runId)
    return {
      id: run.id,
      applicantId: run.applicantId,
      status: run.status,
      reasons: [...run.reasons],
      ...(run.scenarioId === undefined ? {} : { scenarioId: run.scenarioId }),
      ...(run.checkId === undefined ? {} : { checkId: run.checkId }),
      taskIds: run.tasks.map((task) => task.id),
      linkUrl: engine.settings.linkUrl(run),
    }
  }

  const controls: OnfidoControls = {
    region,
    assignScenario: (runId, scenarioId) => engine.assignScenario(engine.runById(runId), scenarioId),
    async resolve(runId, resolveOptions = {}) {
      const run = engine.runById(runId)
      if (resolveOptions.scenarioId !== undefined) engine.assignScenario(run, resolveOptions.scenarioId)
      engine.resolveRun(run, { source: 'control', clientInput: resolveOptions.clientInput ?? false })
      await engine.idle()
    },
    open: (runId) => engine.openRun(engine.runById(runId)),
    async review(runId, verdict) {
      engine.reviewRun(engine.runById(runId), verdict)
      await engine.idle()
    },
    async abandon(runId) {
      engine.abandonRun(engine.runById(runId))
      await engine.idle()
    },
    async fail(runId, error = { type: 'task_error', message: 'A workflow task failed.' }) {
      engine.failRun(engine.runById(runId), error)
      await engine.idle()
    },
    run: snapshot,
    runs: () =>
      [...engine.runs.values()]
        .filter((run) => engine.applicants.get(run.applicantId)?.deleteAt === null)
        .map((run) => snapshot(run.id)),
    registerWebhook,
    get deliveries() {
      return deliverer.messages
    },
    get deliveryAttempts() {
      return deliverer.attempts
    },
    setDeliveryMode: (mode) => deliverer.setMode(mode),
    flushDeliveries: async () => {
      await engine.idle()
      await deliverer.flush()
    },
    deliveriesIdle: () => engine.idle(),
    shutdown: () => engine.shutdown(),
  }

  const onfido = Object.defineProperties(
    simulator,
    Object.getOwnPropertyDescriptors(controls),
  ) as OnfidoSimulator
  const listen = simulator.listen.bind(simulator)
  onfido.listen = async (listenOptions) => {
    const server = await listen(listenOptions)
    listeningOrigin = server.url
    return {
      url: server.url,
      close: async () => {
        await server.close()
        listeningOrigin = undefined
      },
    }
  }
  return onfido
}
