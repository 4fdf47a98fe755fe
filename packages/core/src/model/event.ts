import { z } from 'zod'
import { VerificationSchema } from './verification.js'

/** The normalized event types. Adapters emit the subset their provider supports. */
export const KycEventTypeSchema = z.enum([
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
])

/** The normalized event types. See {@link KycEventTypeSchema}. */
export type KycEventType = z.infer<typeof KycEventTypeSchema>

/**
 * The verification as carried by an event: the authoritative state after the event, without the
 * personal data (`identity`) and the secrets (`session`). Read identity with `getVerification`.
 */
export const EventVerificationSchema = VerificationSchema.omit({ identity: true, session: true })

/** The verification as carried by an event. See {@link EventVerificationSchema}. */
export type EventVerification = z.infer<typeof EventVerificationSchema>

/** A verified, normalized webhook event. */
export const KycEventSchema = z.object({
  /** Stable across redeliveries of the same event; the webhook pipeline dedupes on it. */
  id: z.string().min(1),
  provider: z.string().min(1),
  type: KycEventTypeSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  /** Present on verification events. */
  verification: EventVerificationSchema.optional(),
  /** The vendor's own event name and ids; never personal data. */
  raw: z.object({ type: z.string() }).catchall(z.unknown()),
})

/** A verified, normalized webhook event. See {@link KycEventSchema}. */
export type KycEvent = z.infer<typeof KycEventSchema>
