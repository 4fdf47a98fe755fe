import type {
  CreateVerificationOptions,
  CreateVerificationResult,
  KycLogger,
  UploadCredentialOptions,
  VerificationCallOptions,
} from '../adapter.js'
import type { EnforcedKycAdapter } from '../capabilities.js'
import { KycInvalidRequestError, KycOutsideCoverageError } from '../errors.js'
import { isCountryCode } from '../model/country.js'
import { DocumentTypeSchema } from '../model/credential.js'
import type { Verification } from '../model/verification.js'
import type { KycStore } from '../store/types.js'
import { coverageProblem, type RoutingRequest } from './coverage.js'
import { allowsFallback, classifyAttemptError, errorCodeOf } from './fallback.js'
import {
  claimIdempotencyKey,
  createdIdempotencyRecord,
  type IdempotencyClaim,
  type IdempotencyReplay,
  releaseIdempotencyKey,
  routedIdempotencyLifetimeMs,
  routedIdempotencyNamespace,
} from './idempotency.js'
import type { ParsedRoutingConfig, ProviderCoverage } from './routing-config.js'
import {
  isKnownDocumentType,
  isRecordableDocumentTypes,
  maxRecordedDocumentTypes,
  RoutingLabelSchema,
  type RoutingRecord,
} from './routing-record.js'
import { matchRule } from './rules.js'
import { createShadowRunner, type ShadowContext, type ShadowRunner } from './shadow.js'
import { type SplitPlan, splitAssignmentNamespace, splitPlanFor } from './split.js'
import { storeRoutedVerification } from './store-routing.js'

/** What a routed `createVerification` call may add: attributes for rules and a segment label for reports. */
export type RoutingHints = {
  /**
   * Values rules match on (`when.attributes`), such as a product line or risk tier. Keys and values
   * are strings; they are not recorded anywhere. Never put personal data here.
   */
  attributes?: Readonly<Record<string, string>>
  /**
   * A label recorded with the routing decision and used to group the agreement report (a scenario,
   * a product, a cohort): letters, digits and `_ . : -`, at most 64 characters. Never personal data.
   */
  segment?: string
}

/** `createVerification` options on a routed client: the adapter's options plus {@link RoutingHints}. */
export type RoutedCreateVerificationOptions = CreateVerificationOptions & { routing?: RoutingHints }

/** Options for {@link createRouter}. */
export type RouterOptions = {
  config: ParsedRoutingConfig
  /** Every routed adapter, capabilities enforced, by its key in `adapters`. */
  adapters: ReadonlyMap<string, EnforcedKycAdapter>
  /** The key of the provider used when no rule or split applies. */
  defaultProvider: string
  store: KycStore
  logger?: KycLogger | undefined
  /** The current time in milliseconds, for the shadow budget. Default `Date.now`. */
  now?: (() => number) | undefined
}

/** The routing engine behind a routed `createKyc` client. See {@link createRouter}. */
export type Router = {
  /** Chooses providers for the request and creates the verification at the first that accepts it. */
  createVerification(options: RoutedCreateVerificationOptions): Promise<CreateVerificationResult>
  /** The adapter for a provider key or provider name (`verification.provider`); the default one when omitted. */
  adapterFor(provider: string | undefined): EnforcedKycAdapter
  /** Uploads evidence at the verification's provider (and keeps a copy when the verification is shadowed). */
  uploadCredential(options: UploadCredentialOptions & { provider?: string }): Promise<void>
  /** Submits at the verification's provider; a shadowed verification's shadow run starts after it returned. */
  submitVerification(options: VerificationCallOptions & { provider?: string }): Promise<Verification>
  /** The shadow runner, when `shadow` is configured. */
  readonly shadow: ShadowRunner | undefined
}

/**
 * Builds the routing engine: rules, sticky split, coverage, fallback and shadow over installed,
 * capability-enforced adapters. `createKyc` calls it when `routing` is configured.
 *
 * **Fallback and the hand-off.** Fallback happens only inside one `createVerification` call, and only
 * on errors thrown before a provider returned a verification (unavailable, timeout, rate limited,
 * unsupported; see `classifyAttemptError`). A provider that returned a verification has handed the
 * applicant a session (hosted URL or SDK token) or, for the API channel, accepted the verification
 * that evidence will go to: that provider owns the verification from then on, and later calls on it
 * (uploads, submit, reads) go to that provider only, never to another. Each provider is tried at most
 * once per call, and the adapters' HTTP policy repeats a POST only with an idempotency key, so no call
 * creates two verifications at one provider. An attempt that timed out may have created a verification
 * the applicant never receives; the audit entry records the timeout so it can be reconciled.
 *
 * @example
 * ```ts
 * const router = createRouter({ config, adapters, defaultProvider: 'jumio', store })
 * const { verification } = await router.createVerification({ subjectReference: 'user_1', channel: 'api' })
 * ```
 */
