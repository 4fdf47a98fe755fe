import {
  assertClock,
  CountryCodeSchema,
  type CreateVerificationOptions,
  type CreateVerificationResult,
  DocumentTypeSchema,
  describeIssues,
  type ImportResult,
  isKycError,
  type KycAdapterCoverage,
  type KycAdapterV1,
  type KycCapabilities,
  type KycCase,
  type KycEvent,
  KycInvalidRequestError,
  type KycList,
  KycUnsupportedCapabilityError,
  lazy,
  resolveSchema,
  type SessionLink,
  type SimulatedOutcome,
  type Verification,
  type VerificationReference,
  type VerificationSession,
} from '@openkyc/core'
import { z } from '@openkyc/core/zod'
import { match } from 'ts-pattern'
import { mapPersonaEvent } from './map-persona-event.js'
import { personaIdClassFor } from './map-persona-identity.js'
import { mapPersonaInquiry, personaCancelledTag, personaProvider } from './map-persona-inquiry.js'
import { mapPersonaInquiryStatus } from './map-persona-inquiry-status.js'
import { createPersonaAccounts, type PersonaAccounts } from './persona-accounts.js'
import { createPersonaCases, type PersonaCaseRecord, type PersonaCases } from './persona-cases.js'
import { createPersonaHttpClient } from './persona-http.js'
import { personaId } from './persona-ids.js'
import {
  createPersonaInquiryEndpoints,
  type PersonaOneTimeLink,
  type PersonaSimulateAction,
} from './persona-inquiries.js'
import { createPersonaLists, type PersonaLists } from './persona-lists.js'
import type { PersonaEventDocument, PersonaInquiryDocument } from './persona-schemas.js'
import {
  type PersonaSettings,
  type ResolvedPersonaSettings,
  resolvePersonaSettings,
} from './persona-settings.js'
import { verifyPersonaWebhook } from './persona-webhook.js'

/**
 * What Persona is documented to take, for routing's coverage check: every document type of ours
 * (government ID classes `pp`, `dl`, `id`, `visa`, `rp`, and more classes beyond them, which map to
 * `other`). Persona publishes no country list; which countries an inquiry template accepts is set
 * per template: mirror it in `routing.coverage`.
 *
 * @see https://docs.withpersona.com/docs/government-id-classes; docs/reference/persona-api.md
 */
export const personaCoverage: KycAdapterCoverage = Object.freeze({
  // A getter, so that importing the adapter does not build core's DocumentTypeSchema (a cold start's cost).
  get documentTypes() {
    return DocumentTypeSchema.options
  },
})

/** Persona's own inquiry calls that the common interface has no place for. */
export type PersonaInquiries = {
  /** A single-use link to the hosted flow. @see https://docs.withpersona.com/reference/generate-a-one-time-link */
  generateOneTimeLink(options: {
    inquiryId: string
    expiresInSeconds?: number
    signal?: AbortSignal
  }): Promise<Omit<PersonaOneTimeLink, 'inquiry'> & { verification: Verification }>
  /**
   * A session token for Persona's embedded flow and SDKs; an `expired` inquiry becomes `pending`
   * again. @see https://docs.withpersona.com/reference/resume-an-inquiry
   */
  resume(options: { inquiryId: string; signal?: AbortSignal }): Promise<{
    sessionToken: string
    verification: Verification
  }>
}

