import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { KycAdapterV1 } from '@openkyc/core'
import type { RateLimiter } from '@openkyc/core/http'
import {
  type BulkStatus,
  createBulkRuns,
  createClusterRateLimiter,
  type Jobs,
  openJobs,
  parseBulkCsv,
  vendorRateLimits,
  vendorStartLimits,
} from '@openkyc/jobs'
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import type { Environment } from '../doctor/doctor-check.js'
import { type CliIo, line, printJson } from '../output.js'
import {
  CliFailure,
  type DatabaseLocation,
  databaseLocation,
  describeFailure,
  openCliDatabase,
} from '../store/open-cli-database.js'

type BulkOptions = { dataDir?: string; json?: boolean }
type RunOptions = BulkOptions & { label?: string; batchId?: string; concurrency?: string; work?: boolean }

/** The adapters `bulk run` builds from the environment, each behind the cluster-wide limiters. */
const bulkProviders: readonly {
  name: 'persona' | 'jumio' | 'onfido'
  variablePrefix: string
  create(env: Environment, limiters: { requests: RateLimiter; starts: RateLimiter }): Promise<KycAdapterV1>
}[] = [
  {
    name: 'persona',
    variablePrefix: 'PERSONA_',
    async create(env, limiters) {
      const { createPersona } = await import('@openkyc/persona')
      return createPersona({ env, rateLimit: limiters.requests })
    },
  },
  {
    name: 'jumio',
    variablePrefix: 'JUMIO_',
    async create(env, limiters) {
      const { createJumio } = await import('@openkyc/jumio')
      return createJumio({ env, transactionRateLimit: limiters.starts })
    },
  },
  {
    name: 'onfido',
    variablePrefix: 'ONFIDO_',
    async create(env, limiters) {
      const { createOnfido } = await import('@openkyc/onfido')
      return createOnfido({ env, rateLimit: limiters.requests })
    },
  },
]

/** The largest evidence file `bulk run` reads (Jumio's and Onfido's upload limits are 10–15 MB). */
const evidenceByteLimit = 15 * 1024 * 1024

/**
 * Reads an item's evidence file, named relative to the CSV's directory and confined to it: a CSV
 * cannot make the CLI upload a file from elsewhere on the host. Errors name neither path nor content.
 */
function evidenceFileLoader(csvFile: string) {
  const directory = resolve(dirname(csvFile))
  return async (source: string): Promise<Uint8Array> => {
    const path = resolve(directory, source)
    const inside = relative(directory, path)
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new CliFailure('an evidence file must lie inside the CSV file’s directory')
    }
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      if (size > evidenceByteLimit) throw new CliFailure('an evidence file is larger than 15 MB')
      const content = new Uint8Array(size)
      await file.read(content, 0, size, 0)
      return content
    } finally {
      await file.close()
    }
  }
}

async function configuredAdapters(jobs: Jobs, env: Environment) {
  const adapters: Record<string, KycAdapterV1> = {}
  const startLimiters: Record<string, RateLimiter> = {}
  for (const provider of bulkProviders) {
    if (!Object.keys(env).some((name) => name.startsWith(provider.variablePrefix) && env[name])) continue
    // Onfido documents a request limit only: its starts are paced by its requests.
    const startLimit = provider.name === 'onfido' ? vendorRateLimits.onfido : vendorStartLimits[provider.name]
    const starts = createClusterRateLimiter({ jobs, key: `${provider.name}:starts`, limit: startLimit })
    const requests = createClusterRateLimiter({
      jobs,
      key: provider.name,
      limit: vendorRateLimits[provider.name],
    })
    adapters[provider.name] = await provider.create(env, { requests, starts })
    // Jumio's start limit is its adapter's own transactionRateLimit; Persona's inquiry quota is the runner's.
    if (provider.name === 'persona') startLimiters[provider.name] = starts
  }
  return { adapters, startLimiters }
}

function describeStatus(status: BulkStatus): string {
  const eta = status.etaSeconds === undefined ? '' : `, about ${Math.ceil(status.etaSeconds)} s left`
  return `batch ${status.batchId}: ${status.done} done, ${status.failed} failed, ${status.remaining} remaining of ${status.total} (${status.ratePerSecond.toFixed(1)}/s${eta})`
}

