import {
  type ArchivedEventSummary,
  isKycError,
  type KycEvent,
  type OpenedWebhookDelivery,
  summarizeArchivedEvent,
} from '@openkyc/core'
import type { ArchivedAdapterFactory } from './replay-archived-deliveries.js'

/** One field on which the current adapter code disagrees with what was stored. */
export type BacktestDifference = {
  provider: string
  verificationId: string
  eventId: string
  /** `status`, `outcome`, `reasons`, `checks`, or `event` (an event only one of them produced). */
  field: 'status' | 'outcome' | 'reasons' | 'checks' | 'event'
  stored: string
  current: string
}

/** What {@link backtestArchivedDeliveries} found. */
export type BacktestReport = {
  /** Deliveries re-normalized. */
  deliveries: number
  /** Events compared. */
  events: number
  /**
   * Deliveries the current adapter could not re-normalize, by provider and error code (for example
   * `not_found`: a vendor response it needs was never archived, or has expired).
   */
  skipped: { provider: string; deliveries: number; reason: string }[]
  differences: BacktestDifference[]
  /** `provider verificationId` of every verification with a difference, sorted. */
  verifications: string[]
}

/** Options for {@link backtestArchivedDeliveries}. */
export type BacktestOptions = {
  deliveries: readonly OpenedWebhookDelivery[]
  createAdapter: ArchivedAdapterFactory
}

const fields = ['status', 'outcome', 'reasons', 'checks'] as const

function fieldText(summary: ArchivedEventSummary, field: (typeof fields)[number]): string {
  const value = summary[field]
  if (Array.isArray(value)) return `[${value.join(', ')}]`
  return value ?? '-'
}

/**
 * Re-normalizes archived deliveries with the current adapter code and compares status, outcome,
 * reason codes and checks with what the adapter made of them when they arrived. Nothing is written.
 * The tool to run before upgrading an adapter or changing a mapping table.
 *
 * @example
 * ```ts
 * const deliveries = await openArchivedDeliveries({ archive })
 * const report = await backtestArchivedDeliveries({ deliveries, createAdapter: () => createPersona() })
 * if (report.differences.length > 0) console.log(report.verifications)
 * ```
 */
export async function backtestArchivedDeliveries(options: BacktestOptions): Promise<BacktestReport> {
  const report: BacktestReport = { deliveries: 0, events: 0, skipped: [], differences: [], verifications: [] }
  const skipped = new Map<string, { provider: string; deliveries: number; reason: string }>()
  for (const delivery of options.deliveries) {
    const { provider } = delivery.payload
    const adapter = options.createAdapter(delivery.payload)
    let events: KycEvent[]
    try {
      events = await adapter.parseWebhook({
        rawBody: delivery.rawBody,
        headers: delivery.headers,
        ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
      })
    } catch (error) {
      const reason = isKycError(error) ? error.code : 'unexpected_error'
      const key = `${provider} ${reason}`
      const known = skipped.get(key) ?? { provider, deliveries: 0, reason }
      known.deliveries += 1
      skipped.set(key, known)
      continue
    }
    report.deliveries += 1
    const current = new Map(events.map((event) => [event.id, summarizeArchivedEvent(event)]))
    const stored = new Map(delivery.events.map((summary) => [summary.eventId, summary]))
    for (const eventId of new Set([...stored.keys(), ...current.keys()])) {
      report.events += 1
      const before = stored.get(eventId)
      const after = current.get(eventId)
      const verificationId = before?.verificationId ?? after?.verificationId ?? '-'
      const differ = (field: BacktestDifference['field'], storedText: string, currentText: string) =>
        report.differences.push({
          provider,
          verificationId,
          eventId,
          field,
          stored: storedText,
          current: currentText,
        })
      if (before === undefined || after === undefined) {
        differ(
          'event',
          before === undefined ? 'absent' : 'present',
          after === undefined ? 'absent' : 'present',
        )
        continue
      }
      for (const field of fields) {
        const storedText = fieldText(before, field)
        const currentText = fieldText(after, field)
        if (storedText !== currentText) differ(field, storedText, currentText)
      }
    }
  }
  report.skipped = [...skipped.values()]
  report.verifications = [
    ...new Set(report.differences.map((difference) => `${difference.provider} ${difference.verificationId}`)),
  ].sort()
  return report
}
