import {
  type EventVerification,
  eventTypeForStatus,
  type KycEvent,
  KycInvalidProviderResponseError,
  type Verification,
} from '@openkyc/core'
import { isoTimestamp, mapPersonaInquiry, personaProvider } from './map-persona-inquiry.js'
import type { PersonaDecisionPolicy } from './map-persona-inquiry-status.js'
import { isPersonaEventInquiry, type PersonaEventDocument } from './persona-schemas.js'

/** The personal-data-free view an event carries: no identity, no session. */
export function toEventVerification(verification: Verification): EventVerification {
  const { identity: _identity, session: _session, ...rest } = verification
  return rest
}

/**
 * Persona event names onto our event types.
 *
 * | Persona event | our event |
 * |---|---|
 * | `inquiry.redacted` | `verification.redacted` |
 * | every other `inquiry.*` that carries the inquiry (`created`, `started`, `completed`, `failed`, `expired`, `approved`, `declined`, `marked-for-review`, `transitioned`, …) | from the inquiry's new state: `created` → `verification.created`, `in_progress` → `verification.started`, `submitted` → `verification.submitted`, `completed` → `verification.completed` (`verification.reviewed` when a dashboard user decided), `expired` → `verification.expired` |
 * | `case.*` | `case.updated` |
 * | anything else (`verification.*`, `document.*`, `selfie.*`, `report/*`, `account.*`, `inquiry-session.*`, …) | no event |
 *
 * The type follows the state in the payload rather than the event name, so `inquiry.completed` reads
 * as `verification.submitted` under the default decision policy (Persona's `completed` awaits a
 * decision) and an unknown `inquiry.*` event still yields the right state.
 *
 * @see https://docs.withpersona.com/docs/webhooks
 * @see https://docs.withpersona.com/docs/events
 */
export function mapPersonaEvent(
  document: PersonaEventDocument,
  policy: PersonaDecisionPolicy = {},
): KycEvent[] {
  const event = document.data
  const name = event.attributes.name
  const occurredAt = isoTimestamp(event.attributes['created-at']) ?? new Date().toISOString()
  const payload = event.attributes.payload
  const object = payload?.data
  const raw = {
    type: name,
    eventId: event.id,
    ...(object ? { objectType: object.type, objectId: object.id } : {}),
  }

  // Plain prefix tests rather than a ts-pattern matcher: this runs once per delivery, and building
  // the matcher cost more than the rest of the dispatch.
  if (name.startsWith('inquiry.')) {
    if (object?.type !== 'inquiry') return []
    // The event carries no identity data: the inquiry's fields and the verifications' extraction
    // attributes are neither validated nor read (toEventVerification would drop them anyway).
    if (!isPersonaEventInquiry(object)) {
      throw new KycInvalidProviderResponseError({
        provider: personaProvider,
        message: `The persona ${name} webhook carries an inquiry we cannot read.`,
      })
    }
    const redacted = name === 'inquiry.redacted'
    const verification = mapPersonaInquiry(
      { data: object, included: payload?.included },
      { policy, now: () => Date.parse(occurredAt), identity: false },
    )
    if (redacted && verification.redactedAt === undefined) {
      // The event is the proof of redaction even when its payload predates the timestamp.
      verification.redactedAt = occurredAt
      verification.credentials = []
      delete verification.identity
    }
    const type = redacted ? 'verification.redacted' : eventTypeForStatus(verification)
    return [
      {
        id: event.id,
        provider: personaProvider,
        type,
        occurredAt,
        verification: toEventVerification(verification),
        raw,
      },
    ]
  }
  if (name.startsWith('case.')) {
    return [{ id: event.id, provider: personaProvider, type: 'case.updated', occurredAt, raw }]
  }
  return []
}
