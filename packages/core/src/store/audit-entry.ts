import { cryptoEngine } from '#crypto'
import { z } from '#zod'
import { KycInvalidRequestError, KycStoreIntegrityError } from '../errors.js'
import { lazySchema, resolveSchema } from '../lazy.js'
import { DecisionOutcomeSchema } from '../model/decision.js'
import { ReasonCodeSchema } from '../model/reason.js'
import { VerificationStatusSchema } from '../model/status.js'
import { RoutingRecordSchema, serializeRoutingRecord } from '../routing/routing-record.js'
import { describeIssuePaths, takeParsedMark } from './validate.js'

/** The longest provider name, verification id, event id or event type an audit entry takes. */
const maxAuditIdentifierLength = 200

/**
 * Whether `value` fits an id field of {@link AuditEntryInputSchema} (1 to 200 characters): what a
 * caller checks before marking an entry it built as parsed. Internal to core.
 */
export function fitsAuditIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxAuditIdentifierLength
}

// Builders, called inside the schemas' own (lazy) builders: nothing is built at import.
const identifier = () => z.string().min(1).max(maxAuditIdentifierLength)
const sha256Hex = () => z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256')

/**
 * What an audit entry records:
 *
 * | action | when |
 * |---|---|
 * | `state_changed` | an event changed what an application acts on: status, decision outcome or reasons, redaction |
 * | `state_updated` | an event moved the stored state forward without such a change (new checks, a later timestamp) |
 * | `event_stale` | an event arrived late or duplicated and left the stored state as it was |
 * | `review` | a person reviewed the verification (approve, decline) |
 * | `deletion` | the verification's personal data was deleted, at the provider or locally |
 * | `routing` | a routing decision chose (or shadowed) a provider |
 * | `configuration` | a configuration-relevant event (provider switched, secret rotated) |
 */
export const AuditActionSchema = lazySchema(() =>
  z.enum(['state_changed', 'state_updated', 'event_stale', 'review', 'deletion', 'routing', 'configuration']),
)

/** What an audit entry records. See {@link AuditActionSchema}. */
export type AuditAction = z.infer<typeof AuditActionSchema>

/** Who caused an audited change: the provider (a webhook, a decision), a person (`manual`), or the application. */
export const AuditActorSchema = lazySchema(() => z.enum(['provider', 'manual', 'application']))

/** Who caused an audited change. See {@link AuditActorSchema}. */
export type AuditActor = z.infer<typeof AuditActorSchema>

/** A status and decision outcome at one point: the `from` or `to` side of an audit entry. */
export const AuditStateSchema = lazySchema(() =>
  z.strictObject({
    status: resolveSchema(VerificationStatusSchema),
    outcome: resolveSchema(DecisionOutcomeSchema).optional(),
  }),
)

/** A status and decision outcome at one point. See {@link AuditStateSchema}. */
export type AuditState = z.infer<typeof AuditStateSchema>

/**
 * What a caller appends to the audit log (`KycStoreTransaction.appendAudit`). Strict: unknown fields
 * are refused, so personal data cannot ride along. Reasons hold our codes and the vendor's labels
 * (`REPEATED_FACE`), never values from the applicant.
 */
export const AuditEntryInputSchema = lazySchema(() =>
  z.strictObject({
    /** The adapter's provider name. */
    provider: identifier(),
    /** The provider's verification id. */
    verificationId: identifier(),
    /** The event that caused the entry, when one did. */
    eventId: identifier().optional(),
    /** The normalized event type (`verification.completed`), when an event caused the entry. */
    eventType: identifier().optional(),
    action: resolveSchema(AuditActionSchema),
    actor: resolveSchema(AuditActorSchema),
    /** The state before; absent when the verification was new or the action moves no state. */
    from: resolveSchema(AuditStateSchema).optional(),
    /** The state after; absent when the action moves no state. */
    to: resolveSchema(AuditStateSchema).optional(),
    /** The decision's reasons after the entry (empty when none). */
    reasons: z
      .array(z.strictObject({ code: resolveSchema(ReasonCodeSchema), raw: z.string().max(200).optional() }))
      .max(50),
    /**
     * On `routing` entries: how the provider was chosen, each attempt and each skipped provider (see
     * `RoutingRecordSchema`). Ids, names and codes only.
     */
    routing: resolveSchema(RoutingRecordSchema).optional(),
  }),
)