export function createRouter(options: RouterOptions): Router {
  const { config, adapters, defaultProvider, store, logger } = options
  const keys = [...adapters.keys()]
  const byProviderName = new Map<string, EnforcedKycAdapter>()
  for (const adapter of adapters.values()) byProviderName.set(adapter.provider, adapter)

  const adapterFor = (provider: string | undefined): EnforcedKycAdapter => {
    const adapter = adapters.get(provider ?? defaultProvider) ?? byProviderName.get(provider ?? '')
    if (adapter === undefined) {
      throw new KycInvalidRequestError({
        message: `provider: "${provider}" is not a routed provider — routed: ${keys.join(', ')}.`,
      })
    }
    return adapter
  }

  const shadowKey = config.shadow?.provider
  const shadowAdapter = shadowKey === undefined ? undefined : adapterFor(shadowKey)
  const shadow =
    config.shadow === undefined || shadowKey === undefined
      ? undefined
      : createShadowRunner({
          settings: config.shadow,
          adapter: adapterFor(shadowKey),
          store,
          logger,
          now: options.now,
        })

  // Precompiled here, not per call: each rule's, each split provider's and the default provider's
  // ordered adapters (fallback appended), and per list the coverage answer for each request shape.
  const fallback = config.fallback ?? []
  const compile = (first: readonly string[]): RoutePlan => ({
    adapters: [...new Set([...first, ...fallback])].map((key) => ({
      key,
      adapter: adapterFor(key),
      coverage: config.coverage?.[key],
    })),
    coverageByShape: new Map(),
  })
  const rulePlans = new Map((config.rules ?? []).map((rule) => [rule, compile(rule.providers)]))
  const splitPlans = new Map(keys.map((key) => [key, compile([key])]))
  const defaultPlan = compile([defaultProvider])

  const record = async (
    verification: Verification | undefined,
    routing: RoutingRecord,
    extra: {
      subjectReference?: string | undefined
      idempotency?: IdempotencyClaim | undefined
      alsoAudit?: readonly RoutingRecord[] | undefined
      split?: { subjectReference: string; plan: SplitPlan } | undefined
    } = {},
  ): Promise<void> => {
    const fileUnder =
      verification === undefined
        ? { provider: 'routing', id: `unrouted-${crypto.randomUUID()}` }
        : { provider: verification.provider, id: verification.id }
    const { idempotency } = extra
    try {
      await storeRoutedVerification(store, {
        verification,
        fileUnder,
        routing,
        subjectReference: extra.subjectReference,
        alsoAudit: extra.alsoAudit,
        split: extra.split,
        keyValue:
          idempotency === undefined || verification === undefined
            ? undefined
            : {
                namespace: routedIdempotencyNamespace,
                key: idempotency.key,
                value: createdIdempotencyRecord(idempotency, verification),
                ttlMs: routedIdempotencyLifetimeMs,
              },
      })
    } catch (error) {
      // The verification exists at the provider and the applicant needs it: failing the call now
      // would make the caller create a second one. The missing entry is reported instead.
      logger?.error?.('openkyc routing: the routing decision could not be recorded', {
        provider: fileUnder.provider,
        verificationId: fileUnder.id,
        errorCode: errorCodeOf(error),
      })
    }
  }

  const checkHints = (call: RoutedCreateVerificationOptions) => {
    if (call.country !== undefined && !isCountryCode(call.country)) {
      throw new KycInvalidRequestError({
        message: 'country: expected an ISO 3166-1 alpha-2 country code in upper case, for example "DE".',
      })
    }
    // The routing record refuses any other document type list, and it is written after the provider
    // call: a list it would refuse must be refused here, before any request, or the call goes unrecorded.
    const documentTypes: unknown = call.documentTypes
    if (documentTypes !== undefined && !isRecordableDocumentTypes(documentTypes)) {
      throw new KycInvalidRequestError({
        message: `documentTypes: expected an array of at most ${maxRecordedDocumentTypes} of ${DocumentTypeSchema.options.join(', ')}.`,
      })
    }
    const hints = call.routing
    if (hints === undefined) return
    if (hints.segment !== undefined && !RoutingLabelSchema.safeParse(hints.segment).success) {
      throw new KycInvalidRequestError({
        message: 'routing.segment: expected 1–64 letters, digits or _ . : -.',
      })
    }
    for (const [name, value] of Object.entries(hints.attributes ?? {})) {
      if (typeof value !== 'string') {
        throw new KycInvalidRequestError({ message: `routing.attributes.${name}: expected a string.` })
      }
    }
  }

  /** A retry of a call whose key already produced a verification: that verification, no creation. */
  const replay = async (
    found: IdempotencyReplay,
    call: RoutedCreateVerificationOptions,
  ): Promise<CreateVerificationResult> => {
    const adapter = adapterFor(found.provider)
    const stored = await store.verifications.get({ provider: adapter.provider, id: found.verificationId })
    const verification =
      stored ??
      (await adapter.getVerification({
        reference: found.reference,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      }))
    return { verification }
  }

  const route = async (
    call: RoutedCreateVerificationOptions,
    idempotency: IdempotencyClaim | undefined,
  ): Promise<CreateVerificationResult> => {
    const hints = call.routing
    // The adapter gets the caller's options as they are, unless they carry routing hints to strip.
    const adapterOptions: CreateVerificationOptions = 'routing' in call ? withoutHints(call) : call
    const request: RoutingRequest = {
      country: call.country,
      documentTypes: call.documentTypes,
      channel: call.channel,
      attributes: hints?.attributes,
    }
    const rule = matchRule(config.rules, request)
    let basis: RoutingRecord['basis']
    let routePlan: RoutePlan
    // A new subject's split assignment is stored in the record's transaction, with the verification
    // and the audit entry: all of them commit or none does.
    let split: { subjectReference: string; plan: SplitPlan } | undefined
    if (rule !== undefined) {
      basis = 'rule'
      routePlan = rulePlans.get(rule) ?? compile(rule.providers)
    } else if (config.split !== undefined) {
      basis = 'split'
      // The subject's stored assignment, read here rather than in an async helper (see `planSplit`).
      const stored = await store.keyValue.get(splitAssignmentNamespace, call.subjectReference)
      const plan = splitPlanFor(stored, config.split, call.subjectReference, keys)
      if (plan.write !== undefined) split = { subjectReference: call.subjectReference, plan }
      routePlan = splitPlans.get(plan.provider) ?? compile([plan.provider])
    } else {
      basis = 'default'
      routePlan = defaultPlan
    }
    const labels: ShadowContext = {}
    if (call.country !== undefined) labels.country = call.country
    if (call.documentTypes !== undefined && call.documentTypes.length > 0) {
      labels.documentTypes = [...call.documentTypes]
    }
    if (hints?.segment !== undefined) labels.segment = hints.segment
    const covered = coveredBy(routePlan, request)
    const eligible = covered.eligible
    const skipped: RoutingRecord['skipped'] = covered.skipped
    if (eligible.length === 0) {
      await record(undefined, primaryRecord(basis, rule, labels, [], skipped), { split })
      throw new KycOutsideCoverageError({
        message: `No provider covers this request (${describeRequest(request)}): ${skipped
          .map((skip) => `${skip.provider} ${skip.reason.replaceAll('_', ' ')}`)
          .join('; ')}.`,
      })
    }
    const attempts: RoutingRecord['attempts'] = []
    let lastError: unknown
    for (let index = 0; index < eligible.length; index += 1) {
      const adapter = eligible[index] as EnforcedKycAdapter
      let result: CreateVerificationResult
      try {
        result = await adapter.createVerification(adapterOptions)
      } catch (error) {
        lastError = error
        const outcome = classifyAttemptError(error)
        attempts.push({ provider: adapter.provider, result: outcome, errorCode: errorCodeOf(error) })
        if (!allowsFallback(outcome) || call.signal?.aborted === true) break
        logger?.warn?.('openkyc routing: falling back to the next provider', {
          provider: adapter.provider,
          result: outcome,
        })
        continue
      }
      // The usual record (created at the first provider tried, no segment) is the same for every call
      // with this coverage answer (its plan fixes the basis and rule, its shape the country and document
      // types): built once, frozen and shared. Any other record shares its frozen parts.
      let routing: RoutingRecord
      if (index === 0 && labels.segment === undefined) {
        covered.usualRecord ??= frozenRecord(
          primaryRecord(
            basis,
            rule,
            labels,
            createdAtFirst(covered, adapter),
            skippedAfter(covered, 0),
            adapter.provider,
          ),
        )
        routing = covered.usualRecord
      } else {
        routing = primaryRecord(
          basis,
          rule,
          labels,
          index === 0
            ? createdAtFirst(covered, adapter)
            : [...attempts, { provider: adapter.provider, result: 'created' }],
          skippedAfter(covered, index),
          adapter.provider,
        )
      }
      const shadowed =
        shadow !== undefined && call.channel === 'api' && adapter !== shadowAdapter
          ? shadow.plan(result.verification, pickShadowRequest(adapterOptions), labels)
          : undefined
      await record(result.verification, routing, {
        subjectReference: call.subjectReference,
        idempotency,
        alsoAudit: shadowed === undefined ? undefined : [shadowed.planned],
        split,
      })
      shadowed?.track()
      return result
    }
    await record(undefined, primaryRecord(basis, rule, labels, attempts, skipped), { split })
    throw lastError
  }

  /** A call with an idempotency key: the key is claimed first, and a retry gets the first call's verification. */
  const createOnce = async (
    call: RoutedCreateVerificationOptions,
    idempotencyKey: string,
  ): Promise<CreateVerificationResult> => {
    const claimed = await claimIdempotencyKey(store.keyValue, idempotencyKey, call.subjectReference)
    if ('replay' in claimed) return replay(claimed.replay, call)
    try {
      return await route(call, claimed.claim)
    } catch (error) {
      // No provider created a verification: free the key so the caller may retry with it.
      await releaseIdempotencyKey(store.keyValue, claimed.claim).catch(() => undefined)
      throw error
    }
  }

  return {
    shadow,
    adapterFor,
    createVerification(call) {
      // Not async: the usual call (no idempotency key) is `route`'s own promise. A refused hint is a
      // rejection, as from an async function.
      try {
        checkHints(call)
      } catch (error) {
        return Promise.reject(error)
      }
      return call.idempotencyKey === undefined
        ? route(call, undefined)
        : createOnce(call, call.idempotencyKey)
    },
    async uploadCredential(call) {
      // The caller's options go through as they are unless they name a provider to strip (as `route` does).
      const upload = ('provider' in call ? withoutProvider(call) : call) as UploadCredentialOptions
      const adapter = adapterFor(call.provider)
      await adapter.uploadCredential(upload)
      shadow?.recordUpload(adapter.provider, upload)
    },
    async submitVerification(call) {
      const submit: VerificationCallOptions = 'provider' in call ? withoutProvider(call) : call
      const adapter = adapterFor(call.provider)
      const verification = await adapter.submitVerification(submit)
      shadow?.start(adapter.provider, submit)
      return verification
    },
  }
}

