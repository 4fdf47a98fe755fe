import { handleRuntimeRequest } from './runtime-app.js'

/**
 * Serves the runtime app on 127.0.0.1, on a port the system picks, with the runtime's own server:
 * `Bun.serve` on Bun, `Deno.serve` on Deno, `node:http` on Node. Prints `{"listening":PORT}` once
 * ready; the test reads that line, drives the app, then kills the process.
 */
type BunGlobal = {
  serve(options: { hostname: string; port: number; fetch: typeof handleRuntimeRequest }): { port: number }
}
type DenoGlobal = {
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: typeof handleRuntimeRequest,
  ): unknown
}

const announce = (port: number) => console.log(JSON.stringify({ listening: port }))
const host = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal }

if (host.Bun !== undefined) {
  announce(host.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handleRuntimeRequest }).port)
} else if (host.Deno !== undefined) {
  host.Deno.serve(
    { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => announce(port) },
    handleRuntimeRequest,
  )
} else {
  const { serveOnNode } = await import('./node-host.js')
  announce(await serveOnNode(handleRuntimeRequest))
}
