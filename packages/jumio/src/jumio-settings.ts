import {
  assertClock,
  headerSafeSecret,
  headerSafeText,
  KycConfigurationError,
  type KycLogger,
  lazy,
  processEnvironment,
} from '@openkyc/core'
import { type RateLimit, type RateLimiter, rateLimitSettingSchema } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'

/** Jumio's data centres. `amer-1` is the US, `emea-1` the EU, `apac-1` Singapore. */
export type JumioRegion = 'amer-1' | 'emea-1' | 'apac-1'

/** The regions, in documentation order. */
export const jumioRegions: readonly JumioRegion[] = ['amer-1', 'emea-1', 'apac-1']

/**
 * The hosts one tenant talks to. Jumio splits its API over several hosts per region; a simulator or a
 * pre-production tenant (`*.jumiopp.link`) needs all of them replaced together.
 */
export type JumioBaseUrls = {
  /** The OAuth2 host; the token endpoint is `{auth}/oauth2/token`. */
  auth: string
  /** Account create and update. */
  account: string
  /**
   * Credential upload and finalization. Only a fallback: uploads use the part URLs Jumio returns in
   * the account response, as the documentation asks.
   */
  api?: string
  /** Retrieval and deletion. */
  retrieval: string
}

/**
 * Where an API-channel upload goes and how it is authorized, as Jumio returned it when the workflow
 * execution was created. Holds the per-transaction token: a secret, never logged.
 */
export type JumioTransaction = {
  accountId: string
  workflowExecutionId: string
  /** The latest per-transaction bearer token (Jumio may hand out a fresh one with each upload). */
  token: string
  /** The finalize URL (`api.workflowExecution`). */
  finalizeUrl: string
  /** Upload URLs by credential category (`ID`, `SELFIE`, `DATA`, …) then lower-case part (`front`, `face`, `prepared_data`). */
  credentials: { id: string; category: string; parts: Record<string, string> }[]
  /** Milliseconds since the epoch after which Jumio no longer accepts the token. */
  expiresAt: number
  /**
   * Set once Jumio accepted the finalize, until `submitVerification` has also read the result: a
   * retried submit then reads the state instead of finalizing again.
   */
  finalized?: boolean
}

/**
 * A small key-value store. The adapter keeps two kinds of state Jumio offers no lookup for: which
 * Jumio account belongs to a subject (so a returning applicant gets a new workflow execution on the
 * same account), and the upload URLs and token of API-channel executions. The default keeps them in
 * memory; pass a shared store (Redis, a table) when several processes serve one tenant.
 */
export type JumioStore<Value> = {
  get(key: string): Value | undefined | Promise<Value | undefined>
  set(key: string, value: Value): void | Promise<void>
  delete(key: string): void | Promise<void>
}

/**
 * The applicant's consent to biometric processing, which Jumio requires when a workflow collects
 * biometrics (G23 `userConsent`): the applicant's IP address and location, and for applicants in the
 * USA whether and when consent was obtained. Countries may be given as alpha-2 (`US`) or alpha-3.
 */
export type JumioUserConsent = {
  userIp: string
  userLocation: { country: string; state?: string }
  consent?: { obtained: 'yes' | 'no' | 'na'; obtainedAt?: string }
}

/** Supplies the consent record the application collected for a subject, at verification start. */
export type JumioUserConsentSupplier = (context: {
  subjectReference: string
  channel: 'hosted' | 'api'
}) => JumioUserConsent | undefined | Promise<JumioUserConsent | undefined>

