import {
  headerSafeSecret,
  KycConfigurationError,
  type KycLogger,
  lazy,
  parseAdapterSettings,
  processEnvironment,
} from '@openkyc/core'
import { type RateLimit, type RateLimiter, rateLimitSettingSchema } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'
import type { PersonaDecisionPolicy } from './map-persona-inquiry-status.js'

/** The API version this adapter is written and tested against: the official OpenAPI bundle's. */
export const defaultPersonaApiVersion = '2023-01-05'

/** Persona's API. Sandbox and production share it; the API key decides the environment. */
export const defaultPersonaBaseUrl = 'https://api.withpersona.com/api/v1'

/** Persona's hosted flow, for the `hosted-url` hand-off. */
export const defaultPersonaHostedFlowUrl = 'https://inquiry.withpersona.com/verify'

/**
 * How `createVerification` hands the applicant over:
 *
 * - `'one-time-link'` (default): one extra request generates a single-use link to the hosted flow
 *   (`session.url`). Safe to send by e-mail or SMS; it cannot be replayed once opened.
 * - `'session-token'`: resumes the inquiry for a session token (`session.sdkToken`) for Persona's
 *   embedded flow or mobile SDKs, plus a hosted-flow URL carrying it.
 * - `'hosted-url'`: no extra request; `session.url` is the hosted flow opened by inquiry id.
 *   Anyone holding that URL can open the inquiry until it starts.
 *
 * @see https://docs.withpersona.com/docs/inquiry-one-time-links
 * @see https://docs.withpersona.com/docs/resuming-inquiries
 * @see https://docs.withpersona.com/docs/hosted-flow
 */
export type PersonaHandoff = 'one-time-link' | 'session-token' | 'hosted-url'

/**
 * Persona's default environment rate limit: 300 requests per minute.
 * @see https://docs.withpersona.com/docs/rate-limiting
 */
export const personaRequestsPerMinute = 300

/** A source of environment variables (defaults to `process.env`). */
export type PersonaEnvironment = Readonly<Record<string, string | undefined>>

