import {
  CountryCodeSchema,
  type CreateVerificationOptions,
  type CreateVerificationResult,
  type CredentialKind,
  type CredentialPart,
  DocumentTypeSchema,
  describeIssues,
  eventTypeForStatus,
  isKycError,
  type KycAdapterCoverage,
  type KycAdapterV1,
  type KycBackgroundEventListener,
  type KycCapabilities,
  type KycEvent,
  type KycEventType,
  KycInvalidRequestError,
  KycInvalidStateError,
  KycWebhookVerificationError,
  lazy,
  nestDottedKeys,
  type ParseWebhookOptions,
  pathSegment,
  type UploadCredentialOptions,
  uuidPattern,
  type Verification,
  type VerificationCallOptions,
  type VerificationReference,
} from '@openkyc/core'
import { createRateLimiter } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'
import { match } from 'ts-pattern'
import { createCallbackSourceCheck, parseJumioCallback } from './jumio-callback.js'
import { createJumioCallbackReads } from './jumio-callback-reads.js'
import {
  createJumioClient,
  type JumioAccountRequest,
  type JumioClient,
  type JumioExecutionReference,
} from './jumio-client.js'
import { alpha2ToJumioCountry } from './jumio-country.js'
import type { JumioAccountResponse, JumioDetailsResponse, JumioStatusResponse } from './jumio-schemas.js'
import {
  type JumioSettings,
  type JumioTransaction,
  type JumioUserConsent,
  parseTokenLifetime,
  type ResolvedJumioSettings,
  resolveJumioSettings,
} from './jumio-settings.js'
import { documentTypeToJumio } from './map-jumio-identity.js'
import {
  jumioProvider,
  mapJumioAccountResponse,
  mapJumioDetails,
  mapJumioStatusResponse,
} from './map-jumio-verification.js'

/**
 * What the Jumio adapter can do. Upload (API channel: credential parts and finalization) and data
 * deletion are documented Jumio APIs. Jumio has no public API to cancel an execution, create a
 * one-time link (a new link is a new workflow execution), record a manual review, simulate an
 * outcome, or manage lists and cases, so those are declared unsupported.
 */
export const jumioCapabilities: KycCapabilities = Object.freeze({
  upload: true,
  sessionLink: false,
  cancel: false,
  manualReview: false,
  deleteData: true,
  simulate: false,
  lists: false,
  cases: false,
})

/**
 * What Jumio is documented not to take, for routing's coverage check: an ID credential is one of
 * `ID_CARD`, `DRIVING_LICENSE`, `PASSPORT`, `VISA` (a residence permit is an `ID_CARD` with sub-type
 * `RESIDENT_PERMIT_ID`), so a request for `other` documents only goes elsewhere. Jumio publishes no
 * country list (it answers `UNSUPPORTED_COUNTRY` per tenant at run time): set `routing.coverage` for
 * your tenant's countries.
 *
 * @see docs/reference/jumio-api.md, `workflowDefinition.credentials[]` `type.values[]` (G23)
 */
export const jumioCoverage: KycAdapterCoverage = Object.freeze({
  documentTypes: Object.freeze([
    'passport',
    'driving_license',
    'id_card',
    'residence_permit',
    'visa',
  ] as const),
})

/** Jumio-only options for one new workflow execution, next to the provider-neutral ones. */
export type JumioCreateVerificationExtras = {
  /** Overrides the configured workflow definition key for this execution. */
  workflowKey?: number | string
  /** Jumio's per-transaction reference (no personal data, ≤ 100 characters). Defaults to a random UUID. */
  customerInternalReference?: string
  /** Jumio's `reportingCriteria` (≤ 255 characters). */
  reportingCriteria?: string
  /** Consent for biometric processing, mandatory when biometrics are collected (G23 `userConsent`). Wins over the setting. */
  userConsent?: JumioUserConsent
  /** Extra `workflowDefinition.credentials` entries (for example an existing credential by id). */
  credentials?: Record<string, unknown>[]
}

/** `createVerification` options of the Jumio adapter: the neutral ones plus {@link JumioCreateVerificationExtras}. */
export type JumioCreateVerificationOptions = CreateVerificationOptions & {
  jumio?: JumioCreateVerificationExtras
}