/** Every setting `createJumio` accepts. Each string setting falls back to an environment variable. */
export type JumioSettings = {
  /** OAuth2 client id (`JUMIO_CLIENT_ID`). */
  clientId?: string
  /** OAuth2 client secret (`JUMIO_CLIENT_SECRET`). Never logged or echoed in errors. */
  clientSecret?: string
  /** The data centre of the tenant (`JUMIO_REGION`). Ignored for hosts given in `baseUrls`. */
  region?: JumioRegion
  /** Replaces the regional hosts (`JUMIO_AUTH_URL`, `JUMIO_ACCOUNT_URL`, `JUMIO_API_URL`, `JUMIO_RETRIEVAL_URL`). */
  baseUrls?: Partial<JumioBaseUrls>
  /**
   * The `User-Agent` Jumio requires on every request, naming your business and application, for
   * example `AcmeBank Onboarding/1.4` (`JUMIO_USER_AGENT`). Jumio answers 403 without a meaningful one.
   */
  userAgent?: string
  /** The workflow definition key new executions use (`JUMIO_WORKFLOW_KEY`). Defaults to `10011`. */
  workflowKey?: number | string
  /**
   * Where Jumio posts callbacks (`JUMIO_CALLBACK_URL`). When unset Jumio uses the portal's URL. Jumio's
   * rule, checked here so a bad URL fails at start-up rather than as a bare 400 on the first
   * verification: HTTPS, a domain name (no IP address, no `localhost`), no port, no fragment, at most
   * 255 characters.
   */
  callbackUrl?: string
  /**
   * Accept `http:`, IP addresses, ports and `localhost` in `callbackUrl`: for a local simulator only
   * (Jumio itself refuses them). Default `false`.
   */
  allowInsecureCallbackUrl?: boolean
  /** How long the applicant's token lives, in Jumio's syntax (`30m`, `1d`) (`JUMIO_TOKEN_LIFETIME`). Jumio's default is `30m`. */
  tokenLifetime?: string
  /**
   * Check the callback's source address against Jumio's published callback IPs. Off by default:
   * behind a proxy or load balancer the peer address is the proxy's, and callbacks are verified
   * anyway by reading the execution back from the Retrieval API. `true` uses the published list of
   * the configured region (of every region when none is set); an array of addresses or CIDR ranges replaces it (`JUMIO_CALLBACK_IPS`, comma-separated, turns it on).
   */
  verifyCallbackSource?: boolean | readonly string[]
  /**
   * When a callback's execution is `PROCESSED` but its details are not ready, the callback is
   * answered with the current state at once and one background re-read per execution follows this
   * schedule (waits before each read, through `sleep`), its result reaching the webhook pipeline
   * through `subscribeBackgroundEvents`. Defaults to Jumio's documented schedule (40 s, 60 s,
   * 100 s … 940 s); pass a scaled copy to run it faster. `[]` disables the background re-read.
   */
  retrievalRetryDelaysMs?: readonly number[]
  /**
   * The age your Jumio ruleset requires (`JUMIO_MINIMUM_AGE`), default 18. Jumio shows no capability
   * label when a tenant's age rule rejects an applicant; when a rejection (or review) is explained by
   * no capability and the age read from the document is below this, the reason is `age_requirement`.
   * `false` turns the inference off.
   */
  minimumAge?: number | false
  /**
   * Jumio documents no field telling a reviewer's decision from an automated one. Its automated
   * decision follows the capabilities, so by default an approval over a capability that warned or
   * failed is read as a person's override (`decidedBy: 'manual'`). Set `false` when your ruleset
   * approves over warnings by itself.
   */
  detectManualDecisions?: boolean
  /**
   * The applicant's consent record for workflows that collect biometrics (Jumio answers 400 without
   * it), as a fixed value or a function of the subject. `createVerification({ jumio: { userConsent } })`
   * wins over it. The consent is the application's to collect; the adapter only forwards it.
   */
  userConsent?: JumioUserConsent | JumioUserConsentSupplier
  /** Remembers which Jumio account belongs to which subject. Defaults to an in-memory map. */
  accountStore?: JumioStore<string>
  /** Keeps API-channel upload URLs and tokens. Defaults to an in-memory map. */
  transactionStore?: JumioStore<JumioTransaction>
  /** A `fetch` to send requests with (a simulator's handler, a proxy-aware fetch). */
  fetch?: typeof globalThis.fetch
  /** Receives redacted log lines. */
  logger?: KycLogger
  /** The clock, in milliseconds since the epoch. */
  now?: () => number
  /** How to wait between retries; tests inject a fake one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Per-attempt timeout in milliseconds. Defaults to the HTTP policy's. */
  timeoutMs?: number
  /** Retries on 408/429/5xx/network errors. Defaults to the HTTP policy's. */
  retries?: number
  /**
   * Client-side budget for account requests that start a transaction. Jumio's documented default is
   * one per second per tenant (DOC Rate Limits), so that is the default. It is measured on the real
   * clock, not on `now`: it protects the tenant's real quota. Pass a `RateLimiter` from
   * `@openkyc/core/http` to share one budget between adapters, or `false` to turn it off (a
   * simulator, a tenant with a higher limit).
   */
  transactionRateLimit?: RateLimit | RateLimiter | false
  /**
   * Budget for the Retrieval API reads that callbacks trigger, apart from the application's own
   * calls: anyone can post a callback, so a flood of forged ones must not use up the tenant's
   * retrieval quota (15 per second, DOC Rate Limits). Default 5 reads per second on the real clock.
   * A callback that finds no read free is answered "try later" (`KycRateLimitedError`, HTTP 503)
   * at once, never held open. Background re-reads wait for a slot. `false` turns it off.
   */
  callbackReadRateLimit?: RateLimit | RateLimiter | false
  /** Where to read the fallbacks from. Defaults to `process.env`. */
  env?: Record<string, string | undefined>
}