/** Everything {@link createPersona} accepts. Each setting falls back to its environment variable. */
export type PersonaSettings = {
  /** `persona_sandbox_…` or `persona_production_…`. Env `PERSONA_API_KEY`. Required. */
  apiKey?: string
  /** Sent as `Persona-Version` on every request. Env `PERSONA_API_VERSION`. Default `2023-01-05`. */
  apiVersion?: string
  /** The inquiry template (`itmpl_…`, `itmplv_…` or legacy `tmpl_…`). Env `PERSONA_TEMPLATE_ID`. Required. */
  templateId?: string
  /**
   * Webhook secrets (`wbhsec_…`); several while one is being rotated. Env `PERSONA_WEBHOOK_SECRETS`
   * (comma-separated) or `PERSONA_WEBHOOK_SECRET`. Needed by `parseWebhook` only.
   */
  webhookSecrets?: string | readonly string[]
  /** How far a webhook's signed timestamp may be from now. Default 300 seconds. */
  webhookToleranceSeconds?: number
  /** Env `PERSONA_BASE_URL`. Default `https://api.withpersona.com/api/v1`. */
  baseUrl?: string
  /** Env `PERSONA_HOSTED_FLOW_URL`. Default `https://inquiry.withpersona.com/verify`. */
  hostedFlowUrl?: string
  /** Default case template (`ctmpl_…`) for `createCase`. Env `PERSONA_CASE_TEMPLATE_ID`. */
  caseTemplateId?: string
  /** How `createVerification` hands off to the applicant. Env `PERSONA_HANDOFF`. Default `one-time-link`. */
  handoff?: PersonaHandoff
  /** Lifetime of generated one-time links; the template's setting applies when unset. */
  oneTimeLinkExpiresInSeconds?: number
  /** Overrides the template's expiry of new inquiries, counted from creation. */
  inquiryExpiresInSeconds?: number
  /** How Persona's statuses become decisions. Env `PERSONA_COMPLETED_MEANS` for `completedMeans`. */
  decisionPolicy?: PersonaDecisionPolicy
  /**
   * Verification templates (`vtmpl_…`) that `simulateVerification` creates passed or failed
   * verifications from, so simulated inquiries carry checks. Without them only statuses change.
   */
  simulationVerificationTemplateIds?: readonly string[]
  /**
   * The client-side request budget. Persona's documented default environment limit is 300 requests
   * per minute, so that is the default: staying under it ourselves is cheaper than collecting 429s.
   * The budget is measured with the adapter's `now` and `sleep` when both are injected (tests and
   * simulations see it on their own clock), otherwise on the real clock and timer. Pass a
   * `RateLimiter` from `@openkyc/core/http` to share one budget between several adapters of one
   * environment (or bring your own clock), a `RateLimit` for an environment with a higher limit, or
   * `false` to turn it off.
   */
  rateLimit?: RateLimit | RateLimiter | false
  /**
   * Shorthand for `rateLimit: { requests: n, intervalMs: 60_000 }`, kept for existing callers.
   * Setting it together with `rateLimit` is a configuration error.
   * @deprecated Use `rateLimit`.
   */
  requestsPerMinute?: number
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number
  /** Retries after the first attempt on 408/429/5xx and network errors. */
  maxRetries?: number
  /**
   * The HTTP implementation (a simulator plugs in here). Default: core's transport, `node:http` on Node
   * and the global `fetch` elsewhere; pass `globalThis.fetch` to send through Web `fetch` on Node.
   */
  fetch?: typeof globalThis.fetch
  /** Receives redacted request logs. */
  logger?: KycLogger
  /** Clock in milliseconds, for tests. */
  now?: () => number
  /** Sleep, for tests. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>
  /** Environment variables to read fallbacks from. Default `process.env`. */
  env?: PersonaEnvironment
}

/** The settings after defaults and environment fallbacks, validated. */
export type ResolvedPersonaSettings = {
  apiKey: string
  apiVersion: string
  templateId: string
  webhookSecrets: string[]
  webhookToleranceSeconds: number
  baseUrl: string
  hostedFlowUrl: string
  caseTemplateId?: string
  handoff: PersonaHandoff
  oneTimeLinkExpiresInSeconds?: number
  inquiryExpiresInSeconds?: number
  decisionPolicy: Required<PersonaDecisionPolicy>
  simulationVerificationTemplateIds: string[]
  /** The budget in force: Persona's 300 a minute unless `rateLimit` or `requestsPerMinute` said otherwise. */
  rateLimit: RateLimit | RateLimiter | false
  timeoutMs?: number
  maxRetries?: number
  sandbox: boolean
}

/** The environment variable behind each setting. */
const environmentVariables = {
  apiKey: 'PERSONA_API_KEY',
  apiVersion: 'PERSONA_API_VERSION',
  templateId: 'PERSONA_TEMPLATE_ID',
  webhookSecrets: 'PERSONA_WEBHOOK_SECRETS',
  baseUrl: 'PERSONA_BASE_URL',
  hostedFlowUrl: 'PERSONA_HOSTED_FLOW_URL',
  caseTemplateId: 'PERSONA_CASE_TEMPLATE_ID',
  handoff: 'PERSONA_HANDOFF',
  completedMeans: 'PERSONA_COMPLETED_MEANS',
} as const

