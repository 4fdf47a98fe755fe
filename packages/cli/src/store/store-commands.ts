import type { AuditEntry } from '@openkyc/core'
import { migrate } from '@openkyc/postgres'
import type { Command } from 'commander'
import { type CliIo, line, printJson } from '../output.js'
import { exportAudit } from './audit-export.js'
import {
  collect,
  type DatabaseOptions,
  dataDirOption,
  formatAuditEntry,
  guarded,
  parseTime,
} from './command-support.js'
import { databaseLocation, openCliDatabase, openCliStore } from './open-cli-database.js'
import { registerWatch } from './watch-command.js'

/** The latest state of each verification, from its audit entries (ids, statuses and outcomes only). */
type VerificationSummary = {
  provider: string
  verificationId: string
  status: string | undefined
  outcome: string | undefined
  entries: number
  updatedAt: string
}

function summarize(entries: AuditEntry[]): VerificationSummary[] {
  const byKey = new Map<string, VerificationSummary>()
  for (const entry of entries) {
    const key = `${entry.provider}\u0000${entry.verificationId}`
    const known = byKey.get(key)
    byKey.set(key, {
      provider: entry.provider,
      verificationId: entry.verificationId,
      status: entry.to?.status ?? known?.status,
      outcome: entry.to === undefined ? known?.outcome : entry.to.outcome,
      entries: (known?.entries ?? 0) + 1,
      updatedAt: entry.recordedAt,
    })
  }
  return [...byKey.values()]
}

type ListOptions = DatabaseOptions & {
  provider?: string
  status?: string
  outcome?: string
  olderThan?: string
  since?: string
}

/** Registers `migrate`, `verifications list|show|watch` and `audit export`. */
export function registerStoreCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('migrate')
    .description("apply @openkyc/postgres's migrations to the database (idempotent)")
    .option(...dataDirOption)
    .option('--json', 'print the result as JSON')
    .action((options: DatabaseOptions) =>
      guarded(io, setExitCode, async () => {
        const database = await openCliDatabase(databaseLocation(io.env, options.dataDir))
        try {
          const result = await migrate(database)
          if (options.json) printJson(io, result)
          else if (result.applied.length === 0) line(io.stdout, `Up to date at version ${result.version}.`)
          else line(io.stdout, `Applied ${result.applied.join(', ')}; now at version ${result.version}.`)
          return 0
        } finally {
          await database.close()
        }
      }),
    )

  const verifications = program.command('verifications').description('read verifications from the store')
  verifications
    .command('list')
    .description('every verification the audit log knows, with its latest status and outcome')
    .option(...dataDirOption)
    .option('--provider <name>', 'only this provider')
    .option(
      '--status <status>',
      'only verifications in this status (created, in_progress, submitted, completed…)',
    )
    .option('--outcome <outcome>', 'only verifications decided so (approved, declined, review)')
    .option('--older-than <age>', 'only verifications unchanged for at least this long (30m, 2h, 7d)')
    .option(
      '--since <time>',
      'only verifications changed at or after this time (ISO 8601, or 30m, 2h, 7d ago)',
    )
    .option('--json', 'print JSON')
    .action((options: ListOptions) =>
      guarded(io, setExitCode, async () => {
        const now = Date.now()
        const olderThan =
          options.olderThan === undefined ? undefined : parseTime('--older-than', options.olderThan, now)
        const since = options.since === undefined ? undefined : parseTime('--since', options.since, now)
        const store = await openCliStore(databaseLocation(io.env, options.dataDir))
        try {
          const query = options.provider === undefined ? {} : { provider: options.provider }
          const rows = summarize(await collect(store.audit.read(query))).filter((row) => {
            const updatedAt = Date.parse(row.updatedAt)
            return (
              (options.status === undefined || row.status === options.status) &&
              (options.outcome === undefined || row.outcome === options.outcome) &&
              (olderThan === undefined || updatedAt <= olderThan) &&
              (since === undefined || updatedAt >= since)
            )
          })
          if (options.json) printJson(io, rows)
          else {
            for (const row of rows) {
              line(
                io.stdout,
                `${row.provider}  ${row.verificationId}  ${row.status ?? '-'}${row.outcome === undefined ? '' : ` (${row.outcome})`}  ${row.updatedAt}`,
              )
            }
            line(io.stdout, `${rows.length} verification${rows.length === 1 ? '' : 's'}.`)
          }
          return 0
        } finally {
          await store.close?.()
        }
      }),
    )
  verifications
    .command('show')
    .description("one verification's audit timeline: every state change, in order")
    .argument('<provider>', 'the provider, such as persona')
    .argument('<verification-id>', "the provider's verification id")
    .option(...dataDirOption)
    .option('--json', 'print JSON')
    .action((provider: string, verificationId: string, options: DatabaseOptions) =>
      guarded(io, setExitCode, async () => {
        const store = await openCliStore(databaseLocation(io.env, options.dataDir))
        try {
          const timeline = await collect(store.audit.read({ provider, verificationId }))
          if (timeline.length === 0) {
            line(io.stderr, `error: no audit entry for ${provider} verification ${verificationId}`)
            return 1
          }
          if (options.json) printJson(io, { provider, verificationId, timeline })
          else {
            line(io.stdout, `${provider} ${verificationId}`)
            for (const entry of timeline) line(io.stdout, `  ${formatAuditEntry(entry)}`)
          }
          return 0
        } finally {
          await store.close?.()
        }
      }),
    )
  registerWatch(verifications, io, setExitCode)

  program
    .command('audit')
    .description('the append-only, hash-chained audit log')
    .command('export')
    .description('print the audit log as JSON Lines on stdout; --verify checks the hash chain first')
    .option(...dataDirOption)
    .option('--since <time>', 'only entries recorded at or after this time (ISO 8601, or 30m, 2h, 7d ago)')
    .option('--verify', 'verify the whole hash chain; exit 1 and print nothing when it is broken')
    .option(
      '--checkpoint <file>',
      'with --verify: the chain heads of the last verified export; entries they name must still be there (a removed tail), then the file is updated',
    )
    .action((options: DatabaseOptions & { since?: string; verify?: boolean; checkpoint?: string }) =>
      guarded(io, setExitCode, () => exportAudit(io, options)),
    )
}
