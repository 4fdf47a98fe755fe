import {
  type CreateVerificationOptions,
  type CreateVerificationResult,
  DocumentTypeSchema,
  isKycError,
  type KycAdapterCoverage,
  type KycAdapterV1,
  type KycCapabilities,
  type KycEvent,
  KycInvalidRequestError,
  KycInvalidStateError,
  lazy,
  resolveSchema,
  toSafeRecord,
  type UploadCredentialOptions,
  type Verification,
  type VerificationCallOptions,
  type VerificationReference,
  type VerificationSession,
} from '@openkyc/core'
import { z } from '@openkyc/core/zod'
import { mapOnfidoEvent } from './map-onfido-event.js'
import { toOnfidoDocumentType } from './map-onfido-identity.js'
import { mapOnfidoApplicantCheck, mapOnfidoWorkflowRun } from './map-onfido-verification.js'
import { createOnfidoApplicantMemory } from './onfido-applicant-memory.js'
import { createOnfidoClient, type OnfidoApplicantFields, type OnfidoClient } from './onfido-client.js'
import { alpha2ToOnfidoCountry } from './onfido-country.js'
import { createOnfidoHttpClient } from './onfido-http.js'
import { onfidoId } from './onfido-ids.js'
import {
  type OnfidoCheck,
  type OnfidoReport,
  type OnfidoWebhookEnvelope,
  type OnfidoWorkflowRun,
  OnfidoWorkflowRunSchema,
} from './onfido-schemas.js'
import {
  type OnfidoSettings,
  onfidoProvider,
  type ResolvedOnfidoSettings,
  resolveOnfidoSettings,
} from './onfido-settings.js'
import { verifyOnfidoWebhook } from './onfido-webhook.js'

/** Options for Onfido's classic checks (the pre-Studio API), on the adapter's own surface. */
export type CreateOnfidoCheckOptions = {
  applicantId: string
  /** Onfido report names, for example `document`, `facial_similarity_photo`, `watchlist_standard`. */
  reportNames: readonly string[]
  /** Documents to check; Onfido takes the most recently uploaded one when omitted. */
  documentIds?: readonly string[]
  /** Sandbox only: reports that come back `consider`. */
  consider?: readonly string[]
  /** Sandbox only: the document report's sub-result (`clear`, `rejected`, `suspected`, `caution`). */
  subResult?: 'clear' | 'rejected' | 'suspected' | 'caution'
  signal?: AbortSignal
}

/** Onfido's classic checks: what `submitVerification` uses, open for direct use and sandbox steering. */
export type OnfidoChecks = {
  /** `POST /checks`. @see https://documentation.onfido.com/api/latest/#create-check */
  create(options: CreateOnfidoCheckOptions): Promise<OnfidoCheck>
  /** `GET /checks/{id}`. */
  get(options: { checkId: string; signal?: AbortSignal }): Promise<OnfidoCheck>
  /** `GET /reports?check_id=`: the reports with their breakdowns (document reports hold personal data). */
  reports(options: { checkId: string; signal?: AbortSignal }): Promise<OnfidoReport[]>
}

/** The Onfido adapter: the common interface, plus Onfido's own surface next to it. */
export type OnfidoAdapter = KycAdapterV1 &
  Required<Pick<KycAdapterV1, 'uploadCredential' | 'submitVerification' | 'deleteVerificationData'>> & {
    readonly provider: 'onfido'
    /**
     * Restores a deleted applicant during the account's deletion delay (Onfido recommends at least
     * 20 days): `POST /applicants/{id}/restore`. After the delay the data is gone and Onfido answers
     * with an error. @see https://documentation.onfido.com/api/latest/#restore-applicant
     */
    restoreApplicant(options: VerificationCallOptions): Promise<void>
    /** Classic checks, for direct use (and `consider` / `sub_result` in the sandbox). */
    readonly checks: OnfidoChecks
    /** The settings in force, secrets left out. */
    readonly settings: Readonly<
      Omit<ResolvedOnfidoSettings, 'apiToken' | 'webhookTokens'> & { webhookTokenCount: number }
    >
  }

