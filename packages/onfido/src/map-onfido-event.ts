import type { EventVerification, KycEvent, KycEventType, Verification } from '@openkyc/core'
import { match } from 'ts-pattern'
import type { OnfidoWebhookEnvelope } from './onfido-schemas.js'
import { onfidoProvider } from './onfido-settings.js'

/** The verification as an event carries it: without identity data and the hand-off secrets. */
export function toEventVerification(verification: Verification): EventVerification {
  const { identity: _identity, session: _session, ...rest } = verification
  return rest
}

/**
 * A stable id for an Onfido delivery. Onfido's envelope has no event id, so the id is derived from
 * what identifies one event and stays the same on every redelivery of it:
 * `onfido:<action>:<object.id>:<object.status>:<completed_at_iso8601 or started_at_iso8601>`
 * (a `-` for a missing part). Two deliveries of one event give one id, so the pipeline's dedupe
 * drops the repeat; a run that changes status again (`review`, then `approved` after a person
 * decided) gives a new id.
 *
 * [UNCERTAIN] Onfido documents no retry policy; if it ever re-sent one event with a new timestamp,
 * the copy would pass dedupe, and the forward-only rule would still keep the state from moving back.
 */
export function onfidoEventId(envelope: OnfidoWebhookEnvelope): string {
  const { action, object } = envelope.payload
  const at = object.completed_at_iso8601 ?? object.started_at_iso8601
  return ['onfido', action, object.id, object.status || '-', at || '-'].join(':')
}

/**
 * Our event type for a verification's state after an Onfido event.
 *
 * | state after the event | our event |
 * |---|---|
 * | redacted | `verification.redacted` |
 * | `created` | `verification.created` |
 * | `in_progress` | `verification.started` |
 * | `submitted` | `verification.submitted` |
 * | `completed` | `verification.completed` |
 * | `expired` | `verification.expired` |
 * | `cancelled` | `verification.cancelled` |
 */
export function onfidoEventType(verification: Pick<Verification, 'status' | 'redactedAt'>): KycEventType {
  if (verification.redactedAt !== undefined) return 'verification.redacted'
  return match(verification.status)
    .returnType<KycEventType>()
    .with('created', () => 'verification.created')
    .with('in_progress', () => 'verification.started')
    .with('submitted', () => 'verification.submitted')
    .with('completed', () => 'verification.completed')
    .with('expired', () => 'verification.expired')
    .with('cancelled', () => 'verification.cancelled')
    .exhaustive()
}

/**
 * One verified Onfido delivery and the verification it concerns (read by the adapter) → the
 * normalized event. `occurredAt` is the event's own time (`completed_at_iso8601`,
 * `started_at_iso8601`), else the verification's `updatedAt`; `raw.occurredAtFrom` says which.
 */
export function mapOnfidoEvent(envelope: OnfidoWebhookEnvelope, verification: Verification): KycEvent {
  const { action, object, resource_type: resourceType } = envelope.payload
  const eventTime = object.completed_at_iso8601 ?? object.started_at_iso8601
  const parsedTime = eventTime ? Date.parse(eventTime) : Number.NaN
  const occurredAt = Number.isNaN(parsedTime) ? verification.updatedAt : new Date(parsedTime).toISOString()
  return {
    id: onfidoEventId(envelope),
    provider: onfidoProvider,
    type: onfidoEventType(verification),
    occurredAt,
    verification: toEventVerification(verification),
    raw: {
      type: action,
      objectId: object.id,
      ...(resourceType ? { resourceType } : {}),
      ...(object.status ? { status: object.status } : {}),
      occurredAtFrom: Number.isNaN(parsedTime) ? 'verification' : 'event',
    },
  }
}
