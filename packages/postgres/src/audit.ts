import { createHash } from 'node:crypto'
import { z } from 'zod'

/** The hash before the first entry: 64 zeros. */
export const auditGenesisHash = '0'.repeat(64)

/** Who caused an audited change. */
export const AuditActorSchema = z.enum(['provider', 'manual', 'application'])

/** One audit entry as the store keeps it. Ids, statuses, outcomes and reason codes only: never personal data. */
export const AuditEntrySchema = z.strictObject({
  /** What happened: a state change from an event, a review action, a deletion, a configuration-relevant event. */
  kind: z.enum(['state_change', 'review', 'deletion', 'configuration']),
  provider: z.string().min(1),
  verificationId: z.string().min(1).optional(),
  eventId: z.string().min(1).optional(),
  /** The normalized event type, when an event caused it. */
  eventType: z.string().optional(),
  fromStatus: z.string().optional(),
  toStatus: z.string().optional(),
  fromOutcome: z.string().optional(),
  toOutcome: z.string().optional(),
  /** Reason codes from the closed table in core; never the vendor's free text. */
  reasons: z.array(z.string()).optional(),
  actor: AuditActorSchema,
  /** When it happened (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
})

/** One audit entry. See {@link AuditEntrySchema}. */
export type AuditEntry = z.infer<typeof AuditEntrySchema>

/** A stored audit entry with its place in the chain. */
export type AuditRecord = AuditEntry & { sequence: number; hash: string }

/** Canonical JSON: object keys sorted, `undefined` members dropped, no whitespace. Equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`
  const members = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
  return `{${members.join(',')}}`
}

/** The chain rule, the same the `append audit entry` statement applies in SQL: sha256(previous hash, newline, entry). */
export function chainAuditHash(previousHash: string, entry: string): string {
  return createHash('sha256').update(`${previousHash}\n${entry}`, 'utf8').digest('hex')
}

/** What {@link verifyAuditChain} found. */
export type AuditChainReport =
  | { ok: true; entries: number; headHash: string }
  | {
      ok: false
      entries: number
      /** The first sequence number where the chain breaks. */
      sequence: number
      /** What is wrong there, without the entry's content. */
      problem: string
    }

/** One stored row as read back for verification. */
export type StoredAuditRow = {
  sequence: number
  entry: string
  hash: string
}

/**
 * Walks stored rows in order and checks the chain: consecutive sequence numbers from 1 (a removed
 * row leaves a gap or breaks the next hash), each hash recomputed from the previous hash and the
 * stored text, each entry valid and in canonical form (an edited entry changes its hash), and the
 * head (last sequence and hash) matching the last row (a removed tail).
 */
export async function verifyAuditRows(
  pages: AsyncIterable<StoredAuditRow[]>,
  head: { sequence: number; hash: string },
): Promise<AuditChainReport> {
  let previousHash = auditGenesisHash
  let expected = 1
  let entries = 0
  for await (const page of pages) {
    for (const row of page) {
      const fail = (problem: string): AuditChainReport => ({
        ok: false,
        entries,
        sequence: row.sequence,
        problem,
      })
      if (row.sequence !== expected) {
        return { ok: false, entries, sequence: expected, problem: 'entry missing (a gap in the sequence)' }
      }
      if (chainAuditHash(previousHash, row.entry) !== row.hash) {
        return fail('hash does not match the entry and the previous hash (entry changed, or a row removed)')
      }
      let parsed: unknown
      try {
        parsed = JSON.parse(row.entry)
      } catch {
        return fail('entry is not JSON')
      }
      if (!AuditEntrySchema.safeParse(parsed).success || canonicalJson(parsed) !== row.entry) {
        return fail('entry is not a canonical audit entry')
      }
      previousHash = row.hash
      expected += 1
      entries += 1
    }
  }
  if (head.sequence !== entries || head.hash !== previousHash) {
    return {
      ok: false,
      entries,
      sequence: Math.min(head.sequence, entries + 1),
      problem: 'the chain head does not match the last entry (entries removed at the end)',
    }
  }
  return { ok: true, entries, headHash: previousHash }
}