/** Onfido forbids these characters in names (its spec's pattern). */
const onfidoName = lazy(() =>
  z
    .string()
    .trim()
    .min(1)
    .max(256)
    .regex(/^[^!#$%*=<>;{}"]*$/, 'contains a character Onfido refuses in names'),
)

const CreateVerificationOptionsSchema = lazy(() =>
  z.object({
    subjectReference: z.string().trim().min(1).max(256),
    channel: z.enum(['hosted', 'api']).optional(),
    redirectUrl: z.url({ protocol: /^https?$/ }).optional(),
    locale: z.string().min(2).max(35).optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code')
      .optional(),
    documentTypes: z.array(resolveSchema(DocumentTypeSchema)).optional(),
    prefill: z.strictObject({
      firstName: onfidoName(),
      lastName: onfidoName(),
      dateOfBirth: z.iso.date().optional(),
    }),
  }),
)

/** The link languages Onfido's hosted flow offers, by BCP 47 tag. */
const linkLanguages: Readonly<Record<string, string>> = {
  en: 'en_US',
  'en-us': 'en_US',
  de: 'de_DE',
  'de-de': 'de_DE',
  es: 'es_ES',
  'es-es': 'es_ES',
  fr: 'fr_FR',
  'fr-fr': 'fr_FR',
  it: 'it_IT',
  'it-it': 'it_IT',
  pt: 'pt_PT',
  'pt-pt': 'pt_PT',
  nl: 'nl_NL',
  'nl-nl': 'nl_NL',
}

/** `personal_data` upload keys → Onfido applicant fields. */
const personalDataFields: Readonly<Record<string, keyof OnfidoApplicantFields>> = {
  firstName: 'first_name',
  lastName: 'last_name',
  dateOfBirth: 'dob',
  email: 'email',
  phoneNumber: 'phone_number',
}

function invalid(message: string, path: (string | number)[], issue: string): never {
  throw new KycInvalidRequestError({
    provider: onfidoProvider,
    message,
    issues: [{ path, message: issue }],
  })
}

/** A reference as this adapter writes it: the applicant, and the workflow run for hosted verifications. */
export type OnfidoReference = { applicantId: string; workflowRunId?: string }

/** A reference this adapter wrote, every id checked as a UUID path segment before any request. */
function parseReference(reference: VerificationReference | undefined): OnfidoReference {
  const applicantId = onfidoId(reference?.applicantId, 'applicantId')
  const workflowRunId = reference?.workflowRunId
  return workflowRunId === undefined
    ? { applicantId }
    : { applicantId, workflowRunId: onfidoId(workflowRunId, 'workflowRunId') }
}

function withSignal(signal: AbortSignal | undefined) {
  return signal ? { signal } : {}
}

/** The newest check first: Onfido lists checks without a documented order. */
function newestFirst(checks: readonly OnfidoCheck[]): OnfidoCheck[] {
  return [...checks].sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? '') || 0)
}

/**
 * What Onfido is documented to take, for routing's coverage check: every document type of ours
 * (its document `type` enum has about 80 values, among them `passport`, `driving_licence`,
 * `national_identity_card`, `residence_permit` and `visa`; `other` is uploaded as `unknown`). Onfido
 * publishes no country list in its API reference: set `routing.coverage` for the countries your
 * account is enabled for.
 *
 * @see docs/reference/onfido-api.md (Document upload, `type`); onfido-openapi.json `document_types`
 */
export const onfidoCoverage: KycAdapterCoverage = Object.freeze({
  // A getter, so that importing the adapter does not build core's DocumentTypeSchema (a cold start's cost).
  get documentTypes() {
    return DocumentTypeSchema.options
  },
})

