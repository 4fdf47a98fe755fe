import { isKycError, type KycCapabilities } from '@openkyc/core'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { CliUsageError, parseCliOptions, usage } from './cli-options.js'
import { capabilityMatrix, type ProviderInfo } from './comparison.js'
import {
  credentialRules,
  DemoConfigurationError,
  type Environment,
  resolveProviderModes,
} from './credentials.js'
import { createDemoState } from './demo-state.js'
import { type DemoStore, openDemoStore } from './demo-store.js'
import { createProgressBar } from './progress.js'
import { type ProviderName, providerTitles } from './provider-name.js'
import type { ProviderRuntime } from './provider-runtime.js'
import { startProviders } from './providers.js'
import { renderReport } from './render-table.js'
import { createRoutingView } from './routing-view.js'
import { runCatalogue } from './run-catalogue.js'
import { createDemoApp, type DemoServer, startDemoServer } from './server.js'

/** What {@link runDemo} needs from the process, injectable for tests. */
export type DemoProcess = {
  argv: readonly string[]
  env: Environment
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** Resolves when the person asks to stop (Ctrl-C); the web page is served until then. */
  untilInterrupted: () => Promise<void>
}

/** Exit codes: 0 done, 1 the environment or a provider failed, 2 a bad command line. */
export type ExitCode = 0 | 1 | 2

function line(stream: NodeJS.WritableStream, text: string) {
  stream.write(`${text}\n`)
}

/** One line for any failure: our own errors and KycErrors carry safe messages; stacks stay hidden. */
function failureLine(error: unknown): string {
  if (error instanceof CliUsageError || error instanceof DemoConfigurationError || isKycError(error)) {
    return error.message
  }
  return error instanceof Error ? error.message : 'unexpected failure'
}

function modeLine(name: ProviderName, runtime: ProviderRuntime): string {
  if (runtime.mode === 'live')
    return `${name}: using ${runtime.description} with the credentials in the environment`
  const variables = credentialRules[name].triggers.join(' and ')
  return `${name}: using the local ${runtime.description} (set ${variables} to use ${providerTitles[name]}'s API)`
}

/**
 * The demo from start to end: parse the command line, pick simulator or real API per provider, start
 * the web server (its URL is where webhooks go), run the catalogue with a progress bar, print the
 * table or JSON, then serve the page until interrupted. Returns the exit code; never throws.
 *
 * @example
 * ```ts
 * process.exitCode = await runDemo({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, untilInterrupted })
 * ```
 */
export async function runDemo(io: DemoProcess): Promise<ExitCode> {
  let options: ReturnType<typeof parseCliOptions>
  let modes: ReturnType<typeof resolveProviderModes>
  try {
    options = parseCliOptions(io.argv)
    if (options.help) {
      line(io.stdout, usage)
      return 0
    }
    modes = resolveProviderModes(options.providers, io.env)
  } catch (error) {
    // One line, whatever went wrong: the hint rides on the same line as the error.
    const message = failureLine(error)
    const hint =
      error instanceof CliUsageError ? `${/[.!?]$/.test(message) ? '' : '.'} Run with --help for usage.` : ''
    line(io.stderr, `error: ${message}${hint}`)
    return error instanceof CliUsageError ? 2 : 1
  }

  // Human notes go to stderr when stdout carries JSON.
  const notes = options.json ? io.stderr : io.stdout
  let server: DemoServer | undefined
  let runtimes: ProviderRuntime[] = []
  let demoStore: DemoStore | undefined
  try {
    // Every provider's webhook pipeline keeps its inbox, states and audit log here.
    demoStore = await openDemoStore({ dataDirectory: options.dataDirectory, reset: options.resetData })
    const { store } = demoStore

    // The server starts first: its URL is where the simulators send webhooks. Until the providers are
    // up it answers 503, which vendors (and the simulators) retry.
    let handle: (request: Request) => Response | Promise<Response> = () =>
      new Response('starting', { status: 503, headers: { 'retry-after': '1' } })
    if (options.web)
      server = await startDemoServer({ fetch: (request) => handle(request), port: options.port })

    runtimes = await startProviders({
      providers: options.providers,
      modes,
      env: io.env,
      store,
      ...(server === undefined ? {} : { webhookBaseUrl: server.url }),
    })
    for (const runtime of runtimes) line(io.stderr, modeLine(runtime.name, runtime))
    line(io.stderr, `data: ${demoStore.description}`)

    const providers: ProviderInfo[] = runtimes.map((runtime) => ({
      provider: runtime.name,
      mode: runtime.mode,
      description: runtime.description,
    }))
    const state = createDemoState({
      providers,
      capabilities: capabilityMatrix(
        runtimes.map((runtime) => ({
          provider: runtime.name,
          capabilities: runtime.client.capabilities as KycCapabilities,
        })),
      ),
    })
    const byName = new Map(runtimes.map((runtime) => [runtime.name, runtime]))
    const jumio = byName.get('jumio')
    const onfido = byName.get('onfido')
    // The routing view needs both API-channel providers, and the fault button needs Jumio's simulator.
    const routing =
      jumio?.setCreationFault !== undefined && onfido?.mode === 'simulator'
        ? createRoutingView({ jumio, onfido, store })
        : undefined
    const app = createDemoApp({
      state,
      runtime: (name) => byName.get(name),
      log: (text) => line(io.stderr, text),
      store,
      ...(routing === undefined ? {} : { routing }),
    })
    handle = (request) => app.fetch(request)

    const scenarios = options.scenarios.map(scenarioById)
    const progress = createProgressBar(io.stderr)
    progress.start(scenarios.length * runtimes.length)
    try {
      await runCatalogue({
        runtimes,
        scenarios,
        state,
        runId: Date.now().toString(36),
        onProgress: (step) => progress.update(step),
      })
    } finally {
      progress.stop()
    }

    const snapshot = state.snapshot()
    if (options.json) line(io.stdout, JSON.stringify(snapshot, null, 2))
    else line(io.stdout, renderReport(snapshot))

    if (server !== undefined) {
      line(notes, `\nWeb page: ${server.url}  (Ctrl-C to stop)`)
      await io.untilInterrupted()
    }
    return 0
  } catch (error) {
    line(io.stderr, `error: ${failureLine(error)}`)
    return 1
  } finally {
    await Promise.allSettled(runtimes.map((runtime) => runtime.close()))
    await server?.close()
    await demoStore?.close()
  }
}
