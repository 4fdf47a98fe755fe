/**
 * Lenient schemas for what Jumio sends us: only the fields the adapter reads, everything optional
 * where real payloads have been seen without it, enums as open strings. Private to the package; the
 * inferred types are exported for the adapter's vendor API.
 *
 * Sources are tagged as in `docs/reference/jumio-api.md` (G23 implementation guide, G22 KYX guide,
 * DOC current docs, IF real captured payloads).
 */
import { lazy, lazySchema } from '@openkyc/core'
import { z } from '@openkyc/core/zod'

const looseString = lazy(() => z.string().nullish())

/** A number Jumio sometimes sends as a string (`currentAge: "70"`, `score: 50.0`). */
const looseNumber = lazy(() =>
  z
    .union([z.number(), z.string()])
    .nullish()
    .transform((value) => {
      if (value === null || value === undefined || value === '') return undefined
      const number = typeof value === 'number' ? value : Number(value)
      return Number.isFinite(number) ? number : undefined
    }),
)

/** `POST /oauth2/token` (G23, DOC Authorization). */
export const jumioTokenResponseSchema = lazySchema(() =>
  z.object({
    access_token: z.string().min(1),
    expires_in: looseNumber(),
    token_type: looseString(),
  }),
)

/** The `api` object of an API-channel credential (G23, seed 002). */
const jumioCredentialApiSchema = lazy(() =>
  z.object({
    token: z.string().min(1),
    parts: z.record(z.string(), z.string()).nullish(),
    workflowExecution: looseString(),
  }),
)

/** `POST /api/v1/accounts` and `PUT /api/v1/accounts/{id}` (G23, W23, seed 003). */
export const jumioAccountResponseSchema = lazySchema(() =>
  z.object({
    timestamp: looseString(),
    account: z.object({ id: z.string().min(1) }),
    web: z.object({ href: looseString() }).nullish(),
    sdk: z.object({ token: looseString() }).nullish(),
    workflowExecution: z.object({
      id: z.string().min(1),
      credentials: z
        .array(
          z.object({
            id: looseString(),
            category: looseString(),
            allowedChannels: z.array(z.string()).nullish(),
            api: jumioCredentialApiSchema().nullish(),
          }),
        )
        .nullish(),
    }),
  }),
)

/** What account create/update returns. */
export type JumioAccountResponse = z.infer<typeof jumioAccountResponseSchema>

/** A credential part upload (G23, W23, IF). The token may be a fresh one. */
export const jumioUploadResponseSchema = lazySchema(() =>
  z.object({
    api: z.object({ token: looseString() }).nullish(),
  }),
)

/** The `decision` object, on the whole execution and on each capability (G22, DOC). */
const jumioDecisionSchema = lazy(() =>
  z.object({
    type: looseString(),
    details: z.object({ label: looseString() }).nullish(),
    risk: z.object({ score: looseNumber() }).nullish(),
  }),
)

/** One capability result: usability, imageChecks, liveness, … (G23, G22, seed 003). */
const jumioCapabilitySchema = lazy(() =>
  z.object({
    id: looseString(),
    credentials: z.array(z.object({ id: looseString(), category: looseString() })).nullish(),
    decision: jumioDecisionSchema().nullish(),
    data: z.record(z.string(), z.unknown()).nullish(),
  }),
)

/** One capability result. */
export type JumioCapability = z.infer<ReturnType<typeof jumioCapabilitySchema>>

/** The `data` of an extraction capability (G23): only the fields we normalize. */
export const jumioExtractionDataSchema = lazySchema(() =>
  z.object({
    type: looseString(),
    subType: looseString(),
    issuingCountry: looseString(),
    firstName: looseString(),
    lastName: looseString(),
    dateOfBirth: looseString(),
    expiryDate: looseString(),
    issuingDate: looseString(),
    documentNumber: looseString(),
    gender: looseString(),
    nationality: looseString(),
    currentAge: looseNumber(),
    address: z
      .object({
        line1: looseString(),
        line2: looseString(),
        city: looseString(),
        subdivision: looseString(),
        postalCode: looseString(),
        country: looseString(),
      })
      .nullish(),
  }),
)

/** The extraction data we read. */
export type JumioExtractionData = z.infer<typeof jumioExtractionDataSchema>

/** `GET /api/v1/accounts/{a}/workflow-executions/{w}` on the retrieval host (G23, G22, seed 003, IF). */
export const jumioDetailsResponseSchema = lazySchema(() =>
  z.object({
    workflow: z.object({
      id: z.string().min(1),
      status: z.string().min(1),
      definitionKey: z.union([z.string(), z.number()]).nullish(),
      userReference: looseString(),
      customerInternalReference: looseString(),
    }),
    account: z.object({ id: z.string().min(1) }),
    createdAt: looseString(),
    startedAt: looseString(),
    completedAt: looseString(),
    wipedOutAt: looseString(),
    credentials: z
      .array(
        z.object({
          id: looseString(),
          category: looseString(),
          parts: z.array(z.object({ classifier: looseString() })).nullish(),
        }),
      )
      .nullish(),
    decision: jumioDecisionSchema().nullish(),
    capabilities: z.record(z.string(), z.array(jumioCapabilitySchema()).nullish()).nullish(),
  }),
)

/** The retrieval details of one workflow execution. */
export type JumioDetailsResponse = z.infer<typeof jumioDetailsResponseSchema>

/** `GET …/workflow-executions/{w}/status` on the retrieval host (G23, DOC Workflow Status). */
export const jumioStatusResponseSchema = lazySchema(() =>
  z.object({
    account: z.object({ id: z.string().min(1) }),
    workflowExecution: z.object({
      id: z.string().min(1),
      status: z.string().min(1),
      definitionKey: z.union([z.string(), z.number()]).nullish(),
    }),
  }),
)

/** The retrieval status of one workflow execution. */
export type JumioStatusResponse = z.infer<typeof jumioStatusResponseSchema>

/** The callback Jumio posts (G23, DOC Callback, IF `callback-expired`). Unsigned; a hint only. */
export const jumioCallbackSchema = lazySchema(() =>
  z.object({
    callbackSentAt: looseString(),
    userReference: looseString(),
    workflowExecution: z.object({
      id: z.string().min(1),
      status: looseString(),
      definitionKey: z.union([z.string(), z.number()]).nullish(),
    }),
    account: z.object({ id: z.string().min(1) }),
  }),
)

/** A Jumio callback body. */
export type JumioCallback = z.infer<typeof jumioCallbackSchema>
