import type { VerificationReference } from '@openkyc/core'
import type { Scenario } from '../catalogue/scenario.js'
import type { FailNextOptions, FaultOptions } from './faults.js'
import type { Simulator } from './simulator.js'
import type { WebhookMessage } from './webhook-deliverer.js'

/** A webhook as the vendor sent it: exactly what an application's endpoint would receive. */
export type CapturedWebhook = {
  headers: Headers
  rawBody: string
  /** The sender's address, for providers that authenticate callbacks by source IP. */
  remoteAddress?: string
  /**
   * When the vendor sent it (ms since the epoch, on the vendor's clock). The suite hands it to the
   * adapter as `now` while the delivery is processed, as if received at once: a delivery signed an
   * hour before the clock moved on is not stale to an application that got it when it was sent.
   */
  sentAt?: number
}

/** Ways to forge a signed webhook; each must be rejected with `KycWebhookVerificationError`. */
export type WebhookForgery = 'bad-signature' | 'tampered-body' | 'stale-timestamp' | 'unknown-secret'

/**
 * How a vendor secures its webhooks; the suite runs exactly the forgeries that fit the scheme.
 *
 * - `timestamped-signature` (Persona, Stripe-style `t=…,v1=…`): an HMAC over a timestamp and the
 *   body. Every forgery applies, `stale-timestamp` included.
 * - `body-signature` (Onfido `X-SHA2-Signature`, Veriff `X-HMAC-SIGNATURE`): an HMAC over the raw body
 *   only. There is no timestamp to make stale; a replayed body is genuine, so replays must be absorbed
 *   by dedupe (stable event ids), which `webhook.replayed` checks.
 * - `unsigned-fetch-back` (Jumio): callbacks carry ids and a status hint only; the adapter fetches the
 *   authoritative state, so a lying callback must not change what it reports.
 * - `signature`: the former name of `timestamped-signature`, still accepted.
 */
export type WebhookScheme = 'timestamped-signature' | 'body-signature' | 'unsigned-fetch-back'

/** The forgeries a body-only signature can express (no timestamp, so no `stale-timestamp`). */
export type BodySignatureForgery = Exclude<WebhookForgery, 'stale-timestamp'>

/** The forgeries the suite runs for each scheme (`tampered-body` for fetch-back only when the driver can forge it). */
export const webhookForgeriesByScheme: Readonly<Record<WebhookScheme, readonly WebhookForgery[]>> = {
  'timestamped-signature': ['bad-signature', 'tampered-body', 'stale-timestamp', 'unknown-secret'],
  'body-signature': ['bad-signature', 'tampered-body', 'unknown-secret'],
  'unsigned-fetch-back': ['tampered-body'],
}

/** A driver's declared scheme, with the former name `signature` read as `timestamped-signature`. */
export function webhookSchemeOf(driver: Pick<ConformanceDriver, 'webhookSecurity'>): WebhookScheme {
  return driver.webhookSecurity === 'signature' ? 'timestamped-signature' : driver.webhookSecurity
}

/** How far `runScenario` goes: `intermediate` stops before a multi-step scenario's last step. */
export type ScenarioStage = 'intermediate' | 'final'

/** What every driver provides, whatever its provider's webhook security. */
export type ConformanceDriverBase = {
  /** The simulated vendor's `fetch`: the suite passes it to the adapter factory. */
  fetch: typeof fetch
  /**
   * The simulated vendor's clock, passed to the adapter factory as `now`. Adapters that check
   * webhook timestamps should use it, since scenarios move the vendor's clock forward (expiry).
   */
  now?(): number
  /**
   * Makes the vendor reach the scenario's state for a verification the adapter created, acting as
   * the applicant (submitting the scenario's applicant's documents, which carry the magic inputs) and
   * as the vendor's back office (a person's review, the clock running out). `stage: 'intermediate'`
   * stops at `scenario.expected.intermediate`; a later call with `final` (the default) finishes.
   */
  runScenario(options: {
    reference: VerificationReference
    scenario: Scenario
    stage?: ScenarioStage
  }): Promise<void>
  /**
   * The webhooks (or callbacks) the vendor emitted, oldest first, for one verification or for all.
   * Captured, not necessarily posted anywhere; one entry per distinct message (no retries).
   */
  webhookDeliveries(options?: { reference?: VerificationReference }): Promise<CapturedWebhook[]>
  /** Fault injection on the vendor's API; see {@link Simulator.failNext}. */
  failNext(options: FailNextOptions): void
  /** See {@link Simulator.resetNext}. */
  resetNext(options?: FaultOptions): void
  /** See {@link Simulator.malformedNext}. */
  malformedNext(options?: FaultOptions): void
  /** Drops queued faults (a fault an adapter did not retry into stays queued otherwise). */
  clearFaults(): void
  /** Requests the vendor has received so far (the suite checks that refused calls send none). */
  requestCount(): number
  /** Moves the vendor's clock forward. */
  advanceTime(ms: number): Promise<void>
  /** Releases servers and timers. */
  close(): Promise<void>
  /**
   * Whether the vendor reports per-check results (`reported`, the default) or only a decision, from
   * whose reasons the adapter derives checks (`derived`). With `derived`, the catalogue's expected
   * check kinds are not asserted, every check must say `source: 'derived'`, and the report shows the
   * derived checks. Either way only reported checks count towards the expected kinds.
   */
  checkResults?: 'reported' | 'derived'
  /**
   * Where a reviewer's verdict is visible: through the read API and webhooks (`read`, the default), or
   * only in a webhook (`webhook-only`). With `webhook-only`, the `.read` test of each scenario a person
   * decides is skipped with that reason; its `.webhook` test still runs.
   */
  manualVerdicts?: 'read' | 'webhook-only'
}

