import { KycAuthenticationError, type KycError, KycInvalidRequestError, type KycIssue } from '@openkyc/core'
import { type HttpErrorContext, issuesFromErrorBody } from '@openkyc/core/http'
import { jumioProvider } from './map-jumio-verification.js'

/**
 * The top-level fields of Jumio's account request (G23 "Account Creation"). A 400's `detail` is
 * vendor text and may quote a value; only these names are ever read out of it.
 */
const requestFields = new Set([
  'customerInternalReference',
  'userReference',
  'reportingCriteria',
  'callbackUrl',
  'tokenLifetime',
  'workflowDefinition',
  'web',
  'userConsent',
])

/** The settings each request field comes from, for messages that say what to change. */
const fieldSettings: Readonly<Record<string, string>> = {
  callbackUrl: 'the callbackUrl setting (JUMIO_CALLBACK_URL)',
  tokenLifetime: 'the tokenLifetime setting (JUMIO_TOKEN_LIFETIME)',
  workflowDefinition: 'the workflowKey setting (JUMIO_WORKFLOW_KEY)',
  userConsent: 'the userConsent setting',
}

/**
 * The request fields a Jumio error body names: `errors[].source.pointer` style bodies through core,
 * and Jumio's `{ title, status, detail: "callbackUrl: must use HTTPS; …" }` by the `field:` prefixes
 * of its detail, kept only when they are fields of the request. The rest of the text is dropped.
 */
export function jumioRejectedFields(body: unknown): KycIssue[] {
  const structured = issuesFromErrorBody(body, jumioProvider).filter((issue) => issue.path.length > 0)
  if (structured.length > 0) return structured
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined
  if (typeof detail !== 'string') return []
  const fields = new Set<string>()
  for (const match of detail.matchAll(/(?:^|[;,]\s*)([A-Za-z][\w.]*)(?:\[\d+\])?\s*:/g)) {
    const path = match[1]!
    if (requestFields.has(path.split('.')[0]!)) fields.add(path)
  }
  return [...fields].map((path) => ({ path: path.split('.'), message: `Rejected by ${jumioProvider}` }))
}

/**
 * Refines core's mapping of Jumio's error statuses so the message says what to fix, never a value:
 *
 * | status | message adds |
 * | --- | --- |
 * | 400 naming request fields | which fields Jumio refused, and the setting behind each |
 * | 401 | check clientId/clientSecret (JUMIO_CLIENT_ID/JUMIO_CLIENT_SECRET) and region (JUMIO_REGION) |
 * | 403 | check userAgent (JUMIO_USER_AGENT), and that the credentials may use this workflow and region |
 *
 * @see https://docs.jumio.com/production/Content/Integration/Integration%20Guide/Authorization.htm
 */
export function mapJumioError(context: HttpErrorContext): KycError | undefined {
  const { error } = context
  const base = {
    provider: jumioProvider,
    status: context.status,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    cause: error.cause,
  }
  const stem = error.message.replace(/\.$/, '')
  if (context.status === 401) {
    return new KycAuthenticationError({
      ...base,
      message: `${stem}: Jumio refused the API credentials. Check clientId and clientSecret (JUMIO_CLIENT_ID, JUMIO_CLIENT_SECRET) and that region (JUMIO_REGION) is the one they were issued for.`,
    })
  }
  if (context.status === 403) {
    return new KycAuthenticationError({
      ...base,
      message: `${stem}: Jumio refused the call. Check userAgent (JUMIO_USER_AGENT: your company and app, such as "AcmeBank Onboarding/1.4"), and that the credentials (JUMIO_CLIENT_ID) may use this workflow (JUMIO_WORKFLOW_KEY) and region (JUMIO_REGION).`,
    })
  }
  if (context.status === 400 || context.status === 422) {
    const issues = jumioRejectedFields(context.body)
    if (issues.length === 0) return undefined
    const named = [...new Set(issues.map((issue) => issue.path.join('.')))]
    const settings = [...new Set(named.flatMap((path) => fieldSettings[path.split('.')[0]!] ?? []))]
    return new KycInvalidRequestError({
      ...base,
      message: `${stem}: Jumio refused ${named.join(', ')}${settings.length === 0 ? '' : ` (check ${settings.join(', ')})`}.`,
      issues,
    })
  }
  return undefined
}
