import type { Verification, VerificationSession } from '@openkyc/core'
import type { JumioAccountResponse, JumioDetailsResponse, JumioStatusResponse } from './jumio-schemas.js'
import { mapJumioCapabilities } from './map-jumio-capability.js'
import { mapJumioCredentials } from './map-jumio-credential.js'
import { mapJumioDecision } from './map-jumio-decision.js'
import { jumioApplicantAge, mapJumioExtraction } from './map-jumio-identity.js'
import { mapJumioStatus } from './map-jumio-status.js'

/** The minimum age used to explain an otherwise unexplained rejection, unless configured otherwise. */
export const defaultJumioMinimumAge = 18

/** The provider name the adapter reports. */
export const jumioProvider = 'jumio'

/** A Jumio timestamp as an ISO 8601 string our schemas accept, or `undefined`. */
export function jumioTimestamp(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  const time = Date.parse(value)
  return Number.isNaN(time) ? undefined : new Date(time).toISOString()
}

/** The reference the adapter stores for a workflow execution. */
export function jumioReference(accountId: string, workflowExecutionId: string): Verification['reference'] {
  return { accountId, workflowExecutionId }
}

/**
 * Retrieval details → the normalized {@link Verification}: status, decision (from the overall
 * decision, explained by the capabilities), one check per capability result, evidence, extracted
 * identity. The vendor's own words stay in `raw` (no personal data: extraction data is not copied).
 *
 * @see Jumio docs "Workflow Details" (DOC), KYX guide retrieval (G23, G22); seed 003 example
 */
export function mapJumioDetails(
  details: JumioDetailsResponse,
  options: { now: () => number; minimumAge?: number | false; detectManualDecisions?: boolean },
): Verification {
  const workflowStatus = details.workflow.status
  const decisionType = details.decision?.type ?? undefined
  const decisionLabel = details.decision?.details?.label ?? undefined
  const status = mapJumioStatus(workflowStatus, {
    decisionLabel,
    started: typeof details.startedAt === 'string' && details.startedAt !== '',
    detailsAvailable: true,
  })
  const checks = mapJumioCapabilities(details.capabilities)
  const extraction = mapJumioExtraction(details.capabilities?.extraction)
  const nowIso = new Date(options.now()).toISOString()
  const createdAt = jumioTimestamp(details.createdAt) ?? nowIso
  const startedAt = jumioTimestamp(details.startedAt)
  const completedAt = jumioTimestamp(details.completedAt)
  const redactedAt = jumioTimestamp(details.wipedOutAt)
  const definitionKey = details.workflow.definitionKey
  const riskScore = details.decision?.risk?.score
  const verification: Verification = {
    id: details.workflow.id,
    provider: jumioProvider,
    reference: jumioReference(details.account.id, details.workflow.id),
    ...(details.workflow.userReference ? { subjectReference: details.workflow.userReference } : {}),
    status,
    ...(status === 'completed'
      ? {
          decision: mapJumioDecision({
            decision: details.decision,
            checks,
            decidedAt: completedAt,
            age: jumioApplicantAge(extraction.data, completedAt ?? nowIso),
            minimumAge: options.minimumAge ?? defaultJumioMinimumAge,
            detectManualDecisions: options.detectManualDecisions,
          }),
        }
      : {}),
    checks,
    credentials: redactedAt === undefined ? mapJumioCredentials(details.credentials, extraction) : [],
    ...(redactedAt === undefined && extraction.identity !== undefined
      ? { identity: extraction.identity }
      : {}),
    createdAt,
    updatedAt: redactedAt ?? completedAt ?? startedAt ?? createdAt,
    ...(status === 'completed' && completedAt !== undefined ? { completedAt } : {}),
    ...(redactedAt === undefined ? {} : { redactedAt }),
    raw: {
      status: workflowStatus,
      ...(definitionKey === null || definitionKey === undefined
        ? {}
        : { definitionKey: String(definitionKey) }),
      ...(decisionType === undefined ? {} : { decisionType }),
      ...(decisionLabel === undefined ? {} : { decisionLabel }),
      ...(riskScore === undefined ? {} : { riskScore }),
    },
  }
  return verification
}

/**
 * Retrieval status only (the details were not available yet, or the execution expired before any
 * capture): no decision, no checks. Jumio's status response carries no timestamps, so `createdAt`
 * and `updatedAt` are the time of reading.
 */
export function mapJumioStatusResponse(
  response: JumioStatusResponse,
  options: { now: () => number },
): Verification {
  const nowIso = new Date(options.now()).toISOString()
  const workflowStatus = response.workflowExecution.status
  const definitionKey = response.workflowExecution.definitionKey
  return {
    id: response.workflowExecution.id,
    provider: jumioProvider,
    reference: jumioReference(response.account.id, response.workflowExecution.id),
    status: mapJumioStatus(workflowStatus, { detailsAvailable: false }),
    checks: [],
    credentials: [],
    createdAt: nowIso,
    updatedAt: nowIso,
    raw: {
      status: workflowStatus,
      ...(definitionKey === null || definitionKey === undefined
        ? {}
        : { definitionKey: String(definitionKey) }),
      detailsAvailable: false,
    },
  }
}

/**
 * The verification a fresh workflow execution starts as: `created`, with the hand-off to the
 * applicant (the hosted `web.href` and the SDK token) in `session`.
 */
export function mapJumioAccountResponse(
  response: JumioAccountResponse,
  options: { now: () => number; subjectReference: string; workflowKey: string; expiresAt?: number },
): Verification {
  const createdAt = jumioTimestamp(response.timestamp) ?? new Date(options.now()).toISOString()
  const session: VerificationSession = {
    ...(response.web?.href && URL.canParse(response.web.href) ? { url: response.web.href } : {}),
    ...(response.sdk?.token ? { sdkToken: response.sdk.token } : {}),
    ...(options.expiresAt === undefined ? {} : { expiresAt: new Date(options.expiresAt).toISOString() }),
  }
  return {
    id: response.workflowExecution.id,
    provider: jumioProvider,
    reference: jumioReference(response.account.id, response.workflowExecution.id),
    subjectReference: options.subjectReference,
    status: 'created',
    checks: [],
    credentials: [],
    ...(session.url === undefined && session.sdkToken === undefined ? {} : { session }),
    createdAt,
    updatedAt: createdAt,
    raw: { status: 'INITIATED', definitionKey: options.workflowKey },
  }
}
