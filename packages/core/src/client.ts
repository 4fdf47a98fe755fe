import { z } from '#zod'
import {
  type CreateVerificationResult,
  capabilityMethods,
  type KycAdapter,
  type KycCapabilityMethod,
  type KycLogger,
  kycCapabilities,
} from './adapter.js'
import { type EnforcedKycAdapter, enforceCapabilities } from './capabilities.js'
import { processEnvironment } from './environment.js'
import { describeIssues, isKycError, KycConfigurationError } from './errors.js'
import { lazy } from './lazy.js'
import { type AgreementReport, createAgreementReport } from './routing/agreement-report.js'
import { createRouter, type RoutedCreateVerificationOptions } from './routing/router.js'
import { parseRoutingConfig, type RoutingConfig, routedProviders } from './routing/routing-config.js'
import type { RecordLostShadowsOptions, ShadowStatistics } from './routing/shadow.js'
import { createSafeObject } from './safe-keys.js'
import { createMemoryStore } from './store/memory-store.js'
import type { KycStore } from './store/types.js'
import { instrumentAdapter } from './telemetry/instrument-adapter.js'
import { instrumentWebhookPipeline } from './telemetry/instrument-webhooks.js'
import {
  createWebhookPipeline,
  type WebhookPipeline,
  type WebhookPipelineOptions,
} from './webhook/pipeline.js'

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>

/** An installed adapter: an instance, or a zero-argument factory called only when its provider is chosen. */
export type KycAdapterEntry = KycAdapter | (() => KycAdapter)

/** The environment variable that chooses the provider when `config.provider` is not given. */
export const providerEnvironmentVariable = 'KYC_PROVIDER'

/** Configuration for {@link createKyc}. */
export type KycConfig<Name extends string = string, Handle = undefined> = {
  /**
   * The provider to use, by its key in `adapters`. Default: `KYC_PROVIDER` from the environment, or
   * the only installed adapter when there is just one.
   */
  provider?: NoInfer<Name> | (string & {})
  /**
   * Every adapter the application can use, keyed by name. Give factories (`() => createJumio()`) so
   * that only the chosen provider reads and validates its settings.
   */
  adapters: Readonly<Record<Name, KycAdapterEntry>>
  /**
   * Where the webhook inbox, verification states and audit log live (see `KycStore`). Default: a
   * fresh `createMemoryStore()`, for one process; give every instance the same durable store
   * (`@openkyc/postgres`) in production.
   */
  store?: KycStore<Handle>
  /**
   * The webhook pipeline's settings: lease, store timeout, claim wait, events per transaction, body
   * limit, and a default `onEvent` (used when `handle` gets none, and for the adapter's background
   * events). See `WebhookPipelineOptions`.
   */
  webhooks?: Pick<
    WebhookPipelineOptions<Handle>,
    | 'leaseMs'
    | 'storeTimeoutMs'
    | 'claimWaitMs'
    | 'maxEventsPerTransaction'
    | 'maxBodyBytes'
    | 'onEvent'
    | 'archive'
  >
  /** Receives the pipeline's log lines (ids and statuses, never personal data). */
  logger?: KycLogger
  /**
   * Receives events the adapter produced after a delivery was answered (a Jumio re-read once details
   * are ready), already deduped and applied; see `WebhookPipelineOptions.onBackgroundOutcome`.
   */
  onBackgroundWebhookOutcome?: WebhookPipelineOptions['onBackgroundOutcome']
  /** The environment to read `KYC_PROVIDER` from. Default `process.env`; inject one in tests. */
  env?: Environment
  /**
   * Routing across installed providers: coverage, rules, a sticky split, fallback and shadow runs
   * (see `RoutingConfig` and the README's "Routing"). Without it the client uses one provider, as
   * chosen by `provider`. With it, every provider it names is created at start-up, `provider` (or
   * `KYC_PROVIDER`, or the first provider `routing` names) is the default, and every routing decision
   * is stored with the verification and an audit entry in `store`.
   */
  routing?: RoutingConfig
}

/** The adapter methods that name a provider on a routed client (the default provider when omitted). */
type ProviderMethod = KycCapabilityMethod | 'getVerification'

/**
 * The adapter's methods, each also accepting `provider`: on a routed client, the provider key or
 * `verification.provider` of the verification the call is about (default: the default provider).
 * A client without routing ignores it.
 */