/** The environment variable behind each setting, as documented in the README. */
export const jumioEnvironmentVariables = {
  clientId: 'JUMIO_CLIENT_ID',
  clientSecret: 'JUMIO_CLIENT_SECRET',
  region: 'JUMIO_REGION',
  userAgent: 'JUMIO_USER_AGENT',
  workflowKey: 'JUMIO_WORKFLOW_KEY',
  callbackUrl: 'JUMIO_CALLBACK_URL',
  tokenLifetime: 'JUMIO_TOKEN_LIFETIME',
  minimumAge: 'JUMIO_MINIMUM_AGE',
  verifyCallbackSource: 'JUMIO_CALLBACK_IPS',
  'baseUrls.auth': 'JUMIO_AUTH_URL',
  'baseUrls.account': 'JUMIO_ACCOUNT_URL',
  'baseUrls.api': 'JUMIO_API_URL',
  'baseUrls.retrieval': 'JUMIO_RETRIEVAL_URL',
} as const

/** The workflow used when none is configured: Jumio's standalone ID and identity verification (W22). */
export const defaultJumioWorkflowKey = '10011'

/** Jumio's `tokenLifetime` syntax (G23): a number and one of s, m, h, d; 5 minutes to 60 days. */
const tokenLifetimePattern = /^([+-]?\d+)([smhd])$/

/**
 * Why Jumio would refuse a callback URL, or `undefined` when it would not (PS "callback URL
 * constraints": HTTPS, valid RFC 3986 URL, no IP addresses, no ports, no fragments).
 */
export function jumioCallbackUrlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'expected an absolute https URL'
  }
  if (url.protocol !== 'https:') return 'Jumio accepts https callback URLs only'
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(url.hostname) || url.hostname.startsWith('[')) {
    return 'Jumio refuses an IP address as the callback host: use a domain name'
  }
  if (url.hostname === 'localhost' || !url.hostname.includes('.')) {
    return 'Jumio needs a public domain name as the callback host'
  }
  if (url.port !== '' || /^https:\/\/[^/]*:\d+/i.test(value)) {
    return 'Jumio refuses a port in the callback URL'
  }
  if (url.hash !== '' || value.includes('#')) return 'Jumio refuses a fragment (#…) in the callback URL'
  return undefined
}

/** The settings after defaults, validated (built on the first `createJumio`). */
const resolvedSettingsSchema = lazy(() => {
  const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

  const rateLimitSetting = rateLimitSettingSchema()

  return z
    .strictObject({
      clientId: headerSafeSecret,
      clientSecret: headerSafeSecret,
      region: z.enum(['amer-1', 'emea-1', 'apac-1']).optional(),
      baseUrls: z.strictObject({
        auth: httpUrl,
        account: httpUrl,
        api: httpUrl.optional(),
        retrieval: httpUrl,
      }),
      userAgent: headerSafeText.max(255),
      workflowKey: z.string().regex(/^\d+$/, 'expected a numeric workflow definition key'),
      callbackUrl: httpUrl.max(255).optional(),
      allowInsecureCallbackUrl: z.boolean(),
      tokenLifetime: z
        .string()
        .regex(tokenLifetimePattern, 'expected a number and a unit (s, m, h, d), such as 30m')
        .refine((value) => {
          const milliseconds = parseTokenLifetime(value)
          return milliseconds >= 5 * 60_000 && milliseconds <= 60 * 86_400_000
        }, 'must be between 5m and 60d')
        .optional(),
      callbackSourceAddresses: z
        .array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]), 'expected IP addresses or CIDR ranges')
        .optional(),
      retrievalRetryDelaysMs: z.array(z.number().int().min(0)),
      minimumAge: z.union([z.number().int().min(0).max(150), z.literal(false)]),
      detectManualDecisions: z.boolean(),
      timeoutMs: z.number().int().positive().optional(),
      retries: z.number().int().min(0).max(10).optional(),
      transactionRateLimit: rateLimitSetting,
      callbackReadRateLimit: rateLimitSetting,
    })
    .superRefine((settings, context) => {
      if (settings.callbackUrl === undefined || settings.allowInsecureCallbackUrl) return
      const problem = jumioCallbackUrlProblem(settings.callbackUrl)
      if (problem !== undefined) context.addIssue({ code: 'custom', path: ['callbackUrl'], message: problem })
    })
})

