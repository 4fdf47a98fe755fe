import { readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { isKycError, type KycEvent, type KycStore, toWebhookResponse } from '@openkyc/core'
import { scenarios as catalogue, type Scenario, type ScenarioId } from '@openkyc/testkit/catalogue'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { readAuditTimelines } from './audit-timeline.js'
import type { DemoState } from './demo-state.js'
import { isProviderName, type ProviderName } from './provider-name.js'
import type { ProviderRuntime } from './provider-runtime.js'
import type { RoutingView } from './routing-view.js'
import { createOptionsFor, describeFailure, timed } from './run-catalogue.js'

/** Options for {@link createDemoApp}. */
export type DemoAppOptions = {
  state: DemoState
  /**
   * The providers by name. A function, because the simulators are started after the server (their
   * webhooks need its URL).
   */
  runtime: (provider: ProviderName) => ProviderRuntime | undefined
  /** The scenarios the page offers for a new verification. Default: the whole catalogue. */
  scenarios?: readonly Scenario[]
  /** Receives one line per rejected webhook or failed refresh; ids and error codes only. */
  log?: (line: string) => void
  /** Interval between SSE keep-alive comments. Default 15 s. */
  keepAliveMs?: number
  /** The store the providers' webhook pipelines write to; its audit log feeds `GET /api/audit`. */
  store?: KycStore<unknown>
  /** The routing view (`/api/routing`), when Jumio and Onfido run on simulators. */
  routing?: RoutingView
}

/** The page's static files, by URL path. Nothing else is read from disk. */
const assets: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers and tools that ignore the page's icon link still ask for this path.
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
}

/** Where the page's files live: `public/` beside `src/` and `dist/`. */
const publicDirectory = new URL('../public/', import.meta.url)

const donePage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Submitted</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/style.css"></head><body class="done"><h1>Submitted</h1>
<p id="done-message">The hosted flow is finished. The row on the demo page updates as soon as the provider's webhook arrives.</p></body></html>`

/**
 * The demo's web server as a Hono app: the page and its assets, the state as JSON, a server-sent
 * event stream of changes, "new verification" (creates one at a provider and returns its hosted-flow
 * URL), and one webhook endpoint per provider. Webhooks go through core's pipeline
 * (`client.webhooks.handle`: Persona's signature is checked, Jumio's unsigned callback is confirmed by
 * reading the execution back), and for each event that changed something, inside its store
 * transaction, the row is refreshed with a full read and pushed to every page.
 *
 * @example
 * ```ts
 * const app = createDemoApp({ state, runtime: (name) => runtimes.get(name) })
 * const server = await startDemoServer({ fetch: app.fetch, port: 0 })
 * ```
 */