async function withJobs<T>(location: DatabaseLocation, work: (jobs: Jobs) => Promise<T>): Promise<T> {
  const database = await openCliDatabase(location)
  try {
    const jobs = await openJobs({ database, ...('url' in location ? { url: location.url } : {}) })
    try {
      return await work(jobs)
    } finally {
      await jobs.stop({ timeoutMs: 5_000 })
    }
  } finally {
    await database.close()
  }
}

/**
 * Registers `bulk run <file.csv>` (submit, then work the batch here with a progress bar showing rate
 * and ETA; resumable with `--batch-id`) and `bulk status <batch-id>`.
 */
export function registerBulkCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const bulk = program
    .command('bulk')
    .description('Bulk runs: verify a batch of subjects within each vendor’s limits.')
  const guarded = async (work: () => Promise<number>) => {
    try {
      setExitCode(await work())
    } catch (error) {
      line(io.stderr, `error: ${describeFailure(error)}`)
      setExitCode(1)
    }
  }

  bulk
    .command('run <file>')
    .description(
      'Submit a CSV (provider, subject_reference, optional channel, redirect_url, locale, country, document_types, first_name, last_name, date_of_birth; evidence files document_front, document_back, selfie, relative to the CSV) and work it in this process until every item finished.',
    )
    .option('--data-dir <directory>', 'a PGlite database directory instead of DATABASE_URL')
    .option('--label <text>', 'a label for the batch')
    .option('--batch-id <uuid>', 'resume (or name) a batch: items already stored are not added twice')
    .option('--concurrency <n>', 'items in flight in this process', '8')
    .option('--no-work', 'only submit; workers elsewhere run the batch')
    .option('--json', 'print the final status as JSON')
    .action((file: string, options: RunOptions) =>
      guarded(async () => {
        const concurrency = Number(options.concurrency)
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
          throw new CliFailure('--concurrency must be a whole number from 1 to 256')
        }
        const location = databaseLocation(io.env, options.dataDir)
        return withJobs(location, async (jobs) => {
          const { adapters, startLimiters } = await configuredAdapters(jobs, io.env)
          const runs = createBulkRuns({
            jobs,
            adapters,
            startLimiters,
            loadEvidence: evidenceFileLoader(file),
          })
          const stopWorking = options.work === false ? undefined : await runs.work({ concurrency })
          try {
            const { batchId } = await runs.submit(parseBulkCsv(createReadStream(file)), {
              ...(options.label === undefined ? {} : { label: options.label }),
              ...(options.batchId === undefined ? {} : { batchId: options.batchId }),
            })
            if (!options.json) line(io.stderr, `batch ${batchId} submitted`)
            let status = (await runs.status(batchId))!
            if (stopWorking !== undefined) {
              const bar =
                options.json === true
                  ? undefined
                  : new SingleBar({
                      stream: io.stderr as NodeJS.WritableStream,
                      format:
                        'bulk [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | failed {failed}',
                      noTTYOutput: true,
                      notTTYSchedule: 5_000,
                    })
              bar?.start(status.total, status.done + status.failed, { rate: '0.0', failed: status.failed })
              while (status.remaining > 0) {
                await sleep(500)
                status = (await runs.status(batchId))!
                bar?.update(status.done + status.failed, {
                  rate: status.ratePerSecond.toFixed(1),
                  failed: status.failed,
                })
              }
              bar?.stop()
            }
            if (options.json) printJson(io, status)
            else line(io.stdout, describeStatus(status))
            return status.failed > 0 ? 1 : 0
          } finally {
            await stopWorking?.()
          }
        })
      }),
    )

  bulk
    .command('status <batch-id>')
    .description('Progress of a batch: done, failed, remaining, rate and ETA.')
    .option('--data-dir <directory>', 'a PGlite database directory instead of DATABASE_URL')
    .option('--json', 'print the status as JSON')
    .action((batchId: string, options: BulkOptions) =>
      guarded(async () => {
        const location = databaseLocation(io.env, options.dataDir)
        return withJobs(location, async (jobs) => {
          const status = await createBulkRuns({ jobs, adapters: {} }).status(batchId)
          if (status === undefined) throw new CliFailure('no batch with that id')
          if (options.json) printJson(io, status)
          else line(io.stdout, describeStatus(status))
          return 0
        })
      }),
    )
}
