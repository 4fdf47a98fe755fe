import {
  headerSafeSecret,
  type KycLogger,
  lazy,
  parseAdapterSettings,
  processEnvironment,
  resolveSchema,
} from '@openkyc/core'
import { type RateLimit, type RateLimiter, rateLimitSettingSchema } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'

/** The provider name this adapter reports in every verification, event and error. */
export const onfidoProvider = 'onfido'

/** The API version this adapter is written and tested against: the official OpenAPI spec's (v3.6). */
export const onfidoApiVersion = 'v3.6'

/** Onfido's regions. Data is pinned to the region of the account; there is no global host. */
export type OnfidoRegion = 'eu' | 'us' | 'ca'

/**
 * The API host of each region, with the version path segment.
 * @see https://documentation.onfido.com/api/latest/#regions
 */
export function onfidoBaseUrl(region: OnfidoRegion): string {
  return `https://api.${region}.onfido.com/${onfidoApiVersion}`
}

/**
 * Onfido's documented production limit: 400 requests per minute unless agreed otherwise.
 * @see https://developers.onfido.com/guide/get-started-integrating
 */
export const onfidoRequestsPerMinute = 400

/**
 * The classic reports `submitVerification` asks for when evidence arrived through the API channel:
 * the document report and the photo facial-similarity report (the ones an uploaded document and live
 * photo can feed).
 */
export const defaultOnfidoCheckReportNames: readonly string[] = ['document', 'facial_similarity_photo']

/** A source of environment variables (defaults to `process.env`). */
export type OnfidoEnvironment = Readonly<Record<string, string | undefined>>

/** Everything {@link createOnfido} accepts. Each setting falls back to its environment variable. */
export type OnfidoSettings = {
  /** `api_sandbox…` or `api_live…`. Sent as `Authorization: Token token=…`. Env `ONFIDO_API_TOKEN`. Required. */
  apiToken?: string
  /** `eu` (default), `us` or `ca`: picks `https://api.{region}.onfido.com/v3.6`. Env `ONFIDO_REGION`. */
  region?: OnfidoRegion
  /** Overrides the regional host (a simulator, a proxy). Env `ONFIDO_BASE_URL`. */
  baseUrl?: string
  /** The Studio workflow every hosted verification runs (a UUID). Env `ONFIDO_WORKFLOW_ID`. Required. */
  workflowId?: string
  /**
   * The tokens of the webhooks Onfido signs deliveries with (`X-SHA2-Signature`); several while one
   * is being replaced. Env `ONFIDO_WEBHOOK_TOKENS` (comma-separated) or `ONFIDO_WEBHOOK_TOKEN`.
   * Needed by `parseWebhook` only.
   */
  webhookTokens?: string | readonly string[]
  /** Lifetime of the workflow run's hosted link, set when the run is created. Default: Onfido's. */
  linkExpiresInSeconds?: number
  /** The classic reports `submitVerification` requests. Default `document`, `facial_similarity_photo`. */
  checkReportNames?: readonly string[]
  /**
   * The client-side request budget. Default 400 requests a minute (Onfido's documented limit). Pass
   * a `RateLimiter` to share one budget between adapters of one account, or `false` to turn it off.
   */
  rateLimit?: RateLimit | RateLimiter | false
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number
  /** Retries after the first attempt on 408/429/5xx and network errors (GET, PUT, DELETE; POST on 429 only). */
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
  env?: OnfidoEnvironment
}

/** The settings after defaults and environment fallbacks, validated. */
export type ResolvedOnfidoSettings = {
  apiToken: string
  region: OnfidoRegion
  baseUrl: string
  workflowId: string
  webhookTokens: string[]
  linkExpiresInSeconds?: number
  checkReportNames: string[]
  rateLimit: RateLimit | RateLimiter | false
  timeoutMs?: number
  maxRetries?: number
  /** True for a sandbox token (`api_sandbox…`). */
  sandbox: boolean
}

/** The environment variable behind each setting. */
export const onfidoEnvironmentVariables = {
  apiToken: 'ONFIDO_API_TOKEN',
  region: 'ONFIDO_REGION',
  baseUrl: 'ONFIDO_BASE_URL',
  workflowId: 'ONFIDO_WORKFLOW_ID',
  webhookTokens: 'ONFIDO_WEBHOOK_TOKENS',
} as const

const positiveInteger = lazy(() => z.number().int().positive())

/** Tokens as a list, from a comma-separated string (the environment) or an array. */
const tokenList = lazy(() =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',') : value),
    z.array(z.string().trim()).transform((tokens) => tokens.filter((token) => token.length > 0)),
  ),
)

const SettingsSchema = lazy(() =>
  z.strictObject({
    apiToken: resolveSchema(headerSafeSecret),
    region: z.enum(['eu', 'us', 'ca']).default('eu'),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    workflowId: z.uuid('must be the workflow id (a UUID)'),
    webhookTokens: tokenList().default([]),
    linkExpiresInSeconds: positiveInteger().optional(),
    checkReportNames: z
      .array(z.string().regex(/^[a-z_]{1,64}$/, 'must be an Onfido report name'))
      .min(1)
      .default([...defaultOnfidoCheckReportNames]),
    rateLimit: rateLimitSettingSchema().optional(),
    timeoutMs: positiveInteger().optional(),
    maxRetries: z.number().int().min(0).optional(),
  }),
)

/**
 * Applies defaults and environment fallbacks, then validates, through core's
 * `parseAdapterSettings`. Throws `KycConfigurationError` naming each bad setting and its
 * environment variable; never a value (a token may be in it).
 *
 * @example
 * ```ts
 * const settings = resolveOnfidoSettings({ env: { ONFIDO_API_TOKEN: 'api_sandbox.…', ONFIDO_WORKFLOW_ID: '…' } })
 * settings.baseUrl // 'https://api.eu.onfido.com/v3.6'
 * ```
 */
export function resolveOnfidoSettings(settings: OnfidoSettings = {}): ResolvedOnfidoSettings {
  const env = settings.env ?? processEnvironment()
  const parsed = parseAdapterSettings(
    SettingsSchema(),
    {
      apiToken: settings.apiToken,
      region: settings.region,
      baseUrl: settings.baseUrl,
      workflowId: settings.workflowId,
      // ONFIDO_WEBHOOK_TOKEN (one token) is the fallback of ONFIDO_WEBHOOK_TOKENS (several).
      webhookTokens:
        settings.webhookTokens ??
        (env.ONFIDO_WEBHOOK_TOKENS ? undefined : env.ONFIDO_WEBHOOK_TOKEN || undefined),
      linkExpiresInSeconds: settings.linkExpiresInSeconds,
      checkReportNames: settings.checkReportNames,
      rateLimit: settings.rateLimit,
      timeoutMs: settings.timeoutMs,
      maxRetries: settings.maxRetries,
    },
    onfidoEnvironmentVariables,
    { provider: onfidoProvider, env },
  )
  const { baseUrl, rateLimit, ...rest } = parsed
  return {
    ...rest,
    baseUrl: baseUrl ?? onfidoBaseUrl(parsed.region),
    rateLimit: rateLimit ?? { requests: onfidoRequestsPerMinute, intervalMs: 60_000 },
    sandbox: rest.apiToken.startsWith('api_sandbox'),
  }
}