/**
 * The back door the conformance suite uses to drive and observe a simulated vendor. A vendor
 * simulator implements it once; every adapter for that vendor is then tested against it.
 *
 * The driver declares its vendor's webhook scheme (see {@link WebhookScheme}) and forges what fits it:
 * - `timestamped-signature` (Persona): every forgery, `stale-timestamp` included; each must be rejected.
 * - `body-signature` (Acme, Onfido, Veriff): every forgery but `stale-timestamp`.
 * - `unsigned-fetch-back` (Jumio): `forgeWebhook('tampered-body')`, when given, returns a callback whose
 *   hint lies: the adapter must still report the truth.
 */
export type ConformanceDriver = ConformanceDriverBase &
  (
    | {
        webhookSecurity: 'timestamped-signature' | 'signature'
        /** Returns a copy of a genuine delivery, forged the given way. */
        forgeWebhook(kind: WebhookForgery, delivery: CapturedWebhook): CapturedWebhook
      }
    | {
        webhookSecurity: 'body-signature'
        /** Returns a copy of a genuine delivery, forged the given way. */
        forgeWebhook(kind: BodySignatureForgery, delivery: CapturedWebhook): CapturedWebhook
      }
    | {
        webhookSecurity: 'unsigned-fetch-back'
        forgeWebhook?(kind: 'tampered-body', delivery: CapturedWebhook): CapturedWebhook
      }
  )

/**
 * The parts of a driver a {@link Simulator} already has, bound and spread-safe, so a driver is its
 * vendor-specific parts plus `...simulatorControls(simulator)`.
 *
 * @example
 * ```ts
 * const driver: ConformanceDriver = {
 *   ...simulatorControls(simulator),
 *   webhookSecurity: 'timestamped-signature',
 *   runScenario: ({ reference, scenario }) => simulator.completeCheck(reference.checkId!, scenario.applicant),
 *   webhookDeliveries: async ({ reference } = {}) => captured(reference),
 *   forgeWebhook: (kind, delivery) => forge(kind, delivery),
 *   close: async () => {},
 * }
 * ```
 */
export function simulatorControls(
  simulator: Simulator,
): Pick<
  ConformanceDriverBase,
  | 'fetch'
  | 'now'
  | 'failNext'
  | 'resetNext'
  | 'malformedNext'
  | 'clearFaults'
  | 'requestCount'
  | 'advanceTime'
> {
  return {
    fetch: simulator.fetch,
    now: () => simulator.clock.now(),
    failNext: (options) => simulator.failNext(options),
    resetNext: (options) => simulator.resetNext(options),
    malformedNext: (options) => simulator.malformedNext(options),
    clearFaults: () => simulator.clearFaults(),
    requestCount: () => simulator.requestCount,
    advanceTime: (ms) => simulator.advanceTime(ms),
  }
}

/**
 * Turns a message from a {@link WebhookDeliverer} into what an application's endpoint would receive.
 *
 * @example
 * ```ts
 * webhookDeliveries: async () => deliverer.messages.filter((m) => m.copyOf === undefined).map((m) => toCapturedWebhook(m))
 * ```
 */
export function toCapturedWebhook(
  message: Pick<WebhookMessage, 'headers' | 'rawBody' | 'emittedAt'>,
  remoteAddress?: string,
): CapturedWebhook {
  return {
    headers: new Headers(message.headers),
    rawBody: message.rawBody,
    sentAt: Date.parse(message.emittedAt),
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  }
}

/** A driver for a provider that signs a timestamp and the body (Persona): `forgeWebhook` is required. */
export type SignatureConformanceDriver = Extract<
  ConformanceDriver,
  { webhookSecurity: 'timestamped-signature' | 'signature' }
>

/** A driver for a provider that signs the raw body only (Acme, Onfido, Veriff): `forgeWebhook` is required. */
export type BodySignatureConformanceDriver = Extract<ConformanceDriver, { webhookSecurity: 'body-signature' }>

/** A driver for a provider whose callbacks are unsigned hints the adapter confirms by fetching (Jumio). */
export type FetchBackConformanceDriver = Extract<
  ConformanceDriver,
  { webhookSecurity: 'unsigned-fetch-back' }
>
