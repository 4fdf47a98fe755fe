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

/** The files of this package's dist that a fresh Node process loads when importing `specifier`. */
async function ownFilesLoaded(specifier: string): Promise<string[]> {
  // A module hook (in its own thread) reports every URL Node loads back over a message port.
  const hooks = `let port
    export function initialize(data) { port = data.port }
    export async function load(url, context, nextLoad) { port.postMessage(url); return nextLoad(url, context) }`
  const code = `
    import { register } from 'node:module'
    import { MessageChannel } from 'node:worker_threads'
    const { port1, port2 } = new MessageChannel()
    const urls = []
    port1.on('message', (url) => urls.push(url))
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] })
    await import(${JSON.stringify(specifier)})
    await new Promise((resolve) => setTimeout(resolve, 50))
    port1.close()
    process.stdout.write(JSON.stringify(urls))
  `
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: packageDirectory,
  })
  const distUrl = new URL('../dist/', import.meta.url).href
  return (JSON.parse(stdout) as string[]).filter((url) => url.startsWith(distUrl))
}

describe('what importing core costs (cold start)', () => {
  it('loads each entry point as a few bundled files, not one file per source module', async () => {
    // Built by scripts/build-package.mjs: one bundle per entry plus shared chunks (and the #crypto
    // engine, and the #zod loader that loads zod on first use).
    const loaded = await ownFilesLoaded('@openkyc/core')
    expect(loaded.length).toBeGreaterThan(0)
    expect(loaded.length).toBeLessThanOrEqual(9)
    expect(loaded.some((url) => url.endsWith('/dist/index.js'))).toBe(true)
    expect(loaded.some((url) => url.endsWith('/dist/crypto/node-crypto.js'))).toBe(true)
    const withHttp = await ownFilesLoaded('@openkyc/core/http')
    expect(withHttp.length).toBeLessThanOrEqual(8)
  }, 30_000)

  it('does not load node:http, node:https or node:net until the first request on Node', async () => {
    const code = `
      const loaded = () => process.moduleLoadList.filter((name) => /^NativeModule (http|https|net|tls)$/.test(name))
      const { createHttpClient } = await import('@openkyc/core/http')
      const before = loaded()
      const http = createHttpClient({ provider: 'acme', baseUrl: 'http://127.0.0.1:9/', retry: false })
      const code = await http.request({ path: 'x' }).then(() => 'answered', (error) => error.code)
      process.stdout.write(JSON.stringify({ before, code, after: loaded() }))
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
      cwd: packageDirectory,
    })
    const {
      before,
      code: outcome,
      after,
    } = JSON.parse(stdout) as { before: string[]; code: string; after: string[] }
    expect(before).toEqual([])
    expect(outcome).toBe('provider_unavailable')
    // The request went out through node:http (port 9 refuses it); https stays unloaded for an http URL.
    expect(after).toContain('NativeModule http')
    expect(after).not.toContain('NativeModule https')
  }, 30_000)

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
