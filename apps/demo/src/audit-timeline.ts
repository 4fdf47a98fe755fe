import { type AuditEntry, type AuditLogReader, verifyAuditChain } from '@openkyc/core'

/** One audit entry as the page shows it: ids, statuses and reason codes only, never personal data. */
export type TimelineEntry = Pick<
  AuditEntry,
  'sequence' | 'recordedAt' | 'eventId' | 'eventType' | 'action' | 'actor' | 'from' | 'to'
> & { reasons: string[] }

/** The audit timeline of one verification, oldest entry first. */
export type VerificationTimeline = {
  provider: string
  verificationId: string
  entries: TimelineEntry[]
}

/** What `GET /api/audit` answers. */
export type AuditTimelines = {
  /** Whether the whole log verified (`verifyAuditChain`), how many entries it holds, and where it broke. */
  chain: { valid: boolean; count: number; problem?: string; sequence?: number }
  /** The most recently changed verifications first, at most `limit`. */
  verifications: VerificationTimeline[]
}

/**
 * Reads the whole audit log (demo-sized), checks its hash chain, and groups it into one timeline per
 * verification, the most recently active first. Restarting the demo on the same data directory
 * shows the earlier runs' timelines too.
 *
 * @example
 * ```ts
 * const timelines = await readAuditTimelines(store.audit, { limit: 50 })
 * ```
 */
export async function readAuditTimelines(
  audit: AuditLogReader,
  options: { limit?: number } = {},
): Promise<AuditTimelines> {
  const entries: AuditEntry[] = []
  for await (const entry of audit.read()) entries.push(entry)
  const report = await verifyAuditChain(entries)
  const byVerification = new Map<string, VerificationTimeline>()
  for (const entry of entries) {
    const key = `${entry.provider}\u0000${entry.verificationId}`
    let timeline = byVerification.get(key)
    if (timeline === undefined) {
      timeline = { provider: entry.provider, verificationId: entry.verificationId, entries: [] }
      byVerification.set(key, timeline)
    }
    timeline.entries.push({
      sequence: entry.sequence,
      recordedAt: entry.recordedAt,
      eventId: entry.eventId,
      eventType: entry.eventType,
      action: entry.action,
      actor: entry.actor,
      from: entry.from,
      to: entry.to,
      reasons: entry.reasons.map((reason) => reason.code),
    })
  }
  const lastSequence = (timeline: VerificationTimeline) => timeline.entries.at(-1)?.sequence ?? 0
  return {
    chain: report.valid
      ? { valid: true, count: report.count }
      : {
          valid: false,
          count: report.count,
          problem: report.problem,
          ...(report.sequence === undefined ? {} : { sequence: report.sequence }),
        },
    verifications: [...byVerification.values()]
      .sort((a, b) => lastSequence(b) - lastSequence(a))
      .slice(0, options.limit ?? 100),
  }
}
