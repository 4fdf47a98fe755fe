/**
 * The measured half of the bulk-import benchmark, run in its own process (`node --expose-gc`) so
 * that its peak RSS is the importer's alone: `baseline` only generates and reads the CSV stream,
 * `adapter` imports the same stream through `@openkyc/persona` into a simulator served by the parent.
 * Prints one JSON line: rows, milliseconds, RSS at the start and the process's peak RSS.
 */
import { createPersona } from '@openkyc/persona'
import { generateCsvRows } from '@openkyc/testkit/harness'
import { personaTestCredentials } from '../providers.js'

const [mode, rowsArgument, apiBase] = process.argv.slice(2)
const rows = Number(rowsArgument)
const makeRow = (index: number) => [`blocked-${index}@example.test`]
const header = ['value']

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
}

async function main(): Promise<void> {
  let result: Record<string, unknown>
  // Everything this phase needs is loaded before the starting RSS is read.
  const persona =
    mode === 'adapter'
      ? createPersona({
          apiKey: personaTestCredentials.apiKey,
          templateId: personaTestCredentials.templateId,
          baseUrl: apiBase,
          env: {},
          rateLimit: false,
        })
      : undefined
  const list =
    persona === undefined
      ? undefined
      : await persona.lists.create({ kind: 'email_address', name: 'bulk import' })
  collectGarbage()
  const rssStart = process.memoryUsage.rss()
  const heapStart = process.memoryUsage().heapUsed
  const started = performance.now()
  if (persona === undefined || list === undefined) {
    let bytes = 0
    let lines = 0
    for await (const chunk of generateCsvRows(rows, makeRow, { header })) {
      bytes += chunk.length
      for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) lines += 1
    }
    result = { rows: lines - 1, bytes }
  } else {
    const imported = await persona.lists.importCsv({
      listId: list.id,
      kind: 'email_address',
      csv: generateCsvRows(rows, makeRow, { header }),
      // The simulator finishes an importer within milliseconds of receiving it; poll at that pace.
      pollIntervalMs: 25,
    })
    result = {
      rows: imported.rowsSent,
      bytes: imported.bytesSent,
      status: imported.status,
      successful: imported.successfulCount,
      errors: imported.errorCount,
      importers: imported.importers.length,
    }
  }
  const milliseconds = performance.now() - started
  const peakRss = process.resourceUsage().maxRSS * 1024
  collectGarbage()
  const retainedHeap = process.memoryUsage().heapUsed - heapStart
  process.stdout.write(`${JSON.stringify({ ...result, milliseconds, rssStart, peakRss, retainedHeap })}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bulk import child failed: ${error instanceof Error ? error.message : 'unknown error'}\n`,
  )
  process.exit(1)
})