/** A precompiled ordered list of providers, and the coverage answers already computed for it. */
type RoutePlan = {
  adapters: readonly { key: string; adapter: EnforcedKycAdapter; coverage: ProviderCoverage | undefined }[]
  /** By request shape (country, channel, document types); cleared when it reaches `maxShapes`. */
  coverageByShape: Map<string, Coverage>
}
type Coverage = {
  eligible: readonly EnforcedKycAdapter[]
  /** Frozen: shared by the records of every call of this shape. */
  skipped: RoutingRecord['skipped']
  /** By the index of the eligible provider that created: `skipped` plus the providers after it, not reached (frozen, built on first use). */
  skippedAfter: (RoutingRecord['skipped'] | undefined)[]
  /** The attempts of a call created by the first eligible provider (frozen, built on first use). */
  createdAtFirst: RoutingRecord['attempts'] | undefined
  /** The primary record of a call created by the first eligible provider, without a segment (frozen, built on first use). */
  usualRecord: RoutingRecord | undefined
}

/**
 * The primary routing record of a call. Built field by field, never by spreading: a spread copy got a
 * hidden class of its own per call, kept with every record until the audit log is read. A function of
 * the module rather than a closure in `route`, so a call allocates no closure and context for it.
 */
function primaryRecord(
  basis: RoutingRecord['basis'],
  rule: { name: string } | undefined,
  labels: ShadowContext,
  attempts: RoutingRecord['attempts'],
  skipped: RoutingRecord['skipped'],
  chosen?: string,
): RoutingRecord {
  const routing: RoutingRecord = { role: 'primary', basis, attempts, skipped }
  if (rule !== undefined) routing.rule = rule.name
  if (chosen !== undefined) routing.chosen = chosen
  if (labels.country !== undefined) routing.country = labels.country
  if (labels.documentTypes !== undefined) routing.documentTypes = labels.documentTypes
  if (labels.segment !== undefined) routing.segment = labels.segment
  return routing
}

