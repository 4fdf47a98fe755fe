import { execFile } from 'node:child_process'
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
  '@openkyc/testkit',
  '@openkyc/testkit/catalogue',
  '@openkyc/testkit/harness',
  '@openkyc/simulator-jumio',
  '@openkyc/simulator-persona',
] as const

/** Size of the runs. */
export type PackageCostOptions = { importRuns?: number }

const goalCoreBytes = 15 * 1024

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
 * is measured in fresh processes against importing core's own dependencies (zod, ky, ts-pattern);
 * sizes are esbuild bundles of each public entry, minified and gzipped, without their dependencies
 * (and, for comparison, with them).
 */
export async function runPackageCost(options: PackageCostOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const importRuns = options.importRuns ?? 15
  // Core's own folder, so that its dependencies resolve for the baseline and the package for itself.
  const coreDirectory = dirname(dirname(fileURLToPath(import.meta.resolve('@openkyc/core'))))
  const coreTimes: number[] = []
  const dependencyTimes: number[] = []
  await importTime(['@openkyc/core'], coreDirectory)
  for (let index = 0; index < importRuns; index += 1) {
    const order = index % 2 === 0 ? ['core', 'dependencies'] : ['dependencies', 'core']
    for (const side of order) {
      if (side === 'core') coreTimes.push(await importTime(['@openkyc/core'], coreDirectory))
      else dependencyTimes.push(await importTime(['zod', 'ky', 'ts-pattern'], coreDirectory))
    }
  }
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
      'import time: importing zod, ky and ts-pattern (core’s dependencies) in a fresh process; size: the same entry bundled with its dependencies',
    figures,
    notes: [
      `${importRuns} fresh processes per side, alternating; the time is that of the dynamic import alone (Node start-up excluded).`,
      'Sizes: esbuild (esbuild-wasm) bundle of the built entry, ESM, platform node, minified, gzip level 9; 1 kB = 1,024 bytes. Node built-ins are never counted.',
    ],
    durationSeconds: (performance.now() - started) / 1000,
  }
}
