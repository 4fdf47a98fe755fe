import { type AuditEntry, verifyAuditChain } from '@openkyc/core'
import { migrate } from '@openkyc/postgres'
import type { Command } from 'commander'
import { type CliIo, line, printJson } from '../output.js'
import {
  CliFailure,
  databaseLocation,
  describeFailure,
  openCliDatabase,
  openCliStore,
} from './open-cli-database.js'

type DatabaseOptions = { dataDir?: string; json?: boolean }

const dataDirOption = [
  '--data-dir <directory>',
  'a PGlite database directory instead of DATABASE_URL',
] as const

/** Runs a store command; any failure is one line on stderr and exit code 1. */
async function guarded(
  io: CliIo,
  setExitCode: (code: number) => void,
  work: () => Promise<number>,
): Promise<void> {
  try {
    setExitCode(await work())
  } catch (error) {
    line(io.stderr, `error: ${describeFailure(error)}`)
    setExitCode(1)
  }
}

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

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = []
  for await (const item of items) result.push(item)
  return result
}

function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time))
    throw new CliFailure('--since must be an ISO 8601 date or time, such as 2026-01-31T00:00:00Z')
  return time
}

/** Registers `migrate`, `verifications list|show` and `audit export`. */
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
    .option('--status <status>', 'only verifications in this status')
    .option('--json', 'print JSON')
    .action((options: DatabaseOptions & { provider?: string; status?: string }) =>
      guarded(io, setExitCode, async () => {
        const store = await openCliStore(databaseLocation(io.env, options.dataDir))
        try {
          const query = options.provider === undefined ? {} : { provider: options.provider }
          const rows = summarize(await collect(store.audit.read(query))).filter(
            (row) => options.status === undefined || row.status === options.status,
          )
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
            for (const entry of timeline) {
              const from =
                entry.from === undefined
                  ? ''
                  : `${entry.from.status}${entry.from.outcome ? `/${entry.from.outcome}` : ''} → `
              const to =
                entry.to === undefined
                  ? ''
                  : `${entry.to.status}${entry.to.outcome ? `/${entry.to.outcome}` : ''}`
              const reasons =
                entry.reasons.length === 0
                  ? ''
                  : `  [${entry.reasons.map((reason) => reason.code).join(', ')}]`
              line(
                io.stdout,
                `  #${entry.sequence}  ${entry.recordedAt}  ${entry.action} by ${entry.actor}  ${from}${to}${reasons}`,
              )
            }
          }
          return 0
        } finally {
          await store.close?.()
        }
      }),
    )

  program
    .command('audit')
    .description('the append-only, hash-chained audit log')
    .command('export')
    .description('print the audit log as JSON Lines on stdout; --verify checks the hash chain first')
    .option(...dataDirOption)
    .option('--since <time>', 'only entries recorded at or after this ISO 8601 time')
    .option('--verify', 'verify the whole hash chain; exit 1 and print nothing when it is broken')
    .action((options: DatabaseOptions & { since?: string; verify?: boolean }) =>
      guarded(io, setExitCode, async () => {
        const since = parseSince(options.since)
        const store = await openCliStore(databaseLocation(io.env, options.dataDir))
        try {
          if (options.verify) {
            const report = await verifyAuditChain(store.audit.read())
            if (!report.valid) {
              line(
                io.stderr,
                `error: the audit chain is broken at entry ${report.sequence ?? '?'} (${report.problem})`,
              )
              return 1
            }
            line(io.stderr, `audit chain verified: ${report.count} entries`)
          }
          for await (const entry of store.audit.read()) {
            if (since !== undefined && Date.parse(entry.recordedAt) < since) continue
            line(io.stdout, JSON.stringify(entry))
          }
          return 0
        } finally {
          await store.close?.()
        }
      }),
    )
}