/** What a caller appends to the audit log. See {@link AuditEntryInputSchema}. */
export type AuditEntryInput = z.input<typeof AuditEntryInputSchema>

/**
 * One stored audit entry: the input plus its place in the hash chain. `hash` is
 * `computeAuditHash(entry)`; `previousHash` is the previous entry's `hash` (64 zeros for sequence 1).
 */
export const AuditEntrySchema = lazySchema(() => {
  const sha256 = sha256Hex()
  return resolveSchema(AuditEntryInputSchema).extend({
    /**
     * The entry's place in the store's log, ascending in append order. In a one-chain log (no `chain`)
     * 1, 2, 3… without gaps, and covered by the hash. In a log of several chains it is the read cursor
     * only (ascending; gaps possible); the entry's place in its chain is `chainSequence`.
     */
    sequence: z.number().int().positive(),
    /**
     * The chain the entry belongs to, when the store keeps several interleaved chains (see
     * {@link auditChainFor}); absent in a one-chain log.
     */
    chain: z.number().int().nonnegative().optional(),
    /** The entry's place in its `chain`: 1, 2, 3… without gaps. Present exactly when `chain` is. */
    chainSequence: z.number().int().positive().optional(),
    /** When the store appended the entry (ISO 8601; hashed in its `toISOString()` form, millisecond precision). */
    recordedAt: z.iso.datetime({ offset: true }),
    previousHash: sha256,
    hash: sha256,
  })
})

/** One stored audit entry. See {@link AuditEntrySchema}. */
export type AuditEntry = z.infer<typeof AuditEntrySchema>

/** The `previousHash` of the first entry of a chain. */
export const genesisAuditHash = '0'.repeat(64)

/** The version tag that starts every canonical serialization; bumped if the format ever changes. */
const canonicalFormat = 'openkyc-audit-v1'
/** The tag of the serialization of an entry that names its chain. */
const chainedCanonicalFormat = 'openkyc-audit-v2'

/**
 * The chain a verification's audit entries go to in a log of `chains` interleaved chains: the first
 * four bytes of the SHA-256 of `verificationId` (UTF-8) as a big-endian unsigned integer, modulo
 * `chains`. Every store computes it alike, so one verification's entries stay in one chain.
 *
 * @example
 * ```ts
 * auditChainFor('inq_123', 16) // a number from 0 to 15
 * ```
 */
export function auditChainFor(verificationId: string, chains: number): number {
  if (!Number.isInteger(chains) || chains < 1)
    throw new RangeError('auditChainFor: chains must be a positive integer')
  const digest = cryptoEngine.sha256(verificationId)
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0) % chains
}

/**
 * The canonical serialization of an entry, the bytes its hash covers: a JSON array in a fixed order,
 * with absent optional fields as `null` and `recordedAt` normalized with `toISOString()` (UTC,
 * milliseconds), so a backend that stores timestamps natively computes the same bytes:
 *
 * ```
 * ["openkyc-audit-v1", sequence, previousHash, recordedAt, provider, verificationId, eventId|null,
 *  eventType|null, action, actor, fromStatus|null, fromOutcome|null, toStatus|null, toOutcome|null,
 *  [[reasonCode, reasonRaw|null], …]]
 * ```
 *
 * An entry with a `routing` record gets one more element at the end: the record as JSON with its keys
 * sorted at every level (`serializeRoutingRecord`). Entries without one serialize exactly as before.
 *
 * An entry that names its `chain` is serialized as `["openkyc-audit-v2", chain, chainSequence,
 * previousHash, recordedAt, …]` (the rest as above): its store-wide `sequence` is a read cursor,
 * not covered, so chains can be appended concurrently.
 *
 * Every store computes the chain with this function (through {@link computeAuditHash}); a store in
 * another language reproduces it from the description above.
 */
