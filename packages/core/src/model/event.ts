import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import { type Verification, VerificationSchema } from './verification.js'

/** The normalized event types. Adapters emit the subset their provider supports. */
export const KycEventTypeSchema = lazySchema(() =>
  z.enum([
    'verification.created',
    'verification.started',
    'verification.submitted',
    'verification.completed',
    'verification.reviewed',
    'verification.expired',
    'verification.cancelled',
    'verification.redacted',
    'case.updated',
    'list.import_completed',
  ]),
)

/** The normalized event types. See {@link KycEventTypeSchema}. */
export type KycEventType = z.infer<typeof KycEventTypeSchema>

/**
 * The event type a verification's new state stands for, the same from every adapter:
 *
 * | status | type |
 * | --- | --- |
 * | `created` | `verification.created` |
 * | `in_progress` | `verification.started` |
 * | `submitted` | `verification.submitted` |
 * | `completed`, decided by the provider | `verification.completed` |
 * | `completed`, decided by a person (`decision.decidedBy: 'manual'`) | `verification.reviewed` |
 * | `expired` | `verification.expired` |
 * | `cancelled` | `verification.cancelled` |
 *
 * A manual decision is `verification.reviewed` whichever vendor reported it (a Persona dashboard
 * approval, a Jumio approval over failed capabilities), so an application can react to a person's
 * decision without knowing the provider. Both types carry the decision. (A redaction is
 * `verification.redacted`, whatever the status: adapters tell it from the vendor's event.)
 *
 * @example
 * ```ts
 * const event = { id, provider: 'acme', type: eventTypeForStatus(verification), occurredAt, verification, raw }
 * ```
 */
export function eventTypeForStatus(verification: Pick<Verification, 'status' | 'decision'>): KycEventType {
  switch (verification.status) {
    case 'created':
      return 'verification.created'
    case 'in_progress':
      return 'verification.started'
    case 'submitted':
      return 'verification.submitted'
    case 'completed':
      return verification.decision?.decidedBy === 'manual'
        ? 'verification.reviewed'
        : 'verification.completed'
    case 'expired':
      return 'verification.expired'
    case 'cancelled':
      return 'verification.cancelled'
  }
}

/**
 * The verification as carried by an event: the authoritative state after the event, without the
 * personal data (`identity`) and the secrets (`session`). Read identity with `getVerification`.
 */
export const EventVerificationSchema = lazySchema(() =>
  resolveSchema(VerificationSchema).omit({ identity: true, session: true }),
)

/** The verification as carried by an event. See {@link EventVerificationSchema}. */
export type EventVerification = z.infer<typeof EventVerificationSchema>

/**
 * A verified, normalized webhook event.
 *
 * **Stable ids.** `id` must be the same on every redelivery of one vendor event and differ between
 * events, because the pipeline dedupes on it. Use the vendor's event id when it sends one (Persona
 * `evt_…`). When its webhooks carry none, build one from what identifies the event in the signed body
 * and never from the delivery: provider, the verification id, the vendor's event or status name, the
 * attempt and the vendor's own event time, for example `veriff:${sessionId}:${attemptId}:${status}`.
 * Never use the receipt time, a random value or a hash of headers (a redelivery would get a new id).
 * With a body-only signature (no timestamp) a replayed body then yields the same id and dedupe
 * swallows it.
 *
 * **Missing event time.** When the vendor gives no event time, `occurredAt` is the time of receipt
 * (the injected clock) and `observedTimes` lists `occurredAt`.
 */
export const KycEventSchema = lazySchema(() =>
  z.object({
    /** Stable across redeliveries of the same event; the webhook pipeline dedupes on it. */
    id: z.string().min(1),
    provider: z.string().min(1),
    type: resolveSchema(KycEventTypeSchema),
    occurredAt: z.iso.datetime({ offset: true }),
    /** `['occurredAt']` when `occurredAt` is the time of receipt because the vendor gave no event time. */
    observedTimes: z.array(z.literal('occurredAt')).optional(),
    /** Present on verification events. */
    verification: resolveSchema(EventVerificationSchema).optional(),
    /** The vendor's own event name and ids; never personal data. */
    raw: z.object({ type: z.string() }).catchall(z.unknown()),
  }),
)

/** A verified, normalized webhook event. See {@link KycEventSchema}. */
export type KycEvent = z.infer<typeof KycEventSchema>