/** A frozen, shared list for a record: records are never changed after they are built. */
function frozenList<Item>(items: Item[]): Item[] {
  for (const item of items) Object.freeze(item)
  return Object.freeze(items) as Item[]
}

/** A record shared by every call of one shape: frozen, with its lists (records are never changed once built). */
function frozenRecord(routing: RoutingRecord): RoutingRecord {
  if (routing.documentTypes !== undefined) Object.freeze(routing.documentTypes)
  return Object.freeze(routing)
}

/** The attempts of a call the first eligible provider created: one, shared per shape. */
function createdAtFirst(covered: Coverage, adapter: EnforcedKycAdapter): RoutingRecord['attempts'] {
  covered.createdAtFirst ??= frozenList([{ provider: adapter.provider, result: 'created' as const }])
  return covered.createdAtFirst
}

/** The skipped providers of a call the eligible provider at `index` created: shared per shape and index. */
function skippedAfter(covered: Coverage, index: number): RoutingRecord['skipped'] {
  let skipped = covered.skippedAfter[index]
  if (skipped === undefined) {
    skipped = frozenList([
      ...covered.skipped,
      ...covered.eligible
        .slice(index + 1)
        .map((adapter) => ({ provider: adapter.provider, reason: 'not_reached' as const })),
    ])
    covered.skippedAfter[index] = skipped
  }
  return skipped
}

