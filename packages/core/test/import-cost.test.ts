import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))

/** The modules a fresh Node process has loaded after importing `specifier` (CommonJS cache and ESM graph). */
async function loadedAfterImport(specifier: string): Promise<string[]> {
  const code = `
    import { createRequire } from 'node:module'
    await import(${JSON.stringify(specifier)})
    const require = createRequire(import.meta.url)
    process.stdout.write(JSON.stringify(Object.keys(require.cache)))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageDirectory,
  })
  return JSON.parse(stdout) as string[]
}

describe('what importing core costs (cold start)', () => {
  it('does not load the OpenTelemetry API until a span is started', async () => {
    const loaded = await loadedAfterImport('@openkyc/core')
    expect(loaded.some((path) => path.includes('@opentelemetry'))).toBe(false)
    const loadedWithHttp = await loadedAfterImport('@openkyc/core/http')
    expect(loadedWithHttp.some((path) => path.includes('@opentelemetry'))).toBe(false)
  }, 30_000)

  it('still records the first span when the SDK was registered before that call', async () => {
    const code = `
      import { trace } from '@opentelemetry/api'
      import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
      import { createHttpClient } from '@openkyc/core/http'
      const exporter = new InMemorySpanExporter()
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
      const http = createHttpClient({
        provider: 'acme',
        baseUrl: 'https://api.acme.test/',
        fetch: async () => Response.json({ ok: true }),
      })
      await http.request({ path: 'inquiries' })
      process.stdout.write(JSON.stringify(exporter.getFinishedSpans().map((span) => span.name)))
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDirectory,
    })
    expect(JSON.parse(stdout)).toEqual(['GET inquiries'])
  }, 30_000)
})
