import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

/** The runtime paths: what an application loads from core and the three adapters. */
const runtimeSources = [
  'packages/core/src',
  'packages/jumio/src',
  'packages/persona/src',
  'packages/onfido/src',
]

/** Node-only by design, and only ever loaded on Node (an entry point of its own, or the `node` condition). */
const nodeOnly = [
  'packages/core/src/node/',
  'packages/core/src/crypto/node-crypto.ts',
  'packages/core/src/http/node-transport.ts',
  'packages/core/src/zod/node-zod.ts',
]

/** Node APIs a runtime path must not use: `node:` imports (and bare built-ins), `Buffer`, the global `process`. */
const forbidden: [string, RegExp][] = [
  ['a node: import', /\bfrom\s+['"]node:|\bimport\(\s*['"]node:/],
  [
    'a bare Node built-in import',
    /\bfrom\s+['"](?:crypto|stream|net|http|https|fs|path|os|buffer|zlib|url|util|events)['"]/,
  ],
  ['Buffer', /\bBuffer\b/],
  ['the global process', /(?<![.\w$])process\s*(?:\.|\?\.)/],
]

/** The source without comments and string contents of TSDoc examples (which may show Node usage). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(join(root, directory), { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

describe('runtime paths use Web-standard APIs only', () => {
  it('no node: import, Buffer or process in core and the three adapters (Node-only entry points aside)', async () => {
    const files = (await Promise.all(runtimeSources.map(sourceFiles))).flat()
    expect(files.length).toBeGreaterThan(50)
    const findings: string[] = []
    for (const file of files) {
      if (nodeOnly.some((path) => file.startsWith(path))) continue
      const text = code(await readFile(join(root, file), 'utf8'))
      for (const [what, pattern] of forbidden) if (pattern.test(text)) findings.push(`${file}: ${what}`)
    }
    expect(findings).toEqual([])
  })

  it('the check finds each forbidden use (it can fail)', () => {
    const samples = [
      "import { createHmac } from 'node:crypto'",
      "import { Readable } from 'stream'",
      "const bytes = Buffer.from('x')",
      'const env = process.env',
      'const env = process?.env',
    ]
    for (const sample of samples)
      expect(forbidden.some(([, pattern]) => pattern.test(code(sample)))).toBe(true)
    expect(forbidden.some(([, pattern]) => pattern.test(code('// Buffer.from in a comment')))).toBe(false)
    expect(forbidden.some(([, pattern]) => pattern.test(code('host.process?.env')))).toBe(false)
  })
})
