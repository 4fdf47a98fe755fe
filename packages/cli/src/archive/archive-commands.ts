import {
  archiveKeysVariable,
  type OpenedWebhookDelivery,
  type RawArchive,
  rawArchiveFromEnvironment,
} from '@openkyc/core'
import type { Command } from 'commander'
import type { Environment } from '../doctor/doctor-check.js'
import { type DoctorProvider, doctorProviders } from '../doctor/doctor-providers.js'
import { type CliIo, line, printJson } from '../output.js'
import { type DatabaseOptions, dataDirOption, guarded, parseTime } from '../store/command-support.js'
import { CliFailure, databaseLocation, openCliStore } from '../store/open-cli-database.js'
import { createArchivedResponsesFetch, openArchivedResponses } from './archived-responses-fetch.js'
import { backtestArchivedDeliveries } from './backtest-archived-deliveries.js'
import {
  type ArchivedAdapterFactory,
  openArchivedDeliveries,
  replayArchivedDeliveries,
} from './replay-archived-deliveries.js'

type ArchiveOptions = DatabaseOptions & { provider?: string; since?: string }

/**
 * The providers of `deliveries`, their packages loaded, as an adapter factory over the environment
 * whose `fetch` answers from the archived retrieval responses (the vendor is never called).
 */
async function adapterFactory(
  env: Environment,
  archive: RawArchive,
  deliveries: readonly OpenedWebhookDelivery[],
): Promise<ArchivedAdapterFactory> {
  const providers = new Map<string, DoctorProvider>()
  const modules = new Map<string, unknown>()
  for (const name of new Set(deliveries.map((delivery) => delivery.payload.provider))) {
    const provider = doctorProviders.find((candidate) => candidate.name === name)
    if (provider === undefined) {
      throw new CliFailure(`the archive holds ${name} deliveries, and openkyc knows no such provider`)
    }
    try {
      modules.set(name, await import(provider.packageName))
    } catch {
      throw new CliFailure(`the archive holds ${name} deliveries: install ${provider.packageName}`)
    }
    providers.set(name, provider)
  }
  const responses = await openArchivedResponses(archive)
  // One adapter per delivery: a timestamped signature is checked as of when the delivery arrived, and
  // the vendor's answers are those archived before it.
  return (payload) => {
    const provider = providers.get(payload.provider) as DoctorProvider
    const receivedAt = Date.parse(payload.receivedAt)
    return provider.create(
      modules.get(payload.provider),
      env,
      createArchivedResponsesFetch(
        responses.filter((response) => response.payload.provider === payload.provider),
        payload.sequence,
      ),
      provider.timestampedSignatures ? () => receivedAt : undefined,
    )
  }
}

/** Opens the store and its archive from the environment; refuses when the archive is off. */
async function openArchive(io: CliIo, options: ArchiveOptions) {
  if (!io.env[archiveKeysVariable]?.trim()) {
    throw new CliFailure(
      `${archiveKeysVariable} is not set: the raw archive is off (or its keys are missing), so there is nothing to read`,
    )
  }
  const since =
    options.since === undefined ? undefined : new Date(parseTime('--since', options.since)).toISOString()
  const store = await openCliStore(databaseLocation(io.env, options.dataDir))
  try {
    const archive = rawArchiveFromEnvironment(store, io.env)
    if (archive === undefined) throw new CliFailure(`${archiveKeysVariable} is not set`)
    const query = {
      ...(options.provider === undefined ? {} : { provider: options.provider }),
      ...(since === undefined ? {} : { receivedSince: since }),
    }
    return { store, archive, query }
  } catch (error) {
    await store.close()
    throw error
  }
}

/** Registers `webhooks replay` and `backtest`. */
export function registerArchiveCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('webhooks')
    .description('webhook deliveries kept in the raw archive')
    .command('replay')
    .description(
      're-run archived deliveries through the pipeline: verified, deduplicated, applied forward-only, audited (idempotent)',
    )
    .argument('[event-id]', 'the event whose delivery to replay')
    .option(...dataDirOption)
    .option('--since <time>', 'replay every delivery received since this time (ISO 8601, or 30m, 2h, 7d ago)')
    .option('--provider <name>', 'only this provider')
    .option('--json', 'print JSON')
    .action((eventId: string | undefined, options: ArchiveOptions) =>
      guarded(io, setExitCode, async () => {
        if ((eventId === undefined) === (options.since === undefined)) {
          throw new CliFailure('give an event id or --since <time> (one of them)')
        }
        const { store, archive, query } = await openArchive(io, options)
        try {
          const deliveries = await openArchivedDeliveries({
            archive,
            query: eventId === undefined ? query : { ...query, eventId },
          })
          if (deliveries.length === 0) {
            throw new CliFailure(
              eventId === undefined
                ? 'no archived delivery was received in that time'
                : `no archived delivery carries event ${eventId} (deliveries are kept ${Math.round(archive.retentionMs / 86_400_000)} days)`,
            )
          }
          const createAdapter = await adapterFactory(io.env, archive, deliveries)
          const replayed = await replayArchivedDeliveries({ store, deliveries, createAdapter })
          if (options.json) printJson(io, replayed)
          else {
            let applied = 0
            let duplicates = 0
            for (const delivery of replayed) {
              for (const event of delivery.events) {
                applied += 1
                line(
                  io.stdout,
                  `${delivery.provider}  ${event.eventId}  applied  ${event.verificationId ?? '-'} ${event.status ?? ''}${event.changed ? '' : ' (no change)'}`,
                )
              }
              for (const duplicate of delivery.duplicates) {
                duplicates += 1
                line(io.stdout, `${delivery.provider}  ${duplicate}  already processed`)
              }
            }
            line(
              io.stdout,
              `${replayed.length} deliver${replayed.length === 1 ? 'y' : 'ies'} replayed: ${applied} event${applied === 1 ? '' : 's'} applied, ${duplicates} already processed.`,
            )
          }
          return 0
        } finally {
          await store.close()
        }
      }),
    )

  program
    .command('backtest')
    .description(
      're-normalize archived deliveries with the current adapter code and list every verification whose status, outcome, reasons or checks would differ (exit 1 when any does)',
    )
    .option(...dataDirOption)
    .option('--since <time>', 'only deliveries received since this time (ISO 8601, or 30m, 2h, 7d ago)')
    .option('--provider <name>', 'only this provider')
    .option('--json', 'print JSON')
    .action((options: ArchiveOptions) =>
      guarded(io, setExitCode, async () => {
        const { store, archive, query } = await openArchive(io, options)
        try {
          const deliveries = await openArchivedDeliveries({ archive, query })
          const createAdapter = await adapterFactory(io.env, archive, deliveries)
          const report = await backtestArchivedDeliveries({ deliveries, createAdapter })
          if (options.json) printJson(io, report)
          else {
            for (const difference of report.differences) {
              line(
                io.stdout,
                `${difference.provider}  ${difference.verificationId}  ${difference.eventId}  ${difference.field}: ${difference.stored} → ${difference.current}`,
              )
            }
            for (const skipped of report.skipped) {
              line(
                io.stderr,
                `skipped ${skipped.deliveries} ${skipped.provider} deliveries: ${skipped.reason}`,
              )
            }
            line(
              io.stdout,
              `${report.deliveries} deliveries, ${report.events} events re-normalized: ${report.verifications.length} verification${report.verifications.length === 1 ? '' : 's'} differ.`,
            )
          }
          return report.differences.length === 0 && report.skipped.length === 0 ? 0 : 1
        } finally {
          await store.close()
        }
      }),
    )
}
