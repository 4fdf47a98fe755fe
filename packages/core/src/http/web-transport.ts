import { globalFetchTransport } from './fetch-transport.js'
import type { HttpTransport } from './transport.js'

// Every runtime but Node (Bun, Deno, Cloudflare Workers, browsers): selected by the default condition
// of the package's `#transport` import. Node's is `node-transport.ts`.

/** The transport the HTTP client uses when no `fetch` is injected: `globalThis.fetch`. */
export const defaultTransport: HttpTransport = globalFetchTransport
