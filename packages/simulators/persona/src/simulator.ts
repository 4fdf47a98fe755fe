import { randomBytes } from 'node:crypto'
import type { VerificationReference } from '@openkyc/core'
import type { ScenarioId, SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { scenarios } from '@openkyc/testkit/catalogue'
import type { DeliveryMode, SignatureConformanceDriver, WebhookTarget } from '@openkyc/testkit/harness'
import {
  createSimulator,
  createSimulatorClock,
  type Simulator,
  type SimulatorClock,
  simulatorControls,
} from '@openkyc/testkit/harness'
import { relateAccounts } from './accounts.js'
import { createPersonaApp } from './app.js'
import type { PersonaRouteContext } from './context.js'
import { registerHostedFlowRoutes } from './hosted-flow.js'
import { registerInquiryRoutes } from './inquiries.js'
import {
  decideInquiry,
  expireInquiry,
  hostedFlowUrl,
  internalOf,
  oneTimeLinkFor,
  resolveScenario,
  sessionTokenFor,
  startInquiry,
} from './inquiry-lifecycle.js'
import { errorDocument, type ResourceObject } from './json-api.js'
import { createPersonaRouteContext } from './route-context.js'
import type { PersonaRuntime } from './runtime.js'
import { defaultPersonaScenarioPlans, type PersonaScenarioPlan, personaScenarioIds } from './scenarios.js'
import type { PersonaState, StoredResource } from './state.js'
import {
  createPersonaWebhookSender,
  type PersonaWebhookOptions,
  type PersonaWebhookSender,
} from './webhooks.js'

/** Options of {@link createPersonaSimulator}. */
export type PersonaSimulatorOptions = {
  /** Accepted API keys (`persona_sandbox_…` / `persona_production_…`). Default: any key with either prefix. */
  apiKeys?: readonly string[]
  /** `Persona-Version` when the header is absent (default `2023-01-05`, the official bundle's version). */
  defaultApiVersion?: string
  /** The harness clock (default: a manual clock starting now). */
  clock?: SimulatorClock
  /** Requests per window (default 300) and window length in ms (default 60 000). */
  rateLimit?: { limit?: number; windowMs?: number }
  /** Inquiry creations per window (default 150/min, Persona's documented quota); `false` disables it. */
  inquiryCreationQuota?: { limit: number; windowMs?: number } | false
  /** Idempotency-key retention in ms (default 24 h). */
  idempotencyRetentionMs?: number
  /** Default inquiry expiry after creation, seconds (default 86 400). */
  inquiryExpirationSeconds?: number
  /** Default one-time-link lifetime, seconds (default 86 400). */
  oneTimeLinkExpirationSeconds?: number
  /** The webhook subscription (default: every event, captured in process, signed with a generated secret). */
  webhook?: PersonaWebhookOptions
  /** Per-scenario overrides of how the catalogue is realised (e.g. decisioning `none`). */
  scenarioPlans?: Partial<Record<ScenarioId, Partial<PersonaScenarioPlan>>>
  /** Magic `name-last` values per scenario (the catalogue applicants' last names); the scenario id always works too. */
  magicLastNames?: Partial<Record<ScenarioId, string>>
  /** Origin used before `listen()` (default `https://persona.simulator.test`). */
  baseUrl?: string
}

/** The Persona control API, the simulator's back door for tests, the demo and the conformance suite. */
export type PersonaControls = {
  readonly state: PersonaState
  readonly context: PersonaRouteContext
  readonly webhooks: PersonaWebhookSender
  /** Runs a catalogue scenario on an inquiry (`stage: 'intermediate'` stops before a person's review). */
  resolve(
    inquiryId: string,
    scenarioId: ScenarioId,
    options?: { stage?: 'intermediate' | 'final'; applicant?: SyntheticApplicant },
  ): Promise<void>
  /** The applicant opens the flow: `created → pending`. */
  startInquiry(inquiryId: string): Promise<void>
  /** Expires an in-progress inquiry now. */
  expireInquiry(inquiryId: string): Promise<void>
  /** A person's review in the dashboard. */
  review(
    inquiryId: string,
    decision: 'approved' | 'declined' | 'needs_review',
    comment?: string,
  ): Promise<void>
  /** The inquiry as the API renders it (kebab-case keys) for a version, or undefined. */
  inquiry(inquiryId: string, apiVersion?: string): ResourceObject | undefined
  /** The hosted-flow URL for an inquiry (with a fresh or reusable session token). */
  hostedUrl(inquiryId: string): string
  /** A one-time link for an inquiry, as `generate-one-time-link` would return. */
  oneTimeLink(inquiryId: string): string
  /** Relates two accounts under a relation key (both ways). */
  relateAccounts(accountId: string, key: string, otherAccountId: string): void
  /** Rotates the webhook secret; old secrets keep signing for `expiresInSeconds` (default 7200). */
  rotateWebhookSecret(options?: { secret?: string; expiresInSeconds?: number }): string
  /** Changes duplicate / reorder / hold delivery for later events. */
  setDeliveryMode(mode: DeliveryMode): void
  /** Sends held (and, with reorder, shuffled) deliveries. */
  flushWebhooks(): Promise<void>
  /** Where deliveries go from now on. */
  setWebhookTarget(target: WebhookTarget): void
  /** Waits for in-flight first delivery attempts. */
  webhooksIdle(): Promise<void>
  /** The scenario a name-last value selects, if any. */
  scenarioForLastName(lastName: string): ScenarioId | undefined
  /** A conformance driver for the suite (`webhookSecurity: 'timestamped-signature'`). */
  conformanceDriver(): SignatureConformanceDriver
}

/** A Persona simulator: the harness {@link Simulator} plus {@link PersonaControls}. */
export type PersonaSimulator = Simulator & { readonly persona: PersonaControls }

function referenceInquiryId(reference: VerificationReference): string {
  const value = (reference as { inquiryId?: unknown }).inquiryId
  if (typeof value !== 'string') throw new TypeError('Persona references carry an inquiryId')
  return value
}

/**
 * Creates a stateful Persona simulator: the `/api/v1` REST API (inquiries, verifications, accounts,
 * events, and the case/list/importer modules), signed webhooks with Persona's retry schedule, the
 * hosted flow, and a control API.
 *
 * @example
 * const simulator = createPersonaSimulator({ webhook: { secret: 'wbhsec_test' } })
 * const response = await simulator.fetch('https://persona.simulator.test/api/v1/inquiries', {
 *   method: 'POST',
 *   headers: { Authorization: 'Bearer persona_sandbox_test', 'Content-Type': 'application/json' },
 *   body: JSON.stringify({ data: { attributes: { 'inquiry-template-id': 'itmpl_test' } } }),
 * })
 * const { data } = await response.json()
 * await simulator.persona.resolve(data.id, 'clean_approve')
 */
export function createPersonaSimulator(options: PersonaSimulatorOptions = {}): PersonaSimulator {
  const clock = options.clock ?? createSimulatorClock()
  const defaultApiVersion = options.defaultApiVersion ?? '2023-01-05'
  let sender: PersonaWebhookSender | undefined
  const context = createPersonaRouteContext({
    now: () => clock.now(),
    onEvent: (event) => sender?.send(event),
  })
  sender = createPersonaWebhookSender({ webhook: options.webhook ?? {}, clock, context, defaultApiVersion })
  const webhooks = sender

  const scenarioPlans = { ...defaultPersonaScenarioPlans } as Record<ScenarioId, PersonaScenarioPlan>
  for (const [id, override] of Object.entries(options.scenarioPlans ?? {}) as [
    ScenarioId,
    Partial<PersonaScenarioPlan>,
  ][]) {
    scenarioPlans[id] = { ...scenarioPlans[id], ...override }
  }
  const magicLastNames = new Map<string, ScenarioId>()
  for (const id of personaScenarioIds) magicLastNames.set(id.toLowerCase(), id)
  for (const scenario of scenarios) magicLastNames.set(scenario.applicant.lastName.toLowerCase(), scenario.id)
  for (const [id, lastName] of Object.entries(options.magicLastNames ?? {}) as [ScenarioId, string][]) {
    magicLastNames.set(lastName.toLowerCase(), id)
  }
  const quota = options.inquiryCreationQuota
  let simulator: Simulator | undefined
  const runtime: PersonaRuntime = {
    context,
    clock,
    baseUrl: () => simulator?.baseUrl ?? options.baseUrl ?? 'https://persona.simulator.test',
    settings: {
      inquiryExpirationSeconds: options.inquiryExpirationSeconds ?? 86_400,
      oneTimeLinkExpirationSeconds: options.oneTimeLinkExpirationSeconds ?? 86_400,
      oneTimeLinkGraceSeconds: 300,
      inquiryCreationQuota:
        quota === false ? null : { limit: quota?.limit ?? 150, windowMs: quota?.windowMs ?? 60_000 },
      scenarioPlans,
      magicLastNames,
      sessionSecret: randomBytes(32).toString('hex'),
    },
  }

  const app = createPersonaApp({
    context,
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    defaultApiVersion,
    rateLimit: { limit: options.rateLimit?.limit ?? 300, windowMs: options.rateLimit?.windowMs ?? 60_000 },
    idempotencyRetentionMs: options.idempotencyRetentionMs ?? 86_400_000,
    registerCoreRoutes: (api, routeContext) => registerInquiryRoutes(api, routeContext, runtime),
    registerRootRoutes: (root) => registerHostedFlowRoutes(root, runtime),
  })

  simulator = createSimulator({
    name: 'persona',
    clock,
    baseUrl: options.baseUrl ?? 'https://persona.simulator.test',
    handle: async (request) => app.fetch(request),
    errorBody: (status) =>
      status === 429
        ? errorDocument(
            'Rate limit exceeded',
            'You have hit your rate limit of 300 requests / min. Please reach out to support@withpersona.com if you need this changed.',
          )
        : status === 401
          ? errorDocument('Must be authenticated to access this endpoint')
          : status >= 500
            ? errorDocument(status === 503 ? 'Service unavailable' : 'Internal server error')
            : errorDocument('Bad Request'),
  })

  const inquiries = context.state.collection('inquiry')
  const findInquiry = (id: string): StoredResource => {
    const inquiry = inquiries.get(id)
    if (inquiry === undefined) throw new Error('Persona simulator: unknown inquiry id')
    return inquiry
  }

  const controls: PersonaControls = {
    state: context.state,
    context,
    webhooks,
    async resolve(inquiryId, scenarioId, resolveOptions = {}) {
      resolveScenario(runtime, findInquiry(inquiryId), scenarioId, resolveOptions)
      await webhooks.idle()
    },
    async startInquiry(inquiryId) {
      startInquiry(runtime, findInquiry(inquiryId))
      await webhooks.idle()
    },
    async expireInquiry(inquiryId) {
      const inquiry = findInquiry(inquiryId)
      if (inquiry.attributes.status === 'created' || inquiry.attributes.status === 'pending')
        expireInquiry(runtime, inquiry)
      await webhooks.idle()
    },
    async review(inquiryId, decision, comment) {
      decideInquiry(runtime, findInquiry(inquiryId), decision, 'user', comment)
      await webhooks.idle()
    },
    inquiry(inquiryId, apiVersion = defaultApiVersion) {
      const inquiry = inquiries.get(inquiryId)
      return inquiry === undefined ? undefined : context.present(inquiry, { apiVersion })
    },
    hostedUrl(inquiryId) {
      const inquiry = findInquiry(inquiryId)
      return hostedFlowUrl(
        runtime,
        inquiry,
        inquiry.attributes.status === 'created' ? undefined : sessionTokenFor(runtime, inquiry),
      )
    },
    oneTimeLink(inquiryId) {
      return oneTimeLinkFor(runtime, findInquiry(inquiryId)).url
    },
    relateAccounts: (accountId, key, otherId) => relateAccounts(context, accountId, key, otherId),
    rotateWebhookSecret: (rotation) => webhooks.rotateSecret(rotation),
    setDeliveryMode: (mode) => webhooks.deliverer.setMode(mode),
    flushWebhooks: () => webhooks.deliverer.flush(),
    setWebhookTarget: (target) => webhooks.setTarget(target),
    webhooksIdle: () => webhooks.idle(),
    scenarioForLastName: (lastName) => magicLastNames.get(lastName.toLowerCase()),
    conformanceDriver() {
      const servers: Array<{ close(): Promise<void> }> = []
      return {
        ...simulatorControls(persona),
        webhookSecurity: 'timestamped-signature',
        async runScenario({ reference, scenario, stage }) {
          const inquiry = findInquiry(referenceInquiryId(reference))
          const plan = scenarioPlans[scenario.id]
          resolveScenario(runtime, inquiry, scenario.id, {
            stage: stage ?? 'final',
            applicant: scenario.applicant,
          })
          await webhooks.idle()
          if (plan.flowOutcome === 'abandoned' && (stage ?? 'final') === 'final') {
            // The applicant never comes back: let the clock run past the inquiry's expiry.
            const expiresAtMs = internalOf(inquiry).expiresAtMs
            if (expiresAtMs !== null && inquiry.attributes.status !== 'expired') {
              await clock.advance(Math.max(0, expiresAtMs - clock.now()) + 1000)
            }
            await webhooks.idle()
          }
        },
        async webhookDeliveries(deliveryOptions = {}) {
          await webhooks.idle()
          const subject =
            deliveryOptions.reference === undefined
              ? undefined
              : referenceInquiryId(deliveryOptions.reference)
          return webhooks.captured(subject)
        },
        forgeWebhook: (kind, delivery) => webhooks.forge(kind, delivery),
        async close() {
          await Promise.all(servers.map((server) => server.close()))
        },
      }
    },
  }
  const persona = Object.assign(simulator, { persona: controls }) as PersonaSimulator
  return persona
}
