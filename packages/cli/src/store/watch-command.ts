import type { AuditEntry } from '@openkyc/core'
import type { Command } from 'commander'
import { type CliIo, line } from '../output.js'
import {
  type DatabaseOptions,
  dataDirOption,
  formatAuditEntry,
  guarded,
  parseDuration,
  parsePositiveInteger,
  parseTime,
} from './command-support.js'
import { CliFailure, databaseLocation, openCliStore } from './open-cli-database.js'

type WatchOptions = DatabaseOptions & {
  provider?: string
  since?: string
  interval: string
  limit?: string
}

/**
 * Entries are numbered when appended and committed a moment later, so one with a lower number can
 * become visible after a higher one (other audit chains commit alongside). The cursor stays this far
 * behind the newest entry, and entries within it are remembered so none prints twice.
 */
const settleMs = 30_000

/** Registers `verifications watch`: follows the audit log live, by cursor. */
export function registerWatch(verifications: Command, io: CliIo, setExitCode: (code: number) => void): void {
  verifications
    .command('watch')
    .description('follow verification changes live (polls the audit log); Ctrl-C stops')
    .option(...dataDirOption)
    .option('--provider <name>', 'only this provider')
    .option(
      '--since <time>',
      'start with the changes since this time (ISO 8601, or 30m, 2h ago) instead of now',
    )
    .option('--interval <duration>', 'how often to poll (1s, 500ms)', '1s')
    .option('--limit <count>', 'stop after this many changes')
    .option('--json', 'print JSON Lines: one audit entry per line')
    .action((options: WatchOptions) =>
      guarded(io, setExitCode, async () => {
        const intervalMs = parseDuration(options.interval)
        if (intervalMs === undefined || intervalMs < 100) {
          throw new CliFailure('--interval must be a duration of at least 0.1s, such as 1s or 5s')
        }
        const limit =
          options.limit === undefined
            ? Number.POSITIVE_INFINITY
            : parsePositiveInteger('--limit', options.limit)
        const since = options.since === undefined ? undefined : parseTime('--since', options.since)
        const store = await openCliStore(databaseLocation(io.env, options.dataDir))
        const stop = new AbortController()
        const onSignal = () => stop.abort()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        try {
          let cursor = since === undefined ? ((await store.audit.head())?.sequence ?? 0) : 0
          const printed = new Set<number>()
          let count = 0
          while (!stop.signal.aborted && count < limit) {
            const query = {
              afterSequence: cursor,
              ...(options.provider === undefined ? {} : { provider: options.provider }),
            }
            const settledBefore = Date.now() - settleMs
            let newCursor = cursor
            let settled = true
            for await (const entry of store.audit.read(query)) {
              const recordedAt = Date.parse(entry.recordedAt)
              if (settled && recordedAt < settledBefore) newCursor = entry.sequence
              else settled = false
              if (printed.has(entry.sequence)) continue
              printed.add(entry.sequence)
              if (since !== undefined && recordedAt < since) continue
              print(io, entry, options.json === true)
              count += 1
              if (count >= limit) break
            }
            cursor = newCursor
            for (const sequence of printed) if (sequence <= cursor) printed.delete(sequence)
            if (count >= limit) break
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, intervalMs)
              stop.signal.addEventListener('abort', () => {
                clearTimeout(timer)
                resolve()
              })
            })
          }
          return 0
        } finally {
          process.off('SIGINT', onSignal)
          process.off('SIGTERM', onSignal)
          await store.close()
        }
      }),
    )
}

function print(io: CliIo, entry: AuditEntry, json: boolean): void {
  if (json) line(io.stdout, JSON.stringify(entry))
  else line(io.stdout, `${entry.provider}  ${entry.verificationId}  ${formatAuditEntry(entry)}`)
}