export function serializeAuditEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return serializeWithRecordedAt(entry, new Date(entry.recordedAt).toISOString())
}

/** {@link serializeAuditEntry} with `recordedAt` already in its `toISOString()` form (no second parse). */
function serializeWithRecordedAt(entry: Omit<AuditEntry, 'hash'>, recordedAt: string): string {
  const place =
    entry.chain === undefined
      ? [canonicalFormat, entry.sequence]
      : [chainedCanonicalFormat, entry.chain, entry.chainSequence ?? null]
  return JSON.stringify([
    ...place,
    entry.previousHash,
    recordedAt,
    entry.provider,
    entry.verificationId,
    entry.eventId ?? null,
    entry.eventType ?? null,
    entry.action,
    entry.actor,
    entry.from?.status ?? null,
    entry.from?.outcome ?? null,
    entry.to?.status ?? null,
    entry.to?.outcome ?? null,
    entry.reasons.map((reason) => [reason.code, reason.raw ?? null]),
    ...(entry.routing === undefined ? [] : [serializeRoutingRecord(entry.routing)]),
  ])
}

/**
 * The canonical serialization of an entry of a log of several chains, split around the two values
 * only its chain's head knows: `serializeAuditEntry(entry)` is exactly
 * `` `${prefix}${chainSequence},"${previousHash}",${suffix}` ``. A SQL store hashes the entry in the
 * statement that locks and moves the chain's head (`sha256` of that text in UTF-8), so the head is
 * never read in a round trip of its own and the append cannot miss a moved head. The bytes are those
 * of {@link serializeAuditEntry}, so {@link verifyAuditChain} checks the result like any other entry.
 *
 * @example
 * ```ts
 * const { prefix, suffix } = splitChainedAuditSerialization({ ...parseAuditEntryInput(input), chain: 3, recordedAt })
 * // SQL: encode(sha256(convert_to($prefix || head.chain_sequence + 1 || ',"' || head.hash || '",' || $suffix, 'UTF8')), 'hex')
 * ```
 */
export function splitChainedAuditSerialization(
  entry: z.output<typeof AuditEntryInputSchema> & { chain: number; recordedAt: string },
): { prefix: string; suffix: string } {
  const prefix = `${JSON.stringify([chainedCanonicalFormat, entry.chain]).slice(0, -1)},`
  const placeholder = `${prefix}1,"${genesisAuditHash}",`
  const whole = serializeAuditEntry({
    ...entry,
    sequence: 1,
    chainSequence: 1,
    previousHash: genesisAuditHash,
  })
  // Holds by construction (the chained format starts with tag, chain, chainSequence, previousHash).
  if (!whole.startsWith(placeholder)) throw new Error('splitChainedAuditSerialization: unexpected format')
  return { prefix, suffix: whole.slice(placeholder.length) }
}

/** The chain hash of an entry: lower-case hex SHA-256 of {@link serializeAuditEntry} in UTF-8. */
export function computeAuditHash(entry: Omit<AuditEntry, 'hash'>): string {
  return cryptoEngine.sha256Hex(serializeAuditEntry(entry))
}

/**
 * Validates what a caller asked to append. Throws `KycInvalidRequestError` listing the offending
 * paths (never the values) when `input` is not an {@link AuditEntryInput}: stores call it first, so
 * nothing is written. An entry core marked a moment ago as built from validated values (`markParsed`)
 * is returned as it is.
 */
export function parseAuditEntryInput(input: unknown): z.output<typeof AuditEntryInputSchema> {
  // An entry core built itself from validated values (the router's) and marked: not parsed again.
  if (takeParsedMark(input)) return input as z.output<typeof AuditEntryInputSchema>
  const parsed = AuditEntryInputSchema.safeParse(input)
  if (parsed.success) return parsed.data
  throw new KycInvalidRequestError({
    message: `Invalid audit entry: ${describeIssuePaths(parsed.error.issues)}. Audit entries take ids, statuses, outcomes and reason codes only.`,
    issues: parsed.error.issues,
  })
}

