#!/usr/bin/env node
// Builds the package in the current directory for publishing: tsc writes the declarations (`.d.ts`
// and their maps) and checks the types; esbuild writes each runtime entry point as one bundled ES
// module, so that importing the package reads a handful of files instead of one per source file
// (module count is most of a cold start's cost on Node; see bench/README.md, `package-cost`).
//
// - Entry points are read from package.json: every `exports` and `imports` target under ./dist.
//   Code shared by several entries goes into chunks (dist/chunks/), so each class and registry
//   exists once however many entries an application imports.
// - Dependencies stay external (`packages: 'external'`), as do `node:` built-ins and the package's
//   own `#` imports (their runtime condition, e.g. `#crypto` node or web, is chosen when the
//   application loads the package, not here).
// - Whitespace and syntax minified (less to read and parse at start-up), identifiers never renamed
//   (error class names must survive); ES2022 like tsc; source maps to ../src.
//
// Usage, from a package directory: `node ../../scripts/build-package.mjs`.
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'

const packageDirectory = process.cwd()
const manifest = JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8'))

/** Every `./dist/….js` file an export or import condition points to (declarations aside). */
function runtimeTargets(map) {
  const targets = new Set()
  const visit = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./dist/') && value.endsWith('.js')) targets.add(value)
    } else if (value !== null && typeof value === 'object') {
      for (const [condition, nested] of Object.entries(value)) if (condition !== 'types') visit(nested)
    }
  }
  visit(map ?? {})
  return [...targets]
}

const targets = [...new Set([...runtimeTargets(manifest.exports), ...runtimeTargets(manifest.imports)])]
if (targets.length === 0) throw new Error(`${manifest.name}: no ./dist/*.js target in "exports" or "imports"`)
/** dist/http/index.js → { in: src/http/index.ts, out: http/index } */
const entryPoints = targets.map((target) => {
  const path = target.slice('./dist/'.length, -'.js'.length)
  return { in: join('src', `${path}.ts`), out: path }
})

rmSync(join(packageDirectory, 'dist'), { recursive: true, force: true })
const require = createRequire(import.meta.url)
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly'],
  {
    cwd: packageDirectory,
    stdio: 'inherit',
  },
)
await build({
  absWorkingDir: packageDirectory,
  entryPoints,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  external: ['node:*', '#*'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
})