/** The Persona adapter: the common interface, plus Persona's own surface next to it. */
export type PersonaAdapter = KycAdapterV1 &
  Required<
    Pick<
      KycAdapterV1,
      | 'createSessionLink'
      | 'cancelVerification'
      | 'reviewVerification'
      | 'deleteVerificationData'
      | 'createList'
      | 'addListItems'
      | 'importListItems'
      | 'createCase'
      | 'setCaseStatus'
      | 'assignCase'
    >
  > & {
    readonly provider: 'persona'
    /** Present with a sandbox key (`persona_sandbox_…`) only, like the `simulate` capability. */
    simulateVerification?: NonNullable<KycAdapterV1['simulateVerification']>
    /** Cases: create, set status, assign, add objects. */
    readonly cases: PersonaCases
    /** Lists: create, items, archive, streamed CSV import. */
    readonly lists: PersonaLists
    /** Accounts: create, look up, relations, redact. */
    readonly accounts: PersonaAccounts
    /** One-time links and session tokens for an inquiry. */
    readonly inquiries: PersonaInquiries
    /** The settings in force, secrets left out. */
    readonly settings: Readonly<
      Omit<ResolvedPersonaSettings, 'apiKey' | 'webhookSecrets'> & { webhookSecretCount: number }
    >
  }

const CreateVerificationOptionsSchema = lazy(() =>
  z.object({
    subjectReference: z.string().trim().min(1),
    idempotencyKey: z.string().min(1).max(255).optional(),
    channel: z.enum(['hosted', 'api']).optional(),
    redirectUrl: z.url({ protocol: /^https?$/ }).optional(),
    locale: z.string().min(2).optional(),
    country: CountryCodeSchema.optional(),
    documentTypes: z.array(resolveSchema(DocumentTypeSchema)).optional(),
    prefill: z
      .strictObject({
        firstName: z.string().optional(),
        lastName: z.string().optional(),
        dateOfBirth: z.iso.date().optional(),
      })
      .optional(),
  }),
)

function inquiryIdOf(reference: VerificationReference | undefined): string {
  return personaId(reference?.inquiryId, 'inquiryId')
}

function withSignal(signal: AbortSignal | undefined) {
  return signal ? { signal } : {}
}

/** The inquiry statuses in lifecycle order, for planning simulate actions from where an inquiry is. */
const simulateStage: Readonly<Record<string, number>> = { created: 0, pending: 1, completed: 2 }

/**
 * The sandbox actions that take an inquiry from its current status to a simulated outcome. Steps
 * already behind the inquiry are skipped (Persona refuses to start a started inquiry).
 *
 * | outcome | actions (from `created`) |
 * |---|---|
 * | `started` | `start_inquiry` |
 * | `submitted` | `start_inquiry`, `complete_inquiry` |
 * | `approved` | `start_inquiry`, `complete_inquiry`, `approve_inquiry` |
 * | `declined` | `start_inquiry`, `complete_inquiry`, `decline_inquiry` |
 * | `review` | `start_inquiry`, `complete_inquiry`, `mark_for_review_inquiry` |
 * | `expired` | `start_inquiry`, `expire_inquiry` |
 *
 * With `simulationVerificationTemplateIds` set, a passed (or, for `declined`, failed) verification
 * of each template is created before the inquiry completes, so the result carries checks.
 *
 * @see https://docs.withpersona.com/docs/integration-testing
 */
export function planSimulateActions(
  currentStatus: string,
  outcome: SimulatedOutcome,
  verificationTemplateIds: readonly string[] = [],
): PersonaSimulateAction[] {
  const stage = simulateStage[currentStatus] ?? 3
  const actions: PersonaSimulateAction[] = []
  if (stage < 1) actions.push({ type: 'start_inquiry' })
  const complete = (passed: boolean) => {
    if (stage >= 2) return
    for (const templateId of verificationTemplateIds) {
      actions.push({
        type: passed ? 'create_passed_verification' : 'create_failed_verification',
        data: { 'verification-template-id': templateId },
      })
    }
    actions.push({ type: 'complete_inquiry' })
  }
  match(outcome)
    .with('started', () => undefined)
    .with('submitted', () => complete(true))
    .with('approved', () => {
      complete(true)
      actions.push({ type: 'approve_inquiry' })
    })
    .with('declined', () => {
      complete(false)
      actions.push({ type: 'decline_inquiry' })
    })
    .with('review', () => {
      complete(true)
      actions.push({ type: 'mark_for_review_inquiry' })
    })
    .with('expired', () => {
      actions.push({ type: 'expire_inquiry' })
    })
    .exhaustive()
  return actions
}