/**
 * Creates the Onfido adapter. Settings fall back to environment variables (`ONFIDO_API_TOKEN`,
 * `ONFIDO_REGION`, `ONFIDO_WORKFLOW_ID`, `ONFIDO_WEBHOOK_TOKENS`, …) and are validated at once: a
 * missing or invalid one throws `KycConfigurationError` naming the setting and its variable.
 *
 * A hosted verification is an applicant plus a Studio workflow run, whose hosted link and SDK token
 * are the hand-off. An API-channel verification is an applicant whose document and live photo are
 * uploaded, then checked by a classic check. Every request goes through core's HTTP policy with
 * `Authorization: Token token=…` and Onfido's 400 requests per minute.
 *
 * @example
 * ```ts
 * import { createOnfido } from '@openkyc/onfido'
 *
 * const onfido = createOnfido({
 *   apiToken: process.env.ONFIDO_API_TOKEN,
 *   region: 'eu',
 *   workflowId: '00000000-0000-4000-8000-000000000000',
 *   webhookTokens: [process.env.ONFIDO_WEBHOOK_TOKEN!],
 * })
 * const { verification } = await onfido.createVerification({
 *   subjectReference: 'user_123',
 *   prefill: { firstName: 'Jane', lastName: 'Doe' },
 * })
 * redirect(verification.session!.url!)
 * ```
 */