/** The settings, validated (built on the first `createPersona`). */
const SettingsSchema = lazy(() => {
  const positiveInteger = z.number().int().positive()

  /** Secrets as a list, from a comma-separated string (the environment) or an array. */
  const secretList = z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',') : value),
    z.array(z.string().trim()).transform((secrets) => secrets.filter((secret) => secret.length > 0)),
  )

  return z.strictObject({
    // Visible ASCII (it goes into a header), with Persona's documented prefixes: the key decides the environment.
    apiKey: headerSafeSecret.regex(
      /^persona_(sandbox|production)_\S+$/,
      'must start with persona_sandbox_ or persona_production_ (an API key from the Persona dashboard)',
    ),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2023-01-05')
      .default(defaultPersonaApiVersion),
    templateId: z
      .string()
      .trim()
      .regex(/^(itmpl|itmplv|tmpl|blu)_\S+$/, 'must start with itmpl_, itmplv_ or tmpl_'),
    webhookSecrets: secretList.default([]),
    webhookToleranceSeconds: positiveInteger.default(300),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default(defaultPersonaBaseUrl)
      .transform((url) => url.replace(/\/+$/, '')),
    hostedFlowUrl: z.url({ protocol: /^https?$/ }).default(defaultPersonaHostedFlowUrl),
    caseTemplateId: z.string().trim().min(1).optional(),
    handoff: z.enum(['one-time-link', 'session-token', 'hosted-url']).default('one-time-link'),
    oneTimeLinkExpiresInSeconds: positiveInteger.optional(),
    inquiryExpiresInSeconds: positiveInteger.optional(),
    completedMeans: z.enum(['approved', 'review', 'pending']).default('pending'),
    simulationVerificationTemplateIds: z.array(z.string().min(1)).default([]),
    requestsPerMinute: positiveInteger.optional(),
    rateLimit: rateLimitSettingSchema().optional(),
    timeoutMs: positiveInteger.optional(),
    maxRetries: z.number().int().min(0).optional(),
  })
})

/**
 * Applies defaults and environment fallbacks, then validates, through core's
 * `parseAdapterSettings`. Throws `KycConfigurationError` naming each bad setting and its
 * environment variable; never a value (an API key or secret may be in it).
 */
export function resolvePersonaSettings(settings: PersonaSettings = {}): ResolvedPersonaSettings {
  const env = settings.env ?? processEnvironment()
  const input: Record<string, unknown> = {
    apiKey: settings.apiKey,
    apiVersion: settings.apiVersion,
    templateId: settings.templateId,
    // PERSONA_WEBHOOK_SECRET (one secret) is the fallback of PERSONA_WEBHOOK_SECRETS (several).
    webhookSecrets:
      settings.webhookSecrets ??
      (env.PERSONA_WEBHOOK_SECRETS ? undefined : env.PERSONA_WEBHOOK_SECRET || undefined),
    webhookToleranceSeconds: settings.webhookToleranceSeconds,
    baseUrl: settings.baseUrl,
    hostedFlowUrl: settings.hostedFlowUrl,
    caseTemplateId: settings.caseTemplateId,
    handoff: settings.handoff,
    oneTimeLinkExpiresInSeconds: settings.oneTimeLinkExpiresInSeconds,
    inquiryExpiresInSeconds: settings.inquiryExpiresInSeconds,
    completedMeans: settings.decisionPolicy?.completedMeans,
    simulationVerificationTemplateIds: settings.simulationVerificationTemplateIds,
    requestsPerMinute: settings.requestsPerMinute,
    rateLimit: settings.rateLimit,
    timeoutMs: settings.timeoutMs,
    maxRetries: settings.maxRetries,
  }
  const parsed = parseAdapterSettings(SettingsSchema(), input, environmentVariables, {
    provider: 'persona',
    env,
  })
  const { completedMeans, requestsPerMinute, rateLimit, ...rest } = parsed
  if (requestsPerMinute !== undefined && rateLimit !== undefined) {
    throw new KycConfigurationError({
      provider: 'persona',
      message:
        'The persona adapter is misconfigured: set either rateLimit or requestsPerMinute (its older shorthand), not both.',
    })
  }
  return {
    ...rest,
    rateLimit: rateLimit ?? { requests: requestsPerMinute ?? personaRequestsPerMinute, intervalMs: 60_000 },
    decisionPolicy: { completedMeans },
    sandbox: rest.apiKey.startsWith('persona_sandbox_'),
  }
}
