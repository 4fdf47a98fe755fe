import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { isKycError, type KycAdapter, providerEnvironmentVariable } from '@openkyc/core'
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { CsvError, parse } from 'csv-parse'
import type { Environment } from '../doctor/doctor-check.js'
import { doctorProviders } from '../doctor/doctor-providers.js'
import { type CliIo, line, printJson } from '../output.js'
import { guarded } from '../store/command-support.js'
import { CliFailure } from '../store/open-cli-database.js'

/**
 * Reads the whole file once through a CSV parser, streamed, before anything is sent: a malformed
 * file (unbalanced quotes, a row with more or fewer cells than the header) is refused whole, with its
 * line number and the parser's error code (never the cell's content). Resolves to the data rows.
 */
export async function countCsvRows(file: string): Promise<number> {
  const parser = parse({ skip_empty_lines: true, bom: true })
  // pipe() does not pass a read error on: a missing file must end the loop below, not the process.
  createReadStream(file)
    .on('error', (error) => parser.destroy(error))
    .pipe(parser)
  let rows = -1
  try {
    for await (const _record of parser) rows += 1
  } catch (error) {
    if (error instanceof CsvError) {
      const at = (error as CsvError & { lines?: number }).lines
      throw new CliFailure(
        `${file} is not valid CSV${at === undefined ? '' : ` at line ${at}`} (${error.code})`,
      )
    }
    const code = (error as { code?: unknown }).code
    throw new CliFailure(`${file} cannot be read (${typeof code === 'string' ? code : 'unknown error'})`)
  }
  if (rows < 1) throw new CliFailure(`${file} has no data rows under its header row`)
  return rows
}

async function listAdapter(env: Environment, requested: string | undefined): Promise<KycAdapter> {
  const name = requested ?? env[providerEnvironmentVariable]?.trim() ?? 'persona'
  const provider = doctorProviders.find((candidate) => candidate.name === name)
  if (provider === undefined) throw new CliFailure(`unknown provider ${name}`)
  const adapter = provider.create(await import(provider.packageName), env, globalThis.fetch)
  if (!adapter.capabilities.lists || adapter.importListItems === undefined) {
    throw new CliFailure(`${name} keeps no lists openkyc can import into (Persona does: --provider persona)`)
  }
  return adapter
}

/** Registers `lists import`. */
export function registerListsCommands(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('lists')
    .description("the provider's lists (Persona: block and allow lists matched during verifications)")
    .command('import')
    .description(
      "import a CSV file into a list, streamed, with progress (rows/s, ETA); the columns are those of the list's kind (Persona: value, name_first/name_last, id_number/id_class…)",
    )
    .argument('<list-id>', "the list's id (Persona: lst_…)")
    .argument('<file>', 'a CSV file with a header row')
    .option('--provider <name>', 'the provider keeping the list (default KYC_PROVIDER, else persona)')
    .option('--json', 'print the result as JSON')
    .action((listId: string, file: string, options: { provider?: string; json?: boolean }) =>
      guarded(io, setExitCode, async () => {
        const rows = await countCsvRows(file)
        const adapter = await listAdapter(io.env, options.provider)
        const startedAt = Date.now()
        const stderr = io.stderr as CliIo['stderr'] & { isTTY?: boolean }
        const bar = new SingleBar({
          stream: stderr as NodeJS.WritableStream,
          format: 'importing {bar} {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}',
          noTTYOutput: false,
          hideCursor: true,
        })
        if (stderr.isTTY === true) bar.start(rows, 0, { speed: '0' })
        let result: Awaited<ReturnType<NonNullable<KycAdapter['importListItems']>>>
        try {
          result = await (adapter.importListItems as NonNullable<KycAdapter['importListItems']>)({
            listId,
            csv: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
            onProgress: ({ rowsSent }) => {
              const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001)
              bar.update(Math.min(rowsSent, rows), { speed: (rowsSent / seconds).toFixed(0) })
            },
          })
        } catch (error) {
          if (isKycError(error)) throw error
          throw new CliFailure(`the import failed (${error instanceof Error ? error.name : 'unknown error'})`)
        } finally {
          bar.stop()
        }
        const seconds = (Date.now() - startedAt) / 1000
        const summary = {
          listId,
          rows,
          ...result,
          seconds,
          rowsPerSecond: Math.round(rows / Math.max(seconds, 0.001)),
        }
        if (options.json) printJson(io, summary)
        else {
          line(
            io.stdout,
            `Imported ${rows} row${rows === 1 ? '' : 's'} into ${listId}: ${result.successfulCount} added, ${result.duplicateCount} duplicates, ${result.errorCount} errors (${result.status}) in ${seconds.toFixed(1)} s, ${summary.rowsPerSecond} rows/s.`,
          )
        }
        return result.status === 'ready' && result.errorCount === 0 ? 0 : 1
      }),
    )
}
