import { lazy, lazySchema, resolveSchema } from '@openkyc/core'
import { z } from '@openkyc/core/zod'

/**
 * Lenient schemas for the parts of Onfido's responses and webhooks this adapter reads. Onfido adds
 * fields and enum values inside v3.6 (its versioning policy), so every enum is an open string and
 * every field that may be absent is `nullish`. Built from the official OpenAPI spec v3.6.
 *
 * @see https://github.com/onfido/onfido-openapi-spec
 */

const id = lazy(() => z.string().min(1).max(128))
const text = lazy(() => z.string().max(4096))
const timestamp = lazy(() => z.string().max(64))

/** `POST /applicants`, `GET /applicants/{id}`. Only the non-personal fields are read here. */
export const OnfidoApplicantSchema = lazySchema(() =>
  z.object({
    id: id(),
    created_at: timestamp().nullish(),
    delete_at: timestamp().nullish(),
    sandbox: z.boolean().nullish(),
  }),
)

/** An Onfido applicant, as far as the adapter reads it. */
export type OnfidoApplicant = z.infer<typeof OnfidoApplicantSchema>

/** `workflow_run.link`. */
const WorkflowRunLinkSchema = lazy(() =>
  z.object({
    url: text().nullish(),
    expires_at: timestamp().nullish(),
  }),
)

/** `POST /workflow_runs`, `GET /workflow_runs/{id}`, and the `resource` of `workflow_run.*` webhooks. */
export const OnfidoWorkflowRunSchema = lazySchema(() =>
  z.object({
    id: id(),
    applicant_id: id().nullish(),
    workflow_id: id().nullish(),
    workflow_version_id: z.number().nullish(),
    /** Eight documented values; open to more. */
    status: z.string().max(64).nullish(),
    reasons: z.array(z.string().max(256)).max(100).nullish(),
    error: z.object({ type: z.string().max(128).nullish(), message: text().nullish() }).nullish(),
    customer_user_id: z.string().max(256).nullish(),
    sdk_token: z.string().max(8192).nullish(),
    link: WorkflowRunLinkSchema().nullish(),
    /** Whatever the workflow version emits; its shape differs per workflow. */
    output: z.unknown().optional(),
    created_at: timestamp().nullish(),
    updated_at: timestamp().nullish(),
  }),
)

/** An Onfido Studio workflow run. */
export type OnfidoWorkflowRun = z.infer<typeof OnfidoWorkflowRunSchema>

/** A classic check (`POST /checks`, `GET /checks/{id}`). */
export const OnfidoCheckSchema = lazySchema(() =>
  z.object({
    id: id(),
    applicant_id: id().nullish(),
    /** `in_progress, awaiting_applicant, complete, withdrawn, paused, reopened`; open to more. */
    status: z.string().max(64).nullish(),
    /** `clear | consider`, null until complete. */
    result: z.string().max(64).nullish(),
    report_ids: z.array(id()).max(100).nullish(),
    created_at: timestamp().nullish(),
    sandbox: z.boolean().nullish(),
  }),
)

/** An Onfido classic check. */
export type OnfidoCheck = z.infer<typeof OnfidoCheckSchema>

/** `GET /checks?applicant_id=`. */
export const OnfidoCheckListSchema = lazySchema(() =>
  z.object({ checks: z.array(resolveSchema(OnfidoCheckSchema)).max(1000) }),
)

/** One node of a report's breakdown: `{ result, breakdown?: { name: node }, properties? }`. */
export type OnfidoBreakdownNode = {
  result?: string | null | undefined
  breakdown?: Record<string, OnfidoBreakdownNode | null | undefined> | null | undefined
  properties?: Record<string, unknown> | null | undefined
}

const breakdownName = lazy(() => z.string().max(128))
const breakdownResult = lazy(() => z.string().max(64).nullish())

/**
 * A JSON object whose values are read one by one, each checked where it is read (`properties`):
 * checked to be an object, not copied key by key as a record schema would.
 */
const propertyBag = lazy(() =>
  z.custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'expected an object',
  ),
)

/**
 * The breakdown levels the mapping reads (see `map-onfido-report.ts`): a report's breakdowns, their
 * results and sub-breakdowns, and the sub-breakdowns' results and reason properties. Deeper levels,
 * and properties elsewhere, are not read, so they are not parsed (a recursive schema cost more per
 * report than the mapping itself).
 */
const SubBreakdownSchema = lazy(() =>
  z.object({
    result: breakdownResult(),
    properties: propertyBag().nullish(),
  }),
)
const BreakdownSchema = lazy(
  (): z.ZodType<OnfidoBreakdownNode> =>
    z.object({
      result: breakdownResult(),
      breakdown: z.record(breakdownName(), SubBreakdownSchema().nullish()).nullish(),
    }),
)

/** A report (`GET /reports?check_id=`): name, result, the breakdown tree and, for documents, the extracted data. */
export const OnfidoReportSchema = lazySchema(() =>
  z.object({
    id: id(),
    /** `document`, `facial_similarity_photo`, `watchlist_standard`, …; open to more. */
    name: z.string().max(128),
    /** `awaiting_data, awaiting_approval, cancelled, complete, withdrawn`; open to more. */
    status: z.string().max(64).nullish(),
    /** `clear | consider | unidentified`; open to more. */
    result: z.string().max(64).nullish(),
    /** Document reports only: `clear | rejected | suspected | caution`. */
    sub_result: z.string().max(64).nullish(),
    check_id: id().nullish(),
    created_at: timestamp().nullish(),
    breakdown: z.record(breakdownName(), BreakdownSchema().nullish()).nullish(),
    properties: propertyBag().nullish(),
  }),
)

/** An Onfido report. */
export type OnfidoReport = z.infer<typeof OnfidoReportSchema>

/** `GET /reports?check_id=`. */
export const OnfidoReportListSchema = lazySchema(() =>
  z.object({ reports: z.array(resolveSchema(OnfidoReportSchema)).max(100) }),
)

/** `POST /documents`, `POST /live_photos`: the id is all the adapter keeps. */
export const OnfidoUploadedMediaSchema = lazySchema(() => z.object({ id: id() }))

/**
 * The webhook envelope, `{ payload: { resource_type, action, object, resource? } }`. The spec's
 * `required: [resource_type, resource_id, event]` names fields that do not exist (a known spec bug),
 * so nothing but `action` and `object.id` is required here.
 */
export const OnfidoWebhookEnvelopeSchema = lazySchema(() =>
  z.object({
    payload: z.object({
      resource_type: z.string().max(128).nullish(),
      action: z.string().min(1).max(128),
      object: z.object({
        id: id(),
        status: z.string().max(64).nullish(),
        href: z.string().max(2048).nullish(),
        workflow_run_id: id().nullish(),
        completed_at_iso8601: timestamp().nullish(),
        started_at_iso8601: timestamp().nullish(),
      }),
      resource: z.unknown().optional(),
    }),
  }),
)

/** An Onfido webhook envelope. */
export type OnfidoWebhookEnvelope = z.infer<typeof OnfidoWebhookEnvelopeSchema>
