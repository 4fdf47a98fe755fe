import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

// The README's "Runtimes" section shows these files verbatim; `pnpm typecheck` compiles them (without
// Node's types, as on the runtimes they are written for). This test keeps README and files equal.
const files = ['cloudflare-worker.ts', 'deno.ts', 'bun.ts', 'nextjs-route.ts']

/** The code block right after `<!-- examples/runtimes/src/NAME -->` in the README. */
function snippetAfter(readme: string, file: string): string | undefined {
  const marker = `<!-- examples/runtimes/src/${file} -->`
  const start = readme.indexOf(marker)
  if (start < 0) return undefined
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(start + marker.length))
  return match?.[1]
}

describe('README "Runtimes"', () => {
  it.each(files)('shows src/%s exactly as it is type-checked', async (file) => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8')
    const source = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8')
    expect(snippetAfter(readme, file)).toBe(source)
  })
})