export type ProviderMethods = {
  [Method in ProviderMethod]: (
    options: Parameters<EnforcedKycAdapter[Method]>[0] & { provider?: string },
  ) => ReturnType<EnforcedKycAdapter[Method]>
}

/**
 * A KYC client for the chosen provider: the adapter's methods with capabilities enforced (an
 * undeclared one throws `KycUnsupportedCapabilityError` before any request), plus its webhook pipeline.
 * With `routing` configured, `createVerification` routes, and the other methods go to the provider
 * named by their `provider` option.
 */
export type KycClient<Handle = undefined> = Omit<EnforcedKycAdapter, 'createVerification' | ProviderMethod> &
  ProviderMethods & {
    /** Creates a verification; on a routed client, at the provider routing chooses. */
    createVerification(options: RoutedCreateVerificationOptions): Promise<CreateVerificationResult>
    /** Every installed adapter name, in configuration order. */
    readonly providers: readonly string[]
    /** The webhook pipeline for the chosen (default) adapter. */
    readonly webhooks: WebhookPipeline<Handle>
    /** The store the client keeps its state in (`config.store`, or the default memory store). */
    readonly store: KycStore<Handle>
    /** Routing's own surface, when `routing` is configured; `undefined` otherwise. */
    readonly routing: KycRouting<Handle> | undefined
  }