export function createDemoApp(options: DemoAppOptions): Hono {
  const { state } = options
  const offered = options.scenarios ?? catalogue
  const log = options.log ?? (() => undefined)
  const keepAliveMs = options.keepAliveMs ?? 15_000
  let newRows = 0
  const app = new Hono()

  app.get('/api/state', (c) => c.json(state.snapshot()))

  app.get('/api/audit', async (c) => {
    if (options.store === undefined) return c.json({ error: 'no store' }, 404)
    return c.json(await readAuditTimelines(options.store.audit))
  })

  app.get('/api/routing', async (c) => {
    if (options.routing === undefined) return c.json({ error: 'routing view not available' }, 404)
    return c.json(await options.routing.snapshot())
  })

  app.post('/api/routing/run', async (c) => {
    if (options.routing === undefined) return c.json({ error: 'routing view not available' }, 404)
    await options.routing.run(offered)
    return c.json(await options.routing.snapshot())
  })

  app.post('/api/routing/fault', async (c) => {
    if (options.routing === undefined) return c.json({ error: 'routing view not available' }, 404)
    const body: unknown = await c.req.json().catch(() => undefined)
    const injected = typeof body === 'object' && body !== null && (body as { injected?: unknown }).injected
    if (typeof injected !== 'boolean') return c.json({ error: 'expected { injected: boolean }' }, 400)
    options.routing.setFault(injected)
    return c.json(await options.routing.snapshot())
  })

  app.get('/api/scenarios', (c) =>
    c.json(offered.map((scenario) => ({ id: scenario.id, title: scenario.title, kind: scenario.kind }))),
  )

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve))
      const send = (event: string, data: unknown) =>
        stream.writeSSE({ event, data: JSON.stringify(data) }).catch(() => undefined)
      // Subscribe before the snapshot, so no change can fall between the two.
      const unsubscribe = state.subscribe((change) => void send('change', change))
      void send('snapshot', state.snapshot())
      const keepAlive = setInterval(
        () => void stream.write(': keep-alive\n\n').catch(() => undefined),
        keepAliveMs,
      )
      await closed
      clearInterval(keepAlive)
      unsubscribe()
    }),
  )

  app.post('/api/verifications', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { provider, scenario: scenarioId } = (
      typeof body === 'object' && body !== null ? body : {}
    ) as Record<string, unknown>
    const runtime = isProviderName(provider) ? options.runtime(provider) : undefined
    if (runtime === undefined) return c.json({ error: 'unknown provider' }, 400)
    const scenario = offered.find((candidate) => candidate.id === (scenarioId as ScenarioId))
    if (scenario === undefined) return c.json({ error: 'unknown scenario' }, 400)

    newRows += 1
    const rowId = `new:${newRows}`
    state.addRow({ id: rowId, source: 'new', scenario })
    const redirectUrl = new URL(`/done?row=${encodeURIComponent(rowId)}`, c.req.url).toString()
    try {
      const options = {
        ...createOptionsFor(scenario, `demo-page-${newRows}-${Date.now().toString(36)}`, redirectUrl),
        ...runtime.hostedFlowOptions?.(scenario),
      }
      const creation = await timed(() => runtime.client.createVerification(options))
      const { verification } = creation.value
      state.track(runtime.name, verification.id, rowId)
      state.record(rowId, runtime.name, { verification, timings: { createMs: creation.ms, readMs: 0 } })
      const url = verification.session?.url
      if (url === undefined) return c.json({ rowId, error: 'the provider returned no hosted-flow URL' }, 502)
      return c.json({ rowId, url })
    } catch (error) {
      const message = describeFailure(error)
      state.record(rowId, runtime.name, { error: message })
      return c.json({ rowId, error: message }, 502)
    }
  })

  app.get('/done', (c) => c.html(donePage))

  /** Reads the full verification (events carry no identity data) and updates its row. */
  const refresh = async (runtime: ProviderRuntime, event: KycEvent) => {
    const carried = event.verification
    if (carried === undefined) return
    const rowId = state.rowFor(runtime.name, carried.id)
    if (rowId === undefined) return
    state.record(rowId, runtime.name, { verification: { ...carried } })
    try {
      const read = await timed(() => runtime.client.getVerification({ reference: carried.reference }))
      state.record(rowId, runtime.name, { verification: read.value, timings: { readMs: read.ms } })
    } catch (error) {
      log(`${runtime.name}: reading ${carried.id} after a webhook failed: ${describeFailure(error)}`)
    }
  }

  app.post('/webhooks/:provider', async (c) => {
    const name = c.req.param('provider')
    const runtime = isProviderName(name) ? options.runtime(name) : undefined
    if (runtime === undefined) return c.json({ error: 'unknown provider' }, 404)
    try {
      const outcome = await runtime.client.webhooks.handle(c.req.raw, {
        // Inside each event's store transaction: the row is refreshed exactly once per change.
        onEvent: async (processed) => {
          if (processed.changed) await refresh(runtime, processed.event)
        },
      })
      return toWebhookResponse(outcome)
    } catch (error) {
      log(`${runtime.name}: webhook rejected (${isKycError(error) ? error.code : 'unexpected error'})`)
      return toWebhookResponse(error)
    }
  })

  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, async (c) => {
      const content = await readFile(new URL(asset.file, publicDirectory), 'utf8')
      return c.body(content, 200, { 'content-type': asset.type, 'cache-control': 'no-store' })
    })
  }

  return app
}

/** A running demo server. */
export type DemoServer = {
  /** `http://127.0.0.1:PORT` */
  url: string
  port: number
  close(): Promise<void>
}

/** Options for {@link startDemoServer}. */
export type StartDemoServerOptions = {
  /** Answers every request: a Hono app's `fetch`, or a function forwarding to one. */
  fetch: (request: Request) => Response | Promise<Response>
  /** 0 picks any free port. */
  port: number
  /** Default `127.0.0.1`: the demo is for this machine only. */
  hostname?: string
}

/**
 * Serves the app on a loopback port. Rejects with a one-line error when the port is taken. `close()`
 * also ends open event streams, which would otherwise keep the server alive.
 *
 * @example
 * ```ts
 * const server = await startDemoServer({ fetch: app.fetch, port: 0 })
 * console.log(server.url)
 * await server.close()
 * ```
 */
export function startDemoServer(options: StartDemoServerOptions): Promise<DemoServer> {
  const hostname = options.hostname ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: options.fetch, port: options.port, hostname }) as Server
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${options.port} is already in use: pass --port <number>, or --port 0 for any free port.`
            : `The web server could not start (${error.code ?? error.name}).`,
        ),
      )
    })
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://${hostname}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
