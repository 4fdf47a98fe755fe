import { createHmac } from 'node:crypto'

/**
 * Onfido's webhook envelope and signature (`reference/onfido-api.md` §8.3–§8.4): the body is
 * `{payload: {resource_type, action, object: {id, status, completed_at_iso8601 | started_at_iso8601,
 * href}, resource?}}` with an **absolute** `object.href`, and `X-SHA2-Signature` is the hex
 * HMAC-SHA256 of the exact bytes sent, keyed with the webhook's `token`. No timestamp, no event id.
 */

/** The signature header Onfido sends. */
export const onfidoSignatureHeader = 'X-SHA2-Signature'

/**
 * Signs a raw webhook body as Onfido does.
 *
 * @example
 * const headers = { 'X-SHA2-Signature': signOnfidoWebhook(rawBody, webhook.token) }
 */
export function signOnfidoWebhook(rawBody: string, token: string): string {
  return createHmac('sha256', token).update(rawBody, 'utf8').digest('hex')
}

/** The event names the spec lists (SPEC `webhook_event_type`). */
export type OnfidoWebhookAction =
  | 'workflow_run.completed'
  | 'workflow_task.started'
  | 'workflow_task.completed'
  | 'check.started'
  | 'check.completed'
  | 'report.completed'

/** One webhook event before it is serialised. */
export type OnfidoWebhookEvent = {
  action: OnfidoWebhookAction
  resourceType: 'workflow_run' | 'workflow_task' | 'check' | 'report'
  object: {
    id: string
    status: string
    /** `started_at_iso8601` for `*.started` events, `completed_at_iso8601` otherwise. */
    at: string
    /** Absolute URL of the resource. */
    href: string
    /** Task events only. */
    taskSpecId?: string
    taskDefId?: string
    workflowRunId?: string
  }
  /** Studio events only: the full resource. */
  resource?: Record<string, unknown>
}

/** The JSON body of a webhook event. */
export function webhookEnvelope(event: OnfidoWebhookEvent): Record<string, unknown> {
  const started = event.action.endsWith('.started')
  const object: Record<string, unknown> = { id: event.object.id, status: event.object.status }
  if (event.object.taskSpecId !== undefined) object.task_spec_id = event.object.taskSpecId
  if (event.object.taskDefId !== undefined) object.task_def_id = event.object.taskDefId
  if (event.object.workflowRunId !== undefined) object.workflow_run_id = event.object.workflowRunId
  object[started ? 'started_at_iso8601' : 'completed_at_iso8601'] = event.object.at
  object.href = event.object.href
  return {
    payload: {
      resource_type: event.resourceType,
      action: event.action,
      object,
      ...(event.resource === undefined ? {} : { resource: event.resource }),
    },
  }
}