/** What a routed client adds (see {@link KycClient} `routing`). */
export type KycRouting<Handle = undefined> = {
  /** Every provider key routing can use (the default provider first). */
  readonly providers: readonly string[]
  /** The capability-enforced adapter of a routed provider, by key or provider name. */
  adapter(provider: string): EnforcedKycAdapter
  /**
   * The webhook pipeline of a routed provider (created on first use, one per provider, on the
   * client's store): route each provider's webhooks to its own pipeline.
   */
  webhooks(provider: string): WebhookPipeline<Handle>
  /** The agreement report of the shadow runs recorded in the client's store. See `createAgreementReport`. */
  agreementReport(): Promise<AgreementReport>
  /** What the shadow runner did so far (zeros when no shadow is configured). */
  shadowStatistics(): ShadowStatistics
  /** Resolves once every started shadow run has ended (call it before closing the store). */
  drain(): Promise<void>
  /**
   * Records, as not run (`process_ended`), every planned shadow run whose process ended before it
   * ran (its evidence waited in that process's memory); returns how many. See `ShadowRunner`
   * `recordLostShadows`. Resolves to 0 when no shadow is configured.
   */
  recordLostShadows(options?: RecordLostShadowsOptions): Promise<number>
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

const hasMethods = (value: unknown, methods: readonly string[]) =>
  isObject(value) && methods.every((method) => typeof value[method] === 'function')

/** What `createKyc` accepts, checked before anything is built (built on the first call). */
const kycConfigSchema = lazy(() => {
  const storeSchema = z.custom<KycStore>(
    (value) =>
      hasMethods(value, ['transaction']) &&
      isObject(value) &&
      hasMethods(value.inbox, ['claim', 'release']) &&
      hasMethods(value.verifications, ['get']) &&
      hasMethods(value.audit, ['read', 'head']) &&
      hasMethods(value.keyValue, ['get', 'set', 'setIfAbsent', 'delete']),
    { message: 'expected a KycStore (inbox, verifications, audit, keyValue, transaction)' },
  )

  const positiveInteger = z.number().int().positive()

  return z.strictObject({
    provider: z.string().trim().min(1, 'expected a provider name').optional(),
    adapters: z
      .record(
        z.string().min(1),
        z.custom<KycAdapterEntry>((value) => typeof value === 'function' || isObject(value), {
          message: 'expected an adapter, or a function returning one',
        }),
      )
      .refine((adapters) => Object.keys(adapters).length > 0, { message: 'install at least one adapter' }),
    store: storeSchema.optional(),
    webhooks: z
      .strictObject({
        leaseMs: positiveInteger.optional(),
        storeTimeoutMs: positiveInteger.optional(),
        claimWaitMs: positiveInteger.optional(),
        maxEventsPerTransaction: positiveInteger.optional(),
        maxBodyBytes: positiveInteger.optional(),
        onEvent: z
          .custom<NonNullable<WebhookPipelineOptions['onEvent']>>((value) => typeof value === 'function', {
            message: 'expected a function',
          })
          .optional(),
        archive: z
          .custom<NonNullable<WebhookPipelineOptions['archive']>>(
            (value) =>
              isObject(value) &&
              typeof (value as { archiveDelivery?: unknown }).archiveDelivery === 'function',
            { message: 'expected a RawArchive (createRawArchive)' },
          )
          .optional(),
      })
      .optional(),
    logger: z.custom<KycLogger>(isObject, { message: 'expected a logger object' }).optional(),
    onBackgroundWebhookOutcome: z
      .custom<NonNullable<WebhookPipelineOptions['onBackgroundOutcome']>>(
        (value) => typeof value === 'function',
        { message: 'expected a function' },
      )
      .optional(),
    env: z.custom<Environment>(isObject, { message: 'expected an environment object' }).optional(),
    routing: z.unknown().optional(),
  })
})

function defaultEnvironment(): Environment {
  return processEnvironment()
}

function checkAdapter(name: string, adapter: unknown): KycAdapter {
  const problem = !isObject(adapter)
    ? 'is not an object'
    : typeof adapter.provider !== 'string' || adapter.provider.length === 0
      ? 'has no provider name'
      : !isObject(adapter.capabilities) ||
          !kycCapabilities.every(
            (capability) =>
              typeof (adapter.capabilities as Record<string, unknown>)[capability] === 'boolean',
          )
        ? 'does not declare every capability as true or false'
        : (['createVerification', 'getVerification', 'parseWebhook'] as const).find(
              (method) => typeof adapter[method] !== 'function',
            ) !== undefined
          ? 'lacks one of createVerification(), getVerification(), parseWebhook()'
          : undefined
  if (problem !== undefined) {
    throw new KycConfigurationError({
      provider: name,
      message: `The adapter installed as "${name}" ${problem}; it does not implement KycAdapterV1.`,
    })
  }
  return adapter as KycAdapter
}

function instantiate(name: string, entry: KycAdapterEntry): KycAdapter {
  if (typeof entry !== 'function') return checkAdapter(name, entry)
  let adapter: unknown
  try {
    adapter = entry()
  } catch (error) {
    // Adapter factories throw KycConfigurationError naming the missing setting: pass it on as it is.
    if (isKycError(error)) throw error
    throw new KycConfigurationError({
      provider: name,
      message: `The "${name}" adapter factory failed; see the error's cause.`,
      cause: error,
    })
  }
  if (adapter instanceof Promise) {
    throw new KycConfigurationError({
      provider: name,
      message: `The "${name}" adapter factory returned a promise; factories must return the adapter itself.`,
    })
  }
  return checkAdapter(name, adapter)
}

/**
 * Builds the KYC client for one provider, chosen by configuration: swapping Jumio for Persona is a
 * change of `KYC_PROVIDER`, not of code. Only the chosen adapter's factory runs, so the other
 * providers' settings need not be present. Everything is validated here, at start-up: an unknown
 * provider, a missing setting or a malformed config throws `KycConfigurationError` whose message
 * names what to set.
 *
 * @example
 * ```ts
 * import { createKyc } from '@openkyc/core'
 * import { createJumio } from '@openkyc/jumio'
 * import { createPersona } from '@openkyc/persona'
 *
 * const kyc = createKyc({
 *   adapters: { jumio: () => createJumio(), persona: () => createPersona() },
 * }) // KYC_PROVIDER=persona picks Persona
 *
 * const { verification } = await kyc.createVerification({ subjectReference: user.id })
 * ```
 */
export function createKyc<const Name extends string, Handle = undefined>(
  config: KycConfig<Name, Handle>,
): KycClient<Handle> {
  if (isObject(config) && 'webhookStore' in config) {
    throw new KycConfigurationError({
      message:
        'createKyc: webhookStore was replaced by store, a KycStore: pass { store: createMemoryStore() } or a durable store such as @openkyc/postgres. A custom store now implements KycStore and runs describeStoreConformance from @openkyc/testkit/store-conformance.',
    })
  }
  const parsed = kycConfigSchema().safeParse(config)
  if (!parsed.success) {
    throw new KycConfigurationError({
      message: `Invalid createKyc configuration: ${describeIssues(parsed.error.issues, Number.POSITIVE_INFINITY)}.`,
    })
  }
  const adapters = parsed.data.adapters as Record<string, KycAdapterEntry>
  const installed = Object.keys(adapters)
  const env = parsed.data.env ?? defaultEnvironment()
  const fromEnvironment = env[providerEnvironmentVariable]?.trim() || undefined
  const routing =
    parsed.data.routing === undefined ? undefined : parseRoutingConfig(parsed.data.routing, installed)
  const requested =
    parsed.data.provider ??
    fromEnvironment ??
    (installed.length === 1 ? installed[0] : undefined) ??
    (routing === undefined ? undefined : routedProviders(routing)[0])
  if (requested === undefined) {
    throw new KycConfigurationError({
      message: `Set ${providerEnvironmentVariable} or pass { provider } to choose a KYC provider — installed: ${installed.join(', ')}.`,
    })
  }
  const name =
    installed.find((candidate) => candidate === requested) ??
    installed.find((candidate) => candidate.toLowerCase() === requested.toLowerCase())
  if (name === undefined) {
    const source = parsed.data.provider === undefined ? ` (from ${providerEnvironmentVariable})` : ''
    throw new KycConfigurationError({
      message: `Unknown KYC provider "${requested}"${source} — installed: ${installed.join(', ')}.`,
    })
  }
  const prepare = (key: string) => enforceCapabilities(instrumentAdapter(instantiate(key, adapters[key]!)))
  const adapter = prepare(name)
  const store = (parsed.data.store ?? createMemoryStore()) as KycStore<Handle>
  const createPipeline = (target: EnforcedKycAdapter) =>
    instrumentWebhookPipeline(
      createWebhookPipeline<Handle>({
        adapter: target,
        store,
        ...parsed.data.webhooks,
        ...(parsed.data.logger === undefined ? {} : { logger: parsed.data.logger }),
        ...(parsed.data.onBackgroundWebhookOutcome === undefined
          ? {}
          : { onBackgroundOutcome: parsed.data.onBackgroundWebhookOutcome }),
      }),
      target.provider,
    )
  const webhooks = createPipeline(adapter)
  if (routing === undefined) {
    return Object.freeze({ ...adapter, providers: installed, webhooks, store, routing: undefined })
  }

  const routedAdapters = new Map<string, EnforcedKycAdapter>([[name, adapter]])
  for (const key of routedProviders(routing)) {
    if (!routedAdapters.has(key)) routedAdapters.set(key, prepare(key))
  }
  if (routing.shadow !== undefined && !routedAdapters.get(routing.shadow.provider)?.capabilities.upload) {
    throw new KycConfigurationError({
      provider: routing.shadow.provider,
      message: `Invalid createKyc configuration: routing.shadow.provider "${routing.shadow.provider}" does not declare the "upload" capability; shadow runs send API-channel evidence, so the shadow provider must accept it.`,
    })
  }
  const router = createRouter({
    config: routing,
    adapters: routedAdapters,
    defaultProvider: name,
    store,
    logger: parsed.data.logger,
  })
  const pipelines = new Map<string, WebhookPipeline<Handle>>([[name, webhooks]])
  const routingSurface: KycRouting<Handle> = Object.freeze({
    providers: [...routedAdapters.keys()],
    adapter: (provider: string) => router.adapterFor(provider),
    webhooks(provider: string) {
      const target = router.adapterFor(provider)
      const key = [...routedAdapters].find(([, candidate]) => candidate === target)?.[0] ?? provider
      let pipeline = pipelines.get(key)
      if (pipeline === undefined) {
        pipeline = createPipeline(target)
        pipelines.set(key, pipeline)
      }
      return pipeline
    },
    agreementReport: () => createAgreementReport({ store }),
    shadowStatistics: () => ({
      ...(router.shadow?.statistics ?? {
        tracked: 0,
        started: 0,
        skippedForBudget: 0,
        dropped: 0,
        completed: 0,
        failed: 0,
      }),
    }),
    drain: async () => router.shadow?.drain(),
    recordLostShadows: async (options?: RecordLostShadowsOptions) =>
      router.shadow === undefined ? 0 : router.shadow.recordLostShadows(options),
  })
  const dispatch = (method: ProviderMethod) => async (options: { provider?: string }) => {
    const { provider, ...rest } = options
    const target = router.adapterFor(provider) as unknown as Record<string, (call: unknown) => unknown>
    return target[method]!(rest)
  }
  const methods = Object.fromEntries(
    (
      ['getVerification', ...kycCapabilities.flatMap((capability) => capabilityMethods[capability])] as const
    ).map((method) => [method, dispatch(method)]),
  ) as unknown as ProviderMethods
  return Object.freeze({
    ...adapter,
    ...methods,
    createVerification: router.createVerification,
    uploadCredential: router.uploadCredential,
    submitVerification: router.submitVerification,
    providers: installed,
    webhooks,
    store,
    routing: routingSurface,
  }) as KycClient<Handle>
}

/** Options for {@link readSetting}. */
export type ReadSettingOptions = {
  /** The value passed in code; wins over the environment. */
  value: string | undefined
  /** The environment variable to fall back to, for example `PERSONA_API_KEY`. */
  env: string
  /** The setting's name in the factory's options, for example `apiKey`. */
  name: string
  /** The provider, named in the error. */
  provider: string
  /** The environment to read. Default `process.env`. */
  environment?: Environment
}

/**
 * Reads one adapter setting from its option or its environment variable, for adapter factories.
 * Throws `KycConfigurationError` naming the option and the variable when neither is set; the value
 * itself (often a secret) never appears in an error.
 *
 * @example
 * ```ts
 * export function createAcme(settings: { apiKey?: string } = {}) {
 *   const apiKey = readSetting({ value: settings.apiKey, env: 'ACME_API_KEY', name: 'apiKey', provider: 'acme' })
 * }
 * ```
 */
export function readSetting(options: ReadSettingOptions): string {
  const value = options.value || (options.environment ?? defaultEnvironment())[options.env] || undefined
  if (value === undefined) {
    throw new KycConfigurationError({
      provider: options.provider,
      message: `The ${options.provider} adapter needs ${options.name}: pass { ${options.name} } or set ${options.env}.`,
    })
  }
  return value
}

/** Options for {@link parseAdapterSettings}. */
export type ParseAdapterSettingsOptions = {
  /** The provider, named in errors. */
  provider: string
  /** The environment to read. Default `process.env`. */
  env?: Environment
}

/**
 * Validates an adapter factory's settings with a zod schema, filling each setting missing from
 * `input` from its environment variable in `envMap` (`{ apiKey: 'PERSONA_API_KEY' }`). Environment
 * values are strings: use `z.coerce` for numbers. Throws `KycConfigurationError` listing every
 * problem by setting and variable name, never by value, so secrets do not leak into logs.
 *
 * @example
 * ```ts
 * const settings = parseAdapterSettings(
 *   z.object({ apiKey: z.string().min(1), baseUrl: z.url().default('https://api.acme.test') }),
 *   options,
 *   { apiKey: 'ACME_API_KEY', baseUrl: 'ACME_BASE_URL' },
 *   { provider: 'acme' },
 * )
 * ```
 */
export function parseAdapterSettings<Schema extends z.ZodType>(
  schema: Schema,
  input: Partial<Record<string, unknown>> | undefined,
  envMap: Readonly<Record<string, string>>,
  options: ParseAdapterSettingsOptions,
): z.output<Schema> {
  const env = options.env ?? defaultEnvironment()
  // No prototype: a settings object parsed from JSON with a `__proto__` key cannot lend the schema
  // inherited values.
  const merged = createSafeObject()
  for (const [name, variable] of Object.entries(envMap)) {
    const value = env[variable]
    if (value !== undefined && value !== '') merged[name] = value
  }
  for (const [name, value] of Object.entries(input ?? {})) {
    if (value !== undefined) merged[name] = value
  }
  const parsed = schema.safeParse(merged)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path[0]
    if (typeof name !== 'string') return issue.message
    const variable = envMap[name]
    const where = issue.path.join('.')
    if (merged[name] === undefined) {
      return variable === undefined ? `pass { ${name} }` : `pass { ${name} } or set ${variable}`
    }
    const origin = variable !== undefined && input?.[name] === undefined ? ` (from ${variable})` : ''
    return `${where}${origin} is invalid: ${issue.message}`
  })
  throw new KycConfigurationError({
    provider: options.provider,
    message: `The ${options.provider} adapter is misconfigured: ${[...new Set(problems)].join('; ')}.`,
  })
}
