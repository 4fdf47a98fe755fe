import type { ScenarioId } from '@openkyc/testkit/catalogue'

/**
 * The simulator's stored objects and how each is presented on the wire (`reference/onfido-api.md`
 * §3–§8 and the official spec's response schemas). Records keep camelCase fields; presenters write
 * Onfido's snake_case JSON with relative `href`s and second-precision timestamps.
 */

/** Onfido's data regions (`api.{eu|us|ca}.onfido.com`). */
export type OnfidoRegion = 'eu' | 'us' | 'ca'

/** Sandbox or live, decided by the API token's prefix. */
export type OnfidoEnvironment = 'sandbox' | 'live'

/** The eight workflow-run statuses (SPEC `workflow_run_status`). */
export type OnfidoWorkflowRunStatus =
  | 'processing'
  | 'awaiting_input'
  | 'awaiting_client_input'
  | 'approved'
  | 'declined'
  | 'review'
  | 'abandoned'
  | 'error'

/** Statuses a run does not leave on its own. */
export const terminalRunStatuses: ReadonlySet<OnfidoWorkflowRunStatus> = new Set([
  'approved',
  'declined',
  'review',
  'abandoned',
  'error',
])

/** What every stored object has. */
type Owned = {
  id: string
  region: OnfidoRegion
  environment: OnfidoEnvironment
  /** ms since the epoch (simulator clock). */
  createdAt: number
}

export type ApplicantRecord = Owned & {
  firstName: string
  lastName: string
  email: string | null
  dob: string | null
  phoneNumber: string | null
  idNumbers: Record<string, unknown>[]
  address: Record<string, unknown> | null
  location: Record<string, unknown> | null
  consents: { name: string; granted: boolean; grantedAt: number | null }[]
  /** Set when soft-deleted: the hard deletion time. */
  deleteAt: number | null
  /** A scenario assigned through the control API; otherwise the last name decides. */
  assignedScenario?: ScenarioId
}

export type MediaRecord = Owned & {
  kind: 'document' | 'live_photo'
  applicantId: string
  fileName: string
  fileType: string
  contentType: string
  bytes: Uint8Array
  /** Documents only. */
  documentType?: string
  side?: 'front' | 'back' | null
  issuingCountry?: string | null
}

export type ReportRecord = Owned & {
  checkId: string
  name: string
  status: 'awaiting_data' | 'awaiting_approval' | 'cancelled' | 'complete' | 'withdrawn'
  result: 'clear' | 'consider' | 'unidentified' | null
  subResult: 'clear' | 'rejected' | 'suspected' | 'caution' | null
  breakdown: Record<string, unknown>
  properties: Record<string, unknown>
  documentIds: string[]
  livePhotoIds: string[]
}

export type CheckRecord = Owned & {
  applicantId: string
  status: 'in_progress' | 'awaiting_applicant' | 'complete' | 'withdrawn' | 'paused' | 'reopened'
  result: 'clear' | 'consider' | null
  reportIds: string[]
  tags: string[]
  webhookIds: string[] | null
  redirectUri: string | null
  applicantProvidesData: boolean
  privacyNoticesReadConsentGiven: boolean
  /** The workflow run whose tasks created this check, if any. */
  workflowRunId?: string
}

export type TaskRecord = {
  id: string
  taskDefId: string
  taskDefVersion: string | null
  input: Record<string, unknown>
  output: Record<string, unknown> | unknown[] | null
  createdAt: number
  updatedAt: number
  state: 'started' | 'completed'
}

export type WorkflowRunRecord = Owned & {
  applicantId: string
  workflowId: string
  workflowVersionId: number
  status: OnfidoWorkflowRunStatus
  output: Record<string, unknown> | null
  reasons: string[]
  error: { type: string; message: string } | null
  tags: string[]
  customerUserId: string | null
  customData: Record<string, unknown>
  link: {
    completedRedirectUrl: string | null
    expiredRedirectUrl: string | null
    expiresAt: number | null
    language: string | null
  }
  sdkToken: string
  updatedAt: number
  tasks: TaskRecord[]
  /** The scenario the run realises, once decided. */
  scenarioId?: ScenarioId
  /** The check its verification tasks created. */
  checkId?: string
  /** When the applicant opened the hosted flow. */
  openedAt?: number
  completedAt?: number
}

export type WebhookRecord = Owned & {
  url: string
  token: string
  name: string | null
  enabled: boolean
  /** `null`: every event. */
  events: string[] | null
  /** `null`: both environments. */
  environments: string[] | null
  payloadVersion: number
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the second-precision form real payloads carry (§14.3). */
export function onfidoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}

/** The version prefix of every API path. */
export const apiVersionPath = '/v3.6'

/** Applicant JSON (SPEC `applicant`). */
export function presentApplicant(applicant: ApplicantRecord): Record<string, unknown> {
  return {
    id: applicant.id,
    created_at: onfidoTime(applicant.createdAt),
    delete_at: applicant.deleteAt === null ? null : onfidoTime(applicant.deleteAt),
    href: `${apiVersionPath}/applicants/${applicant.id}`,
    sandbox: applicant.environment === 'sandbox',
    first_name: applicant.firstName,
    last_name: applicant.lastName,
    email: applicant.email,
    dob: applicant.dob,
    phone_number: applicant.phoneNumber,
    id_numbers: applicant.idNumbers,
    ...(applicant.address === null ? {} : { address: applicant.address }),
    ...(applicant.location === null ? {} : { location: applicant.location }),
  }
}