/** Request shapes remembered per plan: countries × channels × document-type sets seen in practice. */
const maxShapes = 512

/**
 * The providers of `plan` that cover `request`, in order, and those skipped and why: computed once per
 * request shape and remembered (the answer depends on the shape and the configuration only).
 */
function coveredBy(plan: RoutePlan, request: RoutingRequest): Coverage {
  const shape = shapeOf(request)
  const known = shape === undefined ? undefined : plan.coverageByShape.get(shape)
  if (known !== undefined) return known
  const eligible: EnforcedKycAdapter[] = []
  const skipped: RoutingRecord['skipped'] = []
  for (const { adapter, coverage } of plan.adapters) {
    const problem = coverageProblem(request, coverage, adapter)
    if (problem === undefined) eligible.push(adapter)
    // Frozen: one answer is shared by the records of every call of this shape.
    else skipped.push(Object.freeze({ provider: adapter.provider, reason: problem }))
  }
  const answer: Coverage = {
    eligible,
    skipped: frozenList(skipped),
    skippedAfter: [],
    createdAtFirst: undefined,
    usualRecord: undefined,
  }
  if (shape !== undefined) {
    if (plan.coverageByShape.size >= maxShapes) plan.coverageByShape.clear()
    plan.coverageByShape.set(shape, answer)
  }
  return answer
}

/**
 * The request's shape (country, channel, document types) as a cache key, or `undefined` when it is not
 * made of the closed lists' values. Only such shapes are remembered: a long list (repeats), or any odd
 * value that got here, is just computed, so no request can share, or set, the answer of another. The
 * country and document types are already checked (`checkHints`).
 */
function shapeOf(request: RoutingRequest): string | undefined {
  const { channel, documentTypes } = request
  if (channel !== undefined && channel !== 'hosted' && channel !== 'api') return undefined
  if (documentTypes === undefined) return `${request.country ?? ''}|${channel ?? ''}|`
  if (!Array.isArray(documentTypes) || documentTypes.length > 6) return undefined
  for (const type of documentTypes) if (!isKnownDocumentType(type)) return undefined
  return `${request.country ?? ''}|${channel ?? ''}|${documentTypes.join(',')}`
}

function withoutHints(call: RoutedCreateVerificationOptions): CreateVerificationOptions {
  const { routing: _routing, ...adapterOptions } = call
  return adapterOptions
}

function withoutProvider<Options extends { provider?: string }>(call: Options): Omit<Options, 'provider'> {
  const { provider: _provider, ...options } = call
  return options
}

function pickShadowRequest(call: CreateVerificationOptions) {
  return {
    subjectReference: call.subjectReference,
    ...(call.country === undefined ? {} : { country: call.country }),
    ...(call.documentTypes === undefined ? {} : { documentTypes: call.documentTypes }),
    ...(call.locale === undefined ? {} : { locale: call.locale }),
    ...(call.prefill === undefined ? {} : { prefill: call.prefill }),
  }
}

function describeRequest(request: RoutingRequest): string {
  const parts = [
    request.country === undefined ? undefined : `country ${request.country}`,
    request.documentTypes === undefined || request.documentTypes.length === 0
      ? undefined
      : `document types ${request.documentTypes.join(', ')}`,
    request.channel === 'api' ? 'API channel' : undefined,
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? 'no restrictions' : parts.join(', ')
}
