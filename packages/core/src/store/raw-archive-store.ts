import { z } from '#zod'
import { KycInvalidRequestError, KycStoreIntegrityError } from '../errors.js'
import { lazy, lazySchema, resolveSchema } from '../lazy.js'
import type { VerificationKey } from './types.js'
import { describeIssuePaths } from './validate.js'

/**
 * What an archived payload is: a webhook delivery the pipeline accepted (body and headers, as
 * received), or a vendor's retrieval response (a body the adapter read).
 */
export const ArchivedPayloadKindSchema = lazySchema(() => z.enum(['webhook_delivery', 'retrieval_response']))

/** See {@link ArchivedPayloadKindSchema}. */
export type ArchivedPayloadKind = z.infer<typeof ArchivedPayloadKindSchema>

/** The largest ciphertext a store accepts, in base64 characters (a 1 MiB body and its headers, encrypted). */
export const maxArchivedCiphertextLength = 3 * 1024 * 1024

// Builders, called inside the schemas' own (lazy) builders: nothing is built at import.
const name = () => z.string().min(1).max(200)
const isoTime = () => z.iso.datetime({ offset: true })

/**
 * One encrypted payload as a store keeps it. The store never sees a key or the plaintext: it files
 * the ciphertext under the ids it needs to find and erase it. Ids and times only, no personal data.
 */
export const ArchivedPayloadInputSchema = lazySchema(() => {
  const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)
  return z.strictObject({
    provider: name(),
    kind: resolveSchema(ArchivedPayloadKindSchema),
    /** When the payload arrived (ISO 8601). */
    receivedAt: isoTime(),
    /** When the store must forget it (ISO 8601): after this, reads skip it and `deleteExpired` removes it. */
    expiresAt: isoTime(),
    /** The verifications it concerns: `deleteByVerification` removes it when any of them is erased. */
    verificationIds: z.array(name()).max(100),
    /** The events it carried (deliveries), for `openkyc webhooks replay <event-id>`. */
    eventIds: z.array(name()).max(100),
    /** The id of the key that encrypted it (see `parseArchiveKeys`). */
    keyId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
    /** The AES-GCM initialisation vector, base64 (12 bytes). */
    iv: base64.length(16),
    /** The AES-256-GCM ciphertext with its tag, base64. */
    ciphertext: base64.min(1).max(maxArchivedCiphertextLength),
  })
})

/** See {@link ArchivedPayloadInputSchema}. */
export type ArchivedPayloadInput = z.infer<typeof ArchivedPayloadInputSchema>

/** A stored payload: the input plus its id and place in the archive. */
export const ArchivedPayloadSchema = lazySchema(() =>
  resolveSchema(ArchivedPayloadInputSchema).extend({
    /** A random UUID the store assigns. */
    id: z.uuid(),
    /** Ascending in insertion order, store-wide: a cursor for paging. */
    sequence: z.number().int().positive(),
  }),
)

/** See {@link ArchivedPayloadSchema}. */
export type ArchivedPayload = z.infer<typeof ArchivedPayloadSchema>

/** Which payloads {@link RawArchiveStore.read} returns. Every field narrows; none means all live ones. */
export type RawArchiveQuery = {
  provider?: string
  kind?: ArchivedPayloadKind
  /** Only payloads that carried this event id. */
  eventId?: string
  /** Only payloads concerning this verification id. */
  verificationId?: string
  /** Only payloads received at or after this ISO 8601 time. */
  receivedSince?: string
  /** Only payloads with a `sequence` greater than this. */
  afterSequence?: number
  /** At most this many (positive integer). */
  limit?: number
}

/**
 * The opt-in raw archive's storage: encrypted vendor payloads filed by provider, verification and
 * event ids, with an expiry. Encryption happens before the store (`createRawArchive`); a store keeps
 * and returns the ciphertext unchanged. Optional on a {@link KycStore}: a store without it cannot
 * archive, and the pipeline archives only when given a `RawArchive`.
 *
 * Throws `KycInvalidRequestError` (nothing written) for input that fails
 * {@link ArchivedPayloadInputSchema}, `KycStoreIntegrityError` for a stored row it cannot read back.
 */
export type RawArchiveStore = {
  /** Stores one payload and returns it with its `id` and `sequence`. */
  put(payload: ArchivedPayloadInput): Promise<ArchivedPayload>
  /** Live (unexpired) payloads matching `query`, in ascending `sequence`. */
  read(query?: RawArchiveQuery): AsyncIterable<ArchivedPayload>
  /** Deletes every payload whose `expiresAt` has passed (by the store's clock); resolves to how many. */
  deleteExpired(): Promise<number>
  /**
   * Deletes every payload that concerns this verification (erasure of a data subject): resolves to
   * how many. Expired payloads go too.
   */
  deleteByVerification(key: VerificationKey): Promise<number>
}

/** Validates a payload given to {@link RawArchiveStore.put}. Throws `KycInvalidRequestError` naming the paths, never values. */
export function parseArchivedPayloadInput(payload: unknown): ArchivedPayloadInput {
  const parsed = ArchivedPayloadInputSchema.safeParse(payload)
  if (parsed.success) return parsed.data
  throw new KycInvalidRequestError({
    message: `Invalid archived payload: ${describeIssuePaths(parsed.error.issues)}.`,
    issues: parsed.error.issues,
  })
}

/** Reads a stored payload back. Throws `KycStoreIntegrityError` (no content) when the row is corrupt. */
export function parseStoredArchivedPayload(row: unknown): ArchivedPayload {
  const parsed = ArchivedPayloadSchema.safeParse(row)
  if (parsed.success) return parsed.data
  throw new KycStoreIntegrityError({
    message: `A raw archive row is not a valid archived payload (${describeIssuePaths(parsed.error.issues)}); it is corrupt or was written by something else: delete it.`,
  })
}

const rawArchiveQuerySchema = lazy(() =>
  z.strictObject({
    provider: name().optional(),
    kind: resolveSchema(ArchivedPayloadKindSchema).optional(),
    eventId: name().optional(),
    verificationId: name().optional(),
    receivedSince: isoTime().optional(),
    afterSequence: z.number().int().nonnegative().optional(),
    limit: z.number().int().positive().optional(),
  }),
)

/** Validates a {@link RawArchiveQuery}. Throws `KycInvalidRequestError` for a malformed field. */
export function parseRawArchiveQuery(query: unknown): RawArchiveQuery {
  const parsed = rawArchiveQuerySchema().safeParse(query ?? {})
  if (parsed.success) return parsed.data as RawArchiveQuery
  throw new KycInvalidRequestError({
    message: `Invalid raw archive query: ${describeIssuePaths(parsed.error.issues)}.`,
    issues: parsed.error.issues,
  })
}

/** Whether a payload matches a query's filters (all but `afterSequence` and `limit`), for stores that filter in code. */
export function archivedPayloadMatches(payload: ArchivedPayload, query: RawArchiveQuery): boolean {
  return (
    (query.provider === undefined || payload.provider === query.provider) &&
    (query.kind === undefined || payload.kind === query.kind) &&
    (query.eventId === undefined || payload.eventIds.includes(query.eventId)) &&
    (query.verificationId === undefined || payload.verificationIds.includes(query.verificationId)) &&
    (query.receivedSince === undefined ||
      Date.parse(payload.receivedAt) >= Date.parse(query.receivedSince)) &&
    (query.afterSequence === undefined || payload.sequence > query.afterSequence)
  )
}
