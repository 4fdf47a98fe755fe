import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type * as zodModule from 'zod'

// Node's loader only (Node, Bun, Deno): selected by the `node` condition of `#zod` and of
// `@openkyc/core/zod`. Bundlers take `web-zod.ts` instead (see package.json: the bundler
// conditions come first), because this file needs zod in `node_modules` at run time.

type ZodNamespace = typeof zodModule.z

let loaded: ZodNamespace | undefined

/**
 * zod, loaded synchronously on the first call. zod's ES module entry is required (`require(esm)`,
 * Node ≥ 20.19 and ≥ 22.12), which gives the very module instance an application's own
 * `import 'zod'` gets: one zod, one registry, one global configuration. Where `require(esm)` is not
 * available (older Node, or `--no-experimental-require-module`) zod's CommonJS build is loaded
 * instead: a second copy of zod beside an application's ES one, which zod 4 supports (its
 * `instanceof` checks go by traits, and its global configuration lives on `globalThis`).
 */
function loadZod(): ZodNamespace {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url)
    let module: typeof zodModule
    try {
      module = require(fileURLToPath(import.meta.resolve('zod'))) as typeof zodModule
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code
      if (code === 'ERR_MODULE_NOT_FOUND') throw zodNotFound(error)
      if (code !== 'ERR_REQUIRE_ESM') throw error
      module = require('zod') as typeof zodModule
    }
    loaded = module.z
  }
  return loaded
}

/** zod is not installed beside the code: most likely a bundle built with the `node` condition. */
function zodNotFound(cause: unknown): Error {
  return new Error(
    "@openkyc/core could not load zod: it is not installed beside this code. A bundle that runs without node_modules must contain zod: bundle with the bundler's `module` condition on (esbuild sets it unless `conditions` is given: add 'module' to it).",
    { cause },
  )
}

/**
 * zod's `z` namespace, loaded on first use: importing this module loads nothing, and the first
 * property read (`z.object`, `z.ZodError`, …) loads zod once. Importing zod costs more than the
 * rest of the library together on Node (about 80–110 ms of a cold start on a small machine), and an
 * application that only ever reads webhooks, or starts a function to answer one request, should
 * not pay for it before it validates something. Schemas are therefore built inside `lazy` and
 * `lazySchema` builders, never at module level.
 */
export const z: ZodNamespace = new Proxy(Object.create(null) as ZodNamespace, {
  get: (_target, key) => Reflect.get(loadZod(), key),
  has: (_target, key) => Reflect.has(loadZod(), key),
})
