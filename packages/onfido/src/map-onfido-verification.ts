import type {
  Check,
  Decision,
  Reason,
  Verification,
  VerificationSession,
  VerificationStatus,
} from '@openkyc/core'
import { mapOnfidoIdentity } from './map-onfido-identity.js'
import {
  mapOnfidoReports,
  mapOnfidoRunReasons,
  reasonsOfChecks,
  reasonsOfSubResults,
} from './map-onfido-report.js'
import {
  mapOnfidoCheckStatus,
  mapOnfidoWorkflowRunStatus,
  type OnfidoStatusMeaning,
} from './map-onfido-status.js'
import type { OnfidoCheck, OnfidoReport, OnfidoWorkflowRun } from './onfido-schemas.js'
import { onfidoProvider } from './onfido-settings.js'

/** Options shared by the verification mappers. */
export type MapOnfidoVerificationOptions = {
  /** The reports of the applicant's checks (empty while none ran, or after deletion). */
  reports?: readonly OnfidoReport[]
  /** The clock, for timestamps Onfido did not send (marked in `raw.timestampsFrom`). */
  now: () => number
  session?: VerificationSession
  subjectReference?: string
  /** Set when the applicant's data is gone (deleted or soft-deleted). */
  redactedAt?: string
}

/** An ISO timestamp Onfido sent, normalized; `undefined` when absent or not a date. */
export function onfidoTimestamp(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined
  const time = Date.parse(value)
  return Number.isNaN(time) ? undefined : new Date(time).toISOString()
}

/**
 * The decision for a decided status. Reasons come from the checks that did not pass; when they name
 * none, from the document reports' `sub_result` (`suspected`); only when that names none either do
 * the run's own configured `reasons[]` count (a fallback tier, so a workflow's free-text
 * labels do not add `other` beside precise codes). An approval carries no reasons; a run in `error`
 * carries `technical_error`.
 */
function decisionOf(
  meaning: OnfidoStatusMeaning,
  checks: readonly Check[],
  vendor: {
    status: string
    reasons?: readonly string[] | null
    errorType?: string | null
    decidedAt?: string
  },
): Decision | undefined {
  if (meaning.outcome === undefined) return undefined
  let reasons: Reason[] = []
  if (vendor.status === 'error') {
    reasons = [{ code: 'technical_error', raw: vendor.errorType ?? 'error' }]
  } else if (meaning.outcome !== 'approved') {
    reasons = reasonsOfChecks(checks)
    if (reasons.length === 0) reasons = reasonsOfSubResults(checks)
    if (reasons.length === 0) reasons = mapOnfidoRunReasons(vendor.reasons)
  }
  return {
    outcome: meaning.outcome,
    reasons,
    decidedBy: 'provider',
    ...(vendor.decidedAt ? { decidedAt: vendor.decidedAt } : {}),
    raw: { status: vendor.status, ...(vendor.reasons?.length ? { reasons: [...vendor.reasons] } : {}) },
  }
}

function assemble(options: {
  id: string
  reference: Record<string, string>
  meaning: OnfidoStatusMeaning
  decision: Decision | undefined
  checks: Check[]
  createdAt: string | undefined
  updatedAt: string | undefined
  raw: Verification['raw']
  mapping: MapOnfidoVerificationOptions
}): Verification {
  const { mapping } = options
  const received = new Date(mapping.now()).toISOString()
  const createdAt = options.createdAt ?? options.updatedAt ?? received
  const updatedAt = options.updatedAt ?? createdAt
  const timestampsFrom = options.createdAt === undefined ? 'received' : 'onfido'
  const status: VerificationStatus = options.meaning.status
  const identity = mapping.redactedAt === undefined ? mapOnfidoIdentity(mapping.reports ?? []) : undefined
  return {
    id: options.id,
    provider: onfidoProvider,
    reference: options.reference,
    ...(mapping.subjectReference ? { subjectReference: mapping.subjectReference } : {}),
    status,
    ...(options.decision ? { decision: options.decision } : {}),
    checks: options.checks,
    credentials: [],
    ...(identity ? { identity } : {}),
    ...(mapping.session ? { session: mapping.session } : {}),
    createdAt,
    updatedAt,
    ...(status === 'completed' || status === 'expired' || status === 'cancelled'
      ? { completedAt: updatedAt }
      : {}),
    ...(mapping.redactedAt ? { redactedAt: mapping.redactedAt } : {}),
    raw: { ...options.raw, timestampsFrom },
  }
}

/**
 * A Studio workflow run (and the reports of its applicant's checks) → the normalized verification.
 * The run decides status and outcome (see {@link mapOnfidoWorkflowRunStatus}); the reports give the
 * checks, the reasons and the identity data.
 */
export function mapOnfidoWorkflowRun(
  run: OnfidoWorkflowRun,
  options: MapOnfidoVerificationOptions,
): Verification {
  const vendorStatus = run.status ?? 'unknown'
  const meaning = mapOnfidoWorkflowRunStatus(run.status)
  const checks = mapOnfidoReports(options.reports ?? [])
  const updatedAt = onfidoTimestamp(run.updated_at)
  const decision = decisionOf(meaning, checks, {
    status: vendorStatus,
    reasons: run.reasons ?? null,
    errorType: run.error?.type ?? null,
    ...(updatedAt ? { decidedAt: updatedAt } : {}),
  })
  return assemble({
    id: run.id,
    reference: { applicantId: run.applicant_id ?? '', workflowRunId: run.id },
    meaning,
    decision,
    checks,
    createdAt: onfidoTimestamp(run.created_at),
    updatedAt,
    raw: {
      status: vendorStatus,
      workflowRunId: run.id,
      ...(run.workflow_id ? { workflowId: run.workflow_id } : {}),
      ...(run.workflow_version_id === null || run.workflow_version_id === undefined
        ? {}
        : { workflowVersionId: run.workflow_version_id }),
      ...(run.error?.type ? { errorType: run.error.type } : {}),
    },
    mapping: options,
  })
}

/**
 * An applicant verified through the API channel (uploads, then a classic check) → the normalized
 * verification. `check` is the applicant's newest check, `undefined` before `submitVerification`.
 */
export function mapOnfidoApplicantCheck(
  applicant: { id: string; createdAt?: string | null },
  check: OnfidoCheck | undefined,
  options: MapOnfidoVerificationOptions,
): Verification {
  const meaning = mapOnfidoCheckStatus(check?.status, check?.result)
  const checks = mapOnfidoReports(options.reports ?? [])
  const vendorStatus = check
    ? `${check.status ?? 'unknown'}${check.result ? `:${check.result}` : ''}`
    : 'no_check'
  const createdAt = onfidoTimestamp(applicant.createdAt)
  const decision = decisionOf(meaning, checks, { status: vendorStatus })
  return assemble({
    id: applicant.id,
    reference: { applicantId: applicant.id },
    meaning,
    decision,
    checks,
    createdAt,
    updatedAt: onfidoTimestamp(check?.created_at) ?? createdAt,
    raw: { status: vendorStatus, applicantId: applicant.id, ...(check ? { checkId: check.id } : {}) },
    mapping: options,
  })
}
