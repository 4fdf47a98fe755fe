import { isBuiltin } from 'node:module'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild-wasm'

/** The packages an application bundles for a browser, a Worker or any other non-Node runtime. */
export const webEntries = ['@openkyc/core', '@openkyc/jumio', '@openkyc/persona', '@openkyc/onfido'] as const

/** Options for {@link bundleForWeb}. */
export type BundleForWebOptions = {
  /** A package name (resolved from this package) or an absolute file path. */
  entry: string
  /**
   * `browser` (browsers, Workers) or `neutral` (no platform assumed). Default `browser`. `node` builds
   * what a Node application bundles (the `node` condition on, built-ins left out): the size baseline.
   */
  platform?: 'browser' | 'neutral' | 'node'
  /** Extra resolve conditions (`workerd`, `worker`). */
  conditions?: string[]
  /** Write the bundle here instead of returning it only. */
  outfile?: string
}

/** A bundle and what it imports from Node. */
export type WebBundle = {
  /** The bundle's JavaScript (ESM, minified). */
  code: string
  /** Minified size in bytes. */
  bytes: number
  /** Minified and gzipped (level 9) size in bytes. */
  gzipBytes: number
  /** Every Node built-in the bundle would need (`node:crypto`, `stream`, …), with the file importing it. */
  nodeBuiltins: { module: string; importer: string }[]
}

/** Records Node built-ins instead of failing on the first one, so the check names them all. */
function nodeBuiltinRecorder(found: WebBundle['nodeBuiltins']): Plugin {
  return {
    name: 'record-node-builtins',
    setup(context) {
      context.onResolve({ filter: /.*/ }, (args) => {
        if (context.initialOptions.platform === 'node' || !isBuiltin(args.path)) return undefined
        found.push({ module: args.path, importer: args.importer })
        return { path: args.path, external: true }
      })
    },
  }
}

/**
 * Bundles one entry with esbuild (esbuild-wasm: no native binary) for a non-Node platform, as an
 * application's bundler would: ESM, minified, every dependency included, `node` condition off.
 *
 * @example
 * ```ts
 * const bundle = await bundleForWeb({ entry: '@openkyc/persona' })
 * bundle.nodeBuiltins // [] when the package is Web-standard
 * ```
 */
export async function bundleForWeb(options: BundleForWebOptions): Promise<WebBundle> {
  const nodeBuiltins: WebBundle['nodeBuiltins'] = []
  const platform = options.platform ?? 'browser'
  const entry = options.entry.startsWith('/')
    ? options.entry
    : fileURLToPath(import.meta.resolve(options.entry))
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    // `neutral` has no default conditions or main fields: give it what a web bundler would. Without
    // extra conditions esbuild keeps its defaults, `module` among them (any `conditions`, even an
    // empty list, drops it): as an application's default build, it bundles zod (`@openkyc/core/zod`).
    ...(options.conditions === undefined && platform !== 'neutral'
      ? {}
      : {
          conditions: [
            ...(options.conditions ?? []),
            ...(platform === 'neutral' ? ['import', 'module', 'default'] : []),
          ],
        }),
    ...(platform === 'neutral' ? { mainFields: ['module', 'main'] } : {}),
    write: false,
    logLevel: 'silent',
    plugins: [nodeBuiltinRecorder(nodeBuiltins)],
    ...(options.outfile === undefined ? { outdir: 'out' } : { outfile: options.outfile }),
  })
  const file = result.outputFiles[0]
  if (file === undefined) throw new Error(`esbuild wrote nothing for ${options.entry}`)
  if (options.outfile !== undefined) {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(options.outfile, file.contents)
  }
  return {
    code: file.text,
    bytes: file.contents.byteLength,
    gzipBytes: gzipSync(file.contents, { level: 9 }).byteLength,
    nodeBuiltins,
  }
}
