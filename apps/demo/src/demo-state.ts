import { applyVerificationUpdate, type Verification } from '@openkyc/core'
import type { Scenario } from '@openkyc/testkit/catalogue'
import {
  buildRow,
  type CapabilityMatrix,
  type ComparisonRow,
  type DemoSnapshot,
  type ProviderAttempt,
  type ProviderInfo,
  summarizeAgreement,
  summarizeLatency,
} from './comparison.js'
import type { ProviderName } from './provider-name.js'

/** What subscribers hear when a row changes: the row, and the summaries it moved. */
export type DemoChange = Pick<DemoSnapshot, 'agreement' | 'latency'> & { row: ComparisonRow }

/** Milliseconds spent in each kind of adapter call; the row's latency is their sum. */
export type AttemptTimings = { createMs: number; readMs: number }

/** Options for {@link createDemoState}. */
export type DemoStateOptions = {
  providers: readonly ProviderInfo[]
  capabilities: CapabilityMatrix
}

type StoredRow = {
  id: string
  source: ComparisonRow['source']
  scenario: Scenario
  attempts: Map<ProviderName, ProviderAttempt & { timings: AttemptTimings }>
}

/**
 * The demo's single source of truth: every applicant's row, the verification-to-row index webhooks
 * use to find their row, and the subscribers (server-sent event streams) told about each change.
 * Identity data stays in here; only {@link ComparisonRow}s (field names, never values) go out.
 */
export type DemoState = {
  /** Adds an applicant row (or returns the existing one's id). */
  addRow(options: { id: string; source: ComparisonRow['source']; scenario: Scenario }): void
  /** Remembers that a provider's verification belongs to a row, so its webhooks update that row. */
  track(provider: ProviderName, verificationId: string, rowId: string): void
  /** The row a provider's verification belongs to. */
  rowFor(provider: ProviderName, verificationId: string): string | undefined
  /**
   * Records what a provider reported for a row. A verification only moves forward (core's
   * `applyVerificationUpdate`): a slow read never overwrites a newer webhook-driven state.
   */
  record(
    rowId: string,
    provider: ProviderName,
    update: { verification?: Verification; timings?: Partial<AttemptTimings>; error?: string },
  ): void
  /** The verification last recorded for a row and provider. */
  verification(rowId: string, provider: ProviderName): Verification | undefined
  /** One row as shown. */
  row(rowId: string): ComparisonRow | undefined
  /** Everything, as the table, the JSON output and the page show it. */
  snapshot(): DemoSnapshot
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: (change: DemoChange) => void): () => void
}

/**
 * Creates the demo's state. Rows keep insertion order: the catalogue first, then the verifications
 * started from the page.
 *
 * @example
 * ```ts
 * const state = createDemoState({ providers, capabilities })
 * state.addRow({ id: 'catalogue:clean_approve', source: 'catalogue', scenario })
 * state.subscribe(({ row }) => console.log(row.id))
 * ```
 */
export function createDemoState(options: DemoStateOptions): DemoState {
  const rows = new Map<string, StoredRow>()
  const index = new Map<string, string>()
  const listeners = new Set<(change: DemoChange) => void>()
  const providerNames = options.providers.map((provider) => provider.provider)

  const toRow = (stored: StoredRow): ComparisonRow =>
    buildRow({
      id: stored.id,
      source: stored.source,
      scenario: stored.scenario,
      attempts: providerNames.flatMap((provider) => {
        const attempt = stored.attempts.get(provider)
        return attempt === undefined ? [] : [attempt]
      }),
    })

  const allRows = () => [...rows.values()].map(toRow)

  const summaries = (shown: readonly ComparisonRow[]) => ({
    agreement: summarizeAgreement(shown),
    latency: summarizeLatency(providerNames, shown),
  })

  const notify = (stored: StoredRow) => {
    if (listeners.size === 0) return
    const change: DemoChange = { row: toRow(stored), ...summaries(allRows()) }
    for (const listener of listeners) {
      try {
        listener(change)
      } catch {
        // One broken subscriber (a closed stream) must not stop the others.
      }
    }
  }

  const key = (provider: ProviderName, verificationId: string) => `${provider}\u0000${verificationId}`

  const merge = (current: Verification | undefined, update: Verification | undefined) => {
    if (update === undefined) return current
    const next = applyVerificationUpdate(current, update)
    // A read as far along as a webhook's state still brings what events never carry: identity data.
    if (next === current && current.identity === undefined && update.identity !== undefined) {
      return { ...current, identity: update.identity }
    }
    return next
  }

  return {
    addRow({ id, source, scenario }) {
      if (rows.has(id)) return
      const stored: StoredRow = { id, source, scenario, attempts: new Map() }
      rows.set(id, stored)
      notify(stored)
    },
    track(provider, verificationId, rowId) {
      index.set(key(provider, verificationId), rowId)
    },
    rowFor(provider, verificationId) {
      return index.get(key(provider, verificationId))
    },
    record(rowId, provider, update) {
      const stored = rows.get(rowId)
      if (stored === undefined) throw new RangeError(`Unknown demo row "${rowId}"`)
      const current = stored.attempts.get(provider)
      const timings: AttemptTimings = {
        createMs: update.timings?.createMs ?? current?.timings.createMs ?? 0,
        readMs: update.timings?.readMs ?? current?.timings.readMs ?? 0,
      }
      const verification = merge(current?.verification, update.verification)
      if (verification !== undefined) index.set(key(provider, verification.id), rowId)
      stored.attempts.set(provider, {
        provider,
        ...(verification === undefined ? {} : { verification }),
        latencyMs: timings.createMs + timings.readMs,
        timings,
        // A later successful read clears an earlier error.
        ...(update.error !== undefined
          ? { error: update.error }
          : update.verification === undefined && current?.error !== undefined
            ? { error: current.error }
            : {}),
      })
      notify(stored)
    },
    verification(rowId, provider) {
      return rows.get(rowId)?.attempts.get(provider)?.verification
    },
    row(rowId) {
      const stored = rows.get(rowId)
      return stored === undefined ? undefined : toRow(stored)
    },
    snapshot() {
      const shown = allRows()
      return {
        providers: [...options.providers],
        rows: shown,
        ...summaries(shown),
        capabilities: options.capabilities,
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
