import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createPersonaSimulator } from '@openkyc/simulator-persona'
import type { BenchmarkResult } from '../report.js'

const run = promisify(execFile)

/** Size of the import. */
export type BulkImportOptions = { rows?: number }

type ChildResult = {
  rows: number
  bytes: number
  milliseconds: number
  rssStart: number
  peakRss: number
  retainedHeap: number
  status?: string
  successful?: number
  errors?: number
  importers?: number
}

async function runChild(mode: 'baseline' | 'adapter', rows: number, apiBase: string): Promise<ChildResult> {
  const child = fileURLToPath(new URL('./bulk-import-child.js', import.meta.url))
  const { stdout } = await run(process.execPath, ['--expose-gc', child, mode, String(rows), apiBase], {
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult
}

const megabyte = 1024 * 1024

/**
 * Benchmark 5: a 1,000,000-row list CSV, generated as a stream, imported through the Persona
 * adapter. The adapter runs in a child process of its own (so its RSS is not the simulator's): peak
 * RSS growth over the process's starting RSS, and rows per second. The baseline child generates and
 * reads the same stream without importing it.
 */
export async function runBulkImport(options: BulkImportOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now()
  const rows = options.rows ?? 1_000_000
  const simulator = createPersonaSimulator({
    rateLimit: { limit: 1_000_000_000 },
    inquiryCreationQuota: false,
    webhook: { enabledEvents: [] },
  })
  const server = await simulator.listen()
  try {
    const baseline = await runChild('baseline', rows, `${server.url}/api/v1`)
    const adapter = await runChild('adapter', rows, `${server.url}/api/v1`)
    const growth = (adapter.peakRss - adapter.rssStart) / megabyte
    const baselineGrowth = (baseline.peakRss - baseline.rssStart) / megabyte
    const rate = adapter.rows / (adapter.milliseconds / 1000)
    const baselineRate = baseline.rows / (baseline.milliseconds / 1000)
    return {
      id: 'bulk-import',
      title: `Bulk import: a ${rows.toLocaleString('en-US')}-row list CSV streamed through the Persona adapter`,
      baseline: 'a child process that generates and reads the same CSV stream without importing it',
      figures: [
        {
          name: 'peak RSS growth of the importing process',
          value: growth,
          unit: 'MB',
          baseline: baselineGrowth,
          goal: '≤ 64 MB',
          met: growth <= 64,
        },
        {
          name: 'heap still held after the import and a forced GC',
          value: adapter.retainedHeap / megabyte,
          unit: 'MB',
          baseline: baseline.retainedHeap / megabyte,
        },
        {
          name: 'rows imported per second',
          value: rate,
          unit: 'rows/s',
          baseline: baselineRate,
          ratio: rate / baselineRate,
        },
        {
          name: 'rows accepted by the simulator',
          value: adapter.successful ?? 0,
          unit: 'rows',
          baseline: rows,
          ratio: (adapter.successful ?? 0) / rows,
          goal: `= ${rows.toLocaleString('en-US')}`,
          met: adapter.successful === rows,
        },
      ],
      notes: [
        `The simulator listens on ${server.url.replace(/:\d+$/, ':PORT')} in the parent process and keeps the imported values; the adapter's process holds only the stream, one chunk and the requests in flight.`,
        `${adapter.importers ?? 0} importer requests (${(adapter.bytes / megabyte).toFixed(1)} MB of CSV before base64), status ${adapter.status ?? 'unknown'}, ${adapter.errors ?? 0} row errors.`,
        'Peak RSS is the child’s high-water mark (process.resourceUsage().maxRSS) minus its RSS after start-up, imports and a forced GC, with V8’s default heap settings; the retained-heap row shows whether anything accumulates.',
        'Rows per second include the simulator’s own work in the parent process (parsing each importer file) and the completion polls (pollIntervalMs 25); the baseline only generates the stream.',
      ],
      durationSeconds: (performance.now() - started) / 1000,
    }
  } finally {
    await server.close()
  }
}