/** Document or live photo JSON (SPEC `document`, `live_photo`). */
export function presentMedia(media: MediaRecord): Record<string, unknown> {
  const collection = media.kind === 'document' ? 'documents' : 'live_photos'
  const common = {
    id: media.id,
    created_at: onfidoTime(media.createdAt),
    href: `${apiVersionPath}/${collection}/${media.id}`,
    download_href: `${apiVersionPath}/${collection}/${media.id}/download`,
    file_name: media.fileName,
    file_type: media.fileType,
    file_size: media.bytes.byteLength,
  }
  if (media.kind === 'live_photo') return common
  return {
    ...common,
    type: media.documentType,
    side: media.side ?? null,
    issuing_country: media.issuingCountry ?? null,
    applicant_id: media.applicantId,
  }
}

/** Check JSON (SPEC `check`). */
export function presentCheck(check: CheckRecord): Record<string, unknown> {
  return {
    id: check.id,
    created_at: onfidoTime(check.createdAt),
    href: `${apiVersionPath}/checks/${check.id}`,
    applicant_id: check.applicantId,
    status: check.status,
    result: check.result,
    report_ids: check.reportIds,
    tags: check.tags,
    ...(check.webhookIds === null ? {} : { webhook_ids: check.webhookIds }),
    results_uri: `https://dashboard.onfido.com/checks/${check.id}`,
    form_uri: null,
    redirect_uri: check.redirectUri,
    applicant_provides_data: check.applicantProvidesData,
    privacy_notices_read_consent_given: check.privacyNoticesReadConsentGiven,
    sandbox: check.environment === 'sandbox',
    paused: check.status === 'paused',
    version: '3.6',
  }
}

/** Report JSON (SPEC `report`, discriminated by `name`). */
export function presentReport(report: ReportRecord): Record<string, unknown> {
  return {
    id: report.id,
    created_at: onfidoTime(report.createdAt),
    href: `${apiVersionPath}/reports/${report.id}`,
    name: report.name,
    status: report.status,
    result: report.result,
    sub_result: report.subResult,
    check_id: report.checkId,
    breakdown: report.breakdown,
    properties: report.properties,
    ...(report.documentIds.length === 0 ? {} : { documents: report.documentIds.map((id) => ({ id })) }),
    ...(report.livePhotoIds.length === 0 ? {} : { live_photos: report.livePhotoIds.map((id) => ({ id })) }),
  }
}

/** Workflow-run JSON (SPEC `workflow_run`); `linkUrl` depends on where the simulator is served. */
export function presentWorkflowRun(run: WorkflowRunRecord, linkUrl: string): Record<string, unknown> {
  return {
    id: run.id,
    applicant_id: run.applicantId,
    workflow_id: run.workflowId,
    workflow_version_id: run.workflowVersionId,
    status: run.status,
    output: run.output,
    reasons: run.reasons,
    error: run.error,
    tags: run.tags,
    customer_user_id: run.customerUserId,
    dashboard_url: `https://dashboard.onfido.com/results/${run.id}`,
    sdk_token: run.sdkToken,
    link: {
      url: linkUrl,
      completed_redirect_url: run.link.completedRedirectUrl,
      expired_redirect_url: run.link.expiredRedirectUrl,
      expires_at: run.link.expiresAt === null ? null : onfidoTime(run.link.expiresAt),
      language: run.link.language,
    },
    created_at: onfidoTime(run.createdAt),
    updated_at: onfidoTime(run.updatedAt),
  }
}

/** Task list item JSON (SPEC `TaskItem`). */
export function presentTaskItem(run: WorkflowRunRecord, task: TaskRecord): Record<string, unknown> {
  return {
    id: task.id,
    workflow_run_id: run.id,
    task_def_id: task.taskDefId,
    task_def_version: task.taskDefVersion,
    created_at: onfidoTime(task.createdAt),
    updated_at: onfidoTime(task.updatedAt),
  }
}

/** Task JSON (SPEC `task`). */
export function presentTask(run: WorkflowRunRecord, task: TaskRecord): Record<string, unknown> {
  return { ...presentTaskItem(run, task), input: task.input, output: task.output }
}

/** Webhook JSON (SPEC `webhook`), token included as Onfido returns it. */
export function presentWebhook(webhook: WebhookRecord): Record<string, unknown> {
  return {
    id: webhook.id,
    url: webhook.url,
    token: webhook.token,
    href: `${apiVersionPath}/webhooks/${webhook.id}`,
    enabled: webhook.enabled,
    ...(webhook.name === null ? {} : { name: webhook.name }),
    ...(webhook.events === null ? {} : { events: webhook.events }),
    ...(webhook.environments === null ? {} : { environments: webhook.environments }),
    payload_version: webhook.payloadVersion,
  }
}
