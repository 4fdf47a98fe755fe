import { createHmac, randomBytes } from 'node:crypto'
import type { SimulatorClock } from '@openkyc/testkit/harness'
import {
  type CapturedWebhook,
  createWebhookDeliverer,
  type DeliveryMode,
  toCapturedWebhook,
  type WebhookDeliverer,
  type WebhookForgery,
  type WebhookMessage,
  type WebhookSignContext,
  type WebhookTarget,
} from '@openkyc/testkit/harness'
import type { PersonaRouteContext } from './context.js'
import type { PersonaKeyInflection } from './inflection.js'
import { renderDocument } from './json-api.js'
import type { EventSnapshot } from './route-context.js'
import type { StoredResource } from './state.js'

/**
 * Persona webhook delivery: the event document rendered with the webhook's own API version and key
 * inflection, signed `Persona-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (one `t=…,v1=…` set
 * per active secret, newest first, space-separated, during rotation), with the attempt headers, posted
 * at least once on Persona's retry schedule through the harness deliverer.
 *
 * @see docs/reference/persona-api.md §8 (Delivery, Persona-Signature)
 */

/** Persona's documented retry delays in seconds (≈ n⁶ s for n = 2..7, first ≈ 3 s): 7 retries, 8 attempts. */
export const personaRetryScheduleSeconds: readonly number[] = [3, 64, 729, 4096, 15625, 46656, 117649]

/** The hex HMAC-SHA256 Persona puts in `v1`: keyed with the secret string, over `${t}.${rawBody}`. */
export function computePersonaSignature(secret: string, timestampSeconds: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')
}

/** Builds a `Persona-Signature` header value: one `t=…,v1=…` set per secret, space-separated. */
export function personaSignatureHeader(
  secrets: readonly string[],
  timestampSeconds: number,
  rawBody: string,
): string {
  return secrets
    .map((secret) => `t=${timestampSeconds},v1=${computePersonaSignature(secret, timestampSeconds, rawBody)}`)
    .join(' ')
}

/** A webhook secret; an old secret keeps signing until it expires after a rotation. */
export type PersonaWebhookSecret = { value: string; expiresAtMs: number | null }

/** Options of the simulated webhook subscription (`createPersonaSimulator({ webhook })`). */
export type PersonaWebhookOptions = {
  /** Where deliveries are posted. Omitted: messages are captured in process (answered 202) at a placeholder URL. */
  url?: string
  /** The signing secret (default: a generated `wbhsec_…`). */
  secret?: string
  /** `api-version` of the webhook: payload shape (default: the simulator's default version). */
  apiVersion?: string
  /** `api-key-inflection` of the webhook (default kebab). */
  keyInflection?: PersonaKeyInflection
  /** `enabled-events`; `'*'` (default) for all. */
  enabledEvents?: readonly string[] | '*'
  /** Receives the posts instead of the global `fetch` (an in-process app, a test double). */
  target?: WebhookTarget
  /** Retry delays in ms (default: Persona's schedule). */
  retryScheduleMs?: readonly number[]
  /** Multiplies the retry delays, e.g. 0.001 to see Persona's two-day schedule in minutes of clock time. */
  timeScale?: number
  /** Duplicate and out-of-order delivery. */
  mode?: DeliveryMode
  /** A delivery not answered within this many ms (real time) counts as failed (Persona: 5 s). */
  responseTimeoutMs?: number
}

/** The Persona webhook subscription of one simulator. */
export type PersonaWebhookSender = {
  readonly deliverer: WebhookDeliverer
  readonly url: string
  /** Active secrets, newest first. */
  secrets(): PersonaWebhookSecret[]
  /** Adds a new secret; the previous ones keep signing for `expiresInSeconds` (default 7200). Returns the new secret. */
  rotateSecret(options?: { secret?: string; expiresInSeconds?: number }): string
  /** Replaces where deliveries go (e.g. a receiver that fails, to see retries). */
  setTarget(target: WebhookTarget): void
  /** Delivers an event if the subscription enables it. */
  send(event: StoredResource): void
  /** Resolves once every emitted event's first attempt is done. */
  idle(): Promise<void>
  /** Distinct messages (no duplicate copies), optionally for one inquiry or account id. */
  captured(subject?: string): CapturedWebhook[]
  /** A forged copy of a genuine delivery. */
  forge(kind: WebhookForgery, delivery: CapturedWebhook): CapturedWebhook
}

const captureUrl = 'https://webhooks.persona-simulator.test/persona'
const attemptsTotal = 8

/** The id a delivery is filed under: the inquiry for inquiry, verification and report events. */
export function eventSubject(event: StoredResource): string | undefined {
  const snapshot = event.internal.snapshot as EventSnapshot | undefined
  if (snapshot === undefined) return undefined
  const inquiry = snapshot.subject.relationships.inquiry
  if (inquiry !== undefined && inquiry !== null && !Array.isArray(inquiry)) return inquiry.id
  return snapshot.subject.id
}