/** What deletion removes: one workflow execution (default) or the whole account with all its executions. */
export type JumioDeleteVerificationDataOptions = VerificationCallOptions & {
  scope?: 'workflowExecution' | 'account'
}

/** The Jumio adapter: the provider-neutral interface plus Jumio's own API next to it. */
export type JumioAdapter = Omit<
  KycAdapterV1,
  'provider' | 'createVerification' | 'uploadCredential' | 'submitVerification' | 'deleteVerificationData'
> & {
  readonly provider: 'jumio'
  createVerification(options: JumioCreateVerificationOptions): Promise<CreateVerificationResult>
  uploadCredential(options: UploadCredentialOptions): Promise<void>
  submitVerification(options: VerificationCallOptions): Promise<Verification>
  deleteVerificationData(options: JumioDeleteVerificationDataOptions): Promise<void>
  /**
   * Events found by background re-reads after a callback was answered (details not ready when it
   * came). The webhook pipeline subscribes by itself; subscribe directly only without it.
   */
  subscribeBackgroundEvents(listener: KycBackgroundEventListener): () => void
  /** The workflow definition key new executions use. */
  readonly workflowKey: string
  /** Jumio accounts: one per applicant, each holding its workflow executions. */
  readonly accounts: {
    /** `POST /api/v1/accounts`: a new account and its first workflow execution. */
    create(body: JumioAccountRequest, options?: { signal?: AbortSignal }): Promise<JumioAccountResponse>
    /** `PUT /api/v1/accounts/{accountId}`: a new workflow execution on an existing account. */
    update(
      accountId: string,
      body: JumioAccountRequest,
      options?: { signal?: AbortSignal },
    ): Promise<JumioAccountResponse>
    /** `DELETE /api/v1/accounts/{accountId}`: the account and all its executions, irreversibly. */
    delete(accountId: string, options?: { signal?: AbortSignal }): Promise<void>
    /** The Jumio account this adapter created for a subject, if it remembers one. */
    forSubject(subjectReference: string): Promise<string | undefined>
  }
  /** The Retrieval API as Jumio returns it (lenient view: the fields the adapter reads). */
  readonly retrieval: {
    details(
      reference: JumioExecutionReference,
      options?: { signal?: AbortSignal },
    ): Promise<JumioDetailsResponse>
    status(
      reference: JumioExecutionReference,
      options?: { signal?: AbortSignal },
    ): Promise<JumioStatusResponse>
  }
}

/** Jumio's web client locales (G23 `web.locale`). */
const jumioLocales = new Set(
  'ar bg cs da de el en en-GB es es-MX et fi fr he hr hu hy id it ja ka km ko lt ms nl no pl pt pt-BR ro ru sk sv th tr vi zh-CN zh-HK'.split(
    ' ',
  ),
)

/** A BCP 47 locale → the closest locale Jumio's web client has, or `undefined` to use its default. */
export function toJumioLocale(locale: string | undefined): string | undefined {
  if (locale === undefined) return undefined
  const [language = '', region] = locale.replace('_', '-').split('-')
  const candidates = [
    region === undefined ? language.toLowerCase() : `${language.toLowerCase()}-${region.toUpperCase()}`,
    language.toLowerCase(),
  ]
  return candidates.find((candidate) => jumioLocales.has(candidate))
}

