import { bundleForWeb, webEntries } from '@openkyc/runtime-tests/web-bundle'
import type { BenchmarkResult, Figure } from '../report.js'

const kilobytes = (bytes: number) => bytes / 1024

/**
 * The pure web bundle of core and each adapter (esbuild, `platform: 'browser'`, every dependency
 * included, minified, gzip level 9), against the same entry bundled for Node in the same run: what
 * running on Web-standard APIs costs in bytes. `pnpm test` fails if a web bundle needs any Node built-in.
 */
export async function runWebBundle(): Promise<BenchmarkResult> {
  const started = performance.now()
  const figures: Figure[] = []
  const notes: string[] = []
  for (const entry of webEntries) {
    const web = await bundleForWeb({ entry, platform: 'browser' })
    const node = await bundleForWeb({ entry, platform: 'node' })
    figures.push({
      name: `${entry} web bundle (browser, minified + gzip)`,
      value: kilobytes(web.gzipBytes),
      unit: 'kB',
      baseline: kilobytes(node.gzipBytes),
      ratio: web.gzipBytes / node.gzipBytes,
    })
    notes.push(
      `${entry}: ${kilobytes(web.bytes).toFixed(1)} kB minified for the browser, ${kilobytes(node.bytes).toFixed(1)} kB for Node; Node built-ins in the web bundle: ${web.nodeBuiltins.length}.`,
    )
  }
  notes.push(
    'Every export of the entry is kept (an application that imports less gets less after tree-shaking); zod is most of each bundle.',
  )
  return {
    id: 'web-bundle',
    title: 'Pure web bundle: core and each adapter bundled for the browser, no Node built-ins',
    baseline: 'the same entry bundled for Node (platform node, node condition on) in the same run',
    figures,
    notes,
    durationSeconds: (performance.now() - started) / 1000,
  }
}
