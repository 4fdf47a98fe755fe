import { execFile } from 'node:child_process'
import { loadavg } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild-wasm'
import { summarize } from '../measure.js'
import type { BenchmarkResult, Figure } from '../report.js'

const run = promisify(execFile)

/** Every public entry point of the published packages. */
export const publicEntries = [
  '@openkyc/core',
  '@openkyc/core/http',
  '@openkyc/core/test',
  '@openkyc/jumio',
  '@openkyc/persona',
  '@openkyc/onfido',
  '@openkyc/testkit',
  '@openkyc/testkit/catalogue',
  '@openkyc/testkit/harness',
  '@openkyc/simulator-jumio',
  '@openkyc/simulator-persona',
] as const

/** Size of the runs. */
export type PackageCostOptions = { importRuns?: number }

const goalCoreBytes = 15 * 1024
const goalColdStartMs = 50

/** Core with one adapter, as an application starts: the cold-start rows (issue 18). */
const coldStartSets = [
  ['@openkyc/core', '@openkyc/persona'],
  ['@openkyc/core', '@openkyc/onfido'],
] as const

/** Minified and gzipped size of one entry point's bundle, with or without its dependencies. */
export async function bundledSize(entry: string, withDependencies: boolean): Promise<number> {
  const result = await build({
    entryPoints: [fileURLToPath(import.meta.resolve(entry))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    ...(withDependencies ? {} : { packages: 'external' as const }),
  })
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).byteLength
}

/** Milliseconds a fresh Node process spends importing the given specifiers (all at once, as a module graph loads). */
async function importTime(specifiers: readonly string[], cwd: string): Promise<number> {
  const imports = specifiers.map((specifier) => `import(${JSON.stringify(specifier)})`).join(', ')
  const code = `const started = performance.now(); await Promise.all([${imports}]); process.stdout.write(String(performance.now() - started))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd })
  return Number(stdout)
}

/**
 * Benchmark 6: what `@openkyc/core` costs an application at start-up and in a bundle. Import time
 * is measured in fresh processes against importing core's own dependencies (zod, ts-pattern), for
 * core alone and for core with one adapter (the cold start of a webhook endpoint or a function);
 * sizes are esbuild bundles of each public entry, minified and gzipped, without their dependencies
 * (and, for comparison, with them).
 */
export async function runPackageCost(options: PackageCostOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const importRuns = options.importRuns ?? 15
  // Core's own folder, so that its dependencies resolve for the baseline and the package for itself.
  const coreDirectory = dirname(dirname(fileURLToPath(import.meta.resolve('@openkyc/core'))))
  // The bench's own folder resolves the adapters (they are its dependencies, not core's).
  const benchDirectory = fileURLToPath(new URL('../..', import.meta.url))
  const loadBefore = loadavg()[0]!
  const coreTimes: number[] = []
  const dependencyTimes: number[] = []
  const coldStartTimes = coldStartSets.map(() => [] as number[])
  await importTime(['@openkyc/core'], coreDirectory)
  for (let index = 0; index < importRuns; index += 1) {
    // Alternating order, so drift in the machine's load hits every side alike.
    const sides = ['core', 'dependencies', ...coldStartSets.map((_set, set) => set)] as const
    for (const side of index % 2 === 0 ? sides : [...sides].reverse()) {
      if (side === 'core') coreTimes.push(await importTime(['@openkyc/core'], coreDirectory))
      else if (side === 'dependencies')
        dependencyTimes.push(await importTime(['zod', 'ts-pattern'], coreDirectory))
      else coldStartTimes[side]!.push(await importTime(coldStartSets[side]!, benchDirectory))
    }
  }
  const loadAfter = loadavg()[0]!
  const core = summarize(coreTimes).median
  const dependencies = summarize(dependencyTimes).median

  const figures: Figure[] = [
    {
      name: '@openkyc/core import time (fresh process, median)',
      value: core,
      unit: 'ms',
      baseline: dependencies,
      ratio: core / dependencies,
    },
    ...coldStartSets.map((set, index): Figure => {
      const median = summarize(coldStartTimes[index]!).median
      return {
        name: `cold start: ${set.join(' + ')} import time (fresh process, median)`,
        value: median,
        unit: 'ms',
        baseline: dependencies,
        ratio: median / dependencies,
        goal: `≤ ${goalColdStartMs} ms`,
        met: median <= goalColdStartMs,
      }
    }),
  ]
  for (const entry of publicEntries) {
    const own = await bundledSize(entry, false)
    const whole = await bundledSize(entry, true)
    figures.push({
      name: `${entry}: min+gzip, without dependencies`,
      value: own / 1024,
      unit: 'kB',
      baseline: whole / 1024,
      ratio: own / whole,
      ...(entry === '@openkyc/core' ? { goal: '≤ 15 kB', met: own <= goalCoreBytes } : {}),
    })
  }
  return {
    id: 'package-cost',
    title: 'Package cost: import time and bundle size',
    baseline:
      'import time: importing zod and ts-pattern (core’s dependencies) in a fresh process; size: the same entry bundled with its dependencies',
    figures,
    notes: [
      `${importRuns} fresh processes per side, alternating; the time is that of the dynamic import alone (Node start-up excluded). Load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after: import time is file reads and module compilation, so it scales with the machine's load; the ratio to core's dependencies holds better than the milliseconds.`,
      'Cold start: core plus one adapter, imported together as an application does; zod (95 modules, 60 of them locales, loaded by any `import ... from "zod"`) is the floor every row shares.',
      'Sizes: esbuild (esbuild-wasm) bundle of the built entry, ESM, platform node, minified, gzip level 9; 1 kB = 1,024 bytes. Node built-ins are never counted.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
