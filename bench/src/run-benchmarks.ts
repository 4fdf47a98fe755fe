/**
 * `pnpm bench`: runs every benchmark (or the ones named on the command line), prints a table and
 * writes `results.json` next to `package.json`. Benchmarks report; they never fail on a number.
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
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

async function main(): Promise<void> {
  // `pnpm bench -- ids` passes the `--` through; it is not a benchmark name.
  const requested = process.argv.slice(2).filter((argument) => argument !== '--')
  const unknown = requested.filter((name) => !(name in benchmarks))
  if (unknown.length > 0) {
    throw new Error(
      `Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}.`,
    )
  }
  const run: BenchmarkRun = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    benchmarks: [],
  }
  for (const [name, benchmark] of Object.entries(benchmarks)) {
    if (requested.length > 0 && !requested.includes(name)) continue
    process.stderr.write(`running ${name}…\n`)
    const result = await benchmark()
    process.stderr.write(`  ${name}: ${result.durationSeconds.toFixed(1)} s\n`)
    run.benchmarks.push(result)
  }
  console.log(formatTable(run))
  for (const benchmark of run.benchmarks) {
    console.log(`\n${benchmark.id}: ${benchmark.title}\n  baseline: ${benchmark.baseline}`)
    for (const note of benchmark.notes) console.log(`  - ${note}`)
  }
  const target = fileURLToPath(new URL('../results.json', import.meta.url))
  writeFileSync(target, `${JSON.stringify(run, null, 2)}\n`)
  console.log(`\nwrote ${target}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
