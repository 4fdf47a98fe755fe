import { parseArgs } from 'node:util'
import { type ScenarioId, scenarioIds } from '@openkyc/testkit/catalogue'
import { isProviderName, type ProviderName, providerNames } from './provider-name.js'

/** What the command line asked for, validated. */
export type CliOptions = {
  /** The providers to run, in column order: all three unless `--provider` names one. */
  providers: readonly ProviderName[]
  /** The scenarios to run, in catalogue order: all unless `--scenario` names some. */
  scenarios: readonly ScenarioId[]
  /** Machine-readable output on stdout, nothing else there. */
  json: boolean
  /** Serve the web page after the run (and keep running until Ctrl-C). */
  web: boolean
  /** The web server's port; 0 picks any free port. */
  port: number
  /**
   * Where the demo keeps its store (webhook inbox, verification states, audit log) in PGlite, so a
   * restart keeps the history; `undefined` with `--memory` (nothing kept).
   */
  dataDirectory: string | undefined
  /** Delete the data directory before starting. */
  resetData: boolean
  /** Print usage and exit. */
  help: boolean
}

/** Where the demo keeps its data when `--data-dir` is not given, relative to the working directory. */
export const defaultDataDirectory = '.openkyc/demo-data'

/** The port the web page is served on when `--port` is not given. */
export const defaultPort = 3000

/**
 * A command line the demo cannot run: the message says what to change, in one line, and the CLI
 * prints it without a stack trace.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError'
}

/** The usage text `--help` prints. */
export const usage = `Usage: pnpm demo [options]

Runs the scenario catalogue through Jumio, Persona and Onfido (local simulators unless credentials are set),
prints a side-by-side comparison, then serves it as a web page until Ctrl-C.

Options:
  --provider <name>           run one provider only: jumio, persona or onfido (default: all three)
  --scenario <id>             run this catalogue scenario; repeat for several (default: all)
  --json                      print the comparison as JSON on stdout (and nothing else there)
  --no-web                    exit after the run instead of serving the web page
  --port <number>             port for the web page (default ${defaultPort}; 0 for any free port)
  --data-dir <path>           keep the store (webhook inbox, states, audit log) in PGlite here, so a
                              restart keeps the history (default ${defaultDataDirectory})
  --reset-data                wipe the data directory first
  --memory                    keep nothing: an in-memory store instead of the data directory
  -h, --help                  show this help

Scenarios: ${scenarioIds.join(', ')}`

/**
 * Parses the demo's command line with `node:util`'s `parseArgs` (strict: unknown flags and stray
 * arguments are errors, so a typo never silently runs the whole catalogue).
 *
 * @example
 * ```ts
 * const options = parseCliOptions(['--provider', 'persona', '--scenario', 'clean_approve', '--no-web'])
 * ```
 */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (error) {
    // parseArgs' messages are one line and name the offending flag; keep them, drop the stack.
    throw new CliUsageError(error instanceof Error ? error.message : 'invalid arguments')
  }

  const provider = values.provider
  if (provider !== undefined && !isProviderName(provider)) {
    const names = `${providerNames.slice(0, -1).join(', ')} or ${providerNames.at(-1)}`
    throw new CliUsageError(`Unknown provider "${provider}": use ${names}.`)
  }

  const requested = values.scenario ?? []
  const unknown = requested.filter((id) => !(scenarioIds as readonly string[]).includes(id))
  if (unknown.length > 0) {
    throw new CliUsageError(
      `Unknown scenario ${unknown.map((id) => `"${id}"`).join(', ')}: choose from ${scenarioIds.join(', ')}.`,
    )
  }

  let port = defaultPort
  if (values.port !== undefined) {
    port = Number(values.port)
    if (!/^\d+$/.test(values.port) || port > 65_535) {
      throw new CliUsageError(`Invalid --port "${values.port}": expected a number from 0 to 65535.`)
    }
  }

  const memory = values.memory ?? false
  if (memory && (values['data-dir'] !== undefined || values['reset-data'] === true)) {
    throw new CliUsageError('--memory keeps no data: leave out --data-dir and --reset-data, or --memory.')
  }
  const dataDirectory = values['data-dir'] ?? defaultDataDirectory
  if (dataDirectory.trim() === '') throw new CliUsageError('--data-dir needs a path.')

  return {
    providers: provider === undefined ? providerNames : [provider],
    scenarios: scenarioIds.filter((id) => requested.length === 0 || requested.includes(id)),
    json: values.json ?? false,
    web: !(values['no-web'] ?? false),
    port,
    dataDirectory: memory ? undefined : dataDirectory,
    resetData: values['reset-data'] ?? false,
    help: values.help ?? false,
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    // `pnpm demo -- --json` (the npm habit) passes the separator through; it is not a positional here.
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      provider: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'no-web': { type: 'boolean' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'reset-data': { type: 'boolean' },
      memory: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