/**
 * Creates the Persona adapter. Settings fall back to environment variables (`PERSONA_API_KEY`,
 * `PERSONA_TEMPLATE_ID`, `PERSONA_WEBHOOK_SECRETS`, …) and are validated at once: a missing or
 * invalid one throws `KycConfigurationError` naming the setting and its variable, never a value.
 *
 * Every request goes through core's HTTP policy with Persona's headers (`Persona-Version`,
 * `Key-Inflection: kebab`), an idempotency key on every POST and Persona's 300 requests per minute.
 *
 * @example
 * ```ts
 * import { createPersona } from '@openkyc/persona'
 *
 * const persona = createPersona({
 *   apiKey: process.env.PERSONA_API_KEY,
 *   templateId: 'itmpl_…',
 *   webhookSecrets: [process.env.PERSONA_WEBHOOK_SECRET!],
 *   decisionPolicy: { completedMeans: 'review' },
 * })
 * const { verification } = await persona.createVerification({ subjectReference: 'user_123' })
 * redirect(verification.session!.url!)
 * ```
 */
export function createPersona(settings: PersonaSettings = {}): PersonaAdapter {
  const resolved = resolvePersonaSettings(settings)
  const now = settings.now ?? Date.now
  // A clock that tells no time would switch replay protection off: refused now, not at the first webhook.
  assertClock(now, { provider: personaProvider, setting: 'now' })
  const http = createPersonaHttpClient(resolved, settings)
  const inquiries = createPersonaInquiryEndpoints(http, now)
  const cases = createPersonaCases(http, resolved.caseTemplateId)
  const lists = createPersonaLists(http, { now, ...(settings.sleep ? { sleep: settings.sleep } : {}) })
  const accounts = createPersonaAccounts(http)
  const policy = resolved.decisionPolicy

  const toVerification = (
    document: PersonaInquiryDocument,
    extra: { session?: VerificationSession; subjectReference?: string } = {},
  ) => mapPersonaInquiry(document, { policy, now, ...extra })

  const hostedUrl = (inquiryId: string, sessionToken?: string) => {
    const url = new URL(resolved.hostedFlowUrl)
    url.searchParams.set('inquiry-id', inquiryId)
    if (sessionToken !== undefined) url.searchParams.set('session-token', sessionToken)
    return url.toString()
  }

  const handOff = async (
    inquiryId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ session: VerificationSession; document?: PersonaInquiryDocument }> =>
    match(resolved.handoff)
      .with('one-time-link', async () => {
        const link = await inquiries.generateOneTimeLink({
          inquiryId,
          ...(resolved.oneTimeLinkExpiresInSeconds === undefined
            ? {}
            : { expiresInSeconds: resolved.oneTimeLinkExpiresInSeconds }),
          ...withSignal(signal),
        })
        return {
          session: { url: link.url, ...(link.expiresAt ? { expiresAt: link.expiresAt } : {}) },
          document: link.inquiry,
        }
      })
      .with('session-token', async () => {
        const resumed = await inquiries.resume({ inquiryId, ...withSignal(signal) })
        return {
          session: { sdkToken: resumed.sessionToken, url: hostedUrl(inquiryId, resumed.sessionToken) },
          document: resumed.inquiry,
        }
      })
      .with('hosted-url', async () => ({ session: { url: hostedUrl(inquiryId) } }))
      .exhaustive()

  /**
   * The hand-off, made safe to fail: the inquiry already exists, so throwing now would make the
   * application's retry create a second one. When the one-time link (or session token) cannot be had
   * after core's retries, the verification is returned all the same with the hosted-flow URL by
   * inquiry id (Persona's documented hand-off that needs no request), and a warning is logged with
   * the inquiry id and the error's code only. Call `createSessionLink` later for a single-use link.
   * An abort by the caller and non-Kyc errors (bugs) still throw.
   */
  const handOffOrFallBack = async (
    inquiryId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ session: VerificationSession }> => {
    try {
      return await handOff(inquiryId, signal)
    } catch (error) {
      if (signal?.aborted || !isKycError(error)) throw error
      settings.logger?.warn?.(
        'persona: hand-off failed after the inquiry was created; using the hosted-flow URL',
        {
          provider: personaProvider,
          inquiryId,
          handoff: resolved.handoff,
          fallback: 'hosted-url',
          code: error.code,
          ...(error.status === undefined ? {} : { status: error.status }),
          ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
        },
      )
      return { session: { url: hostedUrl(inquiryId) } }
    }
  }

  const createVerification = async (
    options: CreateVerificationOptions,
  ): Promise<CreateVerificationResult> => {
    const parsed = CreateVerificationOptionsSchema().safeParse(options)
    if (!parsed.success) {
      throw new KycInvalidRequestError({
        provider: personaProvider,
        message: `persona createVerification: invalid options: ${describeIssues(parsed.error.issues)}.`,
        issues: parsed.error.issues,
      })
    }
    const input = parsed.data
    if (input.channel === 'api') {
      throw new KycUnsupportedCapabilityError({
        provider: personaProvider,
        capability: 'upload',
        message:
          'The persona adapter hands applicants to the hosted flow; the API channel (upload) is not supported.',
      })
    }
    const idClass = input.documentTypes?.length === 1 ? personaIdClassFor(input.documentTypes[0]!) : undefined
    const fields = {
      ...(input.prefill?.firstName ? { 'name-first': input.prefill.firstName } : {}),
      ...(input.prefill?.lastName ? { 'name-last': input.prefill.lastName } : {}),
      ...(input.prefill?.dateOfBirth ? { birthdate: input.prefill.dateOfBirth } : {}),
      ...(input.country ? { 'selected-country-code': input.country } : {}),
      ...(idClass ? { 'selected-id-class': idClass } : {}),
    }
    const templateKey = resolved.templateId.startsWith('itmplv_')
      ? 'inquiry-template-version-id'
      : resolved.templateId.startsWith('itmpl_')
        ? 'inquiry-template-id'
        : 'template-id'
    const created = await inquiries.create({
      body: {
        data: {
          attributes: {
            [templateKey]: resolved.templateId,
            ...(input.redirectUrl ? { 'redirect-uri': input.redirectUrl } : {}),
            ...(Object.keys(fields).length > 0 ? { fields } : {}),
          },
        },
        meta: {
          'auto-create-account-reference-id': input.subjectReference,
          ...(resolved.inquiryExpiresInSeconds === undefined
            ? {}
            : { 'expiration-after-create-interval-seconds': resolved.inquiryExpiresInSeconds }),
        },
      },
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      ...withSignal(options.signal),
    })
    const inquiryId = created.data.id
    const { session } = await handOffOrFallBack(inquiryId, options.signal)
    // The create response is the state to report: the hand-off call may have moved the inquiry's
    // sessions along but not its status, and carries no included verifications yet.
    return { verification: toVerification(created, { session, subjectReference: input.subjectReference }) }
  }

  const getVerification: KycAdapterV1['getVerification'] = async (options) => {
    const document = await inquiries.get({
      inquiryId: inquiryIdOf(options.reference),
      ...withSignal(options.signal),
    })
    return toVerification(document)
  }

  /**
   * Webhook payloads of API versions before 2025-10-27 carry the inquiry without `included`, so a
   * decided inquiry arrives without the verifications that explain the decision. For those events
   * (and only those: a decision or a completed flow without any included verification) the
   * inquiry's verifications and reports are read from the API and joined to the signed payload; the
   * status and timestamps stay the payload's. A failed read throws, so the pipeline answers 503 and
   * Persona delivers again later. This returns the id of the inquiry to read, or `undefined` when the
   * event needs no read.
   */
  const inquiryLackingEvidence = (document: PersonaEventDocument): string | undefined => {
    const { name, payload } = document.data.attributes
    if (!name.startsWith('inquiry.') || name === 'inquiry.redacted' || payload?.data?.type !== 'inquiry') {
      return undefined
    }
    // Only the status is needed here; mapPersonaEvent validates the whole inquiry once, afterwards.
    const rawStatus = (payload.data.attributes as { status?: unknown } | undefined)?.status
    if (typeof rawStatus !== 'string') return undefined
    const { status } = mapPersonaInquiryStatus(rawStatus, policy)
    const hasEvidence = (payload.included ?? []).some((resource) => resource.type.startsWith('verification/'))
    return (status === 'completed' || status === 'submitted') && !hasEvidence ? payload.data.id : undefined
  }

  /** The event with its inquiry's verifications and reports read from the API (see {@link inquiryLackingEvidence}). */
  const withInquiryEvidence = async (
    document: PersonaEventDocument,
    inquiryId: string,
    signal: AbortSignal | undefined,
  ): Promise<PersonaEventDocument> => {
    const payload = document.data.attributes.payload
    const current = await inquiries.get({ inquiryId, ...withSignal(signal) })
    return {
      ...document,
      data: {
        ...document.data,
        attributes: {
          ...document.data.attributes,
          payload: { ...payload, included: current.included ?? [] },
        },
      },
    }
  }

  const parseWebhook: KycAdapterV1['parseWebhook'] = async (options): Promise<KycEvent[]> => {
    options.signal?.throwIfAborted()
    const document = await verifyPersonaWebhook({
      headers: options.headers,
      rawBody: options.rawBody,
      secrets: resolved.webhookSecrets,
      toleranceSeconds: resolved.webhookToleranceSeconds,
      now,
    })
    // Only events without evidence wait on a read; the others are mapped without another async step.
    const inquiryId = inquiryLackingEvidence(document)
    return mapPersonaEvent(
      inquiryId === undefined ? document : await withInquiryEvidence(document, inquiryId, options.signal),
      policy,
    )
  }

  const createSessionLink: NonNullable<KycAdapterV1['createSessionLink']> = async (
    options,
  ): Promise<SessionLink> => {
    const expiresInSeconds = options.expiresInSeconds ?? resolved.oneTimeLinkExpiresInSeconds
    if (expiresInSeconds !== undefined && (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0)) {
      throw new KycInvalidRequestError({
        provider: personaProvider,
        message: 'persona createSessionLink: expiresInSeconds must be a positive whole number.',
        issues: [{ path: ['expiresInSeconds'], message: 'expected a positive integer' }],
      })
    }
    const link = await inquiries.generateOneTimeLink({
      inquiryId: inquiryIdOf(options.reference),
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
      ...withSignal(options.signal),
    })
    return { url: link.url, ...(link.expiresAt ? { expiresAt: link.expiresAt } : {}) }
  }

  const cancelVerification: NonNullable<KycAdapterV1['cancelVerification']> = async (options) => {
    const inquiryId = inquiryIdOf(options.reference)
    // Tag first: the expire response and the `inquiry.expired` webhook then already say `cancelled`.
    await inquiries.addTag({ inquiryId, tagName: personaCancelledTag, ...withSignal(options.signal) })
    return toVerification(await inquiries.expire({ inquiryId, ...withSignal(options.signal) }))
  }

  const reviewVerification: NonNullable<KycAdapterV1['reviewVerification']> = async (options) => {
    const action = match(options.action)
      .with('approve', () => 'approve' as const)
      .with('decline', () => 'decline' as const)
      .with('mark_for_review', () => 'mark-for-review' as const)
      .exhaustive()
    const document = await inquiries.review({
      inquiryId: inquiryIdOf(options.reference),
      action,
      ...(options.comment === undefined ? {} : { comment: options.comment }),
      ...withSignal(options.signal),
    })
    return toVerification(document)
  }

  const deleteVerificationData: NonNullable<KycAdapterV1['deleteVerificationData']> = async (options) => {
    await inquiries.redact({ inquiryId: inquiryIdOf(options.reference), ...withSignal(options.signal) })
  }

  const simulateVerification: NonNullable<KycAdapterV1['simulateVerification']> = async (options) => {
    const inquiryId = inquiryIdOf(options.reference)
    const current = await inquiries.get({ inquiryId, ...withSignal(options.signal) })
    const actions = planSimulateActions(
      current.data.attributes.status,
      options.outcome,
      resolved.simulationVerificationTemplateIds,
    )
    if (actions.length === 0) return toVerification(current)
    await inquiries.simulate({ inquiryId, actions, ...withSignal(options.signal) })
    // Read back with verifications included: the action response carries the inquiry only.
    return toVerification(await inquiries.get({ inquiryId, ...withSignal(options.signal) }))
  }

  const toKycCase = (record: PersonaCaseRecord): KycCase => ({
    id: record.id,
    status: record.status,
    ...(record.assignee ? { assignee: record.assignee } : {}),
    verificationIds: record.verificationIds,
  })

  const capabilities: KycCapabilities = {
    upload: false,
    sessionLink: true,
    cancel: true,
    manualReview: true,
    deleteData: true,
    simulate: resolved.sandbox,
    lists: true,
    cases: true,
  }

  const { apiKey: _apiKey, webhookSecrets, ...publicSettings } = resolved

  const adapter: PersonaAdapter = {
    specificationVersion: 'v1',
    provider: 'persona',
    capabilities,
    coverage: personaCoverage,
    createVerification,
    getVerification,
    parseWebhook,
    createSessionLink,
    cancelVerification,
    reviewVerification,
    deleteVerificationData,
    ...(resolved.sandbox ? { simulateVerification } : {}),

    async createList(options): Promise<KycList> {
      const list = await lists.create(options)
      return { id: list.id, kind: options.kind, name: list.name, archived: list.archived }
    },
    async addListItems(options) {
      await lists.addItems({ listId: options.listId, items: options.items, ...withSignal(options.signal) })
    },
    async importListItems(options): Promise<ImportResult> {
      const result = await lists.importCsv({
        listId: options.listId,
        csv: options.csv,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...withSignal(options.signal),
      })
      return {
        id: result.id,
        status: result.status,
        successfulCount: result.successfulCount,
        errorCount: result.errorCount,
        duplicateCount: result.duplicateCount,
      }
    },
    async createCase(options) {
      const objectIds = (options.verifications ?? []).map(inquiryIdOf)
      return toKycCase(
        await cases.create({
          ...(options.templateId ? { templateId: options.templateId } : {}),
          objectIds,
          ...withSignal(options.signal),
        }),
      )
    },
    async setCaseStatus(options) {
      return toKycCase(await cases.setStatus(options))
    },
    async assignCase(options) {
      return toKycCase(
        await cases.assign({
          caseId: options.caseId,
          assigneeEmail: options.assignee,
          ...withSignal(options.signal),
        }),
      )
    },

    cases,
    lists,
    accounts,
    inquiries: {
      async generateOneTimeLink(options) {
        const { inquiry, ...link } = await inquiries.generateOneTimeLink(options)
        return { ...link, verification: toVerification(inquiry) }
      },
      async resume(options) {
        const { inquiry, sessionToken } = await inquiries.resume(options)
        return { sessionToken, verification: toVerification(inquiry) }
      },
    },
    settings: Object.freeze({ ...publicSettings, webhookSecretCount: webhookSecrets.length }),
  }
  return adapter
}