/** Creates the webhook subscription of a Persona simulator. */
export function createPersonaWebhookSender(options: {
  webhook: PersonaWebhookOptions
  clock: SimulatorClock
  context: PersonaRouteContext
  defaultApiVersion: string
}): PersonaWebhookSender {
  const { webhook, clock, context } = options
  const url = webhook.url ?? captureUrl
  const apiVersion = webhook.apiVersion ?? options.defaultApiVersion
  const inflection = webhook.keyInflection ?? 'kebab'
  const enabled = webhook.enabledEvents ?? '*'
  const retrySchedule =
    webhook.retryScheduleMs ?? personaRetryScheduleSeconds.map((seconds) => seconds * 1000)
  const timeScale = webhook.timeScale ?? 1
  const responseTimeoutMs = webhook.responseTimeoutMs ?? 5000
  let secrets: PersonaWebhookSecret[] = [
    { value: webhook.secret ?? `wbhsec_${randomBytes(18).toString('base64url')}`, expiresAtMs: null },
  ]
  let target: WebhookTarget =
    webhook.target ??
    (webhook.url === undefined
      ? async () => new Response(null, { status: 202 })
      : (request) => fetch(request))
  const pending = new Set<Promise<unknown>>()

  const activeSecrets = (now: number) =>
    secrets.filter((secret) => secret.expiresAtMs === null || secret.expiresAtMs > now)

  const sign = (rawBody: string, now: number, context: WebhookSignContext): Record<string, string> => {
    const made = context.attempt
    const first = context.firstAttemptAt
    const timestamp = Math.floor(now / 1000)
    return {
      'Persona-Signature': personaSignatureHeader(
        activeSecrets(now).map((secret) => secret.value),
        timestamp,
        rawBody,
      ),
      'Persona-Webhook-Attempts-Made': String(made),
      'Persona-Webhook-Attempts-Left': String(
        Math.max(0, Math.min(attemptsTotal, retrySchedule.length + 1) - made),
      ),
      'Persona-Webhook-First-Attempted-At': String(Math.floor(first / 1000)),
    }
  }

  const timedTarget: WebhookTarget = async (request) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('webhook receiver timed out')), responseTimeoutMs)
    })
    try {
      return await Promise.race([target(request), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  const deliverer = createWebhookDeliverer({
    clock,
    fetch: timedTarget,
    sign,
    retrySchedule,
    timeScale,
    ...(webhook.mode === undefined ? {} : { mode: webhook.mode }),
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })

  const isEnabled = (name: string) => enabled === '*' || enabled.includes('*') || enabled.includes(name)

  const rawBodyOf = (event: StoredResource): string => {
    const document = { data: context.present(event, { apiVersion }) }
    return JSON.stringify(renderDocument(document, inflection, apiVersion))
  }

  const forgedSignature = (rawBody: string, timestampSeconds: number, secret: string) =>
    personaSignatureHeader([secret], timestampSeconds, rawBody)

  return {
    deliverer,
    url,
    secrets: () => activeSecrets(clock.now()).map((secret) => ({ ...secret })),
    rotateSecret(rotation = {}) {
      const now = clock.now()
      const expiresAtMs = now + (rotation.expiresInSeconds ?? 7200) * 1000
      const value = rotation.secret ?? `wbhsec_${randomBytes(18).toString('base64url')}`
      secrets = [
        { value, expiresAtMs: null },
        ...secrets.map((secret) => ({
          value: secret.value,
          expiresAtMs: secret.expiresAtMs === null ? expiresAtMs : Math.min(secret.expiresAtMs, expiresAtMs),
        })),
      ]
      return value
    },
    setTarget(next) {
      target = next
    },
    send(event) {
      const name = String(event.attributes.name)
      if (!isEnabled(name)) return
      const subject = eventSubject(event)
      const work = deliverer.deliver({
        url,
        body: rawBodyOf(event),
        ...(subject === undefined ? {} : { subject }),
      })
      pending.add(work)
      void work.finally(() => pending.delete(work))
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending])
      await deliverer.idle()
    },
    captured(subject) {
      return deliverer.messages
        .filter((message: WebhookMessage) => message.copyOf === undefined)
        .filter((message) => subject === undefined || message.subject === subject)
        .map((message) => toCapturedWebhook(message))
    },
    forge(kind, delivery) {
      const headers = new Headers(delivery.headers)
      const nowSeconds = Math.floor(clock.now() / 1000)
      const secret = activeSecrets(clock.now())[0]!.value
      if (kind === 'bad-signature') {
        const header = headers.get('Persona-Signature') ?? ''
        headers.set(
          'Persona-Signature',
          header.replace(/v1=([0-9a-f]+)/g, (_match, hex: string) => `v1=${'0'.repeat(hex.length)}`),
        )
        return { headers, rawBody: delivery.rawBody }
      }
      if (kind === 'tampered-body') {
        const parsed = JSON.parse(delivery.rawBody) as { data?: { attributes?: Record<string, unknown> } }
        const attributes = parsed.data?.attributes
        const payload = attributes?.payload as { data?: { attributes?: Record<string, unknown> } } | undefined
        // Flip the outcome so the body always differs from what was signed.
        const target = payload?.data?.attributes ?? attributes
        if (target !== undefined) target.status = target.status === 'approved' ? 'declined' : 'approved'
        return { headers, rawBody: JSON.stringify(parsed) }
      }
      if (kind === 'stale-timestamp') {
        const stale = nowSeconds - 3600
        headers.set('Persona-Signature', forgedSignature(delivery.rawBody, stale, secret))
        return { headers, rawBody: delivery.rawBody }
      }
      headers.set(
        'Persona-Signature',
        forgedSignature(delivery.rawBody, nowSeconds, `wbhsec_${randomBytes(18).toString('base64url')}`),
      )
      return { headers, rawBody: delivery.rawBody }
    },
  }
}