/**
 * Reads a row back from storage as an {@link AuditEntry}. Throws `KycStoreIntegrityError` when the
 * row is corrupt or foreign (the message names the sequence when readable, never the content).
 */
export function parseStoredAuditEntry(row: unknown): AuditEntry {
  const parsed = AuditEntrySchema.safeParse(row)
  if (parsed.success) return parsed.data
  throw new KycStoreIntegrityError({
    message: `An audit row${describeSequence(row)} is not a valid audit entry (${describeIssuePaths(parsed.error.issues)}); the audit table holds a corrupt or foreign row: restore it from a backup, and run verifyAuditChain.`,
  })
}

function describeSequence(row: unknown): string {
  const sequence = (row as { sequence?: unknown } | null)?.sequence
  return typeof sequence === 'number' && Number.isInteger(sequence) ? ` (sequence ${sequence})` : ''
}

/**
 * Where the next entry goes: the current head of a chain (with `chain` and `chainSequence` in a log
 * of several chains), or `undefined` for an empty chain.
 */
export type AuditChainHead =
  | (Pick<AuditEntry, 'sequence' | 'hash'> & Partial<Pick<AuditEntry, 'chain' | 'chainSequence'>>)
  | undefined

/** Where an entry goes in a log of several chains: its chain and its store-wide `sequence`. */
export type AuditChainPlacement = { chain: number; sequence: number }

/**
 * Builds the entry a store appends after `head`: the next sequence, the previous hash and the
 * entry's own hash. Stores call it with the head they read under lock and insert the result as it
 * is. It does not validate: pass what {@link parseAuditEntryInput} returned. With `placement` (a log
 * of several chains), `head` is the head of `placement.chain`, the entry gets the next
 * `chainSequence` in that chain and `placement.sequence` as its store-wide sequence.
 *
 * @example
 * ```ts
 * const entry = chainAuditEntry(parseAuditEntryInput(input), await readHeadForUpdate(), new Date())
 * await insertAuditRow(entry)
 * ```
 */
export function chainAuditEntry(
  input: z.output<typeof AuditEntryInputSchema>,
  head: AuditChainHead,
  recordedAt: Date,
  placement?: AuditChainPlacement,
): AuditEntry {
  // One object, hashed in place: `recordedAt` is in its canonical form already.
  const entry: AuditEntry = {
    ...input,
    sequence: placement?.sequence ?? (head?.sequence ?? 0) + 1,
    ...(placement === undefined
      ? {}
      : { chain: placement.chain, chainSequence: (head?.chainSequence ?? 0) + 1 }),
    recordedAt: recordedAt.toISOString(),
    previousHash: head?.hash ?? genesisAuditHash,
    hash: '',
  }
  entry.hash = cryptoEngine.sha256Hex(serializeWithRecordedAt(entry, entry.recordedAt))
  return entry
}

/** Why {@link verifyAuditChain} rejected a chain. */
export type AuditChainProblem =
  /** A row is not a readable `AuditEntry` (missing or malformed fields). */
  | 'invalid_entry'
  /** A row's `hash` does not match its content: the row was changed. */
  | 'hash_mismatch'
  /** A row's `previousHash` is not the previous row's `hash`: a row before it was removed, inserted or changed. */
  | 'broken_link'
  /** Sequences are not 1, 2, 3…: a row was removed or reordered. */
  | 'sequence_gap'
  /** The last row is not the expected head: rows at the end were removed. */
  | 'head_mismatch'

/** The answer of {@link verifyAuditChain}. */
export type AuditChainReport =
  | { valid: true; count: number; head: AuditChainHead }
  | { valid: false; count: number; sequence: number | undefined; problem: AuditChainProblem }

/** Options for {@link verifyAuditChain}. */
export type VerifyAuditChainOptions = {
  /**
   * The head you recorded earlier (`store.audit.head()`, kept outside the store), or the heads of
   * every chain of a log of several chains: the log must pass through each. Without them, removing
   * rows from the end of a chain cannot be detected.
   */
  expectedHead?: AuditChainHead | readonly NonNullable<AuditChainHead>[]
  /**
   * The last entry before the first one given, when older entries were pruned (retention), or that
   * entry of each chain: the first entry (of each chain) must link to it. Default: every chain starts
   * at 1 from {@link genesisAuditHash}.
   */
  startAfter?: AuditChainHead | readonly NonNullable<AuditChainHead>[]
}