export function createOnfido(settings: OnfidoSettings = {}): OnfidoAdapter {
  const resolved = resolveOnfidoSettings(settings)
  const now = settings.now ?? Date.now
  const client: OnfidoClient = createOnfidoClient(createOnfidoHttpClient(resolved, settings))
  const applicants = createOnfidoApplicantMemory({ now })

  /**
   * The reports of every check of an applicant, newest check first, or `undefined` when the
   * applicant's data is gone (Onfido answers 404 for a deleted applicant's checks).
   */
  const readReports = async (
    applicantId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ checks: OnfidoCheck[]; reports: OnfidoReport[] } | undefined> => {
    let checks: OnfidoCheck[]
    try {
      checks = newestFirst(await client.listChecks({ applicantId, ...withSignal(signal) }))
    } catch (error) {
      if (isKycError(error) && error.code === 'not_found') return undefined
      throw error
    }
    const reports = await Promise.all(
      checks.map((check) => client.listReports({ checkId: check.id, ...withSignal(signal) })),
    )
    return { checks, reports: reports.flat() }
  }

  /** The run mapped with the reports of its applicant's checks (`undefined`: the applicant's data is gone). */
  const mapRun = (
    run: OnfidoWorkflowRun,
    evidence: { reports: OnfidoReport[] } | undefined,
    session?: VerificationSession,
  ): Verification =>
    mapOnfidoWorkflowRun(run, {
      now,
      reports: evidence?.reports ?? [],
      ...(run.customer_user_id ? { subjectReference: run.customer_user_id } : {}),
      ...(evidence === undefined ? { redactedAt: new Date(now()).toISOString() } : {}),
      ...(session ? { session } : {}),
    })

  const runVerification = async (
    run: OnfidoWorkflowRun,
    signal: AbortSignal | undefined,
    extra: { session?: VerificationSession; withReports?: boolean } = {},
  ): Promise<Verification> => {
    const evidence =
      extra.withReports === false || !run.applicant_id
        ? { checks: [], reports: [] }
        : await readReports(run.applicant_id, signal)
    return mapRun(run, evidence, extra.session)
  }

  /** The API-channel verification of a deleted applicant: its evidence is gone, so it reads as redacted. */
  const redactedApplicant = (applicant: { id: string; created_at?: string | null | undefined }) =>
    mapOnfidoApplicantCheck({ id: applicant.id, createdAt: applicant.created_at ?? null }, undefined, {
      now,
      redactedAt: new Date(now()).toISOString(),
    })

  const applicantVerification = async (applicantId: string, signal: AbortSignal | undefined) => {
    // Independent reads, sent together: the reports of a deleted applicant are not used (and 404).
    const [applicant, reports] = await Promise.all([
      client.getApplicant({ applicantId, ...withSignal(signal) }),
      readReports(applicantId, signal),
    ])
    if (applicant.delete_at || reports === undefined) return redactedApplicant(applicant)
    const check = reports.checks[0]
    return mapOnfidoApplicantCheck({ id: applicant.id, createdAt: applicant.created_at ?? null }, check, {
      now,
      reports: check
        ? reports.reports.filter((report) => report.check_id === check.id || !report.check_id)
        : [],
    })
  }

  const readVerification = async (reference: OnfidoReference, signal: AbortSignal | undefined) => {
    if (reference.workflowRunId === undefined) return applicantVerification(reference.applicantId, signal)
    // The run and the reports of the reference's applicant are independent reads: sent together, the
    // read takes two round trips instead of three. A run that names another applicant (never from
    // Onfido, but a reference is the caller's) is read again from the run's own applicant.
    const [run, evidence] = await Promise.all([
      client.getWorkflowRun({ workflowRunId: reference.workflowRunId, ...withSignal(signal) }),
      readReports(reference.applicantId, signal),
    ])
    if (run.applicant_id !== reference.applicantId) return runVerification(run, signal)
    return mapRun(run, evidence)
  }

  /**
   * The run could not be created after the applicant was: the application will retry and create a
   * new applicant, so this one (holding the applicant's names) is deleted at once, best effort.
   * Onfido deletes an applicant without checks immediately. A failed clean-up is logged (ids and
   * codes only) and never hides the original error.
   */
  const discardApplicant = async (applicantId: string, cause: unknown) => {
    try {
      await client.deleteApplicant({ applicantId })
    } catch (error) {
      settings.logger?.warn?.('onfido: could not delete the applicant of a failed verification', {
        provider: onfidoProvider,
        applicantId,
        cause: isKycError(cause) ? cause.code : 'error',
        code: isKycError(error) ? error.code : 'error',
      })
    }
  }

  const createVerification = async (
    options: CreateVerificationOptions,
  ): Promise<CreateVerificationResult> => {
    const parsed = CreateVerificationOptionsSchema().safeParse(options)
    if (!parsed.success) {
      throw new KycInvalidRequestError({
        provider: onfidoProvider,
        message:
          'onfido createVerification: invalid options (Onfido needs prefill.firstName and prefill.lastName for the applicant).',
        issues: parsed.error.issues,
      })
    }
    const input = parsed.data
    const applicant = await client.createApplicant({
      fields: {
        first_name: input.prefill.firstName,
        last_name: input.prefill.lastName,
        ...(input.prefill.dateOfBirth ? { dob: input.prefill.dateOfBirth } : {}),
      },
      ...withSignal(options.signal),
    })
    if (input.channel === 'api') {
      applicants.remember(applicant.id, applicant.created_at)
      return {
        verification: mapOnfidoApplicantCheck(
          { id: applicant.id, createdAt: applicant.created_at ?? null },
          undefined,
          {
            now,
            subjectReference: input.subjectReference,
          },
        ),
      }
    }
    const language = input.locale ? linkLanguages[input.locale.toLowerCase()] : undefined
    const expiresAt =
      resolved.linkExpiresInSeconds === undefined
        ? undefined
        : new Date(now() + resolved.linkExpiresInSeconds * 1000).toISOString()
    const link = {
      ...(input.redirectUrl ? { completed_redirect_url: input.redirectUrl } : {}),
      ...(expiresAt ? { expires_at: expiresAt } : {}),
      ...(language ? { language } : {}),
    }
    const run = await client
      .createWorkflowRun({
        body: {
          workflow_id: resolved.workflowId,
          applicant_id: applicant.id,
          customer_user_id: input.subjectReference,
          ...(Object.keys(link).length > 0 ? { link } : {}),
        },
        ...withSignal(options.signal),
      })
      .catch(async (error: unknown) => {
        await discardApplicant(applicant.id, error)
        throw error
      })
    const linkExpiry = run.link?.expires_at ? Date.parse(run.link.expires_at) : Number.NaN
    const session: VerificationSession = {
      ...(run.link?.url && /^https?:\/\//.test(run.link.url) ? { url: run.link.url } : {}),
      ...(run.sdk_token ? { sdkToken: run.sdk_token } : {}),
      ...(Number.isNaN(linkExpiry) ? {} : { expiresAt: new Date(linkExpiry).toISOString() }),
    }
    // A new run has no checks yet: no need to read reports.
    const verification = await runVerification(
      { ...run, applicant_id: run.applicant_id ?? applicant.id },
      options.signal,
      { session, withReports: false },
    )
    return { verification: { ...verification, subjectReference: input.subjectReference } }
  }

  const uploadCredential = async (options: UploadCredentialOptions): Promise<void> => {
    const reference = parseReference(options.reference)
    if (reference.workflowRunId !== undefined) {
      throw new KycInvalidStateError({
        provider: onfidoProvider,
        message:
          'This Onfido verification runs a Studio workflow; its evidence is captured in the hosted flow. Create it with channel: "api" to upload.',
      })
    }
    const { applicantId } = reference
    if (options.kind === 'personal_data') {
      const data = toSafeRecord(options.data, {
        provider: onfidoProvider,
        what: 'personal data',
        path: ['data'],
        pattern: /^[A-Za-z]{1,64}$/,
      })
      const fields: OnfidoApplicantFields = {}
      for (const [key, value] of Object.entries(data)) {
        const field = Object.hasOwn(personalDataFields, key) ? personalDataFields[key] : undefined
        if (field === undefined) {
          invalid(
            'onfido uploadCredential: a personal_data key Onfido does not take.',
            ['data', Object.keys(data).indexOf(key)],
            `expected one of ${Object.keys(personalDataFields).join(', ')}`,
          )
        }
        fields[field] = value
      }
      await client.updateApplicant({ applicantId, fields, ...withSignal(options.signal) })
      return
    }
    if (options.content.byteLength === 0)
      invalid('The credential content is empty.', ['content'], 'must not be empty')
    const extension = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[
      options.contentType
    ]
    const file = {
      content: options.content,
      contentType: options.contentType,
      fileName: `${options.part}.${extension}`,
    }
    if (options.kind === 'selfie') {
      await client.uploadLivePhoto({ applicantId, file, ...withSignal(options.signal) })
      return
    }
    if (options.kind === 'liveness') {
      invalid(
        'Onfido has no upload endpoint for live videos; they are captured by its SDKs only.',
        ['kind'],
        'not accepted through the API channel',
      )
    }
    const issuingCountry = options.country ? alpha2ToOnfidoCountry(options.country) : undefined
    if (options.country && issuingCountry === undefined) {
      invalid(
        'onfido uploadCredential: unknown country.',
        ['country'],
        'expected an ISO 3166-1 alpha-2 country code',
      )
    }
    await client.uploadDocument({
      applicantId,
      file,
      type: options.kind === 'id_document' ? toOnfidoDocumentType(options.documentType) : 'unknown',
      ...(options.part === 'front' || options.part === 'back' ? { side: options.part } : {}),
      ...(issuingCountry ? { issuingCountry } : {}),
      ...withSignal(options.signal),
    })
  }

  /**
   * Onfido refused to start a check. A deleted applicant's evidence is gone, so there is nothing to
   * submit: the verification reads as redacted (soft-deleted) or not found (gone). Any other refusal,
   * and every failure whose outcome is unknown, stands.
   */
  const refusedCheck = async (error: unknown, applicantId: string, signal: AbortSignal | undefined) => {
    if (!isKycError(error) || error.retryable) throw error
    const applicant = await client
      .getApplicant({ applicantId, ...withSignal(signal) })
      .catch((readError: unknown) => {
        if (isKycError(readError) && readError.code === 'not_found') throw readError
        return undefined
      })
    if (applicant?.delete_at) return redactedApplicant(applicant)
    throw error
  }

  /**
   * Starts a classic check on the uploaded evidence, then reads it back with its reports (together).
   * Safe to repeat: an applicant that already has a check (a first call whose response was lost) gets
   * no second one; its current state is read instead. The applicant's checks are listed first unless
   * this adapter instance created the applicant and never requested a check for it (see
   * `createOnfidoApplicantMemory`): then no check can exist yet, and the list is skipped.
   */
  const submitVerification = async (options: VerificationCallOptions): Promise<Verification> => {
    const reference = parseReference(options.reference)
    if (reference.workflowRunId !== undefined) return readVerification(reference, options.signal)
    const { applicantId } = reference
    const signal = withSignal(options.signal)
    const createCheck = () =>
      client.createCheck({
        body: { applicant_id: applicantId, report_names: [...resolved.checkReportNames] },
        ...signal,
      })
    let createdAt = applicants.createdAt(applicantId)
    let known: OnfidoCheck | undefined
    let checkId: string
    const first = applicants.firstCheck(applicantId, createCheck)
    if (first !== undefined) {
      const created = await first.then(
        (check) => check,
        (error: unknown) => refusedCheck(error, applicantId, options.signal),
      )
      if ('provider' in created) return created
      checkId = created.id
    } else {
      // A check creation this instance started for the applicant may still be under way: wait for it.
      await applicants.settled(applicantId)
      // The creation time (remembered, or read with the deletion state) and the checks, read together.
      const [applicant, existing] = await Promise.all([
        createdAt === undefined ? client.getApplicant({ applicantId, ...signal }) : undefined,
        client.listChecks({ applicantId, ...signal }).catch((error: unknown) => {
          // Onfido answers 404 for a deleted applicant's checks: read as a deleted applicant below.
          if (isKycError(error) && error.code === 'not_found') return undefined
          throw error
        }),
      ])
      // A deleted applicant's evidence is gone: nothing to submit, and Onfido would refuse a check.
      if (applicant?.delete_at || existing === undefined)
        return applicantVerification(applicantId, options.signal)
      if (applicant !== undefined) createdAt = applicant.created_at ?? null
      known = newestFirst(existing)[0]
      if (known === undefined) {
        const creation = createCheck()
        applicants.checkRequested(applicantId, creation)
        const created = await creation.catch((error: unknown) =>
          refusedCheck(error, applicantId, options.signal),
        )
        if ('provider' in created) return created
        checkId = created.id
      } else checkId = known.id
    }
    // Read back as an application would (the check moves on once created), with its reports at once.
    const [check, reports] = await Promise.all([
      known ?? client.getCheck({ checkId, ...signal }),
      client.listReports({ checkId, ...signal }),
    ])
    return mapOnfidoApplicantCheck({ id: applicantId, createdAt: createdAt ?? null }, check, {
      now,
      reports: reports.filter((report) => report.check_id === check.id || !report.check_id),
    })
  }

  const deleteVerificationData = async (options: VerificationCallOptions): Promise<void> => {
    const { applicantId } = parseReference(options.reference)
    await client.deleteApplicant({ applicantId, ...withSignal(options.signal) })
    applicants.forget(applicantId)
  }

  /** The verification an event concerns, read back where the envelope does not carry it whole. */
  const verificationForEvent = async (
    envelope: OnfidoWebhookEnvelope,
    signal: AbortSignal | undefined,
  ): Promise<Verification | undefined> => {
    const { action, object, resource } = envelope.payload
    if (action.startsWith('workflow_run.')) {
      // Studio events carry the whole run, signed: it is the truth. The reports are read back.
      const carried = OnfidoWorkflowRunSchema.safeParse(resource)
      const run =
        carried.success && carried.data.id === object.id && carried.data.status
          ? carried.data
          : await client.getWorkflowRun({
              workflowRunId: onfidoId(object.id, 'workflowRunId'),
              ...withSignal(signal),
            })
      return runVerification(run, signal)
    }
    if (action.startsWith('workflow_task.')) {
      const runId =
        object.workflow_run_id ?? (resource as { workflow_run_id?: unknown } | undefined)?.workflow_run_id
      if (typeof runId !== 'string') return undefined
      const run = await client.getWorkflowRun({
        workflowRunId: onfidoId(runId, 'workflowRunId'),
        ...withSignal(signal),
      })
      const verification = await runVerification(run, signal, { withReports: false })
      // A task event tells of progress only. Once the run has ended, its own workflow_run.completed
      // event (with the reports read back) carries the result; an event from a task read after the end
      // would carry the decision without the checks and, applied first, hide the complete one.
      if (verification.status === 'created') return { ...verification, status: 'in_progress' }
      return verification.status === 'submitted' || verification.status === 'in_progress'
        ? verification
        : undefined
    }
    if (action.startsWith('check.')) {
      const check = await client.getCheck({ checkId: onfidoId(object.id, 'checkId'), ...withSignal(signal) })
      if (!check.applicant_id) return undefined
      return applicantVerification(onfidoId(check.applicant_id, 'applicantId'), signal)
    }
    return undefined
  }

  const parseWebhook: KycAdapterV1['parseWebhook'] = async (options): Promise<KycEvent[]> => {
    options.signal?.throwIfAborted()
    const envelope = await verifyOnfidoWebhook({
      headers: options.headers,
      rawBody: options.rawBody,
      tokens: resolved.webhookTokens,
    })
    const verification = await verificationForEvent(envelope, options.signal)
    return verification === undefined ? [] : [mapOnfidoEvent(envelope, verification)]
  }

  const capabilities: KycCapabilities = {
    upload: true,
    sessionLink: false,
    cancel: false,
    manualReview: false,
    deleteData: true,
    simulate: false,
    lists: false,
    cases: false,
  }

  const { apiToken: _apiToken, webhookTokens, ...publicSettings } = resolved

  return {
    specificationVersion: 'v1',
    provider: 'onfido',
    capabilities,
    coverage: onfidoCoverage,
    createVerification,
    async getVerification(options) {
      return readVerification(parseReference(options.reference), options.signal)
    },
    parseWebhook,
    uploadCredential,
    submitVerification,
    deleteVerificationData,
    async restoreApplicant(options) {
      const { applicantId } = parseReference(options.reference)
      await client.restoreApplicant({ applicantId, ...withSignal(options.signal) })
    },
    checks: {
      async create(options) {
        if ((options.consider !== undefined || options.subResult !== undefined) && !resolved.sandbox) {
          invalid(
            'onfido checks.create: consider and subResult steer sandbox results only.',
            ['consider'],
            'needs a sandbox token',
          )
        }
        const applicantId = onfidoId(options.applicantId, 'applicantId')
        const creation = client.createCheck({
          body: {
            applicant_id: applicantId,
            report_names: [...options.reportNames],
            ...(options.documentIds
              ? { document_ids: options.documentIds.map((id) => onfidoId(id, 'documentId')) }
              : {}),
            ...(options.consider ? { consider: [...options.consider] } : {}),
            ...(options.subResult ? { sub_result: options.subResult } : {}),
          },
          ...withSignal(options.signal),
        })
        // A later submitVerification then looks for this check before creating one.
        applicants.checkRequested(applicantId, creation)
        return creation
      },
      async get(options) {
        return client.getCheck({
          checkId: onfidoId(options.checkId, 'checkId'),
          ...withSignal(options.signal),
        })
      },
      async reports(options) {
        return client.listReports({
          checkId: onfidoId(options.checkId, 'checkId'),
          ...withSignal(options.signal),
        })
      },
    },
    settings: Object.freeze({ ...publicSettings, webhookTokenCount: webhookTokens.length }),
  }
}
