import type { JumioStore, StoredCredential, StoredExecution } from './jumio-state.js'
import { classifiersByCategory } from './jumio-workflows.js'

/**
 * Response and callback bodies, field for field from the examples in seeds 001-003 and
 * `reference/jumio-api.md` §2 (account), §4 (upload, finalize), §5 (callback) and §6 (retrieval).
 * Key order follows the documented examples, so a person comparing a response with the docs sees the
 * same thing.
 */

/** The base URL of each Jumio host the simulator plays. */
export type JumioUrls = {
  auth: string
  account: string
  api: string
  retrieval: string
  web: string
  status: string
}

/** The LIVENESS parts a web/SDK FACEMAP capture leaves, in seed 003's (unordered) order. */
export const livenessClassifiers = [
  'LIVENESS_1',
  'LIVENESS_3',
  'LIVENESS_2',
  'LIVENESS_5',
  'LIVENESS_4',
  'LIVENESS_6',
]

const iso = (time: number): string => new Date(time).toISOString()

/** `…/api/v1/accounts/{a}/workflow-executions/{w}` on the api host (upload/finalize target). */
export function apiExecutionUrl(urls: JumioUrls, execution: StoredExecution): string {
  return `${urls.api}/api/v1/accounts/${execution.accountId}/workflow-executions/${execution.id}`
}

/** The `api.parts` map of a credential: lower-case classifier → upload URL (G23). */
export function apiParts(
  urls: JumioUrls,
  execution: StoredExecution,
  credential: StoredCredential,
): Record<string, string> {
  const parts: Record<string, string> = {}
  for (const classifier of classifiersByCategory[credential.category]) {
    parts[classifier.toLowerCase()] =
      `${apiExecutionUrl(urls, execution)}/credentials/${credential.id}/parts/${classifier}`
  }
  return parts
}

/** The hosted-flow link (`web.href`): `…/web/v4/app?authorizationToken=<jwt>&locale=<l>` (G23). */
export function webHref(urls: JumioUrls, execution: StoredExecution): string {
  const locale = execution.request.web?.locale ?? 'en'
  return `${urls.web}/web/v4/app?authorizationToken=${encodeURIComponent(execution.token)}&locale=${encodeURIComponent(locale)}`
}

/** The 200 body of account create and update (G23, W23, seed 002). */
export function accountResponse(
  urls: JumioUrls,
  store: JumioStore,
  execution: StoredExecution,
  now: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { timestamp: iso(now), account: { id: execution.accountId } }
  if (execution.workflow.hosted) {
    const web: Record<string, string> = { href: webHref(urls, execution) }
    if (execution.request.web?.successUrl !== undefined) web.successUrl = execution.request.web.successUrl
    if (execution.request.web?.errorUrl !== undefined) web.errorUrl = execution.request.web.errorUrl
    body.web = web
    body.sdk = { token: execution.token }
  }
  body.workflowExecution = {
    id: execution.id,
    credentials: store.credentialsOf(execution).map((credential) => {
      const item: Record<string, unknown> = {
        id: credential.id,
        category: credential.category,
        allowedChannels: credential.onFile ? [] : [...credential.allowedChannels],
      }
      if (!credential.onFile && credential.allowedChannels.includes('API')) {
        item.api = {
          token: execution.token,
          parts: apiParts(urls, execution, credential),
          workflowExecution: apiExecutionUrl(urls, execution),
        }
      }
      return item
    }),
  }
  return body
}

/** The 200 body of a credential part upload (G23, W23); PREPARED_DATA answers with empty `parts` (IF). */
export function uploadResponse(
  urls: JumioUrls,
  execution: StoredExecution,
  credential: StoredCredential,
  now: number,
): Record<string, unknown> {
  return {
    timestamp: iso(now),
    account: { id: execution.accountId },
    workflowExecution: { id: execution.id },
    api: {
      token: execution.token,
      parts: credential.category === 'DATA' ? {} : apiParts(urls, execution, credential),
      workflowExecution: apiExecutionUrl(urls, execution),
    },
  }
}

/** The 200 body of finalize (G23, IF `watchlist-put-response`). */
export function finalizeResponse(execution: StoredExecution, now: number): Record<string, unknown> {
  return {
    timestamp: iso(now),
    account: { id: execution.accountId },
    workflowExecution: { id: execution.id },
  }
}

/** The status retrieval shows: `ACQUIRED` while an early callback's results are not ready yet. */
export function visibleStatus(execution: StoredExecution, now: number): string {
  if (
    execution.status === 'PROCESSED' &&
    execution.retrievalReadyAt !== undefined &&
    now < execution.retrievalReadyAt
  ) {
    return 'ACQUIRED'
  }
  return execution.status
}

/** `GET …/workflow-executions/{w}/status` (G23, DOC Workflow Status: short execution href). */
export function statusResponse(
  urls: JumioUrls,
  execution: StoredExecution,
  now: number,
): Record<string, unknown> {
  return {
    account: { id: execution.accountId, href: `${urls.retrieval}/api/v1/accounts/${execution.accountId}` },
    workflowExecution: {
      id: execution.id,
      href: `${urls.retrieval}/api/v1/workflow-executions/${execution.id}`,
      definitionKey: String(execution.workflow.key),
      status: visibleStatus(execution, now),
    },
  }
}