const asHeads = (heads: AuditChainHead | readonly NonNullable<AuditChainHead>[]) =>
  heads === undefined ? [] : Array.isArray(heads) ? heads : [heads as NonNullable<AuditChainHead>]

const headOf = (entry: AuditEntry): NonNullable<AuditChainHead> =>
  entry.chain === undefined
    ? { sequence: entry.sequence, hash: entry.hash }
    : { sequence: entry.sequence, hash: entry.hash, chain: entry.chain, chainSequence: entry.chainSequence }

/**
 * Checks a whole audit log, streamed in ascending `sequence` (`store.audit.read()`): every row's hash
 * matches its content and links to the previous row of its chain, and each chain's sequences run 1,
 * 2, 3… without gaps (a one-chain log: `sequence`; a log of several chains: each chain's
 * `chainSequence`, with `sequence` ascending). Finds a changed, removed, inserted or reordered row in
 * any chain; with `expectedHead`, a removed tail too. Reports the first problem and the `sequence`
 * where it was found; never throws for bad rows.
 *
 * @example
 * ```ts
 * const report = await verifyAuditChain(store.audit.read())
 * if (!report.valid) alert(`audit log tampered at entry ${report.sequence}: ${report.problem}`)
 * ```
 */
export async function verifyAuditChain(
  entries: Iterable<unknown> | AsyncIterable<unknown>,
  options: VerifyAuditChainOptions = {},
): Promise<AuditChainReport> {
  /** The last entry seen of each chain; `-1` keys the one chain of entries without `chain`. */
  const previousOf = new Map<number, NonNullable<AuditChainHead>>()
  for (const head of asHeads(options.startAfter)) previousOf.set(head.chain ?? -1, head)
  const expected = asHeads(options.expectedHead)
  const passed = new Set<NonNullable<AuditChainHead>>()
  let last: AuditChainHead = Array.isArray(options.startAfter)
    ? undefined
    : (options.startAfter as AuditChainHead)
  let count = 0
  const sequenceOf = (value: unknown) =>
    typeof value === 'object' && value !== null && typeof (value as AuditEntry).sequence === 'number'
      ? (value as AuditEntry).sequence
      : undefined
  for await (const row of entries) {
    const parsed = AuditEntrySchema.safeParse(row)
    if (!parsed.success || (parsed.data.chain === undefined) !== (parsed.data.chainSequence === undefined)) {
      return { valid: false, count, sequence: sequenceOf(row), problem: 'invalid_entry' }
    }
    const entry = parsed.data
    const previous = previousOf.get(entry.chain ?? -1)
    const inOrder =
      entry.chain === undefined
        ? entry.sequence === (previous?.sequence ?? 0) + 1
        : entry.chainSequence === (previous?.chainSequence ?? 0) + 1 && entry.sequence > (last?.sequence ?? 0)
    if (!inOrder) {
      return { valid: false, count, sequence: entry.sequence, problem: 'sequence_gap' }
    }
    if (entry.previousHash !== (previous?.hash ?? genesisAuditHash)) {
      return { valid: false, count, sequence: entry.sequence, problem: 'broken_link' }
    }
    const { hash, ...unhashed } = entry
    if (computeAuditHash(unhashed) !== hash) {
      return { valid: false, count, sequence: entry.sequence, problem: 'hash_mismatch' }
    }
    for (const head of expected) {
      if (entry.sequence === head.sequence && entry.hash === head.hash) passed.add(head)
    }
    count += 1
    last = headOf(entry)
    previousOf.set(entry.chain ?? -1, last)
  }
  const missed = expected.find((head) => !passed.has(head))
  if (missed !== undefined) {
    return { valid: false, count, sequence: missed.sequence, problem: 'head_mismatch' }
  }
  return { valid: true, count, head: last }
}
