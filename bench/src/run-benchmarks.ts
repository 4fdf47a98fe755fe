/**
 * `pnpm bench`: runs every benchmark (or the ones named on the command line), each in a fresh Node
 * process of its own started with this process's flags (such as `--expose-gc`), so no row runs
 * with another row's heap, compiled code, timers or sockets; then prints one table. A full run
 * writes `results.json` next to `package.json`; a run of named rows only prints, unless
 * `--out <file>` names where to write. Benchmarks report; they never fail on a number.
 */
import { fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runAdapterOverhead } from './benchmarks/adapter-overhead.js'
import { runBulkImport } from './benchmarks/bulk-import.js'
import { runBulkRuns } from './benchmarks/bulk-runs.js'
import { runOnfidoPeer } from './benchmarks/onfido-peer.js'
import { runPackageCost } from './benchmarks/package-cost.js'
import { runPersistedWebhooks } from './benchmarks/persisted-webhooks.js'
import { runRateLimit } from './benchmarks/rate-limit.js'
import { runReconcilerThroughput } from './benchmarks/reconciler-throughput.js'
import { runRoutingOverhead } from './benchmarks/routing-overhead.js'
import { runTokenEconomy } from './benchmarks/token-economy.js'
import { runWebBundle } from './benchmarks/web-bundle.js'
import { runWebhookIngest } from './benchmarks/webhook-ingest.js'
import { type BenchmarkResult, type BenchmarkRun, formatTable } from './report.js'

const benchmarks: Record<string, () => Promise<BenchmarkResult>> = {
  'adapter-overhead': () => runAdapterOverhead(),
  'webhook-ingest': () => runWebhookIngest(),
  'token-economy': () => runTokenEconomy(),
  'rate-limit': () => runRateLimit(),
  'bulk-import': () => runBulkImport(),
  'package-cost': () => runPackageCost(),
  'persisted-webhooks': () => runPersistedWebhooks(),
  'onfido-peer': () => runOnfidoPeer(),
  'routing-overhead': () => runRoutingOverhead(),
  'web-bundle': () => runWebBundle(),
  'bulk-runs': () => runBulkRuns(),
  'reconciler-throughput': () => runReconcilerThroughput(),
}

/**
 * V8 flags a row's own process gets besides this process's. `routing-overhead` counts CPU time with
 * `process.cpuUsage` (every thread): with the collector on the main thread, its work is counted in
 * full and its helper threads' scheduling adds no noise (Node 20 has no per-thread CPU clock).
 */
const rowFlags: Record<string, readonly string[]> = { 'routing-overhead': ['--single-threaded-gc'] }

/** The option a row's own process is started with, naming the row. */
const rowFlag = '--row'

/** What the command line asks for: rows (none: all of them), where to write the results, or one row to run here. */
function parseArguments(argumentList: readonly string[]): {
  requested: string[]
  out?: string
  row?: string
} {
  // `pnpm bench -- ids` passes the `--` through; it is not a benchmark name, nor the end of the options.
  const { values, positionals } = parseArgs({
    args: argumentList.filter((argument) => argument !== '--'),
    allowPositionals: true,
    options: { out: { type: 'string' }, row: { type: 'string' } },
  })
  const requested = positionals
  const unknown = requested.filter((name) => !(name in benchmarks))
  if (unknown.length > 0) {
    throw new Error(
      `Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}.`,
    )
  }
  return {
    requested,
    ...(values.out === undefined ? {} : { out: values.out }),
    ...(values.row === undefined ? {} : { row: values.row }),
  }
}

/** Runs one row in this process and sends its result to the parent. */
async function runRow(name: string): Promise<void> {
  const benchmark = benchmarks[name]
  if (benchmark === undefined) throw new Error(`Unknown benchmark: ${name}.`)
  const result = await benchmark()
  await new Promise<void>((done, fail) => {
    process.send!(result, (error: Error | null) => (error ? fail(error) : done()))
  })
  process.disconnect()
}

/** Runs one row in a fresh Node process with this process's flags (and its own, if any) and returns its result. */
function runRowInOwnProcess(name: string): Promise<BenchmarkResult> {
  return new Promise((done, fail) => {
    const child = fork(fileURLToPath(import.meta.url), [rowFlag, name], {
      execArgv: [...process.execArgv, ...(rowFlags[name] ?? [])],
      stdio: 'inherit',
    })
    let result: BenchmarkResult | undefined
    child.on('message', (message) => {
      result = message as BenchmarkResult
    })
    child.on('error', fail)
    child.on('exit', (code, signal) => {
      if (result !== undefined && code === 0) done(result)
      else
        fail(new Error(`Benchmark ${name} failed (exit code ${code ?? 'none'}, signal ${signal ?? 'none'}).`))
    })
  })
}

async function main(): Promise<void> {
  const { requested, out, row } = parseArguments(process.argv.slice(2))
  if (row !== undefined) return runRow(row)
  const run: BenchmarkRun = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    benchmarks: [],
  }
  for (const name of Object.keys(benchmarks)) {
    if (requested.length > 0 && !requested.includes(name)) continue
    process.stderr.write(`running ${name} (own process)…\n`)
    const result = await runRowInOwnProcess(name)
    process.stderr.write(`  ${name}: ${result.durationSeconds.toFixed(1)} s\n`)
    run.benchmarks.push(result)
  }
  console.log(formatTable(run))
  for (const benchmark of run.benchmarks) {
    console.log(`\n${benchmark.id}: ${benchmark.title}\n  baseline: ${benchmark.baseline}`)
    for (const note of benchmark.notes) console.log(`  - ${note}`)
  }
  const target =
    out === undefined
      ? requested.length === 0
        ? fileURLToPath(new URL('../results.json', import.meta.url))
        : undefined
      : resolve(out)
  if (target === undefined) {
    console.log('\nnot written: a run of named rows writes only with --out <file>')
    return
  }
  writeFileSync(target, `${JSON.stringify(run, null, 2)}\n`)
  console.log(`\nwrote ${target}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
  // A row's process would otherwise stay alive on its channel to the parent.
  if (process.connected) process.disconnect()
})