/** What `createVerification` accepts (built on the first call). */
const createOptionsSchema = lazy(() => {
  /** Characters Jumio forbids in references (G23 `customerInternalReference`). */
  const jumioReferenceText = z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^<>"/;\\`%{}|]*$/, 'must not contain < > " / ; \\ ` % { } |')

  return z.object({
    // Jumio's `userReference`: 1 to 100 characters, no personal data (G23).
    subjectReference: z.string().min(1).max(100),
    channel: z.enum(['hosted', 'api']).optional(),
    redirectUrl: z
      .url({ protocol: /^https?$/ })
      .max(255)
      .optional(),
    locale: z.string().min(2).max(35).optional(),
    country: CountryCodeSchema.optional(),
    documentTypes: z.array(DocumentTypeSchema).optional(),
    jumio: z
      .strictObject({
        workflowKey: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).optional(),
        customerInternalReference: jumioReferenceText.optional(),
        reportingCriteria: z.string().min(1).max(255).optional(),
        userConsent: z.unknown().optional(),
        credentials: z.array(z.record(z.string(), z.unknown())).optional(),
      })
      .optional(),
  })
})

const userConsentSchema = lazy(() =>
  z.strictObject({
    userIp: z.union([z.ipv4(), z.ipv6()]),
    userLocation: z.strictObject({
      country: z.string().regex(/^[A-Za-z]{2,3}$/, 'expected an ISO 3166-1 alpha-2 or alpha-3 country code'),
      state: z.string().min(1).max(100).optional(),
    }),
    consent: z
      .strictObject({
        obtained: z.enum(['yes', 'no', 'na']),
        obtainedAt: z.iso.datetime({ offset: true }).optional(),
      })
      .optional(),
  }),
)

/** The consent record as Jumio expects it: alpha-3 country, `YYYY-MM-DDThh:mm:ss.SSSZ` time (G23). */
function toJumioUserConsent(input: unknown): NonNullable<JumioAccountRequest['userConsent']> {
  const parsed = userConsentSchema().safeParse(input)
  if (!parsed.success) throw invalidRequest('userConsent', parsed.error)
  const { userIp, userLocation, consent } = parsed.data
  const country =
    userLocation.country.length === 2
      ? (alpha2ToJumioCountry(userLocation.country) ?? userLocation.country)
      : userLocation.country.toUpperCase()
  return {
    userIp,
    userLocation: { country, ...(userLocation.state === undefined ? {} : { state: userLocation.state }) },
    ...(consent === undefined
      ? {}
      : {
          consent: {
            obtained: consent.obtained,
            ...(consent.obtainedAt === undefined
              ? {}
              : { obtainedAt: new Date(consent.obtainedAt).toISOString() }),
          },
        }),
  }
}

const referenceSchema = lazy(() =>
  z.object({ accountId: z.string().min(1), workflowExecutionId: z.string().min(1) }),
)

function invalidRequest(what: string, error: z.ZodError): KycInvalidRequestError {
  return new KycInvalidRequestError({
    provider: jumioProvider,
    message: `Invalid ${what} for Jumio: ${describeIssues(error.issues)}.`,
    issues: error.issues,
  })
}

/** A Jumio account or workflow execution id: a UUID, refused before any request otherwise. */
export function jumioId(value: unknown, name: 'accountId' | 'workflowExecutionId'): string {
  return pathSegment(value, { provider: jumioProvider, name, pattern: uuidPattern, format: 'a UUID' })
}

function executionReference(reference: VerificationReference): JumioExecutionReference {
  const parsed = referenceSchema().safeParse(reference)
  if (!parsed.success)
    throw invalidRequest('verification reference (expected accountId and workflowExecutionId)', parsed.error)
  return {
    accountId: jumioId(parsed.data.accountId, 'accountId'),
    workflowExecutionId: jumioId(parsed.data.workflowExecutionId, 'workflowExecutionId'),
  }
}

/** Our credential kind and part → Jumio's credential category and lower-case part key (G23 upload, seed 002). */
function uploadTarget(
  kind: CredentialKind,
  part: CredentialPart | 'data',
): { category: string; part: string } | undefined {
  const category = match(kind)
    .returnType<string>()
    .with('id_document', () => 'ID')
    .with('selfie', () => 'SELFIE')
    .with('liveness', () => 'FACEMAP')
    .with('document', () => 'DOCUMENT')
    .with('personal_data', () => 'DATA')
    .exhaustive()
  const partKey = match(part)
    .returnType<string | undefined>()
    .with('front', () => 'front')
    .with('back', () => 'back')
    .with('face', () => (kind === 'liveness' ? 'facemap' : 'face'))
    .with('data', () => 'prepared_data')
    .with('video', () => (kind === 'liveness' ? 'facemap' : undefined))
    .with('page', () => 'front')
    .exhaustive()
  return partKey === undefined ? undefined : { category, part: partKey }
}

/**
 * Prepared data (`PREPARED_DATA`, W22 / DOC "Uploading Prepared Data") from flat string fields:
 * dotted keys become nested objects (`address.country`), and two-letter countries in `nationality`
 * and `*.country` become Jumio's alpha-3. Field names come from the caller (often from a form), so
 * each segment must be a plain identifier (letters, digits, `_`, `-`) and `__proto__`,
 * `constructor` and `prototype` are refused with `KycInvalidRequestError`; the objects are built
 * without a prototype.
 */
export function toJumioPreparedData(data: Record<string, string>): Record<string, unknown> {
  return nestDottedKeys(
    data,
    { provider: jumioProvider, what: 'prepared data', path: ['data'], pattern: /^[A-Za-z0-9_-]{1,64}$/ },
    (rawValue, segments) => {
      const leaf = segments.at(-1)
      return (leaf === 'country' || leaf === 'nationality') && /^[A-Za-z]{2}$/.test(rawValue)
        ? (alpha2ToJumioCountry(rawValue) ?? rawValue)
        : rawValue
    },
  )
}

/** Core's mapping (a manual decision is `verification.reviewed`, as from every adapter), redaction first. */
function eventType(verification: Verification): KycEventType {
  return verification.redactedAt !== undefined ? 'verification.redacted' : eventTypeForStatus(verification)
}

/**
 * Creates the Jumio KYX adapter. Settings fall back to environment variables (`JUMIO_CLIENT_ID`,
 * `JUMIO_CLIENT_SECRET`, `JUMIO_REGION`, `JUMIO_USER_AGENT`, …); a missing one throws
 * `KycConfigurationError` naming the setting, never its value.
 *
 * @example
 * ```ts
 * import { createJumio } from '@openkyc/jumio'
 *
 * const jumio = createJumio({
 *   clientId: process.env.JUMIO_CLIENT_ID,
 *   clientSecret: process.env.JUMIO_CLIENT_SECRET,
 *   region: 'emea-1',
 *   userAgent: 'AcmeBank Onboarding/1.4',
 *   callbackUrl: 'https://acme.example/webhooks/jumio',
 * })
 * const { verification } = await jumio.createVerification({ subjectReference: 'user-42' })
 * redirect(verification.session?.url)
 * ```
 */
export function createJumio(settings: JumioSettings = {}): JumioAdapter {
  const resolved: ResolvedJumioSettings = resolveJumioSettings(settings)
  const client: JumioClient = createJumioClient(resolved)
  const { accountStore, transactionStore, now, logger } = resolved
  const checkSource =
    resolved.callbackSourceAddresses === undefined
      ? undefined
      : createCallbackSourceCheck(resolved.callbackSourceAddresses)
  const sleep =
    resolved.sleep ??
    ((ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms)
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer)
            reject(signal.reason)
          },
          { once: true },
        )
      }))
  const signalOption = (signal: AbortSignal | undefined) => (signal === undefined ? {} : { signal })

  const tokenLifetimeMs = parseTokenLifetime(resolved.tokenLifetime ?? '30m')
  const mapOptions = {
    now,
    minimumAge: resolved.minimumAge,
    detectManualDecisions: resolved.detectManualDecisions,
  }
  const callbackReads = createJumioCallbackReads({
    readStatus: async (reference, signal) =>
      mapJumioStatusResponse(await client.getStatus(reference, signal), { now }),
    readDetails: async (reference, signal) =>
      mapJumioDetails(await client.getDetails(reference, signal), mapOptions),
    toEvent: jumioEvent,
    // On the real clock, like the transaction limit: it protects the tenant's real retrieval quota.
    budget:
      resolved.callbackReadRateLimit === false
        ? undefined
        : 'acquire' in resolved.callbackReadRateLimit
          ? resolved.callbackReadRateLimit
          : createRateLimiter(resolved.callbackReadRateLimit),
    retryDelaysMs: resolved.retrievalRetryDelaysMs,
    sleep: (ms) => sleep(ms),
    now,
    logger,
  })

  async function accountRequest(
    options: z.infer<ReturnType<typeof createOptionsSchema>>,
  ): Promise<JumioAccountRequest> {
    const extras = options.jumio
    const consentInput =
      extras?.userConsent ??
      (typeof resolved.userConsent === 'function'
        ? await resolved.userConsent({
            subjectReference: options.subjectReference,
            channel: options.channel ?? 'hosted',
          })
        : resolved.userConsent)
    const userConsent = consentInput === undefined ? undefined : toJumioUserConsent(consentInput)
    const country = options.country === undefined ? undefined : alpha2ToJumioCountry(options.country)
    const types = [
      ...new Set((options.documentTypes ?? []).flatMap((type) => documentTypeToJumio(type) ?? [])),
    ]
    const idPreset =
      country === undefined && types.length === 0
        ? undefined
        : {
            category: 'ID',
            ...(country === undefined ? {} : { country: { predefinedType: 'DEFINED', values: [country] } }),
            ...(types.length === 0 ? {} : { type: { predefinedType: 'DEFINED', values: types } }),
          }
    const credentials = [...(idPreset === undefined ? [] : [idPreset]), ...(extras?.credentials ?? [])]
    const locale = toJumioLocale(options.locale)
    const web = {
      ...(options.redirectUrl === undefined
        ? {}
        : { successUrl: options.redirectUrl, errorUrl: options.redirectUrl }),
      ...(locale === undefined ? {} : { locale }),
    }
    return {
      customerInternalReference: extras?.customerInternalReference ?? crypto.randomUUID(),
      workflowDefinition: {
        key: Number(extras?.workflowKey ?? resolved.workflowKey),
        ...(credentials.length === 0 ? {} : { credentials }),
      },
      userReference: options.subjectReference,
      ...(extras?.reportingCriteria === undefined ? {} : { reportingCriteria: extras.reportingCriteria }),
      ...(resolved.callbackUrl === undefined ? {} : { callbackUrl: resolved.callbackUrl }),
      ...(resolved.tokenLifetime === undefined ? {} : { tokenLifetime: resolved.tokenLifetime }),
      ...(Object.keys(web).length === 0 ? {} : { web }),
      ...(userConsent === undefined ? {} : { userConsent }),
    }
  }

  /** The upload URLs and token of an API-channel execution, as Jumio returned them. */
  function transactionOf(response: JumioAccountResponse, expiresAt: number): JumioTransaction | undefined {
    const credentials = (response.workflowExecution.credentials ?? []).flatMap((credential) =>
      credential.api && typeof credential.id === 'string' && typeof credential.category === 'string'
        ? [
            {
              id: credential.id,
              category: credential.category,
              parts: credential.api.parts ?? {},
              api: credential.api,
            },
          ]
        : [],
    )
    const first = credentials[0]
    if (first === undefined) return undefined
    const finalizeUrl =
      first.api.workflowExecution ??
      (resolved.baseUrls.api === undefined
        ? undefined
        : `${resolved.baseUrls.api.replace(/\/$/, '')}/api/v1/accounts/${encodeURIComponent(response.account.id)}/workflow-executions/${encodeURIComponent(response.workflowExecution.id)}`)
    if (finalizeUrl === undefined) return undefined
    return {
      accountId: response.account.id,
      workflowExecutionId: response.workflowExecution.id,
      token: first.api.token,
      finalizeUrl,
      credentials: credentials.map(({ id, category, parts }) => ({ id, category, parts })),
      expiresAt,
    }
  }

  async function readVerification(
    reference: JumioExecutionReference,
    signal?: AbortSignal,
  ): Promise<Verification> {
    try {
      return mapJumioDetails(await client.getDetails(reference, signal), mapOptions)
    } catch (error) {
      if (!isNotFound(error)) throw error
      // Details may not be there yet (or ever, for an execution that expired untouched): the status
      // endpoint tells whether the execution exists at all.
      try {
        return mapJumioStatusResponse(await client.getStatus(reference, signal), { now })
      } catch (statusError) {
        if (isNotFound(statusError)) throw error
        throw statusError
      }
    }
  }

  async function requireTransaction(reference: JumioExecutionReference): Promise<JumioTransaction> {
    const transaction = await transactionStore.get(reference.workflowExecutionId)
    if (transaction === undefined || transaction.accountId !== reference.accountId) {
      throw new KycInvalidStateError({
        provider: jumioProvider,
        message:
          'No API-channel upload session is known for this Jumio workflow execution: create it with channel "api" in this process, or pass a shared transactionStore.',
      })
    }
    return transaction
  }

  const adapter = {
    specificationVersion: 'v1',
    provider: 'jumio',
    capabilities: jumioCapabilities,
    coverage: jumioCoverage,
    workflowKey: resolved.workflowKey,

    async createVerification(options) {
      const parsed = createOptionsSchema().safeParse(options)
      if (!parsed.success) throw invalidRequest('createVerification options', parsed.error)
      const input = parsed.data
      const body = await accountRequest(input)
      const signal = options.signal
      const knownAccount = await accountStore.get(input.subjectReference)
      let response: JumioAccountResponse | undefined
      if (knownAccount !== undefined) {
        try {
          response = await client.updateAccount(knownAccount, body, signal)
        } catch (error) {
          if (!isNotFound(error)) throw error
          // The account was deleted at Jumio: start a new one for this subject.
          await accountStore.delete(input.subjectReference)
        }
      }
      response ??= await client.createAccount(body, signal)
      await accountStore.set(input.subjectReference, response.account.id)
      const expiresAt = now() + tokenLifetimeMs
      if (input.channel === 'api') {
        const transaction = transactionOf(response, expiresAt)
        if (transaction === undefined) {
          throw new KycInvalidStateError({
            provider: jumioProvider,
            message: `Jumio workflow ${String(body.workflowDefinition.key)} offers no API-channel credential; use the hosted channel or an API-enabled workflow.`,
          })
        }
        await transactionStore.set(transaction.workflowExecutionId, transaction)
      }
      const verification = mapJumioAccountResponse(response, {
        now,
        subjectReference: input.subjectReference,
        workflowKey: String(body.workflowDefinition.key),
        expiresAt,
      })
      return { verification }
    },

    async getVerification(options) {
      return readVerification(executionReference(options.reference), options.signal)
    },

    async uploadCredential(options) {
      const reference = executionReference(options.reference)
      const transaction = await requireTransaction(reference)
      if (transaction.finalized === true) {
        throw new KycInvalidStateError({
          provider: jumioProvider,
          message: 'This Jumio workflow execution was already finalized; it takes no more uploads.',
        })
      }
      const part = options.kind === 'personal_data' ? 'data' : options.part
      const target = uploadTarget(options.kind, part)
      const credential =
        target === undefined
          ? undefined
          : transaction.credentials.find(
              (candidate) =>
                candidate.category === target.category && candidate.parts[target.part] !== undefined,
            )
      const url = target === undefined ? undefined : credential?.parts[target.part]
      if (url === undefined) {
        throw new KycInvalidRequestError({
          provider: jumioProvider,
          message: `This Jumio workflow execution takes no ${options.kind} ${part} upload through the API channel.`,
          issues: [{ path: ['kind'], message: 'not accepted by this workflow through the API channel' }],
        })
      }
      let body: FormData | string
      if (options.kind === 'personal_data') {
        body = JSON.stringify(toJumioPreparedData(options.data))
      } else {
        if (options.content.byteLength === 0) {
          throw new KycInvalidRequestError({
            provider: jumioProvider,
            message: 'The credential content is empty.',
            issues: [{ path: ['content'], message: 'must not be empty' }],
          })
        }
        const extension = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[
          options.contentType
        ]
        body = new FormData()
        body.append(
          'file',
          new Blob([new Uint8Array(options.content)], { type: options.contentType }),
          `${part}.${extension}`,
        )
      }
      const renewed = await client.uploadPart({
        url,
        token: transaction.token,
        body,
        json: options.kind === 'personal_data',
        ...signalOption(options.signal),
      })
      if (renewed !== undefined && renewed !== transaction.token) {
        await transactionStore.set(transaction.workflowExecutionId, { ...transaction, token: renewed })
      }
    },

    async submitVerification(options) {
      const reference = executionReference(options.reference)
      const transaction = await requireTransaction(reference)
      // The session stays in the store until the whole call succeeded, so a retry has what it needs.
      if (transaction.finalized !== true) {
        try {
          await client.finalize({
            url: transaction.finalizeUrl,
            token: transaction.token,
            ...signalOption(options.signal),
          })
        } catch (error) {
          // A finalize whose response was lost may be refused when repeated (undocumented at Jumio):
          // if the execution shows it was finalized, that is the success we were after.
          if (!isKycError(error) || !(error.code === 'invalid_request' || error.code === 'invalid_state'))
            throw error
          const current = await readVerification(reference, options.signal)
          if (current.status !== 'submitted' && current.status !== 'completed') throw error
          await transactionStore.delete(reference.workflowExecutionId)
          return current
        }
        await transactionStore.set(reference.workflowExecutionId, { ...transaction, finalized: true })
      }
      const verification = await readVerification(reference, options.signal)
      await transactionStore.delete(reference.workflowExecutionId)
      return verification
    },

    async deleteVerificationData(options) {
      const reference = executionReference(options.reference)
      if (options.scope === 'account') await client.deleteAccount(reference.accountId, options.signal)
      else await client.deleteWorkflowExecution(reference, options.signal)
      await transactionStore.delete(reference.workflowExecutionId)
    },

    async parseWebhook(options: ParseWebhookOptions): Promise<KycEvent[]> {
      checkSource?.(options.remoteAddress)
      const callback = parseJumioCallback(options.rawBody)
      // Only the two ids are taken from the unsigned body, and only in Jumio's format: anything else
      // cannot be Jumio's and costs no request. Everything in the event comes from retrieval.
      let reference: JumioExecutionReference
      try {
        reference = {
          accountId: jumioId(callback.account.id, 'accountId'),
          workflowExecutionId: jumioId(callback.workflowExecution.id, 'workflowExecutionId'),
        }
      } catch (cause) {
        throw new KycWebhookVerificationError({
          provider: jumioProvider,
          message: 'The Jumio callback names ids that are not Jumio UUIDs.',
          cause,
        })
      }
      const claimedStatus = callback.workflowExecution.status ?? undefined
      return [jumioEvent(await callbackReads.read(reference, claimedStatus, options.signal))]
    },

    subscribeBackgroundEvents: (listener) => callbackReads.subscribe(listener),

    accounts: {
      create: (body, options) => client.createAccount(body, options?.signal),
      update: async (accountId, body, options) =>
        client.updateAccount(jumioId(accountId, 'accountId'), body, options?.signal),
      delete: async (accountId, options) =>
        client.deleteAccount(jumioId(accountId, 'accountId'), options?.signal),
      forSubject: async (subjectReference) => accountStore.get(subjectReference),
    },
    retrieval: {
      details: async (reference, options) =>
        client.getDetails(executionReference(reference), options?.signal),
      status: async (reference, options) => client.getStatus(executionReference(reference), options?.signal),
    },
  } satisfies JumioAdapter
  // The Jumio adapter is a KycAdapterV1: checked here, where a mismatch is a compile error.
  const neutral: KycAdapterV1 = adapter
  void neutral
  return adapter
}

/**
 * The event for a state read from the Retrieval API. Every field comes from retrieval, none from the
 * unsigned callback: the id is derived from the retrieved state (so a forged callback racing the
 * genuine one yields the same id with the same content), `occurredAt` is the state's own time, and
 * `raw` is Jumio's status and definition key as retrieval reported them. Identity and session stay
 * out of events (personal data, secrets).
 */
export function jumioEvent(verification: Verification): KycEvent {
  const { identity: _identity, session: _session, ...eventVerification } = verification
  const reference = verification.reference as JumioExecutionReference
  const definitionKey = verification.raw.definitionKey
  return {
    id: `jumio:${verification.id}:${String(verification.raw.status)}:${verification.decision?.outcome ?? verification.status}${verification.redactedAt === undefined ? '' : ':redacted'}`,
    provider: jumioProvider,
    type: eventType(verification),
    occurredAt: verification.updatedAt,
    verification: eventVerification,
    raw: {
      type: String(verification.raw.status),
      accountId: reference.accountId,
      workflowExecutionId: reference.workflowExecutionId,
      ...(typeof definitionKey === 'string' ? { definitionKey } : {}),
    },
  }
}

/** A not-found answer, whichever copy of core threw it. */
function isNotFound(error: unknown): boolean {
  return isKycError(error) && error.code === 'not_found'
}