/** Settings after defaults, environment fallbacks and validation. */
export type ResolvedJumioSettings = z.infer<ReturnType<typeof resolvedSettingsSchema>> & {
  fetch: typeof globalThis.fetch | undefined
  logger: KycLogger | undefined
  now: () => number
  sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
  accountStore: JumioStore<string>
  transactionStore: JumioStore<JumioTransaction>
  userConsent: JumioUserConsent | JumioUserConsentSupplier | undefined
}

/**
 * Jumio's retrieval retry schedule (G23 "best practice"): wait for details at most ten times, after
 * 40, 60, 100, 160, 240, 340, 460, 600, 760 and 940 seconds.
 */
export const jumioRetrievalRetryDelaysMs: readonly number[] = [
  40, 60, 100, 160, 240, 340, 460, 600, 760, 940,
].map((seconds) => seconds * 1000)

/**
 * The default budget of callback-triggered retrieval reads: 5 per second, a third of Jumio's
 * documented 15 per second for retrieval, so the application's own reads keep the rest.
 */
export const jumioCallbackReadRateLimit: RateLimit = Object.freeze({ requests: 5, intervalMs: 1000 })

/** Jumio's `tokenLifetime` in milliseconds (`30m` → 1 800 000). */
export function parseTokenLifetime(value: string): number {
  const match = tokenLifetimePattern.exec(value)
  if (match === null) return Number.NaN
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

/** The regional hosts (G23, DOC Authorization). */
export function jumioRegionBaseUrls(region: JumioRegion): Required<JumioBaseUrls> {
  return {
    auth: `https://auth.${region}.jumio.ai`,
    account: `https://account.${region}.jumio.ai`,
    api: `https://api.${region}.jumio.ai`,
    retrieval: `https://retrieval.${region}.jumio.ai`,
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === '' ? undefined : trimmed
}

/**
 * A store in memory. With `isExpired`, entries past their time are dropped when read and swept on
 * every write, so abandoned upload sessions do not pile up.
 */
function createMemoryStore<Value>(isExpired?: (value: Value) => boolean): JumioStore<Value> {
  const entries = new Map<string, Value>()
  return {
    get: (key) => {
      const value = entries.get(key)
      if (value !== undefined && isExpired?.(value) === true) {
        entries.delete(key)
        return undefined
      }
      return value
    },
    set: (key, value) => {
      if (isExpired !== undefined) {
        for (const [existing, entry] of entries) if (isExpired(entry)) entries.delete(existing)
      }
      entries.set(key, value)
    },
    delete: (key) => {
      entries.delete(key)
    },
  }
}

/**
 * Merges settings with their environment fallbacks and validates them. A missing or invalid setting
 * throws `KycConfigurationError` naming the setting and its environment variable, never the value.
 */
export function resolveJumioSettings(settings: JumioSettings = {}): ResolvedJumioSettings {
  const env = settings.env ?? processEnvironment()
  const region = settings.region ?? (nonEmpty(env.JUMIO_REGION) as JumioRegion | undefined)
  const regional =
    region !== undefined && jumioRegions.includes(region) ? jumioRegionBaseUrls(region) : undefined
  const baseUrls = {
    auth: settings.baseUrls?.auth ?? nonEmpty(env.JUMIO_AUTH_URL) ?? regional?.auth,
    account: settings.baseUrls?.account ?? nonEmpty(env.JUMIO_ACCOUNT_URL) ?? regional?.account,
    api: settings.baseUrls?.api ?? nonEmpty(env.JUMIO_API_URL) ?? regional?.api,
    retrieval: settings.baseUrls?.retrieval ?? nonEmpty(env.JUMIO_RETRIEVAL_URL) ?? regional?.retrieval,
  }
  const environmentAddresses = nonEmpty(env.JUMIO_CALLBACK_IPS)
  const verifyCallbackSource = settings.verifyCallbackSource ?? environmentAddresses?.split(',') ?? false
  const callbackSourceAddresses =
    verifyCallbackSource === false
      ? undefined
      : verifyCallbackSource === true
        ? region !== undefined && jumioRegions.includes(region)
          ? [...jumioCallbackAddresses[region]]
          : allJumioCallbackAddresses()
        : verifyCallbackSource.map((address) => address.trim()).filter((address) => address !== '')
  const workflowKey = settings.workflowKey ?? nonEmpty(env.JUMIO_WORKFLOW_KEY) ?? defaultJumioWorkflowKey

  const candidate = {
    clientId: settings.clientId ?? nonEmpty(env.JUMIO_CLIENT_ID),
    clientSecret: settings.clientSecret ?? nonEmpty(env.JUMIO_CLIENT_SECRET),
    region,
    baseUrls: Object.fromEntries(Object.entries(baseUrls).filter(([, value]) => value !== undefined)),
    userAgent: settings.userAgent ?? nonEmpty(env.JUMIO_USER_AGENT),
    workflowKey: String(workflowKey),
    callbackUrl: settings.callbackUrl ?? nonEmpty(env.JUMIO_CALLBACK_URL),
    allowInsecureCallbackUrl: settings.allowInsecureCallbackUrl ?? false,
    tokenLifetime: settings.tokenLifetime ?? nonEmpty(env.JUMIO_TOKEN_LIFETIME),
    callbackSourceAddresses,
    retrievalRetryDelaysMs: [...(settings.retrievalRetryDelaysMs ?? jumioRetrievalRetryDelaysMs)],
    detectManualDecisions: settings.detectManualDecisions ?? true,
    minimumAge:
      settings.minimumAge ??
      (nonEmpty(env.JUMIO_MINIMUM_AGE) === undefined ? 18 : Number(nonEmpty(env.JUMIO_MINIMUM_AGE))),
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    transactionRateLimit: settings.transactionRateLimit ?? { requests: 1, intervalMs: 1000 },
    callbackReadRateLimit: settings.callbackReadRateLimit ?? jumioCallbackReadRateLimit,
  }
  if (settings.now !== undefined) assertClock(settings.now, { provider: 'jumio', setting: 'now' })
  const parsed = resolvedSettingsSchema().safeParse(candidate)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new KycConfigurationError({ provider: 'jumio', message: describeSettingIssue(issue) })
  }
  return {
    ...parsed.data,
    fetch: settings.fetch,
    logger: settings.logger,
    now: settings.now ?? Date.now,
    sleep: settings.sleep,
    accountStore: settings.accountStore ?? createMemoryStore<string>(),
    transactionStore:
      settings.transactionStore ??
      createMemoryStore<JumioTransaction>(
        (transaction) => transaction.expiresAt <= (settings.now ?? Date.now)(),
      ),
    userConsent: settings.userConsent,
  }
}

function describeSettingIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String)
  const setting = path[0] === 'callbackSourceAddresses' ? 'verifyCallbackSource' : path.slice(0, 2).join('.')
  const variable = (jumioEnvironmentVariables as Record<string, string>)[setting]
  const where = variable === undefined ? `"${setting}"` : `"${setting}" (or ${variable})`
  const missing = issue.code === 'invalid_type' && issue.input === undefined
  if (missing && setting.startsWith('baseUrls')) {
    return `Jumio is not configured: set "region" (or JUMIO_REGION) to amer-1, emea-1 or apac-1, or give ${where}.`
  }
  if (missing) return `Jumio is not configured: the setting ${where} is missing.`
  // The message names the setting and the rule it breaks; the value itself is never echoed.
  return `Jumio is misconfigured: the setting ${where} is invalid: ${issue.message}.`
}

/**
 * Jumio's published callback source addresses (DOC Callback, current list), by region. The hostnames
 * are `callback.amer-1.jumio.ai`, `callback.emea-1.jumio.ai` and `callback.apac-1.jumio.ai`.
 *
 * @see https://docs.jumio.com/production/Content/Integration/Callback.htm
 */
export const jumioCallbackAddresses: Readonly<Record<JumioRegion, readonly string[]>> = {
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
}

function allJumioCallbackAddresses(): string[] {
  return jumioRegions.flatMap((region) => [...jumioCallbackAddresses[region]])
}