/** The retrieval href of a credential part. */
export function partHref(urls: JumioUrls, credential: StoredCredential, classifier: string): string {
  return `${urls.retrieval}/api/v1/accounts/${credential.accountId}/credentials/${credential.id}/parts/${classifier}`
}

function credentialDetails(
  urls: JumioUrls,
  execution: StoredExecution,
  credential: StoredCredential,
): Record<string, unknown> {
  const item: Record<string, unknown> = { id: credential.id, category: credential.category }
  if (credential.parts.size > 0) {
    const parts: Record<string, string>[] = []
    for (const classifier of credential.parts.keys()) {
      // The FACEMAP itself is listed without an href: it is only retrievable for authentication (G23).
      parts.push(
        classifier === 'FACEMAP'
          ? { classifier }
          : { classifier, href: partHref(urls, credential, classifier) },
      )
    }
    item.parts = parts
  }
  if (execution.request.userConsent !== undefined)
    item.consent = { decisionAccepted: true, collectedBy: 'CUSTOMER' }
  return item
}

/** `GET …/workflow-executions/{w}` (G23/G22 + seed 003's example, same key order). */
export function detailsResponse(
  urls: JumioUrls,
  store: JumioStore,
  execution: StoredExecution,
  now: number,
): Record<string, unknown> {
  const status = visibleStatus(execution, now)
  const workflow: Record<string, unknown> = {
    id: execution.id,
    status,
    definitionKey: String(execution.workflow.key),
  }
  if (execution.request.userReference !== undefined) workflow.userReference = execution.request.userReference
  workflow.customerInternalReference = execution.request.customerInternalReference
  const body: Record<string, unknown> = {
    workflow,
    account: { id: execution.accountId },
    createdAt: iso(execution.createdAt),
  }
  if (execution.startedAt !== undefined) body.startedAt = iso(execution.startedAt)
  const ready = status !== 'ACQUIRED' && status !== 'INITIATED'
  if (ready && execution.completedAt !== undefined) body.completedAt = iso(execution.completedAt)
  body.credentials = store
    .credentialsOf(execution)
    .map((credential) => credentialDetails(urls, execution, credential))
  if (ready && execution.result !== undefined) body.decision = execution.result.decision
  const consent = execution.request.userConsent?.consent
  if (consent?.obtained !== undefined) {
    body.consent = {
      obtained: consent.obtained,
      ...(consent.obtainedAt === undefined ? {} : { obtainedAt: consent.obtainedAt }),
    }
  }
  if (execution.workflow.kyx) body.steps = { href: `${apiPath(urls.retrieval, execution)}/steps` }
  if (ready && execution.result !== undefined) body.capabilities = execution.result.capabilities
  return body
}

function apiPath(base: string, execution: StoredExecution): string {
  return `${base}/api/v1/accounts/${execution.accountId}/workflow-executions/${execution.id}`
}

/** `GET …/workflow-executions/{w}/steps` (G22). Empty while not processed. */
export function stepsResponse(execution: StoredExecution, now: number): Record<string, unknown> {
  const status = visibleStatus(execution, now)
  const ready = status !== 'ACQUIRED' && status !== 'INITIATED'
  return { steps: ready && execution.result !== undefined ? execution.result.steps : [] }
}

/**
 * The callback body (G23, DOC Callback, IF `callback-expired`): ids, hrefs, the definition key as a
 * string and the status. No personal data, and `userReference` only when it was set.
 */
export function callbackBody(
  urls: JumioUrls,
  execution: StoredExecution,
  status: string,
  now: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { callbackSentAt: iso(now) }
  if (execution.request.userReference !== undefined) body.userReference = execution.request.userReference
  body.workflowExecution = {
    id: execution.id,
    href: apiPath(urls.retrieval, execution),
    definitionKey: String(execution.workflow.key),
    status,
  }
  body.account = { id: execution.accountId, href: `${urls.retrieval}/api/v1/accounts/${execution.accountId}` }
  return body
}

/**
 * `GET /api/v1/accounts/{a}`: referenced only as `account.href` in Jumio's docs, shape undocumented.
 * The simulator answers with the account id and its executions' ids and statuses, no personal data.
 */
export function accountSummary(
  urls: JumioUrls,
  store: JumioStore,
  accountId: string,
  now: number,
): Record<string, unknown> {
  const account = store.account(accountId)
  const executions = (account?.executionIds ?? [])
    .map((id) => store.executionById(id))
    .filter((execution): execution is StoredExecution => execution !== undefined)
  return {
    account: { id: accountId, href: `${urls.retrieval}/api/v1/accounts/${accountId}` },
    workflowExecutions: executions.map((execution) => ({
      id: execution.id,
      href: apiPath(urls.retrieval, execution),
      definitionKey: String(execution.workflow.key),
      status: visibleStatus(execution, now),
    })),
  }
}
